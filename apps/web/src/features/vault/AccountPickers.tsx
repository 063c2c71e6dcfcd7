import { useState } from 'react';
import type { ProviderAccountDto } from '../../api/generated/types.gen.js';
import { statusLabel } from './account-labels.js';

/**
 * Statuses in which a run on the account fails or is refused until someone acts: a refused key, no quota left, or
 * switched off. (Unverified accounts may run; rate-limited ones wait and retry on their own.)
 */
const CANNOT_RUN: ReadonlySet<ProviderAccountDto['status']> = new Set(['invalid_key', 'quota_exhausted', 'disabled']);

export function canRun(account: Pick<ProviderAccountDto, 'status'>): boolean {
  return !CANNOT_RUN.has(account.status);
}

/**
 * A provider account picker. With `inheritLabel`, its empty value means "inherit" (the workspace default, the
 * operator's account…). Accounts that cannot run (invalid key, quota exhausted, disabled) are not offered by default:
 * a button under the list shows them, marked "cannot run" with their status, in a group of their own — a disabled
 * one still cannot be chosen. The chosen account is always listed, runnable or not.
 */
export function AccountSelect({
  id,
  value,
  onChange,
  accounts,
  inheritLabel,
  testId,
  disabled,
  describe,
}: {
  id: string;
  value: string;
  onChange: (accountId: string) => void;
  accounts: ProviderAccountDto[];
  inheritLabel?: string;
  testId?: string;
  disabled?: boolean;
  /** Extra words after an account's name (e.g. "mock stand-in"). */
  describe?: (account: ProviderAccountDto) => string;
}) {
  const [showAll, setShowAll] = useState(false);
  const known = !value || accounts.some((a) => a.id === value);
  const runnable = accounts.filter(canRun);
  const blocked = accounts.filter((a) => !canRun(a));
  const shownBlocked = showAll ? blocked : blocked.filter((a) => a.id === value);
  const label = (a: ProviderAccountDto) => `${a.name}${describe?.(a) ?? ''}${a.status === 'active' ? '' : ` — ${statusLabel(a)}`}`;
  return (
    <>
      <select id={id} data-testid={testId} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
        {inheritLabel !== undefined ? <option value="">{inheritLabel}</option> : null}
        {runnable.map((a) => (
          <option key={a.id} value={a.id}>
            {label(a)}
          </option>
        ))}
        {shownBlocked.length ? (
          <optgroup label="Cannot run now">
            {shownBlocked.map((a) => (
              <option key={a.id} value={a.id} disabled={a.status === 'disabled' && a.id !== value} data-cannot-run="true">
                {label(a)} (cannot run)
              </option>
            ))}
          </optgroup>
        ) : null}
        {known ? null : <option value={value}>An account not shared with you</option>}
      </select>
      {blocked.length ? (
        <button type="button" className="link-button" aria-controls={id} aria-expanded={showAll} data-testid={testId ? `${testId}-show-all` : undefined} onClick={() => setShowAll((v) => !v)}>
          {showAll ? 'Hide the accounts that cannot run' : `Show ${blocked.length === 1 ? 'the account' : `the ${blocked.length} accounts`} that cannot run`}
        </button>
      ) : null}
    </>
  );
}

/**
 * A model field: suggestions from the account's verified models, but any model id may be typed
 * (a new model, or one the provider did not list). Empty means "inherit".
 */
export function ModelInput({
  id,
  value,
  onChange,
  models,
  placeholder,
  testId,
}: {
  id: string;
  value: string;
  onChange: (model: string) => void;
  models: string[];
  placeholder: string;
  testId?: string;
}) {
  return (
    <>
      <input id={id} data-testid={testId} value={value} list={`${id}-models`} placeholder={placeholder} autoComplete="off" spellCheck={false} maxLength={200} onChange={(e) => onChange(e.target.value)} />
      <datalist id={`${id}-models`}>
        {models.map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
    </>
  );
}

/** A hint under a model field: where suggestions come from, or a warning when the typed model is not among them. */
export function modelHint(model: string, account: ProviderAccountDto | undefined): { text: string; warn: boolean } {
  if (!account) return { text: 'Type a model id.', warn: false };
  if (!account.models.length) return { text: `${account.name} has no verified model list yet; type a model id.`, warn: false };
  if (model.trim() && !account.models.includes(model.trim())) {
    return { text: `Not in the models ${account.name} listed at its last verification: runs fail with “Model not found” if the key has no access.`, warn: true };
  }
  return { text: `Suggestions: the ${account.models.length} models ${account.name} listed at its last verification. Any other model id can be typed.`, warn: false };
}
