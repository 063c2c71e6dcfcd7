import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DataSource } from 'typeorm';

const names = new Map<string, string>();

/**
 * Runs a hot-path statement as a named prepared statement on TypeORM's own pg pool: Postgres parses and plans
 * it once per connection instead of on every call. The name is derived from the text, so identical statements
 * share a plan and different ones never collide. Rows come back as pg gives them (snake_case columns).
 */
export async function preparedQuery<T = Record<string, unknown>>(db: DataSource, text: string, values: unknown[]): Promise<{ rows: T[]; rowCount: number }> {
  let name = names.get(text);
  if (!name) {
    name = `vr_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  const pool = (db.driver as unknown as { master: pg.Pool }).master;
  const res = await pool.query<T & pg.QueryResultRow>({ name, text, values });
  return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
}
