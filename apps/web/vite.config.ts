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
  },
});
