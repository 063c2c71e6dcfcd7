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

/** Boots the standalone gateway (gateway-main's app) on a free port, on the given API's database and Redis prefix. */
export async function startTestGateway(api: { config: { databaseUrl: string; redisPrefix: string } }, env: Record<string, string> = {}) {
  const { createGatewayApp } = await import('../../apps/api/src/gateway-app.js');
  const { loadConfig } = await import('../../apps/api/src/config.js');
  const { testEnv } = await import('./env.js');
  const t = testEnv();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: api.config.databaseUrl,
    DATABASE_POOL_SIZE: '4',
    REDIS_URL: t.redisUrl,
    VAULTRUN_REDIS_PREFIX: api.config.redisPrefix,
    VAULTRUN_MASTER_KEYS: t.masterKeys,
    VAULTRUN_PROVIDER_ALLOW_PRIVATE: 'true',
    ...env,
  });
  const app = await createGatewayApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const url = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : String(address);
  return { app, url, close: () => app.close() };
}
