/** The built API process refuses to start with a clear sentence when something it needs is missing. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { scratchDatabase } from '../../../test/support/scratch-db.js';
import { testEnv } from '../../../test/support/env.js';
import { createDatabase, dropDatabase, withDatabase } from '@vaultrun/db';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function boot(env: Record<string, string>) {
  const res = spawnSync(process.execPath, [main], {
    env: { PATH: process.env.PATH, VAULTRUN_API_PORT: '0', LOG_LEVEL: 'silent', VAULTRUN_MASTER_KEYS: testEnv().masterKeys, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, stderr: res.stderr, stdout: res.stdout };
}

describe('the start script\'s service check', () => {
  const check = (databaseUrl: string, redisUrl: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `import { checkServices } from './scripts/lib.mjs'; await checkServices(${JSON.stringify({ databaseUrl, redisUrl })});`], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      encoding: 'utf8',
    });

  it('passes when both answer', () => {
    expect(check('postgres://postgres@127.0.0.1:5432/x', testEnv().redisUrl).status).toBe(0);
  });

  it('names the missing service and how to start it, including docker compose', () => {
    const res = check('postgres://postgres@127.0.0.1:1/x', 'redis://127.0.0.1:2');
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('PostgreSQL is not reachable at 127.0.0.1:1');
    expect(res.stderr).toContain('Redis is not reachable at 127.0.0.1:2');
    expect(res.stderr).toContain('docker compose up -d postgres');
    expect(res.stderr).toContain('docker compose up -d redis');
  });
});

describe('API boot refusals', () => {
  it('has a build to run (pnpm build)', () => {
    expect(existsSync(main)).toBe(true);
  });

  it('names the variable when the configuration is invalid', () => {
    const res = boot({ VAULTRUN_API_PORT: 'eighty', DATABASE_URL: 'mysql://nope' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Invalid configuration');
    expect(res.stderr).toContain('VAULTRUN_API_PORT');
    expect(res.stderr).toContain('DATABASE_URL');
  });

  it('says PostgreSQL is unreachable and how to start it, without a stack trace or the password', () => {
    const res = boot({ DATABASE_URL: 'postgres://vaultrun:s3cret-pw@127.0.0.1:1/vaultrun', REDIS_URL: testEnv().redisUrl });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Cannot reach PostgreSQL at postgres:\/\/vaultrun:\*\*\*@127\.0\.0\.1:1\/vaultrun/);
    expect(res.stderr).toContain('docker compose up -d postgres');
    expect(res.stderr).not.toContain('s3cret-pw');
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('says Redis is unreachable and how to start it', async () => {
    const db = await scratchDatabase();
    try {
      const res = boot({ DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:1' });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('Cannot reach Redis at redis://127.0.0.1:1');
      expect(res.stderr).toContain('docker compose up -d redis');
    } finally {
      await db.drop();
    }
  });

  it('refuses to run on a database with pending migrations', async () => {
    const server = process.env.VAULTRUN_TEST_SERVER_URL!;
    const name = `vaultrun_unmigrated_${Date.now()}`;
    await createDatabase(server, name);
    try {
      const res = boot({ DATABASE_URL: withDatabase(server, name), REDIS_URL: testEnv().redisUrl });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('pending migrations');
      expect(res.stderr).toContain('pnpm db:migrate');
    } finally {
      await dropDatabase(server, name);
    }
  });
});
