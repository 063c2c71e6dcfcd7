import { createHash } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import type { PoolMode } from './data-source.js';

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

/** The pool mode `db` was opened with (data-source.ts `poolMode`): `transaction` means PgBouncer in transaction pooling. */
export function poolModeOf(db: DataSource): PoolMode {
  const extra = (db.options as { extra?: { vaultrunPoolMode?: unknown } }).extra;
  return extra?.vaultrunPoolMode === 'transaction' ? 'transaction' : 'session';
}

/**
 * Runs a hot-path statement as a named prepared statement: Postgres parses and plans it once per connection
 * instead of on every call. `T` is the row as pg returns it (snake_case columns, bigint as string, timestamptz as
 * Date): declare it once beside the statement and map it in one place. A statement that returns no rows leaves
 * `T` out (its rows are `never`) and reads `rowCount`.
 *
 * Behind PgBouncer in transaction mode (`poolMode: 'transaction'`) the statement goes unnamed instead: each call may
 * land on another server connection, where a name prepared elsewhere does not exist (PgBouncer 1.21+ can track
 * them with `max_prepared_statements`; Debian 12 ships 1.18).
 */
export async function preparedQuery<T extends object = never>(db: DataSource, text: string, values: unknown[]): Promise<{ rows: T[]; rowCount: number }> {
  const query = poolModeOf(db) === 'transaction' ? { text, values } : { name: statementName(text), text, values };
  const res = await pgPoolOf(db).query<T & pg.QueryResultRow>(query);
  return { rows: res.rows, rowCount: res.rowCount ?? 0 };
}
