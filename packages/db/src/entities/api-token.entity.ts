import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from './user.entity.js';
import { Workspace } from './workspace.entity.js';

/** `inference`: the OpenAI-compatible gateway (/v1/*) only. */
export const TOKEN_SCOPES = ['read', 'run', 'admin', 'inference'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Which accounts a token may use (docs/managed.md). */
export const TOKEN_BILLINGS = ['any', 'credits', 'own_key'] as const;
export type TokenBilling = (typeof TOKEN_BILLINGS)[number];

/** A bearer token for programs and published apps. Only its SHA-256 is stored. */
@Entity('api_tokens')
@Check('api_tokens_billing_check', `"billing" IN ('any', 'credits', 'own_key')`)
@Index('api_tokens_workspace_idx', ['workspaceId', 'createdAt'])
export class ApiToken {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** The recognisable start of the token (`vr_` + 8 characters), safe to show. */
  @Column({ type: 'text' })
  prefix!: string;

  @Index('api_tokens_token_hash_key', { unique: true })
  @Column({ type: 'text' })
  tokenHash!: string;

  @Column({ type: 'text', array: true })
  scopes!: TokenScope[];

  /**
   * Gateway: the model names (as an app sends them: a route, `account/model`, or a default-account model) this token
   * may call; an entry ending in `*` matches by prefix. Null: any model its accounts allow.
   */
  @Column({ type: 'text', array: true, nullable: true })
  allowedModels!: string[] | null;

  /** Which accounts the token may use (docs/managed.md): `any`, only managed connectors (`credits`), or only the workspace's own keys (`own_key`). */
  @Column({ type: 'text', default: 'any' })
  billing!: TokenBilling;

  @Column({ type: 'uuid', nullable: true })
  createdById!: string | null;

  @ManyToOne(() => Workspace, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'created_by_id' })
  createdBy?: User;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
