import { Inject, Injectable } from '@nestjs/common';
import type { ProviderAccount } from '@vaultrun/db';
import { AccountVerifier, Conflict } from '@vaultrun/vault-core';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import type { VerifyResultDto } from './provider-accounts.dto.js';
import { ProviderAccountsService } from './provider-accounts.service.js';
import { ACCOUNT_VERIFIER } from './vault.tokens.js';

/** Verifying an account: list the provider's models with the stored key; the account's status follows the answer. */
@Injectable()
export class ProviderVerificationService {
  constructor(
    @Inject(ACCOUNT_VERIFIER) private readonly verifier: AccountVerifier,
    private readonly accounts: ProviderAccountsService,
    private readonly audit: AuditService,
  ) {}

  async verify(ctx: RequestContext, accountId: string): Promise<VerifyResultDto> {
    const account = await this.accounts.findChangeable(ctx, accountId);
    if (account.status === 'disabled') throw new Conflict('account_disabled', 'This account is disabled; enable it before verifying.');
    const outcome = await this.verifyAndAudit(ctx, account);
    return { ok: outcome.ok, error: outcome.error, account: await this.accounts.get(ctx, accountId) };
  }

  /** Verifies an account the caller may see (as creating one does by default), audited either way. */
  async verifyAndAudit(ctx: RequestContext, account: ProviderAccount) {
    const outcome = await this.verifier.verify(account);
    await this.audit.record({
      workspaceId: ctx.workspaceId,
      actor: actorOf(ctx),
      action: 'vault.account.verify',
      outcome: outcome.ok ? 'success' : 'failure',
      targetType: 'provider_account',
      targetId: account.id,
      metadata: { name: account.name, status: outcome.status, code: outcome.error?.code ?? null, models: outcome.models.length },
    });
    return outcome;
  }
}
