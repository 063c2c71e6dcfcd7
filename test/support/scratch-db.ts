import { createDatabase, dropDatabase, runMigrations, withDatabase } from '@vaultrun/db';
import { uniqueId } from './env.js';

/** A throw-away migrated database for tests that need an empty instance (e.g. first start). */
export async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = process.env.VAULTRUN_TEST_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `vaultrun_scratch_${uniqueId(6)}`;
  await createDatabase(server, name);
  const url = withDatabase(server, name);
  await runMigrations(url);
  return { url, drop: () => dropDatabase(server, name) };
}
