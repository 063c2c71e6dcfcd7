import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('workspaces')
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

  @Column({ type: 'text', nullable: true })
  alertWebhookSecret!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
