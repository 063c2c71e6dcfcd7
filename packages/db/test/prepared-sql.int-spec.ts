/**
 * The guard of the one place that reaches below TypeORM (packages/db/src/sql.ts, docs/adr/0002-data-access.md):
 * prepared statements run on TypeORM's own pg pool, under their name, and are parsed once per connection. If a
 * TypeORM upgrade moves its pool or stops exposing it, this fails before any hot path silently loses its plans.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDataSource, pgPoolOf, poolModeOf, preparedQuery, statementName } from '@vaultrun/db';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { scratchDatabase } from '../../../test/support/scratch-db.js';

describe('prepared statements on TypeORM’s pool', () => {
  let url: string;
  let drop: () => Promise<void>;
  let db: DataSource;

  beforeAll(async () => {
    ({ url, drop } = await scratchDatabase());
    // One connection: TypeORM's own queries and the prepared statements must share it.
    db = createDataSource({ url, poolSize: 1 });
    await db.initialize();
  });
  afterAll(async () => {
    await db.destroy();
    await drop();
  });

  it('finds the pg pool TypeORM opened with our options', () => {
    const pool = pgPoolOf(db);
    expect(pool).toBeInstanceOf(pg.Pool);
    expect(pool.options.max).toBe(1);
    expect(pool.options.application_name).toBe('vaultrun');
  });

  it('prepares a statement once per connection, under its name, and reuses it', async () => {
    const text = `SELECT $1::int + 1 AS n`;
    for (const i of [1, 2, 3]) expect((await preparedQuery<{ n: number }>(db, text, [i])).rows).toEqual([{ n: i + 1 }]);
    // Read through TypeORM: the same (only) connection, whose session holds the prepared statement.
    const prepared: { statement: string; executions: number }[] = await db.query(
      `SELECT statement, (generic_plans + custom_plans)::int AS executions FROM pg_prepared_statements WHERE name = $1`,
      [statementName(text)],
    );
    expect(prepared).toEqual([{ statement: text, executions: 3 }]);
  });

  it('reports rowCount for statements without rows', async () => {
    await db.query(`CREATE TEMP TABLE prepared_probe (n int)`);
    await db.query(`INSERT INTO prepared_probe VALUES (1), (2)`);
    const { rows, rowCount } = await preparedQuery(db, `UPDATE prepared_probe SET n = n + $1`, [1]);
    expect([rows, rowCount]).toEqual([[], 2]);
  });

  it('refuses a DataSource that is not connected, in words', () => {
    expect(() => pgPoolOf(createDataSource({ url }))).toThrow(/PostgresDriver\.master/);
  });
});

describe('DATABASE_POOL_MODE=transaction (PgBouncer transaction pooling)', () => {
  let drop: () => Promise<void>;
  let db: DataSource;

  beforeAll(async () => {
    let url: string;
    ({ url, drop } = await scratchDatabase());
    db = createDataSource({ url, poolSize: 1, poolMode: 'transaction' });
    await db.initialize();
  });
  afterAll(async () => {
    await db.destroy();
    await drop();
  });

  it('sends hot-path statements unnamed: the session keeps no prepared statement a pooler could lose', async () => {
    expect(poolModeOf(db)).toBe('transaction');
    const text = `SELECT $1::int * 2 AS n`;
    for (const i of [1, 2]) expect((await preparedQuery<{ n: number }>(db, text, [i])).rows).toEqual([{ n: i * 2 }]);
    // The one connection ran them; a named statement would still be listed in its session.
    expect(await db.query(`SELECT name FROM pg_prepared_statements`)).toEqual([]);
  });
});
