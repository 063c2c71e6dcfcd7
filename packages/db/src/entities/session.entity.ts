import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from './user.entity.js';
import { Workspace } from './workspace.entity.js';

/** A console sign-in. Only the SHA-256 of the cookie value is stored. */
@Entity('sessions')
@Index('sessions_expires_at_idx', ['expiresAt'])
@Index('sessions_user_idx', ['userId'])
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('sessions_token_hash_key', { unique: true })
  @Column({ type: 'text' })
  tokenHash!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  /** The workspace the console is currently looking at; switchable among the user's memberships. */
  @Column({ type: 'uuid', nullable: true })
  workspaceId!: string | null;

  /** Synchronizer token: cookie-authenticated writes must echo it in `x-csrf-token`. */
  @Column({ type: 'text' })
  csrfToken!: string;

  @Column({ type: 'text', default: '' })
  userAgent!: string;

  @Column({ type: 'text', default: '' })
  ip!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @ManyToOne(() => Workspace, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'workspace_id' })
  workspace?: Workspace;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  lastSeenAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;
}
