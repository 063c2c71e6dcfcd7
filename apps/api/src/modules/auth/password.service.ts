import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';
import { ValidationFailed } from '@vaultrun/vault-core';

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

/** argon2id with the library defaults (19 MiB, t=2, p=1 — the OWASP baseline). */
@Injectable()
export class PasswordService {
  /** Verified against when the email is unknown, so a miss costs the same time as a hit. */
  private readonly decoy = hash('vaultrun-decoy-password');

  async hash(password: string, field = 'password'): Promise<string> {
    if (password.length < PASSWORD_MIN) throw ValidationFailed.field(field, `must be at least ${PASSWORD_MIN} characters`);
    if (password.length > PASSWORD_MAX) throw ValidationFailed.field(field, `must be at most ${PASSWORD_MAX} characters`);
    return hash(password);
  }

  async verify(passwordHash: string | null, password: string): Promise<boolean> {
    if (password.length > PASSWORD_MAX) return false;
    if (!passwordHash) {
      await verify(await this.decoy, password);
      return false;
    }
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }
}
