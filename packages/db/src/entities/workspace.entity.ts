import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** What the gateway keeps of a call: its prompt and output (`keep_bodies`), or its metadata only. */
export const GATEWAY_RETENTIONS = ['keep_bodies', 'metadata_only'] as const;
export type GatewayRetention = (typeof GATEWAY_RETENTIONS)[number];

@Entity('workspaces')
@Check('workspaces_gateway_retention_check', `"gateway_retention" IN ('keep_bodies', 'metadata_only')`)
export class Workspace {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  /** Used by operators and runs that name no account. */
  @Column({ type: 'uuid', nullable: true })
  defaultAccountId!: string | null;

  /** Used when neither the run, the operator nor the account names a model. */
  @Column({ type: 'text', nullable: true })
  defaultModel!: string | null;

  /** The Mission Copilot's provider account and model (null: the workspace default account / its default model). */
  @Column({ type: 'uuid', nullable: true })
  copilotAccountId!: string | null;

  @Column({ type: 'text', nullable: true })
  copilotModel!: string | null;

  /** Budget alerts are POSTed here (optional), signed with `alert_webhook_secret` (HMAC-SHA256). */
  @Column({ type: 'text', nullable: true })
  alertWebhookUrl!: string | null;

  /** The signing secret wrapped by master key version `alert_webhook_kek_version` (`v1.<kek>.<body>`); never in clear. */
  @Column({ type: 'text', nullable: true })
  alertWebhookSecret!: string | null;

  /** null with a secret set: stored in clear by an older version, wrapped at the next boot. */
  @Column({ type: 'int', nullable: true })
  alertWebhookKekVersion!: number | null;

  /** `whsec_…` + the secret's last 4 characters, shown to people. */
  @Column({ type: 'text', nullable: true })
  alertWebhookSecretHint!: string | null;

  /**
   * Gateway calls: store prompts and outputs on their records (`keep_bodies`) or only their metadata — tokens, cost,
   * timings, account, model (`metadata_only`, the default: apps may send personal data).
   */
  @Column({ type: 'text', default: 'metadata_only' })
  gatewayRetention!: GatewayRetention;

  /** Set by an instance administrator: new runs and gateway calls are refused, queued runs do not start. */
  @Column({ type: 'timestamptz', nullable: true })
  suspendedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  suspendedReason!: string | null;

  /**
   * The instance's own workspace (docs/managed.md): it holds the managed provider accounts the instance offers to
   * workspaces. It has no members and is never listed; there is at most one.
   */
  @Column({ type: 'boolean', default: false })
  isInstance!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
