import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { clearProviderAdminKeyMutation, updateProviderAccountMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { setProviderAdminKey, updateProviderAccount } from '../../api/generated/sdk.gen.js';
import type { MockSettingsDto, ProviderAccountDto, UpdateProviderAccountDto } from '../../api/generated/types.gen.js';
import { formatDateTime } from '../../lib/format.js';
import { ConfirmButton, FieldError, hasOnlyFieldErrors, ProblemAlert } from '../../lib/ui.js';
import { KIND_GUIDES, MOCK_FAILURES, sameBaseUrl } from './account-labels.js';
import { LimitsFields, limitsDtoOf, limitsInputOf } from './LimitsFields.js';
import { SecretKeyInput } from './SecretKeyInput.js';
import { sharingOf, SharingFields } from './SharingFields.js';
import { useSecretRequest, useVaultCache } from './vault-cache.js';

interface PanelProps {
  account: ProviderAccountDto;
  onSaved: (message: string) => void;
  onCancel: () => void;
}

function useUpdateAccount(onSaved: (account: ProviderAccountDto) => void) {
  const cache = useVaultCache();
  return useMutation({
    ...updateProviderAccountMutation(),
    onSuccess: (account) => {
      cache.put(account);
      onSaved(account);
    },
  });
}

function PanelActions({
  pending,
  onCancel,
  saveTestId,
  label = 'Save',
  disabled = false,
}: {
  pending: boolean;
  onCancel: () => void;
  saveTestId: string;
  label?: string;
  disabled?: boolean;
}) {
  return (
    <div className="form-actions">
      <button type="submit" className="btn btn-primary" data-testid={saveTestId} disabled={pending || disabled}>
        {pending ? 'Saving…' : label}
      </button>
      <button type="button" className="btn btn-secondary" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}


/**
 * Name, default model, base URL (and for the mock provider: simulated errors and latency). A stored key is bound to
 * its endpoint: moving an account that has one to another base URL asks for the key again (checked there first).
 */
export function SettingsPanel({ account, onSaved, onCancel }: PanelProps) {
  const id = useId();
  const [name, setName] = useState(account.name);
  const [defaultModel, setDefaultModel] = useState(account.defaultModel ?? '');
  const [baseUrl, setBaseUrl] = useState(account.baseUrl ?? '');
  const [apiVersion, setApiVersion] = useState(account.apiVersion ?? '');
  const [failWith, setFailWith] = useState<(typeof MOCK_FAILURES)[number]['value']>((account.mock?.failWith as MockSettingsDto['failWith']) ?? '');
  const [latency, setLatency] = useState(String(account.mock?.latencyMs ?? 0));
  const keyRef = useRef<HTMLInputElement>(null);
  const [hasNewKey, setHasNewKey] = useState(false);
  const keyRequest = useSecretRequest();
  const cache = useVaultCache();
  const update = useUpdateAccount((saved) =>
    onSaved(saved.baseUrl !== account.baseUrl ? 'Saved. Verify now to check the new base URL.' : 'Settings saved.'),
  );
  const modelChoices = account.models.includes(defaultModel) || !defaultModel ? account.models : [defaultModel, ...account.models];
  const movesEndpoint = account.kind !== 'mock' && !sameBaseUrl(account.kind, account.baseUrl, baseUrl.trim() || null);
  const needsKey = movesEndpoint && account.key !== null;
  const error = keyRequest.error ?? update.error;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body: UpdateProviderAccountDto = {};
    if (name.trim() !== account.name) body.name = name.trim();
    if ((defaultModel || null) !== account.defaultModel) body.defaultModel = defaultModel.trim() || null;
    if (account.kind !== 'mock' && (baseUrl.trim() || null) !== account.baseUrl) body.baseUrl = baseUrl.trim() || null;
    if (account.kind === 'azure-openai' && (apiVersion.trim() || null) !== account.apiVersion) body.apiVersion = apiVersion.trim() || null;
    if (account.kind === 'mock') {
      // openapi.json marks failWith nullable, but the generated enum type has no null; the API takes null to clear it.
      body.mock = { latencyMs: Number(latency) || 0, failWith: (failWith || null) as MockSettingsDto['failWith'] };
    }
    const input = keyRef.current;
    if (!needsKey || !input) {
      keyRequest.reset();
      update.mutate({ path: { accountId: account.id }, body });
      return;
    }
    // The key goes with the new base URL in one request (never through the mutation cache), then leaves the page.
    update.reset();
    const result = await keyRequest.run(async () => {
      const { data } = await updateProviderAccount({ path: { accountId: account.id }, body: { ...body, apiKey: input.value.trim() || undefined }, throwOnError: true });
      return data;
    });
    input.value = '';
    setHasNewKey(false);
    if (!result.ok) return;
    cache.put(result.data);
    onSaved('Saved: the account now calls the new base URL with the key you gave, checked there first.');
  }

  return (
    <form className="form panel" onSubmit={(e) => void submit(e)} noValidate aria-label={`Settings of ${account.name}`}>
      <div className="form-grid-2">
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} data-testid="vault-edit-name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
          <FieldError error={update.error} field="name" />
        </div>
        <div className="field">
          <label htmlFor={`${id}-model`}>Default model</label>
          {account.models.length ? (
            <select id={`${id}-model`} data-testid="vault-edit-default-model" value={defaultModel} onChange={(e) => setDefaultModel(e.target.value)}>
              <option value="">None</option>
              {modelChoices.map((m) => (
                <option key={m} value={m}>
                  {m}
                  {account.models.includes(m) ? '' : ' (not in the verified list)'}
                </option>
              ))}
            </select>
          ) : (
            <input id={`${id}-model`} data-testid="vault-edit-default-model" value={defaultModel} placeholder="e.g. gpt-4o-mini" onChange={(e) => setDefaultModel(e.target.value)} />
          )}
          <span className="field-hint">{account.models.length ? 'From the models the provider listed at the last verification.' : 'Verify the account to choose from its model list.'}</span>
          <FieldError error={update.error} field="defaultModel" />
        </div>
        {account.kind !== 'mock' ? (
          <div className="field">
            <label htmlFor={`${id}-base-url`}>{KIND_GUIDES[account.kind].baseUrlLabel}</label>
            <input
              id={`${id}-base-url`}
              data-testid="vault-edit-base-url"
              type="url"
              value={baseUrl}
              placeholder={KIND_GUIDES[account.kind].baseUrlPlaceholder}
              onChange={(e) => setBaseUrl(e.target.value)}
            />
            <FieldError error={error} field="baseUrl" />
          </div>
        ) : null}
        {account.kind === 'azure-openai' ? (
          <div className="field">
            <label htmlFor={`${id}-api-version`}>api-version</label>
            <input id={`${id}-api-version`} data-testid="vault-edit-api-version" value={apiVersion} placeholder="2024-10-21" onChange={(e) => setApiVersion(e.target.value)} />
            <span className="field-hint">Empty: 2024-10-21. Changing it needs no new key (the endpoint stays the same).</span>
            <FieldError error={error} field="apiVersion" />
          </div>
        ) : null}
        {account.kind === 'mock' ? (
          <>
            <div className="field">
              <label htmlFor={`${id}-fail`}>Simulate a provider error</label>
              <select id={`${id}-fail`} value={failWith} onChange={(e) => setFailWith(e.target.value as typeof failWith)}>
                {MOCK_FAILURES.map((f) => (
                  <option key={f.value} value={f.value}>
                    {f.label}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${id}-latency`}>Latency (ms)</label>
              <input id={`${id}-latency`} type="number" min={0} max={120000} value={latency} onChange={(e) => setLatency(e.target.value)} />
              <FieldError error={update.error} field="mock.latencyMs" />
            </div>
          </>
        ) : null}
      </div>
      {needsKey ? (
        <div className="field" data-testid="vault-edit-endpoint-key">
          <p className="callout callout-billing" id={`${id}-endpoint-why`}>
            This account&apos;s key is bound to its current endpoint and is never sent anywhere else — so changing the base URL needs the key for the new
            endpoint. Paste it here: it is checked there (by listing the models) before anything is saved.
            {account.adminKey ? ' The admin key for cost sync is removed with the move; add it again afterwards if the new endpoint is the provider’s own.' : ''}
          </p>
          <label htmlFor={`${id}-endpoint-key`}>API key for the new base URL</label>
          <SecretKeyInput
            id={`${id}-endpoint-key`}
            inputRef={keyRef}
            testId="vault-edit-endpoint-key-input"
            placeholder="sk-…"
            describedBy={`${id}-endpoint-why`}
            onPresenceChange={setHasNewKey}
            disabled={keyRequest.pending}
          />
          <FieldError error={error} field="apiKey" />
        </div>
      ) : null}
      {error && !hasOnlyFieldErrors(error, ['name', 'defaultModel', 'baseUrl', 'apiKey', 'apiVersion', 'mock.latencyMs']) ? <ProblemAlert error={error} /> : null}
      <PanelActions pending={update.isPending || keyRequest.pending} disabled={needsKey && !hasNewKey} onCancel={onCancel} saveTestId="vault-edit-save" />
    </form>
  );
}

/** Vaultrun's limits for this account, next to what the provider reported granting. */
export function LimitsPanel({ account, onSaved, onCancel }: PanelProps) {
  const id = useId();
  const [limits, setLimits] = useState(() => limitsInputOf(account.limits));
  const update = useUpdateAccount(() => onSaved('Limits saved.'));
  return (
    <form
      className="form panel"
      noValidate
      aria-label={`Limits of ${account.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        update.mutate({ path: { accountId: account.id }, body: { limits: limitsDtoOf(limits) } });
      }}
    >
      <p className="panel-intro">Vaultrun queues runs so this account never exceeds these limits. Keep them at or below what the provider grants.</p>
      <LimitsFields value={limits} onChange={setLimits} providerLimits={account.providerLimits} error={update.error} idPrefix={id} />
      {update.error && !hasOnlyFieldErrors(update.error, ['limits.maxConcurrency', 'limits.requestsPerMinute', 'limits.tokensPerMinute']) ? <ProblemAlert error={update.error} /> : null}
      <PanelActions pending={update.isPending} onCancel={onCancel} saveTestId="vault-limits-save" label="Save limits" />
    </form>
  );
}

export function SharingPanel({ account, onSaved, onCancel }: PanelProps) {
  const [sharing, setSharing] = useState(() => sharingOf(account));
  const update = useUpdateAccount(() => onSaved('Sharing saved.'));
  return (
    <form
      className="form panel"
      noValidate
      aria-label={`Sharing of ${account.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        update.mutate({
          path: { accountId: account.id },
          body: {
            visibility: sharing.visibility,
            allowedUserIds: sharing.visibility === 'restricted' ? sharing.userIds : [],
            allowedTokenIds: sharing.visibility === 'restricted' ? sharing.tokenIds : [],
          },
        });
      }}
    >
      <SharingFields value={sharing} onChange={setSharing} disabled={update.isPending} />
      <ProblemAlert error={update.error} />
      <PanelActions pending={update.isPending} onCancel={onCancel} saveTestId="vault-sharing-save" label="Save sharing" />
    </form>
  );
}

/** OpenAI and Anthropic: the separate admin key that lets Vaultrun read the organization's costs (cost sync). */
export function AdminKeyPanel({ account, onSaved, onCancel }: PanelProps) {
  const id = useId();
  const keyRef = useRef<HTMLInputElement>(null);
  const [hasKey, setHasKey] = useState(false);
  const adminGuide = KIND_GUIDES[account.kind].adminKey;
  const request = useSecretRequest();
  const cache = useVaultCache();
  const clear = useMutation({
    ...clearProviderAdminKeyMutation(),
    onSuccess: (saved) => {
      cache.put(saved);
      onSaved('Admin key removed: cost sync is off for this account.');
    },
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = keyRef.current;
    if (!input || !input.value.trim()) return;
    const result = await request.run(async () => (await setProviderAdminKey({ path: { accountId: account.id }, body: { adminKey: input.value.trim() }, throwOnError: true })).data);
    input.value = '';
    setHasKey(false);
    if (!result.ok) return;
    cache.put(result.data);
    onSaved('Admin key saved: cost sync can verify this account’s costs.');
  }

  return (
    <form className="form panel" onSubmit={(e) => void submit(e)} method="post" noValidate aria-label={`Admin key of ${account.name}`}>
      <p className="panel-intro">
        {adminGuide?.what ?? 'An admin key'} lets Vaultrun read your organization&apos;s usage and costs, so run costs can be marked <em>Verified by Provider</em> instead of
        estimated (cost sync). It cannot run models and is stored apart from the API key. Create one at {adminGuide?.where ?? 'the provider'}.
      </p>
      {account.adminKey ? (
        <div className="admin-key-current">
          <span>
            Current admin key: <code className="mono">{account.adminKey.hint}</code> <span className="muted">· {account.adminKey.fingerprint} · set {formatDateTime(account.adminKey.updatedAt)}</span>
          </span>
          <ConfirmButton
            label="Remove"
            title="Remove the admin key?"
            message={<p>Cost sync stops for “{account.name}”: its costs will be estimates only. The API key is not affected.</p>}
            confirmLabel="Remove admin key"
            busy={clear.isPending}
            onConfirm={() => clear.mutate({ path: { accountId: account.id } })}
            testId="vault-admin-key-clear"
          />
        </div>
      ) : (
        <p className="muted">No admin key: costs on this account are Vaultrun&apos;s estimates.</p>
      )}
      <div className="field field-key">
        <label htmlFor={`${id}-admin-key`}>{account.adminKey ? 'Replace with a new admin key' : 'Admin key'}</label>
        <SecretKeyInput
          id={`${id}-admin-key`}
          inputRef={keyRef}
          testId="vault-admin-key"
          placeholder={adminGuide?.placeholder ?? ''}
          onPresenceChange={(present) => {
            setHasKey(present);
            request.reset();
          }}
        />
        <FieldError error={request.error} field="adminKey" />
      </div>
      {request.error && !request.error.fieldError('adminKey') ? <ProblemAlert error={request.error} /> : null}
      <ProblemAlert error={clear.error} />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="vault-admin-key-save" disabled={!hasKey || request.pending}>
          {request.pending ? 'Saving…' : 'Save admin key'}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
