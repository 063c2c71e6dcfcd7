// The second half of `bash scripts/start.sh`: configure, build, migrate, then run API + worker
// (the API also serves the built console). Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkServices, DEFAULTS, ensureMasterKey, loadDotEnv, ROOT, runOrExit } from './lib.mjs';

if (!existsSync(join(ROOT, '.env'))) {
  copyFileSync(join(ROOT, '.env.example'), join(ROOT, '.env'));
  console.log('→ Created .env from .env.example (edit it to change ports, URLs or the admin account)');
}
loadDotEnv();
for (const [k, v] of Object.entries(DEFAULTS)) process.env[k] ??= v;
ensureMasterKey();
process.env.VAULTRUN_CONSOLE_DIST ??= join(ROOT, 'apps/web/dist');

await checkServices({ databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });

console.log('→ Building');
await runOrExit('pnpm', ['run', '--silent', 'build', '--output-logs=errors-only']);
console.log('→ Preparing the database');
await runOrExit('node', ['packages/db/dist/cli.js', 'create-if-missing']);
await runOrExit('node', ['packages/db/dist/cli.js', 'migrate']);

const children = [];
function launch(name, script, color) {
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tag = `\x1b[${color}m${name.padEnd(6)}\x1b[0m│ `;
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream.on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (const line of lines) process.stdout.write(tag + line + '\n');
    });
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${tag}exited (${signal ?? code}); stopping the platform.`);
      stop(1);
    }
  });
  children.push(child);
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 35_000).unref();
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r))))).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

launch('api', 'apps/api/dist/main.js', '36');
launch('worker', 'apps/worker/dist/main.js', '35');
const url = process.env.VAULTRUN_PUBLIC_URL ?? `http://localhost:${process.env.VAULTRUN_API_PORT ?? 3000}`;
console.log(`\n  Vaultrun is starting: console and API at ${url}  (API docs: ${url}/api/docs)`);
console.log('  Sign in with the credentials printed below on first start (or VAULTRUN_ADMIN_EMAIL / VAULTRUN_ADMIN_PASSWORD from .env).');
console.log('  Press Ctrl-C to stop.\n');
