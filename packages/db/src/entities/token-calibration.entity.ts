import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { ProviderAccount } from './provider-account.entity.js';
import { Workspace } from './workspace.entity.js';

/**
 * How many prompt tokens a provider counted for each token Vaultrun estimated, per account and model: budget holds
 * multiply their prompt estimate by the window's highest ratio (never less than 1) plus a margin. Written by the
 * ledger at settlement (`vaultrun_calibrate`), at most every few seconds unless a ratio raises the high.
 */
@Entity('token_calibrations')
export class TokenCalibration {
  @PrimaryColumn({ type: 'uuid' })
  accountId!: string;

  @PrimaryColumn({ type: 'text' })
  model!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  /** The latest observed ratios (provider ÷ estimate, in thousandths, rounded up), oldest first; at most 32. */
  @Column({ type: 'int', array: true, default: () => "'{}'" })
  ratiosPermille!: number[];

  /** max(ratiosPermille): what holds use. */
  @Column({ type: 'int' })
  highRatioPermille!: number;

  /** Ratios recorded so far (the window keeps the latest). */
  @Column({ type: 'int', default: 0 })
  samples!: number;

  /** The last time an observed ratio raised the high (a provider counted more than any hold expected). */
  @Column({ type: 'timestamptz', nullable: true })
  raisedAt!: Date | null;

  @ManyToOne(() => ProviderAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: ProviderAccount;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
