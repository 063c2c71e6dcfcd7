import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Workspace } from './workspace.entity.js';

export const BUDGET_SCOPES = ['workspace', 'account', 'operator', 'token'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number] | 'credits';
/** The credits budget's name (reserved: no other budget may take it). */
export const CREDITS_BUDGET_NAME = 'Vaultrun credits';
export const BUDGET_PERIODS = ['day', 'week', 'month', 'lifetime'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
/**
 * What a budget's first period counts: only the runs from its creation on (`creation`), or every run of the period
 * from its start — month-to-date for a monthly budget — including the spend of runs before the budget existed
 * (`period_start`, recorded as the period's opening balance when the budget is created). Later periods are whole
 * UTC calendar periods either way.
 */
export const BUDGET_COUNT_FROM = ['creation', 'period_start'] as const;
export type BudgetCountFrom = (typeof BUDGET_COUNT_FROM)[number];

/** A hard cap on what runs may cost, per UTC period, for a workspace, an account, an operator or an API token. */
@Entity('budgets')
@Index('budgets_workspace_idx', ['workspaceId'])
// `credits`: a workspace's credit balance (docs/managed.md) — kept by the instance, never created or changed through
// the budget routes; it covers runs on managed connectors.
@Check('budgets_scope_check', `"scope_type" IN ('workspace', 'account', 'operator', 'token', 'credits') AND (("scope_type" IN ('workspace', 'credits')) = ("scope_id" IS NULL))`)
@Index('budgets_workspace_credits_key', ['workspaceId'], { unique: true, where: `"scope_type" = 'credits'` })
@Check('budgets_period_check', `"period" IN ('day', 'week', 'month', 'lifetime')`)
@Check('budgets_cap_check', `"cap_micro_usd" >= 0 AND "soft_threshold_pct" BETWEEN 1 AND 100`)
@Check('budgets_shrink_check', `"shrink_min_output_tokens" IS NULL OR "shrink_min_output_tokens" >= 1`)
@Check('budgets_count_from_check', `"count_from" IN ('creation', 'period_start')`)
export class Budget {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  scopeType!: BudgetScope;

  /** The account, operator or token; null for a workspace budget. */
  @Column({ type: 'uuid', nullable: true })
  scopeId!: string | null;

  @Column({ type: 'text' })
  period!: BudgetPeriod;

  /** Hard cap in micro-USD (bigint: returned as a string). */
  @Column({ type: 'bigint' })
  capMicroUsd!: string;

  @Column({ type: 'int', default: 80 })
  softThresholdPct!: number;

  /**
   * Shrink-to-fit: a run whose worst case does not fit this budget's headroom runs with fewer max output tokens
   * (never fewer than this floor) instead of being blocked. Null: off — such a run is blocked.
   */
  @Column({ type: 'int', nullable: true })
  shrinkMinOutputTokens!: number | null;

  /** See BUDGET_COUNT_FROM. Fixed at creation, like the scope and the period. */
  @Column({ type: 'text', default: 'creation' })
  countFrom!: BudgetCountFrom;

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

/** The running totals of one budget for one period (the ledger's balance; holds and settlements are its entries). */
@Entity('budget_periods')
@Check('budget_periods_amounts_check', `"held_micro_usd" >= 0`)
export class BudgetPeriodRow {
  @PrimaryColumn({ type: 'uuid' })
  budgetId!: string;

  @PrimaryColumn({ type: 'timestamptz' })
  periodStart!: Date;

  @Column({ type: 'bigint', default: 0 })
  spentMicroUsd!: string;

  @Column({ type: 'bigint', default: 0 })
  heldMicroUsd!: string;

  /**
   * A budget that counts from the period's start: what runs in its scope had cost in this period before the budget
   * was created (included in spent). 0 otherwise.
   */
  @Column({ type: 'bigint', default: 0 })
  openingMicroUsd!: string;

  /** When spend crossed the soft threshold in this period (set once, with its audit entry, by the ledger). */
  @Column({ type: 'timestamptz', nullable: true })
  alertedAt!: Date | null;

  /** When the alert webhook accepted the alert (the outbox: alerted but not delivered is retried). */
  @Column({ type: 'timestamptz', nullable: true })
  alertDeliveredAt!: Date | null;

  /** Σ (charged − held) of settlements that cost more than their hold in this period (a provider counted more). */
  @Column({ type: 'bigint', default: 0 })
  overageMicroUsd!: string;

  /** When the latest overage episode began (its audit entry and alert carry the same time). */
  @Column({ type: 'timestamptz', nullable: true })
  overageAt!: Date | null;

  /**
   * Set with an overage: nothing is admitted until every run that was in flight then has settled (the damage is
   * known), or an admin changes the cap. Cleared by the ledger when that happens.
   */
  @Column({ type: 'timestamptz', nullable: true })
  exhaustedAt!: Date | null;

  /** When the alert webhook accepted the overage alert of `overageAt` (outbox, as for the soft threshold). */
  @Column({ type: 'timestamptz', nullable: true })
  overageDeliveredAt!: Date | null;

  @ManyToOne(() => Budget, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'budget_id' })
  budget?: Budget;
}

export const HOLD_STATUSES = ['held', 'settled', 'released', 'kept', 'expired'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/**
 * A run's worst case held against one budget before its provider call. `settled`: charged the actual cost;
 * `released`: the call certainly cost nothing; `kept`: the outcome is unknown, so the worst case counts as spend
 * until cost sync reconciles it; `expired`: swept after its expiry with the same rule.
 */
@Entity('budget_holds')
@Index('budget_holds_run_budget_key', ['runId', 'budgetId'], { unique: true, where: `"status" = 'held'` })
@Index('budget_holds_run_idx', ['runId'])
@Index('budget_holds_held_expiry_idx', ['expiresAt'], { where: `"status" = 'held'` })
@Index('budget_holds_unfolded_idx', ['budgetId', 'periodStart'], { where: `"status" <> 'held' AND NOT "folded"` })
@Check('budget_holds_status_check', `"status" IN ('held', 'settled', 'released', 'kept', 'expired')`)
export class BudgetHold {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  runId!: string;

  @Column({ type: 'uuid' })
  budgetId!: string;

  @Column({ type: 'timestamptz' })
  periodStart!: Date;

  @Column({ type: 'bigint' })
  amountMicroUsd!: string;

  @Column({ type: 'text', default: 'held' })
  status!: HoldStatus;

  @Column({ type: 'bigint', nullable: true })
  chargedMicroUsd!: string | null;

  /** The run's provider call this hold is for (runs.provider_calls when it was taken): a late close of an old attempt never touches a newer one. */
  @Column({ type: 'int' })
  attempt!: number;

  /**
   * A closed hold is folded into its period's totals by the next reservation (or the sweeper), which holds that
   * row's lock anyway: closing a hold never waits for a busy budget. `budget_balances` adds unfolded ones.
   */
  @Column({ type: 'boolean', default: false })
  folded!: boolean;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @ManyToOne(() => Budget, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'budget_id' })
  budget?: Budget;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  closedAt!: Date | null;
}

/**
 * Cost sync's correction of a budget: the provider's figure for one account-day minus Vaultrun's. Together with
 * the closed holds it makes up the ledger: a period's spend = its charged holds + its adjustments.
 */
@Entity('budget_adjustments')
export class BudgetAdjustment {
  @PrimaryColumn({ type: 'uuid' })
  budgetId!: string;

  @PrimaryColumn({ type: 'uuid' })
  accountId!: string;

  @PrimaryColumn({ type: 'date' })
  day!: string;

  @Column({ type: 'timestamptz' })
  periodStart!: Date;

  @Column({ type: 'bigint' })
  amountMicroUsd!: string;

  @ManyToOne(() => Budget, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'budget_id' })
  budget?: Budget;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
