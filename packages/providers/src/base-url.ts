/** Why a base URL cannot be used (a sentence for people, never echoing the URL), or null when it can. */
export function baseUrlProblem(baseUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    return 'The base URL is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'The base URL must start with http:// or https://';
  if (url.username || url.password) return 'The base URL must not contain credentials; use the API key field';
  if (url.search || url.hash) return 'The base URL must not contain a query or fragment';
  return null;
}

/** An http(s) base URL without a trailing slash ('https://host/v1/' → 'https://host/v1'); throws a TypeError when unusable. */
export function normalizeBaseUrl(baseUrl: string): string {
  const problem = baseUrlProblem(baseUrl);
  if (problem) throw new TypeError(problem);
  return new URL(baseUrl.trim()).toString().replace(/\/+$/, '');
}

/** Where `openai` accounts without a base URL send their key. */
const OPENAI_DEFAULT_ORIGIN = 'https://api.openai.com';
/** Anthropic's API root: the SDK appends /v1/… itself. */
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** The Gemini API (Google AI Studio keys): the SDK appends /<apiVersion>/models/… itself. */
export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
/** The embedded mock provider sends nothing anywhere; its "origin" is a fixed marker. */
export const MOCK_ENDPOINT_ORIGIN = 'vaultrun-mock:embedded';

/** Kinds whose key goes to one well-known host unless a base URL says otherwise. */
const DEFAULT_ORIGINS: Record<string, string> = {
  openai: OPENAI_DEFAULT_ORIGIN,
  anthropic: ANTHROPIC_DEFAULT_BASE_URL,
  gemini: GEMINI_DEFAULT_BASE_URL,
};

/** Whether an account of this kind works without a base URL (it then calls the provider's own host). */
export function hasDefaultEndpoint(kind: string): boolean {
  return kind === 'mock' || Object.hasOwn(DEFAULT_ORIGINS, kind);
}

/**
 * The origin a provider account's key is sent to — scheme://host[:port] with the host lowercased (and IDNs in
 * punycode) and the scheme's default port dropped, exactly as WHATWG URL's `origin` writes it. Without a base URL:
 * `openai` is https://api.openai.com, `anthropic` https://api.anthropic.com, `gemini`
 * https://generativelanguage.googleapis.com; `azure-openai` and `openai-compatible` always need one (the Azure
 * resource endpoint, the server); `mock` is a fixed marker. A stored key's ciphertext is bound to this value.
 * Throws a TypeError for a base URL that cannot be used at all.
 */
export function endpointOrigin(kind: string, baseUrl: string | null | undefined): string {
  if (kind === 'mock') return MOCK_ENDPOINT_ORIGIN;
  if (!baseUrl) {
    const origin = DEFAULT_ORIGINS[kind];
    if (origin) return origin;
    throw new TypeError(`A ${kind} account needs a base URL`);
  }
  return new URL(normalizeBaseUrl(baseUrl)).origin;
}
