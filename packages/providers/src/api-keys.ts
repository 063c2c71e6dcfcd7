// Recognising and naming API keys without revealing them: the vault shows a hint and a fingerprint.
import { createHmac } from 'node:crypto';
import { presetOfAccount } from './openai-compatible/presets.js';

export type ApiKeyShape =
  | 'project'
  | 'service_account'
  | 'admin'
  | 'legacy'
  | 'anthropic'
  | 'anthropic_admin'
  | 'anthropic_oauth'
  | 'google'
  | 'openrouter'
  | 'groq'
  | 'unknown';

// First match wins: longer, more specific prefixes before `sk-`.
const SHAPES: { prefix: string; shape: ApiKeyShape }[] = [
  { prefix: 'sk-proj-', shape: 'project' },
  { prefix: 'sk-svcacct-', shape: 'service_account' },
  { prefix: 'sk-admin-', shape: 'admin' },
  { prefix: 'sk-ant-admin', shape: 'anthropic_admin' },
  { prefix: 'sk-ant-oat', shape: 'anthropic_oauth' },
  { prefix: 'sk-ant-api', shape: 'anthropic' },
  { prefix: 'sk-or-', shape: 'openrouter' },
  { prefix: 'sk-', shape: 'legacy' },
  { prefix: 'AIza', shape: 'google' },
  { prefix: 'gsk_', shape: 'groq' },
];

/** Every shape a stored key can have (the API documents them). */
export const API_KEY_SHAPES: readonly ApiKeyShape[] = [...new Set<ApiKeyShape>([...SHAPES.map((s) => s.shape), 'unknown'])];

/** The key's kind prefix, '' when it has none we know. */
export function apiKeyPrefix(key: string): string {
  return SHAPES.find(({ prefix }) => key.startsWith(prefix))?.prefix ?? '';
}

/**
 * sk-proj-, sk-svcacct-, sk-admin-, legacy sk- (anything else that starts with sk-), Anthropic's sk-ant-api… /
 * sk-ant-admin… / sk-ant-oat… (a Claude subscription token), Google's AIza…, OpenRouter's sk-or-…, Groq's gsk_…;
 * otherwise unknown.
 */
export function apiKeyShape(key: string): ApiKeyShape {
  return SHAPES.find(({ prefix }) => key.startsWith(prefix))?.shape ?? 'unknown';
}

/**
 * 'sk-proj-…a1b2': the kind prefix and the last 4 characters, nothing more. The last 4 are shown
 * only when at least 12 secret characters hide behind the prefix, so a short key is not half-revealed.
 */
export function apiKeyHint(key: string): string {
  const prefix = apiKeyPrefix(key);
  const secret = key.slice(prefix.length);
  return secret.length >= 12 ? `${prefix}…${secret.slice(-4)}` : `${prefix}…`;
}

/**
 * 'hmac-sha256:' + the first 16 hex digits of HMAC-SHA256(fingerprintKey, key): tells keys apart within an instance,
 * and — unlike a plain hash — cannot be used to check a guessed or leaked key without the instance's secret
 * fingerprint key (vault-core's KeyFingerprints holds it).
 */
export function apiKeyFingerprint(key: string, fingerprintKey: Buffer): string {
  if (fingerprintKey.length < 32) throw new TypeError('the fingerprint key must be at least 32 bytes');
  return `hmac-sha256:${createHmac('sha256', fingerprintKey).update(key, 'utf8').digest('hex').slice(0, 16)}`;
}

/** Whose key a recognised shape is, for messages that name it (never the key). */
const SHAPE_OWNER: Record<Exclude<ApiKeyShape, 'unknown' | 'legacy'>, string> = {
  project: 'an OpenAI project key (sk-proj-…)',
  service_account: 'an OpenAI service-account key (sk-svcacct-…)',
  admin: 'an OpenAI admin key (sk-admin-…)',
  anthropic: 'an Anthropic API key (sk-ant-api…)',
  anthropic_admin: 'an Anthropic Admin API key (sk-ant-admin…)',
  anthropic_oauth: 'a Claude subscription token (sk-ant-oat…)',
  google: 'a Google API key (AIza…)',
  openrouter: 'an OpenRouter key (sk-or-…)',
  groq: 'a Groq key (gsk_…)',
};

/** The shapes an inference key of each provider has, and how people recognise one. */
interface KeyExpectation {
  provider: string;
  shapes: readonly ApiKeyShape[];
  looksLike: string;
}

const OPENAI_SHAPES: readonly ApiKeyShape[] = ['project', 'service_account', 'legacy'];

function expectationFor(kind: string, baseUrl: string | null | undefined): KeyExpectation | null {
  switch (kind) {
    case 'openai':
      return { provider: 'OpenAI', shapes: OPENAI_SHAPES, looksLike: 'sk-proj-, sk-svcacct- or sk-' };
    case 'anthropic':
      return { provider: 'Anthropic', shapes: ['anthropic'], looksLike: 'sk-ant-api…' };
    case 'gemini':
      return { provider: 'Google Gemini', shapes: ['google'], looksLike: 'AIza…' };
    case 'openai-compatible': {
      const preset = presetOfAccount(kind, baseUrl);
      if (preset?.id === 'openrouter') return { provider: 'OpenRouter', shapes: ['openrouter'], looksLike: 'sk-or-…' };
      if (preset?.id === 'groq') return { provider: 'Groq', shapes: ['groq'], looksLike: 'gsk_…' };
      return null;
    }
    default:
      return null;
  }
}

const withArticle = (name: string) => `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;

/** Shapes that are never an inference key, wherever they are pasted. */
const NEVER_INFERENCE: Partial<Record<ApiKeyShape, string>> = {
  admin: 'is an OpenAI admin key (sk-admin-…): it manages the organization and cannot run models. Paste a project or service-account key, and add the admin key separately for cost sync',
  anthropic_admin:
    'is an Anthropic Admin API key (sk-ant-admin…): it reads the organization\'s usage and cannot run models. Paste an API key (sk-ant-api…), and add the admin key separately for cost sync',
  anthropic_oauth: 'is a Claude subscription token (sk-ant-oat…), not an API key. Create an API key at console.anthropic.com › API keys',
};

/**
 * Why a pasted inference key cannot be right for an account of this kind (a sentence that never echoes the key), or
 * null. Refused: an admin or subscription token; a key another provider's prefix identifies (an OpenAI key pasted
 * into an Anthropic account, …). A key of no known shape is not refused here: `keyShapeWarning` flags it once stored.
 */
export function inferenceKeyProblem(kind: string, key: string, baseUrl?: string | null): string | null {
  const shape = apiKeyShape(key);
  const never = NEVER_INFERENCE[shape];
  if (never) return never;
  const expected = expectationFor(kind, baseUrl);
  if (!expected || expected.shapes.includes(shape) || shape === 'unknown') return null;
  // An sk- key of no more specific shape may be a legacy OpenAI key or another compatible server's: only refused
  // where it cannot fit at all (a Google or Anthropic account).
  if (shape === 'legacy' && expected.shapes.includes('legacy')) return null;
  const owner = shape === 'legacy' ? 'an sk-… key (OpenAI or another provider)' : SHAPE_OWNER[shape];
  return `looks like ${owner}, not ${withArticle(expected.provider)} key (${expected.looksLike}). Paste the key from ${expected.provider}`;
}

/**
 * The warning an account shows when its stored key has no shape its provider's keys have (stored anyway: providers
 * change formats), or null. `shape` is what was stored with the key ('none' for older keys of kinds without checks).
 */
export function keyShapeWarning(kind: string, shape: string | null | undefined, baseUrl?: string | null): string | null {
  const expected = expectationFor(kind, baseUrl);
  if (!expected || !shape || shape === 'none') return null;
  if ((expected.shapes as readonly string[]).includes(shape)) return null;
  return `This key does not look like ${withArticle(expected.provider)} key (${expected.looksLike}). It was stored; verify it works.`;
}
