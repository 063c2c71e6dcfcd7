import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { ProviderAccount } from './provider-account.entity.js';
import { Workspace } from './workspace.entity.js';

export const OUTPUT_FORMATS = ['text', 'json_schema'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A reusable agent: instructions plus how to run them. Runs copy what they use, so edits never rewrite history. */
@Entity('operators')
@Index('operators_workspace_name_key', ['workspaceId', 'name'], { unique: true })
@Check('operators_output_format_check', `"output_format" IN ('text', 'json_schema')`)
@Check('operators_max_output_tokens_check', `"max_output_tokens" BETWEEN 1 AND 200000`)
export class Operator {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  /** The system prompt. */
  @Column({ type: 'text', default: '' })
  instructions!: string;

  /** Null: the workspace default account. */
  @Column({ type: 'uuid', nullable: true })
  accountId!: string | null;

  /** Null: the account's default model. */
  @Column({ type: 'text', nullable: true })
  model!: string | null;

  @Column({ type: 'real', nullable: true })
  temperature!: number | null;

  @Column({ type: 'int', default: 1024 })
  maxOutputTokens!: number;

  @Column({ type: 'text', default: 'text' })
  outputFormat!: OutputFormat;

  @Column({ type: 'jsonb', nullable: true })
  outputSchema!: Record<string, unknown> | null;

  /** Per-run cost cap in micro-USD (enforced by budgets). */
  @Column({ type: 'bigint', nullable: true })
  costCapMicroUsd!: string | null;

  @Column({ type: 'uuid', nullable: true })
  createdById!: string | null;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @ManyToOne(() => ProviderAccount, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'account_id' })
  account?: ProviderAccount;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
