import type { DataSource } from 'typeorm';

/** Invites are kept this long past expiry (for the admins' view), then deleted. */
const INVITE_RETENTION_DAYS = 30;

export interface PurgeResult {
  sessions: number;
  invites: number;
}

export async function purgeExpiredSessions(db: DataSource): Promise<PurgeResult> {
  const [, sessions] = (await db.query(`DELETE FROM sessions WHERE expires_at <= now()`)) as [unknown, number];
  const [, invites] = (await db.query(
    `DELETE FROM invites WHERE accepted_at IS NULL AND expires_at <= now() - make_interval(days => $1)`,
    [INVITE_RETENTION_DAYS],
  )) as [unknown, number];
  return { sessions, invites };
}
