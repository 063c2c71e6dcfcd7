import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { updateProviderAccountMutation, verifyProviderAccountMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { createProviderAccount } from '../../api/generated/sdk.gen.js';
import type { CreateProviderAccountDto, ProviderAccountDto } from '../../api/generated/types.gen.js';
import { FieldError, hasOnlyFieldErrors, ProblemAlert } from '../../lib/ui.js';
import {
  type AccountKind,
  billingSentence,
  KIND_CHOICES,
  KIND_GUIDES,
  KIND_LABELS,
  MOCK_FAILURES,
  PRESET_CHOICES,
  type PresetId,
  statusLabel,
  statusTone,
  suggestedDefaultModel,
} from './account-labels.js';
import { DEFAULT_LIMITS, LimitsFields, type LimitsInput, limitsDtoOf } from './LimitsFields.js';
import { ModelList } from './ModelList.js';
import { ProviderErrorCallout } from './ProviderErrorCallout.js';
import { RotateKeyDialog } from './RotateKeyDialog.js';
import { SecretKeyInput } from './SecretKeyInput.js';
import { type Sharing, SharingFields } from './SharingFields.js';
import { useSecretRequest, useVaultCache } from './vault-cache.js';

const FORM_FIELDS = ['name', 'baseUrl', 'apiKey', 'apiVersion', 'limits.maxConcurrency', 'limits.requestsPerMinute', 'limits.tokensPerMinute'];


/**
 * Add a provider account: choose the provider → name it → paste the key → Save, which verifies
 * ("List the available models") → pick the default model from the verified list → done.
 */
export type DoneTone = 'success' | 'warning' | 'info';

export function AddAccountFlow({
  onClose,
  onDone,
  onCreated,
}: {
  onClose: () => void;
  onDone: (message: string, tone?: DoneTone) => void;
  /** As soon as the account exists (before its verification step ends): the list shows and highlights it. */
  onCreated?: (account: ProviderAccountDto) => void;
}) {
  const [created, setCreated] = useState<ProviderAccountDto | null>(null);
  return (
    <section className="card add-flow" aria-labelledby="vault-add-heading" data-testid="vault-add-panel">
      <div className="add-flow-header">
        <h2 id="vault-add-heading">{created ? `“${created.name}” saved` : 'Add a provider account'}</h2>
        <button type="button" className="btn btn-ghost btn-small" onClick={onClose}>
          {created ? 'Close' : 'Cancel'}
        </button>
      </div>
      <ol className="steps" aria-label="Steps">
        <li className={created ? 'step-done' : 'step-current'}>Provider, name and key</li>
        <li className={!created ? undefined : created.lastError ? 'step-failed' : 'step-done'}>Verify: list the available models</li>
        <li className={created && !created.lastError ? 'step-current' : undefined}>Default model</li>
      </ol>
      {created ? <VerifiedStep account={created} onChange={setCreated} onDone={onDone} /> : <DetailsStep
          onCreated={(account) => {
            setCreated(account);
            onCreated?.(account);
          }}
        />}
    </section>
  );
}

function DetailsStep({ onCreated }: { onCreated: (account: ProviderAccountDto) => void }) {
  const id = useId();
  const cache = useVaultCache();
  const request = useSecretRequest();
  const keyRef = useRef<HTMLInputElement>(null);
  const [kind, setKind] = useState<AccountKind | null>(null);
  const [preset, setPreset] = useState<PresetId | null>(null);
  const [name, setName] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [apiVersion, setApiVersion] = useState('');
  const [hasKey, setHasKey] = useState(false);
  const [limits, setLimits] = useState<LimitsInput>(DEFAULT_LIMITS);
  const [sharing, setSharing] = useState<Sharing>({ visibility: 'workspace', userIds: [], tokenIds: [] });
  const [mockFailWith, setMockFailWith] = useState<(typeof MOCK_FAILURES)[number]['value']>('');
  const [mockLatency, setMockLatency] = useState('0');

  const guide = kind ? KIND_GUIDES[kind] : null;
  const presetChoice = kind === 'openai-compatible' ? (PRESET_CHOICES.find((c) => c.preset === preset) ?? null) : null;
  const keyRequired = (guide?.keyRequired ?? false) || (presetChoice?.keyRequired ?? false);
  const baseUrlRequired = guide?.baseUrl === 'required';
  const canSave = !!kind && name.trim() !== '' && (!keyRequired || hasKey) && (!baseUrlRequired || baseUrl.trim() !== '') && !request.pending;

  function chooseKind(next: AccountKind) {
    setKind(next);
    setPreset(null);
    setBaseUrl('');
    setApiVersion('');
    request.reset();
    if (next === 'mock') {
      if (keyRef.current) keyRef.current.value = '';
      setHasKey(false);
    }
  }

  function choosePreset(choice: (typeof PRESET_CHOICES)[number]) {
    setPreset(choice.preset);
    setBaseUrl(choice.baseUrl);
    if (!name.trim() && choice.preset) setName(choice.title);
    request.reset();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!kind || !canSave) return;
    const apiKey = kind === 'mock' ? '' : (keyRef.current?.value.trim() ?? '');
    const body: CreateProviderAccountDto = {
      name: name.trim(),
      kind,
      limits: limitsDtoOf(limits),
      visibility: sharing.visibility,
      allowedUserIds: sharing.visibility === 'restricted' ? sharing.userIds : [],
      allowedTokenIds: sharing.visibility === 'restricted' ? sharing.tokenIds : [],
      verify: true,
    };
    if (kind !== 'mock' && baseUrl.trim()) body.baseUrl = baseUrl.trim();
    if (kind === 'openai-compatible' && preset) body.preset = preset;
    if (kind === 'azure-openai' && apiVersion.trim()) body.apiVersion = apiVersion.trim();
    if (apiKey) body.apiKey = apiKey;
    if (kind === 'mock') body.mock = { latencyMs: Number(mockLatency) || 0, ...(mockFailWith ? { failWith: mockFailWith } : {}) };
    const result = await request.run(async () => (await createProviderAccount({ body, throwOnError: true })).data);
    if (!result.ok) {
      // The form stays for a fix (a taken name, a bad URL); a key the API refused is re-pasted, not edited.
      if (keyRef.current && result.error.fieldError('apiKey')) {
        keyRef.current.value = '';
        setHasKey(false);
      }
      return;
    }
    const account = result.data;
    // Saved (verified or not): the key has left the page for good.
    if (keyRef.current) keyRef.current.value = '';
    setHasKey(false);
    cache.put(account);
    onCreated(account);
  }

  const error = request.error;
  const baseUrlField = guide ? (
    <div className="field">
      <label htmlFor={`${id}-base-url`}>{guide.baseUrlLabel}</label>
      <input
        id={`${id}-base-url`}
        data-testid="vault-base-url"
        type="url"
        value={baseUrl}
        placeholder={presetChoice?.baseUrl || guide.baseUrlPlaceholder}
        onChange={(e) => setBaseUrl(e.target.value)}
        aria-describedby={`${id}-base-url-hint`}
      />
      <span className="field-hint" id={`${id}-base-url-hint`}>
        {guide.baseUrlHint}
      </span>
      <FieldError error={error} field="baseUrl" />
    </div>
  ) : null;
  return (
    <form className="form" onSubmit={(e) => void submit(e)} method="post" noValidate>
      <fieldset className="field fieldset">
        <legend>1. Choose the provider</legend>
        <div className="kind-choices">
          {KIND_CHOICES.map((choice) => (
            <button
              type="button"
              aria-pressed={kind === choice.kind}
              key={choice.kind}
              className={`kind-choice${kind === choice.kind ? ' kind-choice-selected' : ''}`}
              data-testid={`vault-kind-${choice.kind}`}
              onClick={() => chooseKind(choice.kind)}
            >
              <span className={`kind-mark kind-mark-${choice.kind}`} aria-hidden="true" />
              <span className="kind-choice-title">{choice.title}</span>
              <span className="kind-choice-help">{choice.help}</span>
            </button>
          ))}
        </div>
      </fieldset>

      {kind === 'openai-compatible' ? (
        <fieldset className="field fieldset">
          <legend>Which server?</legend>
          <div className="preset-choices" role="group" aria-label="Presets">
            {PRESET_CHOICES.map((choice) => (
              <button
                type="button"
                key={choice.preset ?? 'other'}
                aria-pressed={preset === choice.preset}
                className={`btn btn-small ${preset === choice.preset ? 'btn-toggled' : 'btn-ghost'}`}
                data-testid={`vault-preset-${choice.preset ?? 'other'}`}
                onClick={() => choosePreset(choice)}
              >
                {choice.title}
              </button>
            ))}
          </div>
        </fieldset>
      ) : null}

      {kind && guide ? (
        <>
          <div className="form-grid-2">
            <div className="field">
              <label htmlFor={`${id}-name`}>2. Connection name</label>
              <input id={`${id}-name`} data-testid="vault-name" value={name} maxLength={100} placeholder={guide.namePlaceholder} onChange={(e) => setName(e.target.value)} />
              <FieldError error={error} field="name" />
            </div>
            {guide.baseUrl === 'required' ? baseUrlField : null}
          </div>

          {kind !== 'mock' ? (
            <div className="field field-key">
              <label htmlFor={`${id}-key`}>3. API key{keyRequired ? '' : ' (optional)'}</label>
              <SecretKeyInput
                id={`${id}-key`}
                inputRef={keyRef}
                testId="vault-api-key"
                placeholder={presetChoice?.keyPlaceholder ?? guide.keyPlaceholder}
                describedBy={`${id}-key-hint`}
                onPresenceChange={(present) => {
                  setHasKey(present);
                  request.reset();
                }}
              />
              <span className="field-hint" id={`${id}-key-hint`}>
                {presetChoice?.keyHint ?? guide.keyHint} <strong>Your key is encrypted and never shown again — only a hint.</strong>
              </span>
              <FieldError error={error} field="apiKey" />
            </div>
          ) : (
            <p className="muted">The mock provider needs no key and bills nothing. It answers deterministically, so you can try operators before spending money.</p>
          )}

          <p className="callout callout-billing">{billingSentence({ kind, baseUrl: baseUrl.trim() || null })}</p>

          <details className="advanced">
            <summary data-testid="vault-advanced">
              Advanced: {guide.baseUrl === 'optional' ? 'base URL, ' : ''}
              {kind === 'azure-openai' ? 'api-version, ' : ''}limits and sharing
            </summary>
            <div className="advanced-body">
              {guide.baseUrl === 'optional' ? baseUrlField : null}
              {kind === 'azure-openai' ? (
                <div className="field">
                  <label htmlFor={`${id}-api-version`}>api-version (optional)</label>
                  <input id={`${id}-api-version`} data-testid="vault-api-version" value={apiVersion} placeholder="2024-10-21" onChange={(e) => setApiVersion(e.target.value)} />
                  <span className="field-hint">The Azure OpenAI data-plane version runs use. Leave empty for 2024-10-21 (GA); a newer preview (e.g. 2025-04-01-preview) for the newest models.</span>
                  <FieldError error={error} field="apiVersion" />
                </div>
              ) : null}
              {kind === 'mock' ? (
                <div className="form-row">
                  <div className="field field-grow">
                    <label htmlFor={`${id}-mock-fail`}>Simulate a provider error</label>
                    <select id={`${id}-mock-fail`} value={mockFailWith} onChange={(e) => setMockFailWith(e.target.value as typeof mockFailWith)}>
                      {MOCK_FAILURES.map((f) => (
                        <option key={f.value} value={f.value}>
                          {f.label}
                        </option>
                      ))}
                    </select>
                  </div>
                  <div className="field field-limit">
                    <label htmlFor={`${id}-mock-latency`}>Latency (ms)</label>
                    <input id={`${id}-mock-latency`} type="number" min={0} max={120000} value={mockLatency} onChange={(e) => setMockLatency(e.target.value)} />
                  </div>
                </div>
              ) : null}
              <h3 className="subheading">Limits</h3>
              <LimitsFields value={limits} onChange={setLimits} providerLimits={null} error={error} idPrefix={`${id}-limits`} />
              <h3 className="subheading">Sharing</h3>
              <SharingFields value={sharing} onChange={setSharing} />
            </div>
          </details>

          {error && !hasOnlyFieldErrors(error, FORM_FIELDS) ? <ProblemAlert error={error} title="Not saved:" /> : null}

          <div className="form-actions form-actions-spread">
            <p className="field-hint">
              Saving encrypts the key and checks it at once: Vaultrun asks the provider to <em>list the available {kind === 'azure-openai' ? 'deployments' : 'models'}</em>.
            </p>
            <button type="submit" className="btn btn-primary" data-testid="vault-save" disabled={!canSave}>
              {request.pending ? (kind === 'mock' ? 'Saving…' : 'Saving and listing models…') : 'Save and verify'}
            </button>
          </div>
        </>
      ) : null}
    </form>
  );
}

/** After saving: the verified model list and the default model, or the mapped error and how to fix it. */
function VerifiedStep({ account, onChange, onDone }: { account: ProviderAccountDto; onChange: (a: ProviderAccountDto) => void; onDone: (message: string, tone?: DoneTone) => void }) {
  const id = useId();
  const cache = useVaultCache();
  const [model, setModel] = useState(() => suggestedDefaultModel(account.models, account.defaultModel));
  const [rotating, setRotating] = useState(false);
  const update = useMutation({
    ...updateProviderAccountMutation(),
    onSuccess: (saved) => {
      cache.put(saved);
      onDone(`“${saved.name}” is ready. Default model: ${saved.defaultModel ?? 'none'}.`);
    },
  });
  const reverify = useMutation({
    ...verifyProviderAccountMutation(),
    onSuccess: (result) => {
      cache.put(result.account);
      onChange(result.account);
      setModel(suggestedDefaultModel(result.account.models, result.account.defaultModel));
    },
  });
  const verified = account.status === 'active' && account.models.length > 0;
  // Only a refused key is fixed by another key; quota, rate limits and outages are fixed at the provider.
  const keyProblem = account.lastError?.code === 'invalid_api_key';

  return (
    <div className="verified-step">
      <p className="verified-status">
        <span className="muted">{KIND_LABELS[account.kind]} ·</span> <span className={`badge badge-${statusTone(account.status)} badge-status`}>{statusLabel(account)}</span>
        {account.key ? (
          <>
            <span className="muted"> · key </span>
            <code className="mono">{account.key.hint}</code>
          </>
        ) : null}
      </p>

      {account.lastError ? (
        <>
          <ProviderErrorCallout
            code={account.lastError.code}
            message={account.lastError.message}
            kind={account.kind}
            title={keyProblem ? 'Saved, but the provider refused the key.' : 'Saved, but the check did not succeed.'}
          />
          <p>
            The account is saved with the status <strong>{statusLabel(account)}</strong>
            {keyProblem ? ' and cannot run anything yet. Fix it by rotating in a working key — the account keeps its id.' : '. Fix the cause above, then verify again.'}
          </p>
          <ProblemAlert error={reverify.error} />
          <div className="form-actions">
            {keyProblem && account.kind !== 'mock' ? (
              <button type="button" className="btn btn-primary" onClick={() => setRotating(true)}>
                Paste another key
              </button>
            ) : (
              <button type="button" className="btn btn-primary" disabled={reverify.isPending} onClick={() => reverify.mutate({ path: { accountId: account.id } })}>
                {reverify.isPending ? 'Listing models…' : 'Verify again'}
              </button>
            )}
            <button
              type="button"
              className="btn btn-secondary"
              onClick={() => onDone(`“${account.name}” was saved with the status ${statusLabel(account)}. ${keyProblem ? 'Rotate its key when you have a working one.' : 'Verify it again from its card.'}`, 'warning')}
            >
              Fix it later
            </button>
          </div>
        </>
      ) : verified ? (
        <>
          <div className="alert alert-success" role="status">
            Connected. The provider listed {account.models.length} {account.kind === 'azure-openai' ? (account.models.length === 1 ? 'deployment' : 'deployments') : account.models.length === 1 ? 'model' : 'models'} for
            this key.
          </div>
          <ModelList models={account.models} testId="vault-models" highlight={model} />
          <form
            className="form-row default-model-row"
            onSubmit={(e) => {
              e.preventDefault();
              update.mutate({ path: { accountId: account.id }, body: { defaultModel: model } });
            }}
          >
            <div className="field field-grow">
              <label htmlFor={`${id}-model`}>{account.kind === 'azure-openai' ? 'Default deployment' : 'Default model'}</label>
              <select id={`${id}-model`} data-testid="vault-default-model" value={model} onChange={(e) => setModel(e.target.value)}>
                {account.models.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
              <span className="field-hint">Used by operators that do not name a model. Pick one that matches your cost and quality needs.</span>
            </div>
            <div className="field field-button">
              <button type="submit" className="btn btn-primary" data-testid="vault-default-model-save" disabled={!model || update.isPending}>
                {update.isPending ? 'Saving…' : 'Use as default and finish'}
              </button>
              <button type="button" className="btn btn-ghost" onClick={() => onDone(`“${account.name}” is ready. It has no default model: operators must name one.`, 'info')}>
                Skip
              </button>
            </div>
          </form>
          <ProblemAlert error={update.error} />
        </>
      ) : (
        <>
          <div className="alert alert-info">The account is saved but not verified yet. Verify it from its card when the provider is reachable.</div>
          <div className="form-actions">
            <button type="button" className="btn btn-secondary" onClick={() => onDone(`“${account.name}” was saved but is not verified yet.`, 'info')}>
              Done
            </button>
          </div>
        </>
      )}

      {rotating ? (
        <RotateKeyDialog
          account={account}
          onClose={() => setRotating(false)}
          onRotated={(rotated) => {
            onChange(rotated);
            setModel(suggestedDefaultModel(rotated.models, rotated.defaultModel));
          }}
        />
      ) : null}
    </div>
  );
}

