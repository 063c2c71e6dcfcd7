import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Workspace } from './workspace.entity.js';

export const RUN_KINDS = ['operator', 'copilot', 'mission', 'comparison', 'gateway'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export const RUN_STATUSES = ['queued', 'waiting', 'running', 'succeeded', 'failed', 'cancelled', 'blocked'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'blocked'];

/** What a gateway call (kind `gateway`) records beside the run's own columns (docs/gateway.md). */
export interface GatewayCallInfo {
  endpoint: 'chat.completions' | 'responses' | 'embeddings' | 'messages';
  stream: boolean;
  /** The model name the app sent (a route's public name, `account/model`, or a model of the default account). */
  requestedModel: string;
  /** The route that resolved it (null: `account/model` or the default account). */
  routeId: string | null;
  /** Provider calls made for this request, fallbacks included (each one is in the run's events). */
  attempts: number;
  /** How the usage was known: reported by the provider, or counted from the streamed text (client gone). */
  usageSource?: 'provider' | 'counted' | null;
  /** The client closed the connection before the answer was complete. */
  clientDisconnected?: boolean;
}

/** A CHECK constraint: the column holds one of these values. */
export const inList = (col: string, values: readonly string[]) => `"${col}" IN (${values.map((v) => `'${v}'`).join(', ')})`;

/** Who pays for a run (docs/managed.md): the instance's credits (a managed connector) or the workspace's own key. */
export const PAID_WITH = ['credits', 'own_key'] as const;
export type PaidWith = (typeof PAID_WITH)[number];

/**
 * One unit of AI work. Postgres is the source of truth for its state; the BullMQ job (id = run id, payload =
 * ids only) is just how a worker gets to it. Every status change is a compare-and-set on `status`.
 */
@Entity('runs')
@Check('runs_paid_with_check', `"paid_with" IS NULL OR "paid_with" IN ('credits', 'own_key')`)
// Covering (INCLUDE, created by hand in the ConsoleAnalytics migration: TypeORM cannot declare it): the Overview's
// aggregates read every column they need from this index alone (docs/performance.md, "Overview at 1,000,000 runs").
@Index('runs_workspace_created_idx', { synchronize: false })
@Index('runs_workspace_status_idx', ['workspaceId', 'status'])
@Index('runs_account_status_idx', ['accountId', 'status'])
@Index('runs_workspace_idempotency_key', ['workspaceId', 'idempotencyKey'], { unique: true, where: '"idempotency_key" IS NOT NULL' })
@Index('runs_active_idx', ['status', 'updatedAt'], { where: `"status" IN ('queued', 'waiting', 'running')` })
@Index('runs_parent_idx', ['parentRunId'], { where: '"parent_run_id" IS NOT NULL' })
@Index('runs_mission_idx', ['missionId'], { where: '"mission_id" IS NOT NULL' })
@Index('runs_account_finished_idx', ['accountId', 'finishedAt'])
// Spend reports: a workspace's finished runs by day (GET /api/v1/spend).
@Index('runs_workspace_finished_idx', ['workspaceId', 'finishedAt'])
@Check('runs_kind_check', inList('kind', RUN_KINDS))
@Check('runs_status_check', inList('status', RUN_STATUSES))
export class Run {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'text' })
  kind!: RunKind;

  @Column({ type: 'uuid', nullable: true })
  operatorId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  parentRunId!: string | null;

  /** `user` or `token`, and its id. */
  @Column({ type: 'text' })
  startedByType!: 'user' | 'token' | 'system';

  @Column({ type: 'uuid', nullable: true })
  startedById!: string | null;

  /**
   * The account and model actually used (resolved at creation: run override > operator > workspace default).
   * Null only for a mission run, which orchestrates its steps and calls no provider itself.
   */
  @Column({ type: 'uuid', nullable: true })
  accountId!: string | null;

  @Column({ type: 'text' })
  model!: string;

  /**
   * Who pays (docs/managed.md): `credits` when the account is a managed connector, `own_key` otherwise — set by the
   * database whenever the account is set, so it stays true after the connector is gone. Null: no account.
   */
  @Column({ type: 'text', nullable: true })
  paidWith!: PaidWith | null;

  /** Credits: the instance's price multiplier when the run was created (1000 = ×1); its costs include it. */
  @Column({ type: 'int', nullable: true })
  priceMultiplierPermille!: number | null;

  /** What the operator was run with (copied, so later edits do not rewrite history). */
  @Column({ type: 'text', default: '' })
  instructions!: string;

  @Column({ type: 'text' })
  input!: string;

  @Column({ type: 'real', nullable: true })
  temperature!: number | null;

  @Column({ type: 'int' })
  maxOutputTokens!: number;

  @Column({ type: 'jsonb', nullable: true })
  outputSchema!: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  output!: string | null;

  /** The parsed output when the operator asked for JSON. */
  @Column({ type: 'jsonb', nullable: true })
  outputJson!: unknown;

  @Column({ type: 'text', default: 'queued' })
  status!: RunStatus;

  /** Why the run waits or was blocked, in words. */
  @Column({ type: 'text', nullable: true })
  statusReason!: string | null;

  /** When a waiting run will try again. */
  @Column({ type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  /** Provider calls that failed in a retryable way (a 429 cooldown does not count). */
  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ type: 'int', default: 3 })
  maxAttempts!: number;

  @Column({ type: 'int', nullable: true })
  inputTokens!: number | null;

  @Column({ type: 'int', nullable: true })
  outputTokens!: number | null;

  @Column({ type: 'int', nullable: true })
  cachedInputTokens!: number | null;

  /** Provider calls made for this run, whatever their outcome (a worker killed mid-call may add one). */
  @Column({ type: 'int', default: 0 })
  providerCalls!: number;

  @Column({ type: 'text', nullable: true })
  providerRequestId!: string | null;

  @Column({ type: 'text', nullable: true })
  errorCode!: string | null;

  @Column({ type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ type: 'text', nullable: true })
  idempotencyKey!: string | null;

  /** SHA-256 of the creating request, so a reused idempotency key with another body is refused. */
  @Column({ type: 'text', nullable: true })
  requestHash!: string | null;

  /** The worker currently executing the run, and until when its claim holds. */
  @Column({ type: 'text', nullable: true })
  leaseOwner!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  leaseExpiresAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ type: 'timestamptz' })
  queuedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  providerStartedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  firstByteAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  /** What the run cost in micro-USD (null when unknown — never a made-up zero). */
  @Column({ type: 'bigint', nullable: true })
  costMicroUsd!: string | null;

  /** verified · estimated · pending_sync · unavailable */
  @Column({ type: 'text', nullable: true })
  costLabel!: string | null;

  /** The worst case held against budgets before the provider call. */
  @Column({ type: 'bigint', nullable: true })
  estimateMicroUsd!: string | null;

  /** The operator's per-run cost cap at the time the run was created. */
  @Column({ type: 'bigint', nullable: true })
  costCapMicroUsd!: string | null;

  /** The prompt tokens that worst case held for: the estimate × the account's calibrated factor + margin (docs/budgets.md). */
  @Column({ type: 'int', nullable: true })
  promptTokensHeld!: number | null;

  /** What the call cost above the worst case held for it (null: it did not; see docs/budgets.md, "Overage"). */
  @Column({ type: 'bigint', nullable: true })
  overageMicroUsd!: string | null;

  /** Shrink-to-fit: the max output tokens asked for, when a budget reduced `maxOutputTokens` to fit (else null). */
  @Column({ type: 'int', nullable: true })
  requestedMaxOutputTokens!: number | null;

  /** The budget that refused the run (status blocked). */
  @Column({ type: 'uuid', nullable: true })
  blockedBudgetId!: string | null;

  /** The mission of a copilot run, a mission run, or a mission step. */
  @Column({ type: 'uuid', nullable: true })
  missionId!: string | null;

  /** A mission step: its id in the plan (dependencies and input references use it). */
  @Column({ type: 'text', nullable: true })
  planStep!: string | null;

  /** A copilot run: the earlier turns sent with its input (bounded; see docs/missions.md). */
  @Column({ type: 'jsonb', nullable: true })
  history!: { role: 'user' | 'assistant'; content: string }[] | null;

  /** A gateway call: endpoint, requested model, route, attempts (null for every other kind). */
  @Column({ type: 'jsonb', nullable: true })
  gateway!: GatewayCallInfo | null;

  /** Provider time of the successful call (ms). */
  @Column({ type: 'int', nullable: true })
  providerLatencyMs!: number | null;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
