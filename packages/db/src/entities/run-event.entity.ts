import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Run } from './run.entity.js';

/** The timeline of a run: every status change and provider call, in order. */
@Entity('run_events')
@Index('run_events_run_idx', ['runId', 'createdAt'])
export class RunEvent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  runId!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  /** queued · waiting · running · retrying · succeeded · failed · cancelled · blocked · released · recovered */
  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text', default: '' })
  message!: string;

  @Column({ type: 'jsonb', default: {} })
  data!: Record<string, unknown>;

  @ManyToOne(() => Run, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id' })
  run?: Run;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
