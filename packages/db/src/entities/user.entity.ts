import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Stored lower-cased and trimmed; unique across the instance. */
  @Index('users_email_key', { unique: true })
  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text', default: '' })
  name!: string;

  /** argon2id PHC string. */
  @Column({ type: 'text' })
  passwordHash!: string;

  /** Instance administrator: may use the `/api/v1/instance` routes (separate from workspace roles; never via API tokens). */
  @Column({ type: 'boolean', default: false })
  isInstanceAdmin!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
