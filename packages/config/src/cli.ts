#!/usr/bin/env node
// `pnpm env:example` (write) and `pnpm env:check` (CI): `.env.example` and the variable table in docs/operations.md
// are what the schema says, or the check fails naming the file to regenerate.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderEnvExample, withDocsTable } from './env-example.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const targets = [
  { path: '.env.example', render: () => renderEnvExample() },
  { path: 'docs/operations.md', render: (current: string) => withDocsTable(current) },
];

const command = process.argv[2];
if (command !== 'write' && command !== 'check') {
  console.error('usage: cli.js write | check');
  process.exit(2);
}
const stale: string[] = [];
for (const target of targets) {
  const file = join(ROOT, target.path);
  const current = readFileSync(file, 'utf8');
  const wanted = target.render(current);
  if (current === wanted) continue;
  if (command === 'write') writeFileSync(file, wanted);
  stale.push(target.path);
}
if (command === 'write') {
  console.warn(stale.length ? `Wrote ${stale.join(' and ')} from the configuration schema.` : 'Already up to date.');
} else if (stale.length) {
  console.error(`${stale.join(' and ')} ${stale.length > 1 ? 'do' : 'does'} not match the configuration schema (packages/config/src/variables.ts). Run \`pnpm env:example\` and commit the result.`);
  process.exit(1);
} else {
  console.warn('.env.example and the docs table match the configuration schema.');
}
