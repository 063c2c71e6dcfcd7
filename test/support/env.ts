import { randomBytes } from 'node:crypto';

/** Set by test/global-setup.ts for every test worker. */
export function testEnv() {
  const databaseUrl = process.env.VAULTRUN_TEST_DATABASE_URL;
  const redisPrefix = process.env.VAULTRUN_TEST_REDIS_PREFIX;
  if (!databaseUrl || !redisPrefix) throw new Error('Run tests through jest (test/global-setup.ts sets the test database).');
  const masterKeys = process.env.VAULTRUN_TEST_MASTER_KEYS!;
  return { databaseUrl, redisUrl: process.env.VAULTRUN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', redisPrefix, masterKeys };
}

export const uniqueId = (bytes = 4) => randomBytes(bytes).toString('hex');

/** A Redis prefix of its own for one app instance (so rate-limit counters etc. never leak between tests). */
export const instancePrefix = () => `${testEnv().redisPrefix}:${uniqueId()}`;
