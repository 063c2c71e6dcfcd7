/**
 * The gateway as its own process (gateway-main.ts): the same /v1/* on the same database, limiter and ledger, with
 * nothing else mounted — no REST API, no console, nothing unguarded.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as, seedWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';
import { gatewayClient, inferenceToken, startTestGateway } from '../../../test/support/gateway.js';
import { eventually } from '../../../test/support/runs.js';

describe('the standalone gateway', () => {
  let api: TestApi;
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let owner: Session;
  let token: string;

  beforeAll(async () => {
    api = await startTestApi();
    gateway = await startTestGateway(api);
    const ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);
    token = (await inferenceToken(owner)).token;
  });
  afterAll(async () => {
    await gateway?.close();
    await api?.close();
  });

  it('serves chat, streams and models; the call is recorded in the same database', async () => {
    const client = gatewayClient(gateway.url, token, { maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'standalone' }] }).withResponse();
    expect(data.choices[0]!.message.content).toContain('standalone');
    let text = '';
    for await (const chunk of await client.chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'streamed' }], stream: true })) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toContain('streamed');
    expect((await client.models.list()).data.map((m) => m.id)).toContain('mock-fast');
    const run = await eventually(() => as(owner).get(`/api/v1/runs/${response.headers.get('x-vaultrun-request-id')}`).then((r) => r.body), (r) => r.status === 'succeeded', 'record');
    expect(run.kind).toBe('gateway');
  });

  it('mounts nothing but the gateway and /health', async () => {
    expect(await fetch(`${gateway.url}/health`).then((r) => r.status)).toBe(200);
    for (const path of ['/api/v1/tokens', '/api/v1/provider-accounts', '/api/v1/audit-events', '/api/docs']) {
      const res = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect([path, res.status]).toEqual([path, 404]);
    }
    const unknown = await fetch(`${gateway.url}/v1/files`, { headers: { authorization: `Bearer ${token}` } });
    expect([unknown.status, ((await unknown.json()) as { error: { code: string } }).error.code]).toEqual([404, 'unknown_url']);
  });
});
