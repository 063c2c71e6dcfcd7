import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Workspace } from './workspace.entity.js';

/** One place a route may send a call: an account of the workspace and the model to ask it for. */
export interface GatewayRouteTarget {
  accountId: string;
  model: string;
}

/**
 * A model route of the OpenAI-compatible gateway: the public model name an app sends (`fast`, `gpt-4o-mini`) and
 * the ordered targets it may run on. The first admissible target is used; a provider 5xx, timeout or rate limit
 * moves the call to the next one (docs/gateway.md). Targets are kept in order as one JSON array: a call reads the
 * whole route at once, and a target whose account was deleted is skipped when the route is read.
 */
@Entity('gateway_routes')
@Index('gateway_routes_workspace_name_key', ['workspaceId', 'name'], { unique: true })
@Check('gateway_routes_targets_check', `jsonb_typeof("targets") = 'array' AND jsonb_array_length("targets") BETWEEN 1 AND 8`)
export class GatewayRoute {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  /** The public model name apps send (unique in the workspace). */
  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'jsonb' })
  targets!: GatewayRouteTarget[];

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
