import type { ProviderAccountDto } from '../../api/generated/types.gen.js';
import { statusLabel } from './account-labels.js';

/**
 * A provider account picker whose empty value means "inherit" (the workspace default, the operator's account…).
 * Accounts that cannot run are listed with their status; a disabled one cannot be chosen.
 */
export function AccountSelect({
  id,
  value,
  onChange,
  accounts,
  inheritLabel,
  testId,
  disabled,
}: {
  id: string;
  value: string;
  onChange: (accountId: string) => void;
  accounts: ProviderAccountDto[];
  inheritLabel: string;
  testId?: string;
  disabled?: boolean;
}) {
  const known = !value || accounts.some((a) => a.id === value);
  return (
    <select id={id} data-testid={testId} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
      <option value="">{inheritLabel}</option>
      {accounts.map((a) => (
        <option key={a.id} value={a.id} disabled={a.status === 'disabled' && a.id !== value}>
          {a.name}
          {a.status === 'active' ? '' : ` — ${statusLabel(a)}`}
        </option>
      ))}
      {known ? null : <option value={value}>An account not shared with you</option>}
    </select>
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
