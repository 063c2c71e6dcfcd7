// Fails when the committed OpenAPI document or the console's generated client is out of date:
// regenerates both in place (from the built API) and asks git whether anything changed.
import { spawnSync } from 'node:child_process';
import { ROOT, runOrExit } from './lib.mjs';

await runOrExit('pnpm', ['--silent', '--filter', '@vaultrun/api', 'openapi']);
await runOrExit('pnpm', ['--silent', '--filter', '@vaultrun/web', 'generate']);

const paths = ['apps/api/openapi.json', 'apps/web/src/api/generated'];
const status = spawnSync('git', ['status', '--porcelain', '--', ...paths], { cwd: ROOT, encoding: 'utf8' });
if (status.stdout.trim()) {
  console.error('The OpenAPI document or the generated client is out of date:\n' + status.stdout);
  spawnSync('git', ['--no-pager', 'diff', '--stat', '--', ...paths], { cwd: ROOT, stdio: 'inherit' });
  console.error('Run `pnpm openapi` and commit the result.');
  process.exit(1);
}
console.log('OpenAPI document and generated client are up to date.');
