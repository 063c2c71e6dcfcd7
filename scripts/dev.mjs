// `pnpm dev`: watch mode for everything. Packages recompile on save, the API and the worker restart,
// and the console runs on Vite's dev server (http://localhost:5173, proxying /api to the API).
import { checkServices, DEFAULTS, ensureMasterKey, loadDotEnv, runOrExit } from './lib.mjs';

loadDotEnv();
for (const [k, v] of Object.entries(DEFAULTS)) process.env[k] ??= v;
ensureMasterKey();
process.env.VAULTRUN_CONSOLE_ORIGIN ??= 'http://localhost:5173';
await checkServices({ databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });
await runOrExit('pnpm', ['run', '--silent', 'build', '--output-logs=errors-only']);
await runOrExit('node', ['packages/db/dist/cli.js', 'create-if-missing']);
await runOrExit('node', ['packages/db/dist/cli.js', 'migrate']);
console.log('\n  Console (dev server): http://localhost:5173   API: http://localhost:3000/api/docs\n');
await runOrExit('pnpm', ['exec', 'turbo', 'run', 'dev', '--concurrency=16']);
