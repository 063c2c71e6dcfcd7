import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { User } from './user.entity.js';
import { Workspace } from './workspace.entity.js';
import { inList } from './run.entity.js';

export const ACCOUNT_KINDS = ['openai', 'openai-compatible', 'anthropic', 'azure-openai', 'gemini', 'mock'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];
export const ACCOUNT_STATUSES = ['unverified', 'active', 'invalid_key', 'quota_exhausted', 'rate_limited', 'disabled'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export const VISIBILITIES = ['workspace', 'restricted'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export interface ObservedRateLimits {
  requests: { limit: number | null; remaining: number | null; resetMs: number | null } | null;
  tokens: { limit: number | null; remaining: number | null; resetMs: number | null } | null;
  observedAt: string;
}

/** Mock-provider behaviour (kind `mock` only). */
export interface MockAccountSettings {
  latencyMs?: number;
  failWith?: string | null;
  reportCost?: boolean;
  models?: string[];
}


/**
 * A provider connection of a workspace. Holds the account's data-encryption key, wrapped by a master key
 * (`dek_wrapped`, versions as integer columns); the secrets themselves live in `provider_secrets`.
 */
@Entity('provider_accounts')
@Index('provider_accounts_workspace_name_key', ['workspaceId', 'name'], { unique: true })
@Index('provider_accounts_kek_version_idx', ['kekVersion'])
@Index('provider_accounts_workspace_managed_key', ['workspaceId', 'managedSourceId'], { unique: true, where: `"managed_source_id" IS NOT NULL` })
@Index('provider_accounts_managed_source_idx', ['managedSourceId'], { where: `"managed_source_id" IS NOT NULL` })
@Check('provider_accounts_kind_check', inList('kind', ACCOUNT_KINDS))
@Check('provider_accounts_status_check', inList('status', ACCOUNT_STATUSES))
@Check('provider_accounts_visibility_check', inList('visibility', VISIBILITIES))
@Check('provider_accounts_limits_check', `"max_concurrency" >= 1 AND ("requests_per_minute" IS NULL OR "requests_per_minute" >= 1) AND ("tokens_per_minute" IS NULL OR "tokens_per_minute" >= 1)`)
export class ProviderAccount {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  kind!: AccountKind;

  @Column({ type: 'text', nullable: true })
  baseUrl!: string | null;

  @Column({ type: 'text', nullable: true })
  defaultModel!: string | null;

  /** `azure-openai` only: the api-version its calls send (null: the adapter's default). */
  @Column({ type: 'text', nullable: true })
  apiVersion!: string | null;

  @Column({ type: 'int', default: 4 })
  maxConcurrency!: number;

  @Column({ type: 'int', nullable: true })
  requestsPerMinute!: number | null;

  @Column({ type: 'int', nullable: true })
  tokensPerMinute!: number | null;

  @Column({ type: 'text', default: 'workspace' })
  visibility!: Visibility;

  @Column({ type: 'text', default: 'unverified' })
  status!: AccountStatus;

  /** The taxonomy code of the last provider error (null after a success). */
  @Column({ type: 'text', nullable: true })
  lastErrorCode!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  rateLimitedUntil!: Date | null;

  /** Last successful verification. */
  @Column({ type: 'timestamptz', nullable: true })
  lastVerifiedAt!: Date | null;

  /** Last verification attempt, successful or not. */
  @Column({ type: 'timestamptz', nullable: true })
  lastCheckedAt!: Date | null;

  @Column({ type: 'jsonb', default: [] })
  models!: string[];

  /** The x-ratelimit-* limits the provider reported last. */
  @Column({ type: 'jsonb', nullable: true })
  providerLimits!: ObservedRateLimits | null;

  /** The last cost-sync attempt (OpenAI accounts with an admin key), successful or not. */
  @Column({ type: 'timestamptz', nullable: true })
  costSyncAttemptedAt!: Date | null;

  /** Why that attempt could not read the provider's costs (a taxonomy code, or admin_key_*), null when it could. */
  @Column({ type: 'text', nullable: true })
  costSyncErrorCode!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  mockSettings!: MockAccountSettings | null;

  /** Envelope: the data key wrapped by master key `kek_version` (null for accounts without secrets). */
  @Column({ type: 'text', nullable: true })
  dekWrapped!: string | null;

  @Column({ type: 'int', nullable: true })
  kekVersion!: number | null;

  /** Increments whenever the data key is replaced (every provider-key rotation). */
  @Column({ type: 'int', default: 0 })
  dekVersion!: number;

  /**
   * A managed connector (docs/managed.md): this workspace's handle on an instance-owned account, which holds the key,
   * endpoint and price list. Its own columns are the workspace's share limits, set by the instance. Null: the
   * workspace's own account.
   */
  @Column({ type: 'uuid', nullable: true })
  managedSourceId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  createdById!: string | null;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'created_by_id' })
  createdBy?: User;

  @ManyToOne(() => ProviderAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'managed_source_id' })
  managedSource?: ProviderAccount;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
