import type { MockSettingsDto, ProviderAccountDto } from '../../api/generated/types.gen.js';
import { formatTime } from '../../lib/format.js';
import type { BadgeTone } from '../../lib/ui.js';

export type AccountKind = ProviderAccountDto['kind'];
export type AccountStatus = ProviderAccountDto['status'];

export type PresetId = NonNullable<ProviderAccountDto['preset']> | 'ollama' | 'vllm';

export const KIND_LABELS: Record<AccountKind, string> = {
  openai: 'OpenAI',
  'openai-compatible': 'OpenAI-compatible',
  anthropic: 'Anthropic',
  'azure-openai': 'Azure OpenAI',
  gemini: 'Google Gemini',
  mock: 'Mock',
};

export const KIND_CHOICES: { kind: AccountKind; title: string; help: string }[] = [
  { kind: 'openai', title: 'OpenAI', help: 'A project or service-account key from platform.openai.com (sk-proj-…).' },
  { kind: 'anthropic', title: 'Anthropic', help: 'Claude models with an API key from console.anthropic.com (sk-ant-api…).' },
  { kind: 'gemini', title: 'Google Gemini', help: 'Gemini models with an API key from aistudio.google.com (AIza…).' },
  { kind: 'azure-openai', title: 'Azure OpenAI', help: 'Your Azure OpenAI resource: its endpoint and a key; runs call its deployments.' },
  { kind: 'openai-compatible', title: 'OpenAI-compatible', help: 'OpenRouter, Groq, Together, Mistral, DeepSeek, Ollama, vLLM or any server speaking the OpenAI API.' },
  { kind: 'mock', title: 'Mock provider', help: 'Built in, no key, no charges. Deterministic answers for trying things out.' },
];

/** How connecting each kind works in the stepper: the key, the endpoint, where to get them. */
export interface KindGuide {
  namePlaceholder: string;
  keyPlaceholder: string;
  /** Where the key comes from, shown under the key field. */
  keyHint: string;
  keyRequired: boolean;
  /** `required`: a field of the main step; `optional`: under Advanced; `none`: no base URL. */
  baseUrl: 'required' | 'optional' | 'none';
  baseUrlLabel: string;
  baseUrlPlaceholder: string;
  baseUrlHint: string;
  /** The admin key that enables cost sync, when the provider has a cost report. */
  adminKey: { placeholder: string; what: string; where: string } | null;
}

export const KIND_GUIDES: Record<AccountKind, KindGuide> = {
  openai: {
    namePlaceholder: 'e.g. Team OpenAI',
    keyPlaceholder: 'sk-proj-…',
    keyHint: 'Create a key at platform.openai.com/api-keys (billing must be set up first, under Settings › Billing) and copy it whole: OpenAI shows it only once.',
    keyRequired: true,
    baseUrl: 'optional',
    baseUrlLabel: 'API base URL (optional)',
    baseUrlPlaceholder: 'https://api.openai.com/v1',
    baseUrlHint: 'Only for a proxy or a regional endpoint (e.g. https://eu.api.openai.com/v1). Leave empty for OpenAI itself.',
    adminKey: { placeholder: 'sk-admin-…', what: 'An OpenAI admin key (it starts with sk-admin-)', where: 'platform.openai.com › Settings › Organization › Admin keys' },
  },
  anthropic: {
    namePlaceholder: 'e.g. Team Claude',
    keyPlaceholder: 'sk-ant-api03-…',
    keyHint: 'Create a key at console.anthropic.com › API keys (add credits under Plans & Billing first) and copy it whole: Anthropic shows it only once.',
    keyRequired: true,
    baseUrl: 'optional',
    baseUrlLabel: 'API base URL (optional)',
    baseUrlPlaceholder: 'https://api.anthropic.com',
    baseUrlHint: 'Only for a proxy in front of Anthropic. Leave empty for Anthropic itself (no /v1 needed).',
    adminKey: { placeholder: 'sk-ant-admin01-…', what: 'An Anthropic Admin API key (it starts with sk-ant-admin)', where: 'console.anthropic.com › Settings › Admin keys (organization admins only)' },
  },
  gemini: {
    namePlaceholder: 'e.g. Team Gemini',
    keyPlaceholder: 'AIza…',
    keyHint: 'Create a key at aistudio.google.com › Get API key (link a billing account for paid limits) and copy it whole.',
    keyRequired: true,
    baseUrl: 'optional',
    baseUrlLabel: 'API base URL (optional)',
    baseUrlPlaceholder: 'https://generativelanguage.googleapis.com',
    baseUrlHint: 'Only for a proxy in front of the Gemini API. Leave empty for Google itself.',
    adminKey: null,
  },
  'azure-openai': {
    namePlaceholder: 'e.g. Azure prod (Sweden Central)',
    keyPlaceholder: 'KEY 1 or KEY 2 of the resource',
    keyHint: 'In the Azure portal, open your Azure OpenAI resource › Keys and Endpoint, and copy KEY 1 (or KEY 2).',
    keyRequired: true,
    baseUrl: 'required',
    baseUrlLabel: 'Resource endpoint',
    baseUrlPlaceholder: 'https://my-resource.openai.azure.com',
    baseUrlHint: 'The Endpoint shown next to the keys (https://<resource>.openai.azure.com). Runs call the resource’s deployments by name.',
    adminKey: null,
  },
  'openai-compatible': {
    namePlaceholder: 'e.g. OpenRouter',
    keyPlaceholder: 'Leave empty for a server without authentication',
    keyHint: 'Needed by hosted services; a local Ollama or vLLM usually needs none.',
    keyRequired: false,
    baseUrl: 'required',
    baseUrlLabel: 'Base URL',
    baseUrlPlaceholder: 'https://openrouter.ai/api/v1',
    baseUrlHint: 'The URL that ends in /v1 — OpenRouter https://openrouter.ai/api/v1 · Ollama http://localhost:11434/v1 · vLLM http://host:8000/v1',
    adminKey: null,
  },
  mock: {
    namePlaceholder: 'e.g. Mock for demos',
    keyPlaceholder: '',
    keyHint: '',
    keyRequired: false,
    baseUrl: 'none',
    baseUrlLabel: '',
    baseUrlPlaceholder: '',
    baseUrlHint: '',
    adminKey: null,
  },
};

/** The presets of the OpenAI-compatible kind, as the stepper offers them (the API knows the same list). */
export const PRESET_CHOICES: { preset: PresetId | null; title: string; baseUrl: string; keyRequired: boolean; keyPlaceholder: string; keyHint: string }[] = [
  { preset: 'openrouter', title: 'OpenRouter', baseUrl: 'https://openrouter.ai/api/v1', keyRequired: true, keyPlaceholder: 'sk-or-v1-…', keyHint: 'Create a key at openrouter.ai/settings/keys. OpenRouter reports each call’s cost: those costs are Verified by Provider.' },
  { preset: 'groq', title: 'Groq', baseUrl: 'https://api.groq.com/openai/v1', keyRequired: true, keyPlaceholder: 'gsk_…', keyHint: 'Create a key at console.groq.com/keys.' },
  { preset: 'together', title: 'Together AI', baseUrl: 'https://api.together.xyz/v1', keyRequired: true, keyPlaceholder: 'Your Together API key', keyHint: 'Create a key at api.together.ai › Settings › API keys.' },
  { preset: 'mistral', title: 'Mistral AI', baseUrl: 'https://api.mistral.ai/v1', keyRequired: true, keyPlaceholder: 'Your Mistral API key', keyHint: 'Create a key at console.mistral.ai/api-keys (choose a plan first).' },
  { preset: 'deepseek', title: 'DeepSeek', baseUrl: 'https://api.deepseek.com/v1', keyRequired: true, keyPlaceholder: 'sk-…', keyHint: 'Create a key at platform.deepseek.com/api_keys (top up your balance first).' },
  { preset: 'ollama', title: 'Ollama', baseUrl: 'http://localhost:11434/v1', keyRequired: false, keyPlaceholder: 'Usually none', keyHint: 'A local Ollama needs no key. Vaultrun reaches this machine or your LAN only when VAULTRUN_PROVIDER_ALLOW_PRIVATE=true.' },
  { preset: 'vllm', title: 'vLLM', baseUrl: 'http://localhost:8000/v1', keyRequired: false, keyPlaceholder: 'The --api-key you started vLLM with, if any', keyHint: 'Point the base URL at your vLLM server (…/v1).' },
  { preset: null, title: 'Other server', baseUrl: '', keyRequired: false, keyPlaceholder: 'Leave empty for a server without authentication', keyHint: 'Any server that speaks the OpenAI Chat Completions API.' },
];

export const PRESET_LABELS: Record<PresetId, string> = { openrouter: 'OpenRouter', groq: 'Groq', together: 'Together AI', mistral: 'Mistral AI', deepseek: 'DeepSeek', ollama: 'Ollama', vllm: 'vLLM' };

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

/** For a status typed as plain text (the managed accounts list): its label and tone, or the text itself in grey. */
export function statusOfText(status: string): { label: string; tone: BadgeTone } {
  return Object.hasOwn(STATUS, status) ? STATUS[status as AccountStatus] : { label: status, tone: 'grey' };
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
      if (kind === 'anthropic') return 'Verify the full key was copied; it starts with sk-ant-api. If it was revoked, create a new one at console.anthropic.com › API keys and rotate it in.';
      if (kind === 'gemini') return 'Verify the full key was copied; it starts with AIza. If it was deleted or restricted, create a new one at aistudio.google.com › Get API key and rotate it in.';
      if (kind === 'azure-openai') return 'Check that the key (KEY 1 or KEY 2) belongs to this resource endpoint: Azure answers a key of another resource as invalid. Copy both from Keys and Endpoint.';
      return openai
        ? 'Verify the full key was copied; it starts with sk-proj- (or sk-svcacct-). If the key was lost or revoked, create a new one at platform.openai.com/api-keys and rotate it in.'
        : 'Verify the full key was copied and that it belongs to this provider and base URL.';
    case 'insufficient_quota':
      if (kind === 'anthropic') return 'Your credit balance is too low: add credits at console.anthropic.com › Plans & Billing, then verify again.';
      if (kind === 'gemini') return 'Link a billing account to the key’s project in Google AI Studio (the free tier is not available everywhere), then verify again.';
      return openai
        ? 'Check Settings › Billing at platform.openai.com: add a payment method and credits. Billing is required before a key works.'
        : "Check the billing or credits of your account at the provider (for OpenRouter: Credits; for DeepSeek: your balance).";
    case 'rate_limited':
      if (kind === 'anthropic') return "Wait and retry; check your rate limits at console.anthropic.com › Settings › Limits (they grow with your usage tier), and keep this account's limits below them.";
      if (kind === 'gemini') return "Wait and retry; free-tier keys have low per-minute and per-day limits. See aistudio.google.com › Usage, and keep this account's limits below them.";
      if (kind === 'azure-openai') return "Wait and retry; raise the deployment's tokens-per-minute quota in Azure AI Foundry, and keep this account's limits below it.";
      return openai
        ? "Wait and retry; check your limits at platform.openai.com › Settings › Limits, and keep this account's limits below them."
        : "Wait and retry; check your limits at the provider, and keep this account's limits below them.";
    case 'model_not_found':
      if (kind === 'azure-openai') return 'Runs on Azure name a deployment, not a model: choose a deployment from the verified list (create one in Azure AI Foundry).';
      return 'Verify model access: some models require special access or are in limited beta. Choose a default model from the verified list.';
    case 'content_blocked':
      return kind === 'azure-openai'
        ? "Azure's content filter blocked the prompt or the answer: rephrase the input, or review the deployment's content filter in Azure AI Foundry."
        : "The provider's safety filters blocked the prompt or the answer: rephrase the input.";
    case 'provider_unavailable':
      if (kind === 'anthropic') return 'Anthropic did not answer or is overloaded. Check status.anthropic.com, then try again: runs retry with backoff.';
      if (kind === 'gemini') return 'The Gemini API did not answer or the model is overloaded. Check aistudio.google.com/status, then try again: runs retry with backoff.';
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
      if (kind === 'azure-openai') return 'The resource has no deployment ready: deploy a model in Azure AI Foundry, then verify again.';
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
  if (account.kind === 'anthropic') return 'Anthropic bills usage on this key to your Anthropic organization (its credit balance).';
  if (account.kind === 'gemini') return 'Google bills usage on this key to the Google Cloud project it belongs to (free-tier keys are not billed, but are rate-limited hard).';
  if (account.kind === 'azure-openai') return 'Microsoft bills usage on this resource to your Azure subscription.';
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
  const preferred = [
    'gpt-4.1-mini',
    'gpt-4o-mini',
    'gpt-4.1',
    'gpt-4o',
    'claude-haiku-4-5',
    'claude-sonnet-4-5',
    'gemini-2.5-flash',
    'gemini-2.5-flash-lite',
    'openai/gpt-4.1-mini',
    'openai/gpt-4o-mini',
    'llama-3.3-70b-versatile',
    'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    'mistral-small-latest',
    'deepseek-chat',
    'mock-fast',
  ];
  // Dated snapshots (claude-haiku-4-5-20251001) count as their family; embedding and image models are poor defaults.
  const chat = models.filter((m) => !/embed|image|tts|audio|whisper|dall-e|moderation/i.test(m));
  return preferred.map((p) => chat.find((m) => m === p || m.startsWith(`${p}-`))).find((m) => m !== undefined) ?? chat[0] ?? models[0] ?? '';
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
  { value: 'content_blocked', label: 'Blocked by safety filters' },
];

/**
 * Whether two base URLs of an account point at the same place as the API sees it (so the key need not be given
 * again): trailing slashes and host case do not matter, and an OpenAI account's empty base URL is OpenAI's own.
 */
const DEFAULT_BASE_URLS: Partial<Record<string, string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
};

export function sameBaseUrl(kind: string, current: string | null, next: string | null): boolean {
  const normal = (url: string | null) => {
    const value = url ?? DEFAULT_BASE_URLS[kind] ?? null;
    if (value === null) return null;
    try {
      return new URL(value).toString().replace(/\/+$/, '');
    } catch {
      return value;
    }
  };
  return normal(current) === normal(next);
}
