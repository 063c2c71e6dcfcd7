import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ProviderAccount } from './provider-account.entity.js';

export type AccessPrincipalType = 'user' | 'token';

/** Who may see and use a `restricted` account (owners and admins always may). */
@Entity('provider_account_access')
@Index('provider_account_access_key', ['accountId', 'principalType', 'principalId'], { unique: true })
@Index('provider_account_access_principal_idx', ['workspaceId', 'principalType', 'principalId'])
@Check('provider_account_access_type_check', `"principal_type" IN ('user', 'token')`)
export class ProviderAccountAccess {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'uuid' })
  accountId!: string;

  @Column({ type: 'text' })
  principalType!: AccessPrincipalType;

  @Column({ type: 'uuid' })
  principalId!: string;

  @ManyToOne(() => ProviderAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: ProviderAccount;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
