import OpenAI from 'openai';
import { as, type Session } from './api.js';

/** Creates an API token (scopes `inference` unless told otherwise) and returns it. */
export async function inferenceToken(owner: Session, options: { scopes?: string[]; allowedModels?: string[]; name?: string } = {}): Promise<{ id: string; token: string }> {
  const res = await as(owner).post('/api/v1/tokens', { name: options.name ?? `app-${Math.random().toString(36).slice(2, 8)}`, scopes: options.scopes ?? ['inference'], ...(options.allowedModels ? { allowedModels: options.allowedModels } : {}) });
  if (res.status !== 201) throw new Error(`token refused: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, token: res.body.token };
}

/** The official SDK pointed at Vaultrun's gateway, as an app would configure it. Retries stay at the SDK's default unless told. */
export function gatewayClient(apiUrl: string, token: string, options: { maxRetries?: number; fetch?: typeof fetch } = {}): OpenAI {
  return new OpenAI({ baseURL: `${apiUrl}/v1`, apiKey: token, ...options, organization: null, project: null });
}
