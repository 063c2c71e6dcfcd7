import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { VARIABLE_DOCS } from './docs.js';
import { namesInEnvExample, renderEnvExample, withDocsTable } from './env-example.js';
import { apiEnvSchema, VARIABLE_NAMES, VARIABLES, workerEnvSchema } from './variables.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const committed = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** What `.env` sets when it is a copy of this text, read as scripts/lib.mjs's loadDotEnv reads it. */
function setByCopy(text: string): Record<string, string> {
  const set: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (m && !line.trimStart().startsWith('#')) set[m[1]!] = m[2]!;
  }
  return set;
}

describe('.env.example', () => {
  it('lists every variable of the schema, once, and nothing else', () => {
    const listed = namesInEnvExample(committed('.env.example'));
    expect([...listed].sort()).toEqual([...VARIABLE_NAMES].sort());
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('is what the schema generates, and so is the table in docs/operations.md (`pnpm env:example` rewrites both)', () => {
    expect(committed('.env.example')).toBe(renderEnvExample());
    const operations = committed('docs/operations.md');
    expect(operations).toBe(withDocsTable(operations));
    for (const name of VARIABLE_NAMES) expect(operations).toContain(`| \`${name}\` |`);
  });

  it('sets only values both processes accept, and leaves unset what the start script fills in (master key, console)', () => {
    const set = setByCopy(renderEnvExample());
    expect(apiEnvSchema.safeParse(set).success).toBe(true);
    expect(workerEnvSchema.safeParse(set).success).toBe(true);
    // scripts/start.mjs generates a key only when none is set, and points the API at the built console with ??=.
    for (const name of ['VAULTRUN_MASTER_KEYS', 'VAULTRUN_MASTER_KEYS_FILE', 'VAULTRUN_CONSOLE_DIST', 'VAULTRUN_ADMIN_PASSWORD', 'NODE_ENV']) {
      expect(set[name]).toBeUndefined();
    }
  });

  it('writes each default as .env would set it: read back, it is the default itself', () => {
    for (const doc of VARIABLE_DOCS) {
      if (doc.default === undefined) continue;
      const schema = VARIABLES[doc.name].schema;
      expect({ [doc.name]: schema.parse(doc.default) }).toEqual({ [doc.name]: schema.parse(undefined) });
    }
  });

  it('describes every variable, and marks those that hold credentials as secrets', () => {
    for (const doc of VARIABLE_DOCS) expect(doc.description.length).toBeGreaterThan(5);
    expect(VARIABLE_DOCS.filter((d) => d.secret).map((d) => d.name).sort()).toEqual(['DATABASE_READ_URL', 'DATABASE_URL', 'REDIS_SENTINEL_PASSWORD', 'REDIS_URL', 'VAULTRUN_ADMIN_PASSWORD', 'VAULTRUN_CREDITS_WEBHOOK_SECRET', 'VAULTRUN_MASTER_KEYS']);
  });
});
