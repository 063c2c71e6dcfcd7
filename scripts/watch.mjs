// Watch mode for a Node app package: `tsc -w` recompiles, `node --watch` restarts on change.
// Usage (from the package directory): node ../../scripts/watch.mjs dist/main.js
import { spawn } from 'node:child_process';

const entry = process.argv[2];
if (!entry) {
  console.error('usage: watch.mjs <entry.js>');
  process.exit(2);
}
const tsc = spawn('pnpm', ['exec', 'tsc', '-w', '-p', 'tsconfig.build.json', '--preserveWatchOutput'], { stdio: 'inherit' });
const app = spawn(process.execPath, ['--watch', '--watch-preserve-output', entry], { stdio: 'inherit' });
const stop = () => {
  tsc.kill('SIGTERM');
  app.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
app.on('exit', (code) => {
  tsc.kill('SIGTERM');
  process.exit(code ?? 0);
});
