import { WorkspaceSuspended } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';

/** Refuses (403 `workspace_suspended`) when an instance administrator suspended the workspace (docs/managed.md). */
export async function assertWorkspaceActive(db: DataSource | EntityManager, workspaceId: string): Promise<void> {
  const rows: { suspended_at: Date | null; suspended_reason: string | null }[] = await db.query(
    `SELECT suspended_at, suspended_reason FROM workspaces WHERE id = $1`,
    [workspaceId],
  );
  if (rows[0]?.suspended_at) throw new WorkspaceSuspended(rows[0].suspended_reason);
}
