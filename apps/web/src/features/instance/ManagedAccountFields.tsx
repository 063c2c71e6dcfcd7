import { useQuery } from '@tanstack/react-query';
import { type ChangeEvent, useId, useState } from 'react';
import { listInstanceWorkspacesOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ManagedAccountDto } from '../../api/generated/types.gen.js';
import { formatCount } from '../../lib/format.js';
import { FieldError, ProblemAlert } from '../../lib/ui.js';

export type Offer = ManagedAccountDto['offer'];
export type Share = ManagedAccountDto['share'];

/** The share inputs as typed (blank = no limit), turned into the API's `share` on submit. */
export interface ShareInput {
  maxConcurrency: string;
  requestsPerMinute: string;
  tokensPerMinute: string;
}

export const DEFAULT_SHARE: ShareInput = { maxConcurrency: '2', requestsPerMinute: '', tokensPerMinute: '' };
/** The account's own limits (every workspace's calls together): the vault's default for a new account. */
export const DEFAULT_TOTAL: ShareInput = { maxConcurrency: '4', requestsPerMinute: '', tokensPerMinute: '' };

export function shareInputOf(share: Share): ShareInput {
  return {
    maxConcurrency: String(share.maxConcurrency),
    requestsPerMinute: share.requestsPerMinute === null ? '' : String(share.requestsPerMinute),
    tokensPerMinute: share.tokensPerMinute === null ? '' : String(share.tokensPerMinute),
  };
}

/** Blank means "no limit" (null); anything else is sent as typed so the API can name a bad value. */
const toLimit = (text: string): number | null => (text.trim() === '' ? null : Number(text.trim()));

export function shareOf(input: ShareInput): Share {
  return { maxConcurrency: Number(input.maxConcurrency.trim() || '0'), requestsPerMinute: toLimit(input.requestsPerMinute), tokensPerMinute: toLimit(input.tokensPerMinute) };
}

/** One line: "2 at once per workspace · 60 requests/min · no token limit". */
export function describeShare(share: Share): string {
  return [
    `${formatCount(share.maxConcurrency)} at once`,
    share.requestsPerMinute === null ? 'no request limit' : `${formatCount(share.requestsPerMinute)} requests/min`,
    share.tokensPerMinute === null ? 'no token limit' : `${formatCount(share.tokensPerMinute)} tokens/min`,
  ].join(' · ');
}

const LIMIT_FIELDS = {
  share: {
    legend: 'Share limits per workspace',
    testId: 'managed-share',
    hint: "Each workspace gets at most this much of the account at once, so one workspace cannot use up the instance's key for the others.",
  },
  limits: {
    legend: 'Account limits (all workspaces together)',
    testId: 'managed-total',
    hint: 'What the key itself may carry: every workspace’s calls on it together, runs and gateway calls alike.',
  },
} as const;

/**
 * Limits of a managed account: `share`, what each workspace may use of it at most; `limits`, what every workspace's
 * calls on it may use together.
 */
export function ShareFields({
  value,
  onChange,
  error,
  idPrefix,
  field = 'share',
}: {
  value: ShareInput;
  onChange: (next: ShareInput) => void;
  error: unknown;
  idPrefix: string;
  field?: keyof typeof LIMIT_FIELDS;
}) {
  const set = (key: keyof ShareInput) => (e: ChangeEvent<HTMLInputElement>) => onChange({ ...value, [key]: e.target.value });
  const { legend, testId, hint } = LIMIT_FIELDS[field];
  return (
    <fieldset className="field fieldset">
      <legend>{legend}</legend>
      <div className="form-row">
        <div className="field field-limit">
          <label htmlFor={`${idPrefix}-concurrency`}>Max concurrency</label>
          <input id={`${idPrefix}-concurrency`} data-testid={`${testId}-concurrency`} inputMode="numeric" type="number" min={1} value={value.maxConcurrency} onChange={set('maxConcurrency')} />
          <FieldError error={error} field={`${field}.maxConcurrency`} />
        </div>
        <div className="field field-limit">
          <label htmlFor={`${idPrefix}-rpm`}>Requests per minute</label>
          <input id={`${idPrefix}-rpm`} data-testid={`${testId}-rpm`} inputMode="numeric" type="number" min={1} placeholder="No limit" value={value.requestsPerMinute} onChange={set('requestsPerMinute')} />
          <FieldError error={error} field={`${field}.requestsPerMinute`} />
        </div>
        <div className="field field-limit">
          <label htmlFor={`${idPrefix}-tpm`}>Tokens per minute</label>
          <input id={`${idPrefix}-tpm`} data-testid={`${testId}-tpm`} inputMode="numeric" type="number" min={1} placeholder="No limit" value={value.tokensPerMinute} onChange={set('tokensPerMinute')} />
          <FieldError error={error} field={`${field}.tokensPerMinute`} />
        </div>
      </div>
      <p className="field-hint">{hint}</p>
      <FieldError error={error} field={field} />
    </fieldset>
  );
}

/** Every field a limits fieldset may name in a 400. */
export const LIMIT_ERROR_FIELDS = (['share', 'limits'] as const).flatMap((f) => [f, `${f}.maxConcurrency`, `${f}.requestsPerMinute`, `${f}.tokensPerMinute`]);

/** Offer to every workspace, or to the ones chosen in a searchable list of the instance's workspaces. */
export function OfferFields({
  offer,
  workspaceIds,
  onChange,
  error,
}: {
  offer: Offer;
  workspaceIds: string[];
  onChange: (next: { offer: Offer; workspaceIds: string[] }) => void;
  error: unknown;
}) {
  const id = useId();
  const [search, setSearch] = useState('');
  const workspaces = useQuery({ ...listInstanceWorkspacesOptions({ query: { limit: 200 } }), enabled: offer === 'chosen' });
  const items = (workspaces.data?.items ?? []).filter((w) => w.name.toLowerCase().includes(search.trim().toLowerCase()));
  const toggle = (workspaceId: string, on: boolean) =>
    onChange({ offer, workspaceIds: on ? [...workspaceIds.filter((w) => w !== workspaceId), workspaceId] : workspaceIds.filter((w) => w !== workspaceId) });
  return (
    <fieldset className="field fieldset">
      <legend>Offered to</legend>
      <div className="check-cards">
        <label className="check check-card">
          <input type="radio" name={`${id}-offer`} data-testid="managed-offer-all" checked={offer === 'all'} onChange={() => onChange({ offer: 'all', workspaceIds })} />
          <span>
            <span className="check-label">Every workspace</span>
            <span className="check-help">Today&apos;s and those created later.</span>
          </span>
        </label>
        <label className="check check-card">
          <input type="radio" name={`${id}-offer`} data-testid="managed-offer-chosen" checked={offer === 'chosen'} onChange={() => onChange({ offer: 'chosen', workspaceIds })} />
          <span>
            <span className="check-label">Chosen workspaces</span>
            <span className="check-help">Only the workspaces you tick below.</span>
          </span>
        </label>
      </div>
      <FieldError error={error} field="offer" />
      {offer === 'chosen' ? (
        <div className="workspace-picker" data-testid="managed-workspace-picker">
          <label className="visually-hidden" htmlFor={`${id}-search`}>
            Search workspaces
          </label>
          <input id={`${id}-search`} type="search" placeholder="Search workspaces" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="managed-workspace-search" />
          <ProblemAlert error={workspaces.error} title="Could not list the workspaces:" />
          <ul className="workspace-picker-list" aria-label="Workspaces">
            {items.map((w) => (
              <li key={w.id}>
                <label className="check">
                  <input type="checkbox" data-testid="managed-workspace-option" data-name={w.name} checked={workspaceIds.includes(w.id)} onChange={(e) => toggle(w.id, e.target.checked)} />
                  <span>{w.name}</span>
                </label>
              </li>
            ))}
            {workspaces.data && items.length === 0 ? <li className="muted small">No workspace matches.</li> : null}
          </ul>
          <p className="field-hint" aria-live="polite">
            {workspaceIds.length === 0 ? 'No workspace chosen yet.' : `${workspaceIds.length} ${workspaceIds.length === 1 ? 'workspace' : 'workspaces'} chosen.`}
          </p>
          <FieldError error={error} field="workspaceIds" />
        </div>
      ) : null}
    </fieldset>
  );
}
