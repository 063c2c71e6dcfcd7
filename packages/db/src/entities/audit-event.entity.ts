import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type AuditActorType = 'user' | 'token' | 'system' | 'anonymous';
export type AuditOutcome = 'success' | 'failure';

/**
 * Append-only: a trigger (see the migration) refuses UPDATE and DELETE.
 * Never holds secret material — only ids, names, hints and outcomes.
 */
@Entity('audit_events')
@Index('audit_events_workspace_created_idx', ['workspaceId', 'createdAt'])
// The audit trail's filters (docs/console.md): by action, by actor and by target, each newest first.
@Index('audit_events_workspace_action_idx', ['workspaceId', 'action', 'createdAt'])
@Index('audit_events_workspace_actor_idx', ['workspaceId', 'actorId', 'createdAt'])
@Index('audit_events_workspace_target_idx', ['workspaceId', 'targetType', 'targetId', 'createdAt'])
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Null for instance-level events (e.g. a failed sign-in for an unknown email). */
  @Column({ type: 'uuid', nullable: true })
  workspaceId!: string | null;

  @Column({ type: 'text' })
  actorType!: AuditActorType;

  @Column({ type: 'uuid', nullable: true })
  actorId!: string | null;

  /** Human-readable actor: an email or a token name. */
  @Column({ type: 'text', default: '' })
  actorLabel!: string;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'text', nullable: true })
  targetType!: string | null;

  @Column({ type: 'text', nullable: true })
  targetId!: string | null;

  @Column({ type: 'text' })
  outcome!: AuditOutcome;

  @Column({ type: 'text', default: '' })
  ip!: string;

  @Column({ type: 'jsonb', default: {} })
  metadata!: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
