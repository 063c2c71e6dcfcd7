import { createHash } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/*
 * Named prepared statements on TypeORM's own connection pool (docs/adr/0002-data-access.md). TypeORM runs every
 * query unnamed (parsed and planned on each call) and offers no way to name one, so the hot path goes to the pg
 * pool underneath. This file is the only place that reaches below TypeORM's query API, and it does so through
 * `PostgresDriver.master`: a public property, typed `any` by TypeORM. `pgPoolOf` checks what it finds there, and
 * packages/db/test/prepared-sql.int-spec.ts fails if a TypeORM upgrade moves or changes it.
 */

const names = new Map<string, string>();

/** The name a statement is prepared under: derived from its text, so identical statements share a plan and different ones never collide. */
export function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `vr_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

/** The pg pool TypeORM opened for `db` (its only pool without replication, which Vaultrun does not configure). */
export function pgPoolOf(db: DataSource): pg.Pool {
  const driver = db.driver;
  if (!(driver instanceof PostgresDriver)) throw new Error(`prepared statements need a Postgres DataSource, not "${db.options.type}"`);
  const pool: unknown = driver.master;
  if (!(pool instanceof pg.Pool)) {
    throw new Error('TypeORM no longer keeps its pg pool in PostgresDriver.master (not connected, or TypeORM changed): see packages/db/src/sql.ts');
  }
  return pool;
}

/**
 * Runs a hot-path statement as a named prepared statement: Postgres parses and plans it once per connection
 * instead of on every call. `T` is the row as pg returns it (snake_case columns, bigint as string, timestamptz as
 * Date): declare it once beside the statement and map it in one place. A statement that returns no rows leaves
 * `T` out (its rows are `never`) and reads `rowCount`.
 */
export async function preparedQuery<T extends object = never>(db: DataSource, text: string, values: unknown[]): Promise<{ rows: T[]; rowCount: number }> {
  const res = await pgPoolOf(db).query<T & pg.QueryResultRow>({ name: statementName(text), text, values });
  return { rows: res.rows, rowCount: res.rowCount ?? 0 };
}
