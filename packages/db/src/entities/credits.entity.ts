import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { ProviderAccount } from './provider-account.entity.js';
import { User } from './user.entity.js';
import { Workspace } from './workspace.entity.js';

// The managed connector and credits (docs/managed.md): accounts the instance owns and offers to workspaces, and the
// per-workspace credit grants that pay for their use.

export const MANAGED_OFFERS = ['all', 'chosen'] as const;
export type ManagedOffer = (typeof MANAGED_OFFERS)[number];

/**
 * An instance-owned provider account (a row of the instance workspace) and how it is offered: to every workspace or
 * to chosen ones, each with the same share limits (its connectors' limits).
 */
@Entity('managed_accounts')
@Check('managed_accounts_offer_check', `"offer" IN ('all', 'chosen')`)
@Check('managed_accounts_share_check', `"share_max_concurrency" >= 1 AND ("share_requests_per_minute" IS NULL OR "share_requests_per_minute" >= 1) AND ("share_tokens_per_minute" IS NULL OR "share_tokens_per_minute" >= 1)`)
export class ManagedAccount {
  @PrimaryColumn({ type: 'uuid' })
  accountId!: string;

  @Column({ type: 'text' })
  offer!: ManagedOffer;

  /** Each workspace's share: at most this many concurrent calls (and requests/tokens per minute) on the account. */
  @Column({ type: 'int' })
  shareMaxConcurrency!: number;

  @Column({ type: 'int', nullable: true })
  shareRequestsPerMinute!: number | null;

  @Column({ type: 'int', nullable: true })
  shareTokensPerMinute!: number | null;

  @ManyToOne(() => ProviderAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: ProviderAccount;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/** The workspaces a managed account offered to `chosen` ones is offered to. */
@Entity('managed_account_workspaces')
export class ManagedAccountWorkspace {
  @PrimaryColumn({ type: 'uuid' })
  accountId!: string;

  @PrimaryColumn({ type: 'uuid' })
  workspaceId!: string;

  @ManyToOne(() => ManagedAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  managed?: ManagedAccount;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;
}

/** The instance's settings: one row (`id` is always true). */
@Entity('instance_settings')
@Check('instance_settings_single_check', `"id"`)
@Check('instance_settings_values_check', `"price_multiplier_permille" BETWEEN 1 AND 100000 AND "low_balance_alert_pct" BETWEEN 1 AND 100`)
export class InstanceSettings {
  @PrimaryColumn({ type: 'boolean', default: true })
  id!: boolean;

  /** Managed usage is priced at the provider's price × this ÷ 1000 (1000: at cost). */
  @Column({ type: 'int', default: 1000 })
  priceMultiplierPermille!: number;

  /** A workspace is alerted (banner, audit, webhook) when this share of its credits is used. */
  @Column({ type: 'int', default: 80 })
  lowBalanceAlertPct!: number;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

export const CREDIT_GRANT_KINDS = ['grant', 'top_up'] as const;
export type CreditGrantKind = (typeof CREDIT_GRANT_KINDS)[number];

/**
 * Credits given to a workspace: a grant by an instance administrator, or a top-up (a payment, with the billing
 * system's reference). Used first-in-first-out by expiry (`vaultrun_credits_sweep`); what is left at expiry is
 * forfeited.
 */
@Entity('credit_grants')
@Index('credit_grants_workspace_idx', ['workspaceId', 'createdAt'])
@Index('credit_grants_workspace_reference_key', ['workspaceId', 'reference'], { unique: true, where: `"reference" IS NOT NULL` })
@Check('credit_grants_kind_check', `"kind" IN ('grant', 'top_up')`)
@Check('credit_grants_amounts_check', `"amount_micro_usd" > 0 AND "used_micro_usd" >= 0 AND "forfeited_micro_usd" >= 0 AND "used_micro_usd" + "forfeited_micro_usd" <= "amount_micro_usd"`)
export class CreditGrant {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'text' })
  kind!: CreditGrantKind;

  @Column({ type: 'bigint' })
  amountMicroUsd!: string;

  /** What runs and gateway calls have consumed of it (allocated by the credits sweep). */
  @Column({ type: 'bigint', default: 0 })
  usedMicroUsd!: string;

  /** What was left when it expired. */
  @Column({ type: 'bigint', default: 0 })
  forfeitedMicroUsd!: string;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  /** A top-up's payment reference (unique per workspace: the billing webhook is idempotent on it). */
  @Column({ type: 'text', nullable: true })
  reference!: string | null;

  @Column({ type: 'text', nullable: true })
  note!: string | null;

  @Column({ type: 'uuid', nullable: true })
  createdById!: string | null;

  /** Who gave it: an administrator's email, or `billing webhook`. */
  @Column({ type: 'text' })
  createdByLabel!: string;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'created_by_id' })
  createdBy?: User;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
