import { Redis } from 'ioredis';
import { dropDatabase } from '../packages/db/dist/index.js';

export default async function globalTeardown() {
  const server = process.env.VAULTRUN_TEST_SERVER_URL;
  const database = process.env.VAULTRUN_TEST_DATABASE;
  if (server && database && process.env.VAULTRUN_TEST_KEEP_DB !== '1') await dropDatabase(server, database);

  const prefix = process.env.VAULTRUN_TEST_REDIS_PREFIX;
  if (!prefix) return;
  const redis = new Redis(process.env.VAULTRUN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
