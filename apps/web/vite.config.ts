import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API listens on 3000 in development; in production it serves this build itself (same origin).
const API_TARGET = 'http://127.0.0.1:3000';
const proxied = ['/api', '/health', '/ready', '/v1'];

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(proxied.map((path) => [path, { target: API_TARGET, changeOrigin: false }])),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      output: {
        // The heavy libraries each in a chunk of their own, named, so a page that does not use one never downloads it
        // (the browser quality suite checks which chunks each page loads) and a page that does caches it apart.
        manualChunks(id) {
          if (/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?(@codemirror|@lezer|@marijn|style-mod|w3c-keyname|crelt|@cfworker)\//.test(id)) return 'vendor-editor';
          if (/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?@dagrejs\//.test(id)) return 'vendor-graph-layout';
          if (/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?diff\//.test(id)) return 'vendor-text-diff';
          return undefined;
        },
      },
    },
  },
});
