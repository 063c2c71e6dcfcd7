import { defineConfig } from '@hey-api/openapi-ts';

export default defineConfig({
  input: '../api/openapi.json',
  output: { path: 'src/api/generated' },
  plugins: [
    '@hey-api/client-fetch',
    '@hey-api/typescript',
    '@hey-api/sdk',
    '@tanstack/react-query',
    // Request bodies as zod schemas (zod/mini: small, tree-shaken per schema): the console's forms check their fields
    // with the rules the API enforces, read from its OpenAPI document (src/lib/form-rules.ts).
    { name: 'zod', compatibilityVersion: 'mini' },
  ],
});
