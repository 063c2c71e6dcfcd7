import type { MockSettingsDto, ProviderAccountDto } from '../../api/generated/types.gen.js';
import { formatTime } from '../../lib/format.js';
import type { BadgeTone } from '../../lib/ui.js';

export type AccountKind = ProviderAccountDto['kind'];
export type AccountStatus = ProviderAccountDto['status'];

export const KIND_LABELS: Record<AccountKind, string> = {
  openai: 'OpenAI',
  'openai-compatible': 'OpenAI-compatible',
  mock: 'Mock',
};

export const KIND_CHOICES: { kind: AccountKind; title: string; help: string }[] = [
  { kind: 'openai', title: 'OpenAI', help: 'A project or service-account key from platform.openai.com (sk-proj-…).' },
  { kind: 'openai-compatible', title: 'OpenAI-compatible', help: 'Azure OpenAI, OpenRouter, Ollama, vLLM or any server speaking the OpenAI API.' },
  { kind: 'mock', title: 'Mock provider', help: 'Built in, no key, no charges. Deterministic answers for trying things out.' },
];

const STATUS: Record<AccountStatus, { label: string; tone: BadgeTone }> = {
  active: { label: 'Active', tone: 'green' },
  unverified: { label: 'Unverified', tone: 'blue' },
  invalid_key: { label: 'Invalid key', tone: 'red' },
  quota_exhausted: { label: 'Quota exhausted', tone: 'red' },
  rate_limited: { label: 'Rate limited', tone: 'amber' },
  disabled: { label: 'Disabled', tone: 'grey' },
};

export function statusTone(status: AccountStatus): BadgeTone {
  return STATUS[status].tone;
}

/** "Active", "Invalid key", "Rate limited until 14:05". */
export function statusLabel(account: Pick<ProviderAccountDto, 'status' | 'rateLimitedUntil'>): string {
  const base = STATUS[account.status].label;
  return account.status === 'rate_limited' && account.rateLimitedUntil ? `${base} until ${formatTime(account.rateLimitedUntil)}` : base;
}

/**
 * What a person should do about a provider error, after the guides people already know
 * ("Verify the full key was copied", "Check billing at platform.openai.com", …).
 */
export function troubleshootingTip(code: string, kind: AccountKind): string | null {
  const openai = kind === 'openai';
  switch (code) {
    case 'invalid_api_key':
      return openai
        ? 'Verify the full key was copied; it starts with sk-proj- (or sk-svcacct-). If the key was lost or revoked, create a new one at platform.openai.com/api-keys and rotate it in.'
        : 'Verify the full key was copied and that it belongs to this provider and base URL.';
    case 'insufficient_quota':
      return openai
        ? 'Check Settings › Billing at platform.openai.com: add a payment method and credits. Billing is required before a key works.'
        : "Check the billing or credits of your account at the provider (for OpenRouter: Credits; for Azure: the subscription's quota).";
    case 'rate_limited':
      return openai
        ? "Wait and retry; check your limits at platform.openai.com › Settings › Limits, and keep this account's limits below them."
        : "Wait and retry; check your limits at the provider, and keep this account's limits below them.";
    case 'model_not_found':
      return 'Verify model access: some models require special access or are in limited beta. Choose a default model from the verified list.';
    case 'provider_unavailable':
      return openai
        ? 'The provider did not answer in time. Check status.openai.com (and the base URL, if you set one), then verify again.'
        : 'The server did not answer. Check the base URL and that the server is reachable from Vaultrun, then verify again.';
    case 'context_length_exceeded':
      return 'Shorten the input, or choose a model with a larger context window.';
    case 'provider_rejected':
      return "The provider refused the request. Check the base URL and the account's settings at the provider.";
    case 'endpoint_refused':
      return 'Vaultrun never calls link-local or cloud metadata addresses, and calls this machine or a private network only when the operator sets VAULTRUN_PROVIDER_ALLOW_PRIVATE=true (for self-hosted models on the LAN).';
    case 'empty_model_list':
      return openai
        ? "The key lists no models: check the project's model access at platform.openai.com › Settings › Project › Limits, then verify again."
        : 'The server lists no models: check that the base URL is the API root (often ending in /v1) and that a model is loaded or enabled, then verify again.';
    case 'malformed_model_list':
      return 'Something answered, but not with a model list: check the base URL (it usually ends in /v1), then verify again.';
    case 'secret_unreadable':
      return 'Rotate the key: paste the key again so it is stored under the current master key. Runs on this account fail until then.';
    case 'verify_failed':
      return 'Verify again; if it keeps failing, the worker logs name the cause.';
    default:
      return null;
  }
}

/** Who bills the usage made with this account's key. */
export function billingSentence(account: Pick<ProviderAccountDto, 'kind' | 'baseUrl'>): string {
  if (account.kind === 'mock') return 'Built-in mock provider: no provider is called and nothing is billed.';
  if (account.kind === 'openai') return 'OpenAI bills usage on this key to your OpenAI organization.';
  return `The provider at ${hostOf(account.baseUrl)} bills usage on this key to your account there; a self-hosted server (Ollama, vLLM) costs only its hardware.`;
}

export function hostOf(url: string | null): string {
  if (!url) return 'this base URL';
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** A sensible first choice among the verified models: a small current chat model when there is one. */
export function suggestedDefaultModel(models: string[], current: string | null): string {
  if (current && models.includes(current)) return current;
  const preferred = ['gpt-4.1-mini', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4o', 'mock-fast'];
  return preferred.find((m) => models.includes(m)) ?? models[0] ?? '';
}

/** Errors the mock provider can simulate (its `failWith` setting), '' for none. */
export const MOCK_FAILURES: { value: NonNullable<MockSettingsDto['failWith']> | ''; label: string }[] = [
  { value: '', label: 'Never — every call succeeds' },
  { value: 'invalid_api_key', label: 'Invalid API key' },
  { value: 'insufficient_quota', label: 'Insufficient quota' },
  { value: 'rate_limited', label: 'Rate limit exceeded' },
  { value: 'model_not_found', label: 'Model not found' },
  { value: 'context_length_exceeded', label: 'Input too long' },
  { value: 'provider_unavailable', label: 'Provider unavailable' },
];

/**
 * Whether two base URLs of an account point at the same place as the API sees it (so the key need not be given
 * again): trailing slashes and host case do not matter, and an OpenAI account's empty base URL is OpenAI's own.
 */
export function sameBaseUrl(kind: string, current: string | null, next: string | null): boolean {
  const normal = (url: string | null) => {
    const value = url ?? (kind === 'openai' ? 'https://api.openai.com/v1' : null);
    if (value === null) return null;
    try {
      return new URL(value).toString().replace(/\/+$/, '');
    } catch {
      return value;
    }
  };
  return normal(current) === normal(next);
}
