import pg from 'pg';
import { createDataSource } from './data-source.js';

/** Returns the same connection URL pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

async function onMaintenanceDb<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function databaseExists(url: string): Promise<boolean> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  return onMaintenanceDb(url, async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
}

export async function createDatabase(url: string, database: string): Promise<void> {
  if (!IDENTIFIER.test(database)) throw new Error(`invalid database name: ${database}`);
  await onMaintenanceDb(url, (c) => c.query(`CREATE DATABASE "${database}"`));
}

export async function dropDatabase(url: string, database: string): Promise<void> {
  if (!IDENTIFIER.test(database)) throw new Error(`invalid database name: ${database}`);
  await onMaintenanceDb(url, (c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
}

/** Applies every pending migration; returns the names of those applied. */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = createDataSource({ url, poolSize: 2, applicationName: 'vaultrun-migrate' });
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

/**
 * Applies the migrations to a throw-away database and asks TypeORM what it would still change
 * to match the entities. An empty list means entities and migrations agree.
 */
export async function schemaDrift(url: string): Promise<{ up: string[]; down: string[] }> {
  const scratch = `vaultrun_drift_${process.pid}_${Date.now()}`;
  await createDatabase(url, scratch);
  const scratchUrl = withDatabase(url, scratch);
  try {
    await runMigrations(scratchUrl);
    const ds = createDataSource({ url: scratchUrl, poolSize: 2 });
    await ds.initialize();
    try {
      const log = await ds.driver.createSchemaBuilder().log();
      return {
        up: log.upQueries.map((q) => q.query),
        down: log.downQueries.map((q) => q.query).reverse(),
      };
    } finally {
      await ds.destroy();
    }
  } finally {
    await dropDatabase(url, scratch);
  }
}
