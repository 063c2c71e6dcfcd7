import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import {
  deletePriceOverrideMutation,
  getPricesOptions,
  getPricesQueryKey,
  setPriceOverrideMutation,
  updatePriceOverrideMutation,
} from '../../api/generated/@tanstack/react-query.gen.js';
import type { PriceOverrideDto, PricesDto, ShippedPriceTableDto } from '../../api/generated/types.gen.js';
import { formatDateTime, formatUtcDay } from '../../lib/format.js';
import { dollarsToMicroUsd, formatUsd, microUsdToDollars } from '../../lib/money.js';
import { ConfirmButton, EmptyState, FieldError, hasOnlyFieldErrors, Loading, ProblemAlert } from '../../lib/ui.js';

const PRICE_FIELDS = ['model', 'inputMicroUsdPerM', 'cachedInputMicroUsdPerM', 'outputMicroUsdPerM'];

/** The shipped price table (source and date) and this workspace's overrides; admins add, change and remove overrides. */
export function PriceOverrides({ canManage }: { canManage: boolean }) {
  const prices = useQuery(getPricesOptions());
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <section className="card prices-card" aria-labelledby="prices-heading" data-testid="prices-section" id="prices">
      <div className="section-heading section-heading-spread money-head">
        <div>
          <h2 id="prices-heading">Prices</h2>
          <p className="card-description">
            Estimates and budget holds price tokens with the shipped tables (one per provider), or with this workspace&apos;s override for a model. A model none of
            them lists — a self-hosted server&apos;s, a newer one, an Azure deployment with a name of its own — has no price until you add one, and cannot run
            under a budget without it.
          </p>
        </div>
        {canManage && !adding ? (
          <button
            type="button"
            className="btn btn-secondary"
            data-testid="price-override-new"
            onClick={() => {
              setNotice(null);
              setAdding(true);
            }}
          >
            Add override
          </button>
        ) : null}
      </div>
      {prices.isPending ? (
        <Loading />
      ) : prices.isError ? (
        <ProblemAlert error={prices.error} />
      ) : (
        <>
          {prices.data.tables.map((table) => (
            <PriceTableSource key={table.id} table={table} />
          ))}
          {notice ? (
            <div className="alert alert-success" role="status" data-testid="price-override-notice">
              {notice}
            </div>
          ) : null}
          {adding ? (
            <div className="panel">
              <OverrideForm
                override={null}
                existing={prices.data.overrides}
                knownModels={prices.data.tables.flatMap((t) => t.models.map((m) => m.model))}
                onSaved={(saved, replaced) => {
                  setAdding(false);
                  setNotice(`${replaced ? 'Override replaced' : 'Override added'}: ${saved.model} now costs ${formatUsd(saved.inputMicroUsdPerM)} input and ${formatUsd(saved.outputMicroUsdPerM)} output per 1M tokens.`);
                }}
                onCancel={() => setAdding(false)}
              />
            </div>
          ) : null}
          <OverrideTable prices={prices.data} canManage={canManage} onNotice={setNotice} />
        </>
      )}
    </section>
  );
}

function PriceTableSource({ table }: { table: ShippedPriceTableDto }) {
  // "https://… (notes)": the address becomes a link, the rest stays text.
  const [first, ...rest] = table.source.split(' ');
  const isUrl = !!first && /^https?:\/\//.test(first);
  return (
    <div className="price-source" data-testid="price-table-source">
      <p>
        <strong>{table.title}</strong> ({table.models.length} {table.models.length === 1 ? 'model' : 'models'}), as of{' '}
        <span data-testid="price-table-as-of">{formatUtcDay(table.asOf)}</span>. Source:{' '}
        {isUrl ? (
          <>
            <a href={first} target="_blank" rel="noopener noreferrer">
              {first}
            </a>{' '}
            {rest.join(' ')}
          </>
        ) : (
          table.source
        )}
        .
      </p>
      <details className="price-table-details">
        <summary>Show the shipped prices</summary>
        <div className="table-wrap">
          <table className="table price-table">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col" className="num">
                  Input / 1M
                </th>
                <th scope="col" className="num">
                  Cached input / 1M
                </th>
                <th scope="col" className="num">
                  Output / 1M
                </th>
                <th scope="col">Also</th>
              </tr>
            </thead>
            <tbody>
              {table.models.map((m) => (
                <tr key={m.model}>
                  <th scope="row">
                    <code className="mono">{m.model}</code>
                  </th>
                  <td className="num">{formatUsd(m.inputMicroUsdPerM)}</td>
                  <td className="num">{formatUsd(m.cachedInputMicroUsdPerM)}</td>
                  <td className="num">{formatUsd(m.outputMicroUsdPerM)}</td>
                  <td className="muted small">
                    {[
                      m.cacheWriteMicroUsdPerM !== null ? `cache writes ${formatUsd(m.cacheWriteMicroUsdPerM)}` : null,
                      m.longContext
                        ? `prompts above ${m.longContext.aboveInputTokens.toLocaleString('en-US')} tokens: ${formatUsd(m.longContext.inputMicroUsdPerM)} / ${formatUsd(m.longContext.outputMicroUsdPerM)}`
                        : null,
                    ]
                      .filter(Boolean)
                      .join(' · ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}

function OverrideTable({ prices, canManage, onNotice }: { prices: PricesDto; canManage: boolean; onNotice: (n: string | null) => void }) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const remove = useMutation({
    ...deletePriceOverrideMutation(),
    onSettled: () => queryClient.invalidateQueries({ queryKey: getPricesQueryKey() }),
  });
  if (prices.overrides.length === 0) {
    return <EmptyState>No price overrides: models are priced by the shipped table (and the mock provider&apos;s own prices).</EmptyState>;
  }
  return (
    <>
      <ProblemAlert error={remove.error} title="Could not remove the override:" />
      <div className="table-wrap">
        <table className="table price-table" data-testid="price-overrides">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col" className="num">
                Input / 1M
              </th>
              <th scope="col" className="num">
                Cached input / 1M
              </th>
              <th scope="col" className="num">
                Output / 1M
              </th>
              <th scope="col">Updated</th>
              {canManage ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {prices.overrides.map((o) =>
              editing === o.id ? (
                <tr key={o.id} data-testid="price-override-row" data-model={o.model}>
                  <td colSpan={canManage ? 6 : 5}>
                    <OverrideForm
                      override={o}
                      existing={prices.overrides}
                      knownModels={[]}
                      onSaved={(saved) => {
                        setEditing(null);
                        onNotice(`Override for ${saved.model} saved.`);
                      }}
                      onCancel={() => setEditing(null)}
                    />
                  </td>
                </tr>
              ) : (
                <tr key={o.id} data-testid="price-override-row" data-model={o.model}>
                  <th scope="row">
                    <code className="mono">{o.model}</code>
                  </th>
                  <td className="num" data-testid="price-override-input">
                    {formatUsd(o.inputMicroUsdPerM)}
                  </td>
                  <td className="num">{formatUsd(o.cachedInputMicroUsdPerM)}</td>
                  <td className="num" data-testid="price-override-output">
                    {formatUsd(o.outputMicroUsdPerM)}
                  </td>
                  <td>{formatDateTime(o.updatedAt)}</td>
                  {canManage ? (
                    <td className="cell-actions">
                      <button
                        type="button"
                        className="btn btn-ghost btn-small"
                        data-testid="price-override-edit"
                        onClick={() => {
                          onNotice(null);
                          setEditing(o.id);
                        }}
                      >
                        Edit
                      </button>
                      <ConfirmButton
                        label="Remove"
                        title={`Remove the override for “${o.model}”?`}
                        message={<p>Runs of {o.model} are priced by the shipped table again — or have no price at all, which a budget or cost cap refuses.</p>}
                        confirmLabel="Remove override"
                        busy={remove.isPending && remove.variables?.path.priceOverrideId === o.id}
                        onConfirm={() => remove.mutate({ path: { priceOverrideId: o.id } })}
                        testId="price-override-delete"
                      />
                    </td>
                  ) : null}
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}

interface Draft {
  model: string;
  input: string;
  cachedInput: string;
  output: string;
}

/** Add an override (POST: the same model again replaces it) or change one's prices (PATCH). Prices in dollars per 1M tokens. */
function OverrideForm({
  override,
  existing,
  knownModels,
  onSaved,
  onCancel,
}: {
  override: PriceOverrideDto | null;
  existing: PriceOverrideDto[];
  knownModels: string[];
  onSaved: (saved: PriceOverrideDto, replaced: boolean) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => ({
    model: override?.model ?? '',
    input: override ? microUsdToDollars(override.inputMicroUsdPerM) : '',
    cachedInput: override && override.cachedInputMicroUsdPerM !== override.inputMicroUsdPerM ? microUsdToDollars(override.cachedInputMicroUsdPerM) : '',
    output: override ? microUsdToDollars(override.outputMicroUsdPerM) : '',
  }));
  const [localErrors, setLocalErrors] = useState<Partial<Record<string, string>>>({});
  const onSuccess = (saved: PriceOverrideDto) => {
    const replaced = !override && existing.some((o) => o.model === saved.model);
    void queryClient.invalidateQueries({ queryKey: getPricesQueryKey() });
    onSaved(saved, replaced);
  };
  const create = useMutation({ ...setPriceOverrideMutation(), onSuccess });
  const update = useMutation({ ...updatePriceOverrideMutation(), onSuccess });
  const save = override ? update : create;
  const apiError = save.error;

  const set = (key: keyof Draft, value: string) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setLocalErrors({});
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    const errors: Partial<Record<string, string>> = {};
    const money = 'An amount in dollars per 1M tokens, e.g. 2.50 (at most 6 decimals).';
    if (!override && !draft.model.trim()) errors.model = 'Name the model, e.g. llama-3.1-70b.';
    const input = dollarsToMicroUsd(draft.input);
    const cachedInput = dollarsToMicroUsd(draft.cachedInput);
    const output = dollarsToMicroUsd(draft.output);
    if (input === null || input === undefined) errors.inputMicroUsdPerM = money;
    if (cachedInput === undefined) errors.cachedInputMicroUsdPerM = `${money} Empty: the input price.`;
    if (output === null || output === undefined) errors.outputMicroUsdPerM = money;
    if (Object.keys(errors).length || input === null || input === undefined || output === null || output === undefined || cachedInput === undefined) {
      setLocalErrors(errors);
      return;
    }
    // An empty cached price means "the input price" (the API's default when it is left out).
    const prices = { inputMicroUsdPerM: input, cachedInputMicroUsdPerM: cachedInput ?? input, outputMicroUsdPerM: output };
    if (override) update.mutate({ path: { priceOverrideId: override.id }, body: prices });
    else create.mutate({ body: { model: draft.model.trim(), ...prices } });
  }

  const fieldError = (field: string) => (localErrors[field] ? <p className="field-error">{localErrors[field]}</p> : <FieldError error={apiError} field={field} />);
  const priceField = (key: 'input' | 'cachedInput' | 'output', field: string, label: string, testId: string, optional?: string) => (
    <div className="field">
      <label htmlFor={`${id}-${key}`}>
        {label} {optional ? <span className="optional">{optional}</span> : null}
      </label>
      <div className="input-prefix">
        <span aria-hidden="true">$</span>
        <input id={`${id}-${key}`} data-testid={testId} inputMode="decimal" value={draft[key]} placeholder={optional ? 'Same as input' : '0.00'} onChange={(e) => set(key, e.target.value)} />
      </div>
      {fieldError(field)}
    </div>
  );

  return (
    <form className="form price-form" onSubmit={submit} noValidate aria-label={override ? `Prices of ${override.model}` : 'New price override'}>
      {override ? (
        <p className="panel-intro">
          Prices of <code className="mono">{override.model}</code>, in dollars per 1M tokens.
        </p>
      ) : (
        <div className="field">
          <label htmlFor={`${id}-model`}>Model</label>
          <input id={`${id}-model`} data-testid="price-override-model" list={`${id}-models`} value={draft.model} maxLength={200} placeholder="e.g. gpt-4.1-mini or llama-3.1-70b" onChange={(e) => set('model', e.target.value)} />
          <datalist id={`${id}-models`}>
            {knownModels.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
          <span className="field-hint">Exact name, or a family that also prices its dated snapshots (gpt-4.1 prices gpt-4.1-2025-04-14). One override per model: adding it again replaces it.</span>
          {fieldError('model')}
        </div>
      )}
      <div className="form-grid-3">
        {priceField('input', 'inputMicroUsdPerM', 'Input / 1M tokens', 'price-override-input-price')}
        {priceField('cachedInput', 'cachedInputMicroUsdPerM', 'Cached input / 1M', 'price-override-cached-price', 'optional')}
        {priceField('output', 'outputMicroUsdPerM', 'Output / 1M tokens', 'price-override-output-price')}
      </div>
      {apiError && !hasOnlyFieldErrors(apiError, PRICE_FIELDS) ? <ProblemAlert error={apiError} /> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="price-override-save" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : override ? 'Save prices' : 'Add override'}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
