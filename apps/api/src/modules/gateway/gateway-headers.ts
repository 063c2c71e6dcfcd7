/**
 * A header value people can read, that HTTP accepts: printable ASCII as is, anything else (an account named in another
 * script, a control character) percent-encoded. Names only — never anything secret.
 */
export function headerText(value: string): string {
  return value.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c)).slice(0, 512);
}

export interface AnswerHeaders {
  callId: string;
  requestId: string;
  accountName: string;
  model: string;
}

/** The headers of every answer a call got from a provider: its record, and the account and model that served it. */
export function vaultrunHeaders(h: AnswerHeaders): Record<string, string> {
  return {
    'x-vaultrun-request-id': h.callId,
    'x-vaultrun-account': headerText(h.accountName),
    'x-vaultrun-model': headerText(h.model),
    'x-request-id': h.requestId,
    'cache-control': 'no-store',
  };
}
