import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Workspace } from './workspace.entity.js';

/** A workspace's own price for a model (wins over the shipped table; the only price an OpenAI-compatible model has). */
@Entity('price_overrides')
@Index('price_overrides_workspace_model_key', ['workspaceId', 'model'], { unique: true })
@Check('price_overrides_amounts_check', `"input_micro_usd_per_m" >= 0 AND "cached_input_micro_usd_per_m" >= 0 AND "output_micro_usd_per_m" >= 0`)
export class PriceOverride {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  /** Exact model name, or a family whose dated snapshots it also covers (e.g. `llama3.1`). */
  @Column({ type: 'text' })
  model!: string;

  /** Micro-USD per 1,000,000 tokens. */
  @Column({ type: 'bigint' })
  inputMicroUsdPerM!: string;

  @Column({ type: 'bigint' })
  cachedInputMicroUsdPerM!: string;

  @Column({ type: 'bigint' })
  outputMicroUsdPerM!: string;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
