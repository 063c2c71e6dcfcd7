import { useMutation } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import { deleteProviderAccountMutation, updateProviderAccountMutation, verifyProviderAccountMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { verifyProviderAccount } from '../../api/generated/sdk.gen.js';
import type { ProviderAccountDto } from '../../api/generated/types.gen.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { ConfirmButton, ProblemAlert } from '../../lib/ui.js';
import { AdminKeyPanel, LimitsPanel, SettingsPanel, SharingPanel } from './AccountPanels.js';
import { billingSentence, hostOf, KIND_LABELS, PRESET_LABELS, statusLabel, statusTone } from './account-labels.js';
import { CostSyncStatus } from './CostSyncStatus.js';
import { describeLimits, describeProviderLimits } from './LimitsFields.js';
import { ModelList } from './ModelList.js';
import { ProviderErrorCallout } from './ProviderErrorCallout.js';
import { RotateKeyDialog } from './RotateKeyDialog.js';
import { useVaultCache } from './vault-cache.js';

type Panel = 'settings' | 'limits' | 'sharing' | 'admin-key';

const PANEL_LABELS: Record<Panel, string> = { settings: 'Edit', limits: 'Limits', sharing: 'Sharing', 'admin-key': 'Admin key' };

function Fact({ label, children, wide }: { label: string; children: ReactNode; wide?: boolean }) {
  return (
    <div className={wide ? 'fact fact-wide' : 'fact'}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function sharingSummary(account: ProviderAccountDto): string {
  if (account.visibility === 'workspace') return 'Everyone in the workspace';
  const users = account.access.userIds.length;
  const tokens = account.access.tokenIds.length;
  return `Restricted — ${users} ${users === 1 ? 'member' : 'members'}, ${tokens} API ${tokens === 1 ? 'token' : 'tokens'}`;
}

/** A connector account: the instance administrator's key, paid with the workspace's credits (docs/console.md, "Credits"). */
export function ManagedBadge() {
  return (
    <span className="badge badge-blue badge-managed" data-testid="vault-managed-badge" title="Connected by your instance administrator; usage is paid with the workspace's credits">
      Vaultrun credits
    </span>
  );
}

export function AccountCard({ account, canManage: mayManage }: { account: ProviderAccountDto; canManage: boolean }) {
  // A connector account belongs to the instance: the workspace cannot verify, rotate, edit or delete it (the API answers 403).
  const canManage = mayManage && !account.managed;
  const cache = useVaultCache();
  const [panel, setPanel] = useState<Panel | null>(null);
  const [rotating, setRotating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const verify = useMutation({
    ...verifyProviderAccountMutation(),
    onSuccess: (result) => {
      cache.put(result.account);
      setNotice(result.ok ? `Verified: the provider listed ${result.account.models.length} models.` : null);
    },
  });
  const toggleEnabled = useMutation({
    ...updateProviderAccountMutation(),
    onSuccess: async (saved) => {
      cache.put(saved);
      if (saved.status === 'disabled') {
        setNotice('Disabled: nothing can use this account until it is enabled again.');
        return;
      }
      // Enabling leaves the account unverified: check it straight away so its status is real.
      setNotice('Enabled. Checking the key…');
      try {
        const { data } = await verifyProviderAccount({ path: { accountId: saved.id }, throwOnError: true });
        cache.put(data.account);
        setNotice(data.ok ? 'Enabled and verified.' : 'Enabled, but the verification failed.');
      } catch {
        setNotice('Enabled. Verify it when the provider is reachable.');
      }
    },
  });
  const remove = useMutation({ ...deleteProviderAccountMutation(), onSuccess: () => cache.remove(account.id) });

  const disabled = account.status === 'disabled';
  // The server says which kinds have a cost report (OpenAI, Anthropic): only those take an admin key.
  const hasCostSync = account.costSync !== null;
  const isAzure = account.kind === 'azure-openai';
  const providerReports = describeProviderLimits(account.providerLimits);
  const panels: Panel[] = ['settings', 'limits', 'sharing', ...(hasCostSync ? (['admin-key'] as const) : [])];
  const actionError = verify.error ?? toggleEnabled.error ?? remove.error;

  function openPanel(next: Panel) {
    setNotice(null);
    setPanel((current) => (current === next ? null : next));
  }
  const panelProps = {
    account,
    onSaved: (message: string) => {
      setPanel(null);
      setNotice(message);
    },
    onCancel: () => setPanel(null),
  };

  return (
    <article className={`account-card${disabled ? ' account-card-disabled' : ''}`} data-testid="vault-account" data-account-id={account.id} aria-labelledby={`account-${account.id}`}>
      <header className="account-head">
        <span className={`kind-mark kind-mark-${account.kind}`} aria-hidden="true" />
        <div className="account-title">
          <h3 id={`account-${account.id}`}>{account.name}</h3>
          <p className="account-sub">
            {KIND_LABELS[account.kind]}
            {account.preset ? <span data-testid="vault-preset"> · {PRESET_LABELS[account.preset]}</span> : null}
            {account.baseUrl ? <span title={account.baseUrl}> · {hostOf(account.baseUrl)}</span> : null}
            {isAzure ? <span> · api-version {account.apiVersion ?? '2024-10-21'}</span> : null}
          </p>
        </div>
        {account.managed ? <ManagedBadge /> : null}
        <span className={`badge badge-${statusTone(account.status)} badge-status`} data-testid="vault-status" data-status={account.status}>
          {statusLabel(account)}
        </span>
      </header>

      {account.lastError ? (
        <ProviderErrorCallout
          code={account.lastError.code}
          message={account.lastError.message}
          kind={account.kind}
          title={account.lastCheckedAt ? `Last check failed (${formatRelative(account.lastCheckedAt)}):` : 'Last check failed:'}
        />
      ) : null}
      {account.warnings.map((w, i) => (
        <div className="alert alert-warning callout-warning" key={`${w.code}-${i}`} data-testid="vault-warning" data-code={w.code}>
          {w.message}
        </div>
      ))}

      <dl className="facts">
        <Fact label="Key">
          {account.key ? (
            <>
              <code className="mono key-hint" data-testid="vault-key-hint">
                {account.key.hint}
              </code>
              <span className="fact-note" title="Fingerprint: a hash prefix that tells keys apart">
                {account.key.fingerprint}
              </span>
            </>
          ) : (
            <span className="muted" data-testid="vault-key-hint">
              {account.kind === 'mock' ? 'None needed' : 'No key (server without authentication)'}
            </span>
          )}
        </Fact>
        <Fact label={isAzure ? 'Default deployment' : 'Default model'}>{account.defaultModel ? <code className="mono">{account.defaultModel}</code> : <span className="muted">Not set</span>}</Fact>
        <Fact label="Last verified">
          <span data-testid="vault-last-verified" title={account.lastVerifiedAt ? formatDateTime(account.lastVerifiedAt) : undefined}>
            {account.lastVerifiedAt ? formatRelative(account.lastVerifiedAt) : 'never'}
          </span>
          {account.lastCheckedAt && account.lastCheckedAt !== account.lastVerifiedAt ? (
            <span className="fact-note">last checked {formatRelative(account.lastCheckedAt)}</span>
          ) : null}
        </Fact>
        <Fact label="Sharing">
          <span data-testid="vault-sharing">{sharingSummary(account)}</span>
        </Fact>
        <Fact label="Limits">{describeLimits(account.limits)}</Fact>
        <Fact label="Provider grants">{providerReports ?? <span className="muted">Not reported yet</span>}</Fact>
        {hasCostSync ? (
          <Fact label="Admin key (cost sync)">
            {account.adminKey ? <code className="mono">{account.adminKey.hint}</code> : <span className="muted">Not set — costs are estimates</span>}
          </Fact>
        ) : null}
        <Fact label={isAzure ? 'Deployments' : 'Models'} wide={!hasCostSync}>
          {account.models.length ? (
            <details className="models-details">
              <summary>
                {account.models.length} verified {isAzure ? (account.models.length === 1 ? 'deployment' : 'deployments') : account.models.length === 1 ? 'model' : 'models'}
              </summary>
              <ModelList models={account.models} highlight={account.defaultModel} />
            </details>
          ) : (
            <span className="muted">None listed yet</span>
          )}
        </Fact>
      </dl>

      <CostSyncStatus account={account} canManage={canManage} />
      {account.costReporting.mode !== 'cost_sync' && account.costReporting.mode !== 'not_billed' ? (
        <p className="account-costs muted small" data-testid="vault-cost-reporting" data-mode={account.costReporting.mode}>
          {account.costReporting.explanation}
        </p>
      ) : null}

      {account.managed ? (
        <p className="account-billing" data-testid="vault-managed-note">
          Connected by your instance administrator: usage on this account is paid with the workspace&apos;s <Link to="/credits">Vaultrun credits</Link>. Its key and
          settings are managed for you; to use your own key instead, switch on the Credits page.
        </p>
      ) : (
      <p className="account-billing">
        {billingSentence(account)}
        {account.kind !== 'mock' && (account.visibility === 'workspace' || account.access.tokenIds.length > 0)
          ? account.visibility === 'workspace'
            ? ' Requests made with any API token that has the run scope are billed here too.'
            : ` Requests made with the ${account.access.tokenIds.length === 1 ? 'API token' : `${account.access.tokenIds.length} API tokens`} given access are billed here too.`
          : ''}
      </p>
      )}

      {notice ? (
        <div className="alert alert-success account-notice" role="status">
          {notice}
        </div>
      ) : null}
      <ProblemAlert error={actionError} />

      {canManage ? (
        <div className="account-actions">
          <div className="account-actions-main">
            <button
              type="button"
              className="btn btn-secondary btn-small"
              data-testid="vault-verify"
              disabled={disabled || verify.isPending}
              title={disabled ? 'Enable the account to verify it' : 'List the available models with the stored key'}
              onClick={() => {
                setNotice(null);
                verify.mutate({ path: { accountId: account.id } });
              }}
            >
              {verify.isPending ? 'Listing models…' : 'Verify now'}
            </button>
            {account.kind !== 'mock' ? (
              <button type="button" className="btn btn-secondary btn-small" data-testid="vault-rotate" onClick={() => setRotating(true)}>
                Rotate key
              </button>
            ) : null}
            {panels.map((p) => (
              <button
                key={p}
                type="button"
                className={`btn btn-small ${panel === p ? 'btn-toggled' : 'btn-ghost'}`}
                aria-expanded={panel === p}
                data-testid={`vault-open-${p}`}
                onClick={() => openPanel(p)}
              >
                {PANEL_LABELS[p]}
              </button>
            ))}
          </div>
          <div className="account-actions-side">
            {disabled ? (
              <button
                type="button"
                className="btn btn-secondary btn-small"
                data-testid="vault-enable"
                disabled={toggleEnabled.isPending}
                onClick={() => toggleEnabled.mutate({ path: { accountId: account.id }, body: { enabled: true } })}
              >
                {toggleEnabled.isPending ? 'Enabling…' : 'Enable'}
              </button>
            ) : (
              <ConfirmButton
                label="Disable"
                title={`Disable “${account.name}”?`}
                message={<p>Nothing can use this account until it is enabled again: runs that need it are refused. The key stays stored.</p>}
                confirmLabel="Disable account"
                busy={toggleEnabled.isPending}
                onConfirm={() => toggleEnabled.mutate({ path: { accountId: account.id }, body: { enabled: false } })}
                testId="vault-disable"
              />
            )}
            <ConfirmButton
              label="Delete"
              title={`Delete “${account.name}”?`}
              message={
                <p>
                  The account “{account.name}” and its encrypted key{account.key ? <> (<code className="mono">{account.key.hint}</code>)</> : null} are destroyed. Operators that use
                  it stop working. This cannot be undone{account.kind === 'mock' ? '' : ' — the key itself stays valid at the provider until you revoke it there'}.
                </p>
              }
              confirmLabel="Delete account"
              busy={remove.isPending}
              onConfirm={() => remove.mutate({ path: { accountId: account.id } })}
              testId="vault-delete"
            />
          </div>
        </div>
      ) : null}

      {panel === 'settings' ? <SettingsPanel {...panelProps} /> : null}
      {panel === 'limits' ? <LimitsPanel {...panelProps} /> : null}
      {panel === 'sharing' ? <SharingPanel {...panelProps} /> : null}
      {panel === 'admin-key' ? <AdminKeyPanel {...panelProps} /> : null}

      {rotating ? (
        <RotateKeyDialog
          account={account}
          onClose={() => setRotating(false)}
          onRotated={(rotated) => setNotice(`Key rotated: now ${rotated.key?.hint ?? 'stored'}${rotated.status === 'active' ? ', verified' : ', not verified yet'}.`)}
        />
      ) : null}
    </article>
  );
}
