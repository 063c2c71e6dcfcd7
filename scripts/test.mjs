// `pnpm test`: every suite (unit, integration, e2e, browser) in one jest run, on the machine's real
// PostgreSQL and Redis and a headless Chromium. Ends with the line "N passed, N failed".
// Extra arguments go to jest, e.g. `pnpm test --selectProjects unit` or `pnpm test -t "bad input"`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServices, ROOT, run } from './lib.mjs';

const server = process.env.VAULTRUN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
await checkServices({ databaseUrl: server, redisUrl: process.env.VAULTRUN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' });

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  const canInstall = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (!canInstall) {
    console.error(`Browser tests need Chromium at ${chromium}. Install it (Debian: sudo apt-get install -y chromium) or set CHROMIUM_PATH.`);
    process.exit(2);
  }
  console.log('→ Installing Chromium for the browser tests (apt-get install chromium)');
  if (spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit' }).status !== 0) process.exit(2);
}

console.log('→ Building (the browser and boot tests run the built artifacts)');
const built = await run('pnpm', ['run', '--silent', 'build', '--output-logs=errors-only']);
if (built !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const report = join(mkdtempSync(join(tmpdir(), 'vaultrun-jest-')), 'report.json');
const code = await run(process.execPath, [
  '--experimental-vm-modules',
  '--no-warnings=ExperimentalWarning',
  join(ROOT, 'node_modules/jest/bin/jest.js'),
  '--maxWorkers=2',
  '--json',
  `--outputFile=${report}`,
  ...process.argv.slice(2),
]);

const r = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : null;
const passed = r?.numPassedTests ?? 0;
// A suite that could not run at all counts as a failure even though it has no test results.
let failed = r ? r.numFailedTests + r.numRuntimeErrorTestSuites : 1;
if (code !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
