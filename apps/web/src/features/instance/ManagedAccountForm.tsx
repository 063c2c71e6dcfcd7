import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { listManagedAccountsQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import { createManagedAccount } from '../../api/generated/sdk.gen.js';
import type { CreateManagedAccountDto, ManagedAccountDto } from '../../api/generated/types.gen.js';
import { FieldError, hasOnlyFieldErrors, ProblemAlert } from '../../lib/ui.js';
import { type AccountKind, KIND_CHOICES, KIND_GUIDES } from '../vault/account-labels.js';
import { SecretKeyInput } from '../vault/SecretKeyInput.js';
import { useSecretRequest } from '../vault/vault-cache.js';
import { DEFAULT_SHARE, DEFAULT_TOTAL, LIMIT_ERROR_FIELDS, type Offer, OfferFields, ShareFields, shareOf } from './ManagedAccountFields.js';

const FORM_FIELDS = ['name', 'kind', 'apiKey', 'baseUrl', 'defaultModel', 'offer', 'workspaceIds', ...LIMIT_ERROR_FIELDS];

/**
 * A new managed account: the instance's own key, offered to every workspace or to chosen ones. The key is read from an
 * uncontrolled password input at submit and sent with a direct SDK call (as in the Vault's stepper): it never enters
 * React state or the query cache.
 */
export function ManagedAccountForm({ onCreated, onCancel }: { onCreated: (account: ManagedAccountDto) => void; onCancel: () => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const keyRef = useRef<HTMLInputElement>(null);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<AccountKind>('mock');
  const [hasKey, setHasKey] = useState(false);
  const [baseUrl, setBaseUrl] = useState('');
  const [defaultModel, setDefaultModel] = useState('');
  const [offer, setOffer] = useState<{ offer: Offer; workspaceIds: string[] }>({ offer: 'all', workspaceIds: [] });
  const [share, setShare] = useState(DEFAULT_SHARE);
  const [total, setTotal] = useState(DEFAULT_TOTAL);
  const request = useSecretRequest();
  const guide = KIND_GUIDES[kind];
  const needsKey = kind !== 'mock';

  async function submit(event: FormEvent) {
    event.preventDefault();
    const apiKey = keyRef.current?.value.trim() ?? '';
    const body: CreateManagedAccountDto = {
      name: name.trim(),
      kind,
      ...(needsKey && apiKey ? { apiKey } : {}),
      ...(guide.baseUrl !== 'none' && baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}),
      ...(defaultModel.trim() ? { defaultModel: defaultModel.trim() } : {}),
      offer: offer.offer,
      ...(offer.offer === 'chosen' ? { workspaceIds: offer.workspaceIds } : {}),
      share: shareOf(share),
      limits: shareOf(total),
    };
    const result = await request.run(async () => (await createManagedAccount({ body, throwOnError: true })).data);
    if (keyRef.current) keyRef.current.value = '';
    setHasKey(false);
    if (!result.ok) return;
    await queryClient.invalidateQueries({ queryKey: listManagedAccountsQueryKey() });
    onCreated(result.data);
  }

  return (
    <section className="card" aria-labelledby={`${id}-heading`} data-testid="managed-create">
      <h2 id={`${id}-heading`}>Add a managed account</h2>
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="form-row">
          <div className="field field-grow">
            <label htmlFor={`${id}-name`}>Name</label>
            <input id={`${id}-name`} data-testid="managed-name" value={name} maxLength={100} required placeholder="e.g. Instance OpenAI" onChange={(e) => setName(e.target.value)} />
            <FieldError error={request.error} field="name" />
          </div>
          <div className="field">
            <label htmlFor={`${id}-kind`}>Kind</label>
            <select id={`${id}-kind`} data-testid="managed-kind" value={kind} onChange={(e) => setKind(e.target.value as AccountKind)}>
              {KIND_CHOICES.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.title}
                </option>
              ))}
            </select>
            <FieldError error={request.error} field="kind" />
          </div>
        </div>
        {needsKey ? (
          <div className="field">
            <label htmlFor={`${id}-key`}>API key</label>
            <SecretKeyInput
              id={`${id}-key`}
              inputRef={keyRef}
              testId="managed-api-key"
              placeholder={guide.keyPlaceholder}
              describedBy={`${id}-key-hint`}
              onPresenceChange={(present) => {
                setHasKey(present);
                request.reset();
              }}
            />
            <p className="field-hint" id={`${id}-key-hint`}>
              The instance&apos;s key. Workspaces never see it, nor its hint; their usage is paid with credits you grant them.
            </p>
            <FieldError error={request.error} field="apiKey" />
          </div>
        ) : null}
        {guide.baseUrl !== 'none' ? (
          <div className="field">
            <label htmlFor={`${id}-base-url`}>
              {guide.baseUrlLabel}
              {guide.baseUrl === 'optional' ? ' (optional)' : ''}
            </label>
            <input id={`${id}-base-url`} data-testid="managed-base-url" type="url" value={baseUrl} placeholder={guide.baseUrlPlaceholder} onChange={(e) => setBaseUrl(e.target.value)} />
            <FieldError error={request.error} field="baseUrl" />
          </div>
        ) : null}
        <div className="field">
          <label htmlFor={`${id}-model`}>Default model (optional)</label>
          <input id={`${id}-model`} data-testid="managed-default-model" value={defaultModel} spellCheck={false} placeholder={kind === 'mock' ? 'mock-fast' : 'e.g. gpt-4.1-mini'} onChange={(e) => setDefaultModel(e.target.value)} />
          <FieldError error={request.error} field="defaultModel" />
        </div>
        <OfferFields offer={offer.offer} workspaceIds={offer.workspaceIds} onChange={setOffer} error={request.error} />
        <ShareFields value={share} onChange={setShare} error={request.error} idPrefix={`${id}-share`} />
        <ShareFields field="limits" value={total} onChange={setTotal} error={request.error} idPrefix={`${id}-total`} />
        {request.error && !hasOnlyFieldErrors(request.error, FORM_FIELDS) ? <ProblemAlert error={request.error} title="Could not add the account:" /> : null}
        <div className="form-actions">
          <button type="button" className="btn btn-secondary" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="submit"
            className="btn btn-primary"
            data-testid="managed-create-submit"
            disabled={request.pending || !name.trim() || (needsKey && guide.keyRequired && !hasKey) || (guide.baseUrl === 'required' && !baseUrl.trim())}
          >
            {request.pending ? 'Adding…' : 'Add managed account'}
          </button>
        </div>
      </form>
    </section>
  );
}
