import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * One key-check value per master key version ever used: at boot every configured version must decrypt
 * its check, so a wrong key is caught before it touches any secret.
 */
@Entity('vault_key_checks')
export class VaultKeyCheck {
  @PrimaryColumn({ type: 'int' })
  kekVersion!: number;

  @Column({ type: 'text' })
  checkValue!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
