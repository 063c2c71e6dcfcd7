import { AuditEvent, type AuditOutcome } from '@vaultrun/db';
import type { EntityManager } from 'typeorm';

export interface AuditActor {
  actorType: 'user' | 'token' | 'system' | 'anonymous';
  actorId: string | null;
  actorLabel: string;
  ip: string;
}

export const SYSTEM_ACTOR = (label: string): AuditActor => ({ actorType: 'system', actorId: null, actorLabel: label, ip: '' });

export interface AuditEntry {
  workspaceId: string | null;
  actor: AuditActor;
  action: string;
  targetType?: string;
  targetId?: string;
  outcome?: AuditOutcome;
  /** Names, hints, roles, codes — never secret material. */
  metadata?: Record<string, unknown>;
}

/** Appends one audit row. Pass the transaction's manager so it commits (or rolls back) with the change it records. */
export async function recordAudit(manager: EntityManager, entry: AuditEntry): Promise<void> {
  const repo = manager.getRepository(AuditEvent);
  await repo.save(
    repo.create({
      workspaceId: entry.workspaceId,
      actorType: entry.actor.actorType,
      actorId: entry.actor.actorId,
      actorLabel: entry.actor.actorLabel,
      ip: entry.actor.ip,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      outcome: entry.outcome ?? 'success',
      metadata: entry.metadata ?? {},
    }),
  );
}
