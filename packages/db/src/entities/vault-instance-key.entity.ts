import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * Keys of the instance itself, wrapped by a master key version like data keys (e.g. `fingerprint`: the HMAC key of
 * provider-key fingerprints). `vault:rotate` re-wraps them; the boot check counts their version as in use.
 */
@Entity('vault_instance_keys')
export class VaultInstanceKey {
  @PrimaryColumn({ type: 'text' })
  purpose!: string;

  @Column({ type: 'int' })
  kekVersion!: number;

  /** `v1.<kekVersion>.<base64url(nonce ‖ ciphertext ‖ tag)>` */
  @Column({ type: 'text' })
  wrapped!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
