// Runs once per test run, outside jest's module system (so it uses the built @vaultrun/db).
import { randomBytes } from 'node:crypto';
import { createDatabase, runMigrations, withDatabase } from '../packages/db/dist/index.js';

/**
 * A fresh database with every migration applied, and a Redis key prefix of its own, so parallel
 * runs and the developer's own data never meet. Test workers inherit these variables.
 */
export default async function globalSetup() {
  const server = process.env.VAULTRUN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const database = `vaultrun_test_${id}`;
  await createDatabase(server, database);
  const url = withDatabase(server, database);
  await runMigrations(url);
  process.env.VAULTRUN_TEST_SERVER_URL = server;
  process.env.VAULTRUN_TEST_DATABASE = database;
  process.env.VAULTRUN_TEST_DATABASE_URL = url;
  process.env.VAULTRUN_TEST_REDIS_URL ??= 'redis://127.0.0.1:6379';
  process.env.VAULTRUN_TEST_REDIS_PREFIX = `vrtest:${id}`;
  // One master key ring per run (the database's key checks are bound to it).
  process.env.VAULTRUN_TEST_MASTER_KEYS = `1:${randomBytes(32).toString('base64')}`;
}
