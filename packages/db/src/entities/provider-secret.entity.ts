import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { ProviderAccount } from './provider-account.entity.js';

export const SECRET_PURPOSES = ['api_key', 'admin_key'] as const;
export type SecretPurposeColumn = (typeof SECRET_PURPOSES)[number];

/** One encrypted secret of a provider account. Only `hint` and `fingerprint` are ever shown. */
@Entity('provider_secrets')
@Index('provider_secrets_account_purpose_key', ['accountId', 'purpose'], { unique: true })
@Check('provider_secrets_purpose_check', `"purpose" IN ('api_key', 'admin_key')`)
export class ProviderSecret {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  workspaceId!: string;

  @Column({ type: 'uuid' })
  accountId!: string;

  @Column({ type: 'text' })
  purpose!: SecretPurposeColumn;

  /** The account DEK version this ciphertext was written with. */
  @Column({ type: 'int' })
  dekVersion!: number;

  /** `v1.<dekVersion>.<base64url(nonce ‖ ciphertext ‖ tag)>` — never leaves the process that decrypts it. */
  @Column({ type: 'text' })
  ciphertext!: string;

  /** e.g. `sk-proj-…a1b2`. */
  @Column({ type: 'text' })
  hint!: string;

  /** `sha256:` + 16 hex characters of the key's hash: tells keys apart without revealing them. */
  @Column({ type: 'text' })
  fingerprint!: string;

  /** project | service_account | admin | legacy | unknown | none */
  @Column({ type: 'text' })
  keyShape!: string;

  @ManyToOne(() => ProviderAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: ProviderAccount;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
