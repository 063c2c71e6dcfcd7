import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** What the provider's Costs API said about one account's closed UTC day, against Vaultrun's own figure. */
@Entity('cost_sync_days')
@Index('cost_sync_days_workspace_idx', ['workspaceId', 'day'])
@Check('cost_sync_days_status_check', `"status" IN ('matched', 'drift')`)
export class CostSyncDay {
  @PrimaryColumn({ type: 'uuid' })
  accountId!: string;

  @PrimaryColumn({ type: 'date' })
  day!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'bigint' })
  providerMicroUsd!: string;

  @Column({ type: 'bigint' })
  vaultrunMicroUsd!: string;

  /** provider − Vaultrun: positive means the key was used outside Vaultrun (or prices differ). */
  @Column({ type: 'bigint' })
  driftMicroUsd!: string;

  /** The correction applied to budget spend so far (re-checks apply only the difference). */
  @Column({ type: 'bigint', default: 0 })
  appliedMicroUsd!: string;

  @Column({ type: 'text' })
  status!: 'matched' | 'drift';

  @Column({ type: 'int', default: 1 })
  checks!: number;

  @Column({ type: 'timestamptz' })
  checkedAt!: Date;
}
