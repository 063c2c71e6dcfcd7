import type { ChangeEvent } from 'react';
import type { LimitsDto, ProviderAccountDto, ProviderLimitsDto } from '../../api/generated/types.gen.js';
import { formatCount, formatRelative } from '../../lib/format.js';
import { FieldError } from '../../lib/ui.js';

/** The limit inputs as typed (blank = no limit), turned into a LimitsDto on submit. */
export interface LimitsInput {
  maxConcurrency: string;
  requestsPerMinute: string;
  tokensPerMinute: string;
}

export const DEFAULT_LIMITS: LimitsInput = { maxConcurrency: '4', requestsPerMinute: '', tokensPerMinute: '' };

export function limitsInputOf(limits: ProviderAccountDto['limits']): LimitsInput {
  return {
    maxConcurrency: String(limits.maxConcurrency),
    requestsPerMinute: limits.requestsPerMinute === null ? '' : String(limits.requestsPerMinute),
    tokensPerMinute: limits.tokensPerMinute === null ? '' : String(limits.tokensPerMinute),
  };
}

/** Blank means "no limit" (null); anything else is sent as typed so the API can name a bad value. */
function toLimit(text: string): number | null {
  const t = text.trim();
  return t === '' ? null : Number(t);
}

export function limitsDtoOf(input: LimitsInput): LimitsDto {
  return {
    maxConcurrency: input.maxConcurrency.trim() === '' ? 4 : Number(input.maxConcurrency.trim()),
    requestsPerMinute: toLimit(input.requestsPerMinute),
    tokensPerMinute: toLimit(input.tokensPerMinute),
  };
}

/** One line: "4 at once · 500 requests/min · no token limit". */
export function describeLimits(limits: ProviderAccountDto['limits']): string {
  return [
    `${formatCount(limits.maxConcurrency)} at once`,
    limits.requestsPerMinute === null ? 'no request limit' : `${formatCount(limits.requestsPerMinute)} requests/min`,
    limits.tokensPerMinute === null ? 'no token limit' : `${formatCount(limits.tokensPerMinute)} tokens/min`,
  ].join(' · ');
}

export function describeProviderLimits(p: ProviderLimitsDto | null): string | null {
  if (!p) return null;
  const parts = [
    typeof p.requests?.limit === 'number' ? `${formatCount(p.requests.limit)} requests/min` : null,
    typeof p.tokens?.limit === 'number' ? `${formatCount(p.tokens.limit)} tokens/min` : null,
  ].filter((x): x is string => x !== null);
  return parts.length ? parts.join(' · ') : null;
}

export function LimitsFields({
  value,
  onChange,
  providerLimits,
  error,
  idPrefix,
}: {
  value: LimitsInput;
  onChange: (next: LimitsInput) => void;
  providerLimits: ProviderLimitsDto | null;
  error: unknown;
  idPrefix: string;
}) {
  const grantedRpm = providerLimits?.requests?.limit ?? null;
  const grantedTpm = providerLimits?.tokens?.limit ?? null;
  const rpm = toLimit(value.requestsPerMinute);
  const tpm = toLimit(value.tokensPerMinute);
  const over = [
    grantedRpm !== null && rpm !== null && rpm > grantedRpm ? `${formatCount(rpm)} requests/min is more than the ${formatCount(grantedRpm)} the provider grants` : null,
    grantedTpm !== null && tpm !== null && tpm > grantedTpm ? `${formatCount(tpm)} tokens/min is more than the ${formatCount(grantedTpm)} the provider grants` : null,
  ].filter((x): x is string => x !== null);
  const set = (field: keyof LimitsInput) => (e: ChangeEvent<HTMLInputElement>) => onChange({ ...value, [field]: e.target.value });
  return (
    <div className="limits-fields">
      <div className="form-row">
        <div className="field field-limit">
          <label htmlFor={`${idPrefix}-concurrency`}>Max concurrency</label>
          <input id={`${idPrefix}-concurrency`} data-testid="vault-limit-concurrency" inputMode="numeric" type="number" min={1} max={1000} value={value.maxConcurrency} onChange={set('maxConcurrency')} />
          <span className="field-hint">Calls in flight at once, across every worker.</span>
          <FieldError error={error} field="limits.maxConcurrency" />
        </div>
        <div className="field field-limit">
          <label htmlFor={`${idPrefix}-rpm`}>Requests per minute</label>
          <input id={`${idPrefix}-rpm`} data-testid="vault-limit-rpm" inputMode="numeric" type="number" min={1} placeholder="No limit" value={value.requestsPerMinute} onChange={set('requestsPerMinute')} />
          <span className="field-hint">{grantedRpm !== null ? `Provider grants ${formatCount(grantedRpm)}/min.` : 'Provider limit not reported yet.'}</span>
          <FieldError error={error} field="limits.requestsPerMinute" />
        </div>
        <div className="field field-limit">
          <label htmlFor={`${idPrefix}-tpm`}>Tokens per minute</label>
          <input id={`${idPrefix}-tpm`} data-testid="vault-limit-tpm" inputMode="numeric" type="number" min={1} placeholder="No limit" value={value.tokensPerMinute} onChange={set('tokensPerMinute')} />
          <span className="field-hint">{grantedTpm !== null ? `Provider grants ${formatCount(grantedTpm)}/min.` : 'Provider limit not reported yet.'}</span>
          <FieldError error={error} field="limits.tokensPerMinute" />
        </div>
      </div>
      {providerLimits ? <p className="field-hint">Provider limits as reported in its x-ratelimit headers {formatRelative(providerLimits.observedAt)}.</p> : null}
      {over.length ? (
        <div className="alert alert-warning" role="status">
          {over.join('; ')}: expect rate-limit waits. Free or low tiers are not production capacity.
        </div>
      ) : null}
    </div>
  );
}
