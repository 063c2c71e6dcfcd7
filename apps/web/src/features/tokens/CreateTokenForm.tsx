import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { createTokenMutation, listTokensQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import type { CreateTokenDto } from '../../api/generated/types.gen.js';
import { zCreateTokenDto } from '../../api/generated/zod.gen.js';
import { useFormRules } from '../../lib/form-rules.js';
import { FieldError, ProblemAlert } from '../../lib/ui.js';

type Scope = CreateTokenDto['scopes'][number];
type Billing = NonNullable<CreateTokenDto['billing']>;

/** Which accounts' runs the token may start, by who pays for them (docs/console.md, "Credits"). */
export const BILLING_CHOICES: { value: Billing; label: string; help: string }[] = [
  { value: 'any', label: 'Any account', help: 'Its own keys and accounts paid with Vaultrun credits alike.' },
  { value: 'credits', label: 'Vaultrun credits only', help: 'Only accounts your instance administrator connects, paid with credits.' },
  { value: 'own_key', label: 'Own keys only', help: 'Only the workspace’s own provider accounts: never spends credits.' },
];

const SCOPES: { value: Scope; label: string; help: string }[] = [
  { value: 'read', label: 'read', help: 'View the workspace: accounts, operators, runs, budgets.' },
  { value: 'run', label: 'run', help: 'View, and start runs on the provider accounts the token may use.' },
  { value: 'admin', label: 'admin', help: 'Manage the workspace (but not API tokens).' },
  { value: 'inference', label: 'inference', help: 'Call models through the OpenAI-compatible gateway (an app’s key); reads nothing of the workspace.' },
];

/** The allow-list as typed: one model name per line or comma; a trailing * matches by prefix. */
function modelList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((m) => m.trim())
    .filter(Boolean);
}

export interface NewTokenSecret {
  id: string;
  name: string;
  token: string;
}

/** Local date (yyyy-mm-dd) of tomorrow, the earliest expiry offered. */
function tomorrow(): string {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function CreateTokenForm({ onCreated }: { onCreated: (secret: NewTokenSecret) => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['read']);
  const [expiry, setExpiry] = useState('');
  const [allowedModels, setAllowedModels] = useState('');
  const [billing, setBilling] = useState<Billing>('any');
  const requestCreate = createTokenMutation().mutationFn!;
  const create = useMutation({
    // The full token is handed to the parent's state and stripped from the result, so neither
    // the mutation cache nor the query cache ever holds it.
    mutationFn: async (...args: Parameters<typeof requestCreate>) => {
      const { token, ...created } = await requestCreate(...args);
      onCreated({ id: created.id, name: created.name, token });
      return created;
    },
    onSuccess: async () => {
      setName('');
      setScopes(['read']);
      setExpiry('');
      setAllowedModels('');
      setBilling('any');
      await queryClient.invalidateQueries({ queryKey: listTokensQueryKey() });
    },
  });

  function toggle(scope: Scope, on: boolean) {
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));
  }

  // The token stops working at the end of the chosen day, local time.
  const expiresAt = expiry ? new Date(`${expiry}T23:59:59`).toISOString() : undefined;
  const models = scopes.includes('inference') ? modelList(allowedModels) : [];
  const body: CreateTokenDto = {
    name: name.trim(),
    scopes: SCOPES.map((s) => s.value).filter((s) => scopes.includes(s)),
    ...(models.length ? { allowedModels: models } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(billing !== 'any' ? { billing } : {}),
  };
  const rules = useFormRules(zCreateTokenDto, body);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (rules.attempt()) create.mutate({ body });
  }

  return (
    <section className="card" aria-labelledby="create-token-heading">
      <h2 id="create-token-heading">Create a token</h2>
      <form className="form" onSubmit={submit} noValidate>
        <ProblemAlert error={create.error} />
        <div className="form-row">
          <div className="field field-grow">
            <label htmlFor="token-name">Name</label>
            <input
              id="token-name"
              data-testid="token-name"
              value={name}
              maxLength={100}
              required
              placeholder="e.g. Support bot"
              onChange={(e) => setName(e.target.value)}
            />
            {rules.errors.name ? <p className="field-error">{rules.errors.name}</p> : <FieldError error={create.error} field="name" />}
          </div>
          <div className="field field-date">
            <label htmlFor="token-expiry">Expires (optional)</label>
            <input id="token-expiry" data-testid="token-expiry" type="date" min={tomorrow()} value={expiry} onChange={(e) => setExpiry(e.target.value)} aria-describedby="token-expiry-hint" />
            <FieldError error={create.error} field="expiresAt" />
          </div>
        </div>
        <p className="field-hint" id="token-expiry-hint">
          Without an expiry date the token works until it is revoked; with one, it stops working at the end of that day.
        </p>
        <fieldset className="field fieldset">
          <legend>Scopes</legend>
          <div className="check-cards">
            {SCOPES.map((s) => (
              <label className="check check-card" key={s.value}>
                <input type="checkbox" data-testid={`token-scope-${s.value}`} checked={scopes.includes(s.value)} onChange={(e) => toggle(s.value, e.target.checked)} />
                <span>
                  <span className="check-label">{s.label}</span>
                  <span className="check-help">{s.help}</span>
                </span>
              </label>
            ))}
          </div>
          <FieldError error={create.error} field="scopes" />
        </fieldset>
        <div className="field">
          <label htmlFor="token-billing">Accounts it may use, by who pays</label>
          <select id="token-billing" data-testid="token-billing" value={billing} onChange={(e) => setBilling(e.target.value as Billing)} aria-describedby="token-billing-hint">
            {BILLING_CHOICES.map((b) => (
              <option key={b.value} value={b.value}>
                {b.label}
              </option>
            ))}
          </select>
          <p className="field-hint" id="token-billing-hint">
            {BILLING_CHOICES.find((b) => b.value === billing)?.help} It cannot be changed later.
          </p>
          <FieldError error={create.error} field="billing" />
        </div>
        {scopes.includes('inference') ? (
          <div className="field">
            <label htmlFor="token-allowed-models">Models it may call (optional)</label>
            <textarea
              id="token-allowed-models"
              data-testid="token-allowed-models"
              rows={2}
              value={allowedModels}
              spellCheck={false}
              placeholder={'e.g. fast, gpt-4o*'}
              aria-describedby="token-allowed-models-hint"
              onChange={(e) => setAllowedModels(e.target.value)}
            />
            <p className="field-hint" id="token-allowed-models-hint">
              Model names as the app sends them (a route, <code className="mono">account-name/model</code>, a model), one per line or comma; a trailing{' '}
              <code className="mono">*</code> matches by prefix. Empty: every model of the accounts the token may use. It cannot be changed later.
            </p>
            {rules.errors.allowedModels ? <p className="field-error">{rules.errors.allowedModels}</p> : <FieldError error={create.error} field="allowedModels" />}
          </div>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" data-testid="token-create" disabled={create.isPending || !name.trim() || scopes.length === 0}>
            {create.isPending ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>
    </section>
  );
}
