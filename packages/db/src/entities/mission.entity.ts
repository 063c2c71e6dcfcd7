import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { inList } from './run.entity.js';
import { Workspace } from './workspace.entity.js';

/** A mission's status is derived from its current mission run (never stored): `open` before any, `running`, or how it ended. */
export const MISSION_STATUSES = ['open', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type MissionStatus = (typeof MISSION_STATUSES)[number];
export const PLAN_STATUSES = ['proposed', 'invalid', 'approved', 'superseded'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];
export const FAILURE_POLICIES = ['stop', 'continue'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

/** A goal plus a conversation with the Copilot; approved plans execute as mission runs. */
@Entity('missions')
@Index('missions_workspace_created_idx', ['workspaceId', 'createdAt'])
export class Mission {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'text' })
  title!: string;

  @Column({ type: 'text', default: '' })
  goal!: string;

  /** The latest mission run (the execution of an approved plan). */
  @Column({ type: 'uuid', nullable: true })
  currentRunId!: string | null;

  @Column({ type: 'text' })
  createdByType!: 'user' | 'token';

  @Column({ type: 'uuid', nullable: true })
  createdById!: string | null;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/** One turn of a mission's conversation. A user message starts a copilot run; its answer is the assistant message. */
@Entity('mission_messages')
@Index('mission_messages_mission_idx', ['missionId', 'createdAt'])
@Index('mission_messages_answer_key', ['copilotRunId'], { unique: true, where: `"role" = 'assistant'` })
@Index('mission_messages_idempotency_key', ['missionId', 'idempotencyKey'], { unique: true, where: '"idempotency_key" IS NOT NULL' })
@Check('mission_messages_role_check', `"role" IN ('user', 'assistant')`)
export class MissionMessage {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'uuid' })
  missionId!: string;

  @Column({ type: 'text' })
  role!: 'user' | 'assistant';

  @Column({ type: 'text' })
  content!: string;

  /** Who wrote a user message (`user` / `token`); null for the Copilot. */
  @Column({ type: 'text', nullable: true })
  authorType!: 'user' | 'token' | null;

  @Column({ type: 'uuid', nullable: true })
  authorId!: string | null;

  /** User message: the copilot run it started. Assistant message: the copilot run that wrote it. */
  @Column({ type: 'uuid', nullable: true })
  copilotRunId!: string | null;

  /** The plan this assistant message proposed. */
  @Column({ type: 'uuid', nullable: true })
  planId!: string | null;

  /** The sender's Idempotency-Key (per mission) and SHA-256 of the message, as for runs. */
  @Column({ type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ type: 'text', nullable: true })
  requestHash!: string | null;

  @ManyToOne(() => Mission, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'mission_id' })
  mission?: Mission;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

/** A plan step as stored (validated): the operator by id, its input (which may reference earlier steps), its dependencies. */
export interface PlanStep {
  id: string;
  operatorId: string | null;
  operatorName: string;
  input: string;
  dependsOn: string[];
}

/** A plan proposed by the Copilot (or edited by a person); approving it starts a mission run. */
@Entity('mission_plans')
@Index('mission_plans_mission_idx', ['missionId', 'createdAt'])
@Check('mission_plans_status_check', inList('status', PLAN_STATUSES))
@Check('mission_plans_failure_policy_check', inList('failure_policy', FAILURE_POLICIES))
export class MissionPlan {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'uuid' })
  missionId!: string;

  /** The plan this one edits (a person's edit of a proposal). */
  @Column({ type: 'uuid', nullable: true })
  basedOnPlanId!: string | null;

  @Column({ type: 'text', default: '' })
  title!: string;

  @Column({ type: 'text', default: 'stop' })
  failurePolicy!: FailurePolicy;

  @Column({ type: 'jsonb' })
  steps!: PlanStep[];

  @Column({ type: 'text', default: 'proposed' })
  status!: PlanStatus;

  /** Why an invalid plan was rejected, one message per problem. */
  @Column({ type: 'jsonb', nullable: true })
  errors!: string[] | null;

  /** The mission run that executes it, once approved. */
  @Column({ type: 'uuid', nullable: true })
  missionRunId!: string | null;

  @Column({ type: 'text', nullable: true })
  createdByType!: 'user' | 'token' | 'copilot' | null;

  @Column({ type: 'uuid', nullable: true })
  createdById!: string | null;

  @Column({ type: 'uuid', nullable: true })
  approvedById!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  approvedAt!: Date | null;

  @ManyToOne(() => Mission, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'mission_id' })
  mission?: Mission;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

/** Mock-to-live comparison: the same operator input run on the mock provider and on a live account. */
@Entity('comparisons')
@Index('comparisons_workspace_created_idx', ['workspaceId', 'createdAt'])
@Index('comparisons_workspace_idempotency_key', ['workspaceId', 'idempotencyKey'], { unique: true, where: '"idempotency_key" IS NOT NULL' })
export class Comparison {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'uuid', nullable: true })
  operatorId!: string | null;

  @Column({ type: 'text' })
  input!: string;

  @Column({ type: 'uuid' })
  mockRunId!: string;

  @Column({ type: 'uuid' })
  liveRunId!: string;

  /** The creator's Idempotency-Key and SHA-256 of the request, as for runs. */
  @Column({ type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ type: 'text', nullable: true })
  requestHash!: string | null;

  @Column({ type: 'text' })
  createdByType!: 'user' | 'token';

  @Column({ type: 'uuid', nullable: true })
  createdById!: string | null;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
