import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { listTokensOptions, listTokensQueryKey, revokeTokenMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ApiTokenDto } from '../../api/generated/types.gen.js';
import { formatDate, formatDateTime } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Badge, type BadgeTone, ConfirmButton, EmptyState, Loading, OneTimeSecret, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { CreateTokenForm, type NewTokenSecret } from './CreateTokenForm.js';

const STATUS_TONE: Record<ApiTokenDto['status'], BadgeTone> = { active: 'green', expired: 'amber', revoked: 'grey' };

export function TokensPage() {
  const canManage = useCan('tokens:manage');
  const tokens = useQuery(listTokensOptions());
  // The full token lives only here, in component state, until the user dismisses it.
  const [secret, setSecret] = useState<NewTokenSecret | null>(null);

  return (
    <>
      <PageHeader
        title="API tokens"
        description="Tokens let programs and published apps call Vaultrun. Only a token's prefix is kept visible; the full token is shown once, when it is created."
      />
      <div className="alert alert-info" data-testid="token-billing-note">
        <strong>Billing:</strong> Requests made with a token are billed to the provider accounts it can use. For a published app, that means every
        visitor&apos;s request is billed to those accounts — give it a budget.
      </div>

      {secret ? (
        <OneTimeSecret
          title={`Token “${secret.name}” created`}
          secret={secret.token}
          warning="Copy this token now and store it in a secret manager. Vaultrun keeps only a hash of it and cannot show it again."
          onDismiss={() => setSecret(null)}
          secretTestId="token-secret"
          dismissTestId="token-secret-dismiss"
          copyTestId="token-secret-copy"
        />
      ) : null}

      {canManage ? <CreateTokenForm onCreated={setSecret} /> : null}

      <section className="card" aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">Tokens in this workspace</h2>
        {tokens.isPending ? (
          <Loading />
        ) : tokens.isError ? (
          <ProblemAlert error={tokens.error} />
        ) : tokens.data.items.length === 0 ? (
          <EmptyState>No API tokens yet.</EmptyState>
        ) : (
          <TokenTable tokens={activeFirst(tokens.data.items)} canManage={canManage} />
        )}
      </section>
    </>
  );
}

/** Working tokens first; the API's order (newest first) is kept within each group. */
function activeFirst(tokens: ApiTokenDto[]): ApiTokenDto[] {
  return [...tokens.filter((t) => t.status === 'active'), ...tokens.filter((t) => t.status !== 'active')];
}

function TokenTable({ tokens, canManage }: { tokens: ApiTokenDto[]; canManage: boolean }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    ...revokeTokenMutation(),
    onSettled: () => queryClient.invalidateQueries({ queryKey: listTokensQueryKey() }),
  });
  return (
    <>
      <ProblemAlert error={revoke.error} title="Could not revoke the token:" />
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Token</th>
              <th scope="col">Scopes</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              {canManage ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} data-testid="token-row" data-token-id={t.id} className={t.status === 'active' ? undefined : 'row-muted'}>
                <td className="cell-strong">{t.name}</td>
                <td>
                  <code className="mono" data-testid="token-prefix">
                    {t.prefix}
                  </code>
                  <span className="mono muted" aria-hidden="true">
                    …
                  </span>
                </td>
                <td>
                  <span className="chips">
                    {t.scopes.map((s) => (
                      <span className="chip" key={s}>
                        {s}
                      </span>
                    ))}
                  </span>
                </td>
                <td>
                  <Badge tone={STATUS_TONE[t.status]} testId="token-status">
                    {t.status}
                  </Badge>
                </td>
                <td>{formatDate(t.createdAt)}</td>
                <td>{formatDate(t.expiresAt, 'Never')}</td>
                <td>{formatDateTime(t.lastUsedAt, 'Never')}</td>
                {canManage ? (
                  <td className="cell-actions">
                    {t.status === 'active' ? (
                      <ConfirmButton
                        label="Revoke"
                        title={`Revoke “${t.name}”?`}
                        message={
                          <p>
                            Programs using the token <code className="mono">{t.prefix}…</code> stop working at once. This cannot be undone.
                          </p>
                        }
                        confirmLabel="Revoke token"
                        busy={revoke.isPending && revoke.variables?.path.tokenId === t.id}
                        onConfirm={() => revoke.mutate({ path: { tokenId: t.id } })}
                        testId="token-revoke"
                      />
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
