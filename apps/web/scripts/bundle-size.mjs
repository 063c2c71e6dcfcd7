// A command-line report: it prints.
/* eslint-disable no-console */
// Reports what a first visit downloads: the entry chunk, the chunks it preloads, and the stylesheet, raw and
// gzipped (zlib's default level, the figure `vite build` prints). Run after a build: `pnpm --filter @vaultrun/web size`.
// `--json` prints the figures as JSON (docs/performance.md quotes them).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const attribute = (tag, name) => new RegExp(`${name}="([^"]+)"`).exec(tag)?.[1];
const tags = html.match(/<(script|link)\b[^>]*>/g) ?? [];
const entry = tags.filter((t) => t.startsWith('<script') && t.includes('type="module"')).map((t) => attribute(t, 'src'));
const preloaded = tags.filter((t) => t.includes('rel="modulepreload"')).map((t) => attribute(t, 'href'));
const styles = tags.filter((t) => t.includes('rel="stylesheet"')).map((t) => attribute(t, 'href'));

function measure(path) {
  const bytes = readFileSync(join(dist, path.replace(/^\//, '')));
  return { file: path, bytes: bytes.length, gzip: gzipSync(bytes).length };
}

const initial = { entry: entry.map(measure), preloaded: preloaded.map(measure), styles: styles.map(measure) };
const sum = (list) => list.reduce((total, f) => total + f.gzip, 0);
const lazy = readdirSync(join(dist, 'assets'))
  .filter((f) => f.endsWith('.js') && ![...entry, ...preloaded].includes(`/assets/${f}`))
  .map((f) => measure(`/assets/${f}`))
  .sort((a, b) => b.gzip - a.gzip);
const report = { ...initial, initialJsGzip: sum(initial.entry) + sum(initial.preloaded), lazy };

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const kb = (n) => `${(n / 1000).toFixed(2)} kB`;
  const line = (f) => `  ${f.file.padEnd(48)} ${kb(f.bytes).padStart(10)}  gzip ${kb(f.gzip).padStart(9)}`;
  console.log('entry chunk');
  initial.entry.forEach((f) => console.log(line(f)));
  console.log('preloaded with it');
  initial.preloaded.forEach((f) => console.log(line(f)));
  console.log(`initial JavaScript, gzipped: ${kb(report.initialJsGzip)}`);
  console.log('stylesheet');
  initial.styles.forEach((f) => console.log(line(f)));
  console.log('loaded on demand (largest first)');
  lazy.slice(0, 15).forEach((f) => console.log(line(f)));
}
