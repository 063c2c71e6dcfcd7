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
