/**
 * Every new provider kind end to end, through the API and an in-process worker, each against its local fake through
 * its official SDK: Anthropic (@anthropic-ai/sdk), Azure OpenAI (openai's AzureOpenAI), Google Gemini (@google/genai)
 * and the OpenAI-compatible presets (openai). Connect and verify (key checks, models, limits), runs (structured output,
 * usage, prices, labels), errors on the taxonomy, cost sync from Anthropic's Admin API cost report, a comparison of the
 * mock against Anthropic and a mission whose steps run on two providers.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ANTHROPIC_PRICE_TABLE, estimateRequestPromptTokens, priceFor, usageCostMicroUsd } from '@vaultrun/providers';
import { promptRequestOf } from '@vaultrun/engine';
import { as, type Session } from '../../../test/support/api.js';
import { startFakeAnthropic, type FakeAnthropic } from '../../../test/support/fake-anthropic.js';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from '../../../test/support/fake-azure-openai.js';
import { startFakeGemini, type FakeGemini } from '../../../test/support/fake-gemini.js';
import { waitForRun, waitUntil } from '../../../test/support/runs.js';
import { startStack, type Stack } from '../../../test/support/stack.js';

type Json = Record<string, any>;
const hex = (n = 6) => randomBytes(n).toString('hex');
const anthropicKey = (tag = '') => `sk-ant-api03-test${tag}-${hex(16)}`;
const geminiKey = (tag = '') => `AIzaSyTest${tag}${hex(12)}`;
const azureKey = (tag = '') => `${tag}${hex(16)}`;
const DAY_MS = 86_400_000;
const today = () => new Date().toISOString().slice(0, 10);

describe('provider kinds: Anthropic, Azure OpenAI, Gemini and the OpenAI-compatible presets', () => {
  let stack: Stack;
  let anthropic: FakeAnthropic;
  let azure: FakeAzureOpenAI;
  let gemini: FakeGemini;
  let admin: Session;
  let member: Session;

  beforeAll(async () => {
    [anthropic, azure, gemini] = await Promise.all([startFakeAnthropic(), startFakeAzureOpenAI(), startFakeGemini()]);
    // The worker's day-based jobs see tomorrow: today's runs are then a closed day that cost sync compares.
    stack = await startStack({ clock: () => new Date(Date.now() + DAY_MS) });
    ({ admin, member } = stack);
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([anthropic?.close(), azure?.close(), gemini?.close()]);
  });
  beforeEach(() => {
    anthropic.reset();
    azure.reset();
    gemini.reset();
  });

  const createAccount = (body: Json) => as(admin).post('/api/v1/provider-accounts', { name: `acct-${hex(4)}`, ...body });
  async function account(body: Json): Promise<Json> {
    const res = await createAccount(body);
    expect([res.status, res.body.detail]).toEqual([201, undefined]);
    return res.body;
  }
  async function operator(body: Json): Promise<Json> {
    const res = await as(member).post('/api/v1/operators', { name: `op-${hex(4)}`, instructions: 'Answer briefly.', maxOutputTokens: 100, ...body });
    expect([res.status, res.body.detail]).toEqual([201, undefined]);
    return res.body;
  }
  async function run(operatorId: string, input: string): Promise<Json> {
    const res = await as(member).post('/api/v1/runs', { operatorId, input });
    expect([res.status, res.body.detail]).toEqual([202, undefined]);
    return waitForRun(member.agent, res.body.id);
  }
  const getAccount = async (id: string) => (await as(admin).get(`/api/v1/provider-accounts/${id}`)).body as Json;

  describe('Anthropic', () => {
    it('connects: checks the key, lists the models, keeps the limits Anthropic reports, and never shows the key', async () => {
      const key = anthropicKey();
      const acct = await account({ kind: 'anthropic', baseUrl: anthropic.url, apiKey: key, limits: { requestsPerMinute: 100 } });
      expect(acct).toMatchObject({
        kind: 'anthropic',
        status: 'active',
        models: ['claude-haiku-4-5', 'claude-opus-4-5', 'claude-sonnet-4-5'],
        key: { hint: `sk-ant-api…${key.slice(-4)}`, shape: 'anthropic' },
        providerLimits: { requests: { limit: 50, remaining: 49 }, tokens: { limit: 40_000 } },
        costSync: { enabled: false },
        costReporting: { mode: 'cost_sync' },
        apiVersion: null,
        preset: null,
      });
      // Configured above what Anthropic grants: the same warning as OpenAI's limits.
      expect(acct.warnings).toContainEqual({ code: 'limits_exceed_provider', message: 'Vaultrun allows 100 requests/min, but the provider grants 50: expect rate-limit waits.' });
      expect(JSON.stringify(acct)).not.toContain(key.slice(12));
      expect(anthropic.requests.map((r) => [r.method, r.pathname, r.key])).toEqual([['GET', '/v1/models', key]]);
      const [row] = await stack.api.db.query(`SELECT s.ciphertext FROM provider_secrets s WHERE s.account_id = $1`, [acct.id]);
      expect(row.ciphertext).not.toContain(key);
    });

    it('refuses another provider\'s key with a friendly sentence that never echoes it, and warns about an odd one', async () => {
      const openaiKey = `sk-proj-${hex(20)}`;
      const refused = await createAccount({ kind: 'anthropic', baseUrl: anthropic.url, apiKey: openaiKey });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([
        { field: 'apiKey', message: 'looks like an OpenAI project key (sk-proj-…), not an Anthropic key (sk-ant-api…). Paste the key from Anthropic' },
      ]);
      expect(JSON.stringify(refused.body)).not.toContain(openaiKey.slice(8));
      const adminKey = await createAccount({ kind: 'anthropic', baseUrl: anthropic.url, apiKey: `sk-ant-admin01-${hex(20)}` });
      expect(adminKey.body.errors[0].message).toMatch(/^is an Anthropic Admin API key/);
      const missing = await createAccount({ kind: 'anthropic', baseUrl: anthropic.url });
      expect(missing.body.errors).toEqual([{ field: 'apiKey', message: 'is required for Anthropic accounts (create one at console.anthropic.com › API keys)' }]);

      const odd = await account({ kind: 'anthropic', baseUrl: anthropic.url, apiKey: `odd-${hex(20)}`, verify: false });
      expect(odd.warnings).toContainEqual({ code: 'unknown_key_shape', message: 'This key does not look like an Anthropic key (sk-ant-api…). It was stored; verify it works.' });
    });

    it('runs an operator with a JSON Schema output through a forced tool, priced from the Anthropic table', async () => {
      const acct = await account({ kind: 'anthropic', baseUrl: anthropic.url, apiKey: anthropicKey(), defaultModel: 'claude-sonnet-4-5' });
      const schema = { type: 'object', properties: { priority: { type: 'string', enum: ['low', 'high'] }, reason: { type: 'string' } }, required: ['priority', 'reason'], additionalProperties: false };
      const op = await operator({ accountId: acct.id, outputFormat: 'json_schema', outputSchema: schema });
      const input = `The checkout page is down for every customer ${hex(3)}`;
      const done = await run(op.id, input);
      expect(done).toMatchObject({ status: 'succeeded', accountId: acct.id, model: 'claude-sonnet-4-5', outputJson: { priority: 'low', reason: 'fake' }, costLabel: 'estimated' });
      const call = anthropic.requests.find((r) => r.pathname === '/v1/messages')!;
      expect(call.body).toMatchObject({ system: 'Answer briefly.', tool_choice: { type: 'tool', name: 'output' }, messages: [{ role: 'user', content: input }] });

      const price = priceFor('anthropic', 'claude-sonnet-4-5')!.price;
      expect(price.input).toBe(ANTHROPIC_PRICE_TABLE.models['claude-sonnet-4-5'].input);
      const usage = { inputTokens: done.usage.inputTokens, outputTokens: done.usage.outputTokens, cachedInputTokens: done.usage.cachedInputTokens };
      expect(done.costMicroUsd).toBe(usageCostMicroUsd(price, usage));
      // The hold covered what Anthropic counted: the request's bound, tool and tool-use prompt included.
      const estimate = estimateRequestPromptTokens('anthropic', 'claude-sonnet-4-5', promptRequestOf({ kind: 'operator', instructions: 'Answer briefly.', input, outputSchema: schema }));
      expect(estimate.tokens).toBeGreaterThanOrEqual(done.usage.inputTokens);
      expect(done.estimateMicroUsd).toBeGreaterThanOrEqual(done.costMicroUsd);
    });

    it('maps Anthropic\'s errors onto the taxonomy: the account flips, runs fail fast with the mapped message', async () => {
      const broke = await account({ kind: 'anthropic', baseUrl: anthropic.url, apiKey: anthropicKey('credit'), verify: false, defaultModel: 'claude-haiku-4-5' });
      const op = await operator({ accountId: broke.id });
      const failed = await run(op.id, 'hello');
      expect(failed).toMatchObject({ status: 'failed', error: { code: 'insufficient_quota', message: "Insufficient quota — check the provider's billing" } });
      expect((await getAccount(broke.id)).status).toBe('quota_exhausted');
      expect(anthropic.requests.filter((r) => r.pathname === '/v1/messages')).toHaveLength(1);

      const invalid = await account({ kind: 'anthropic', baseUrl: anthropic.url, apiKey: anthropicKey('invalid') });
      expect(invalid).toMatchObject({ status: 'invalid_key', lastError: { code: 'invalid_api_key', message: 'Invalid API key — verify the full key was copied' } });
      // Anthropic's message (which echoes the key's tail) is never passed on.
      expect(JSON.stringify(invalid)).not.toContain('x-api-key');
    });

    it('waits out a rate limit with Anthropic\'s retry-after, then succeeds without spending an attempt', async () => {
      const acct = await account({ kind: 'anthropic', baseUrl: anthropic.url, apiKey: anthropicKey(), defaultModel: 'claude-haiku-4-5', verify: false });
      const op = await operator({ accountId: acct.id });
      anthropic.enqueue({ status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, headers: { 'retry-after': '1' } });
      const done = await run(op.id, 'hello after a wait');
      expect(done).toMatchObject({ status: 'succeeded', output: 'Fake reply to: hello after a wait' });
      expect(done.events.map((e: Json) => e.type)).toContain('waiting');
      expect(anthropic.requests.filter((r) => r.pathname === '/v1/messages').map((r) => r.status)).toEqual([429, 200]);
    });

    it('cost sync: an Admin API key reads Anthropic\'s daily costs and turns the matching day into Verified by Provider', async () => {
      const acct = await account({ kind: 'anthropic', baseUrl: anthropic.url, apiKey: anthropicKey(), defaultModel: 'claude-haiku-4-5' });
      const refused = await as(admin).put(`/api/v1/provider-accounts/${acct.id}/admin-key`, { adminKey: `sk-admin-${hex(20)}` });
      expect(refused.status).toBe(400);
      expect(refused.body.errors[0]).toEqual({ field: 'adminKey', message: 'must be an Anthropic Admin API key (it starts with sk-ant-admin) for Anthropic cost sync' });
      const adminKey = `sk-ant-admin01-${hex(20)}`;
      const set = await as(admin).put(`/api/v1/provider-accounts/${acct.id}/admin-key`, { adminKey });
      expect(set.status).toBe(200);
      expect(set.body.adminKey).toMatchObject({ hint: `sk-ant-admin…${adminKey.slice(-4)}`, shape: 'anthropic_admin' });

      const op = await operator({ accountId: acct.id });
      const done = await run(op.id, 'what did this cost?');
      // Cost sync is configured: the estimate waits for Anthropic's figure.
      expect(done).toMatchObject({ status: 'succeeded', costLabel: 'pending_sync' });
      // Anthropic reports cents as decimal text.
      anthropic.setCosts({ days: { [today()]: String(done.costMicroUsd / 10_000) } });
      const queued = await as(admin).post(`/api/v1/provider-accounts/${acct.id}/cost-sync`);
      expect(queued.status).toBe(202);
      await waitUntil(async () => (await getAccount(acct.id)).costSync?.lastSyncedDay === today(), 20_000, 'the cost sync of today');
      expect((await getAccount(acct.id)).costSync).toMatchObject({ enabled: true, status: 'matched', providerMicroUsd: done.costMicroUsd, vaultrunMicroUsd: done.costMicroUsd, driftMicroUsd: 0, lastError: null });
      expect((await as(member).get(`/api/v1/runs/${done.id}`)).body.costLabel).toBe('verified');
      expect(anthropic.costRequests().map((r) => r.key)).toEqual([adminKey]);
    });
  });

  describe('Azure OpenAI', () => {
    it('connects to a resource: its endpoint and api-version, verify lists the ready deployments and the x-ratelimit limits', async () => {
      const key = azureKey();
      const refused = await createAccount({ kind: 'azure-openai', apiKey: key });
      expect(refused.body.errors).toEqual([
        { field: 'baseUrl', message: 'is required for Azure OpenAI accounts: the resource endpoint, e.g. https://my-resource.openai.azure.com (Keys and Endpoint in the Azure portal)' },
      ]);
      const badVersion = await createAccount({ kind: 'azure-openai', baseUrl: azure.url, apiKey: key, apiVersion: 'latest' });
      expect(badVersion.body.errors).toEqual([{ field: 'apiVersion', message: 'must look like 2024-10-21 or 2025-04-01-preview' }]);

      const acct = await account({ kind: 'azure-openai', baseUrl: azure.url, apiKey: key, apiVersion: '2025-04-01-preview' });
      expect(acct).toMatchObject({
        kind: 'azure-openai',
        status: 'active',
        apiVersion: '2025-04-01-preview',
        models: ['gpt-4o-mini', 'prod-chat'],
        providerLimits: { requests: { limit: 60, remaining: 59 }, tokens: { limit: 10_000 } },
        costSync: null,
        costReporting: { mode: 'estimated_only', explanation: expect.stringContaining('Azure bills through your Azure subscription') },
        warnings: [],
      });
      expect(azure.requests[0]).toMatchObject({ pathname: '/openai/deployments', key, query: { 'api-version': '2022-12-01' } });
      // No cost report to read with a resource key: no admin key, no cost sync — and the console says why.
      expect((await as(admin).put(`/api/v1/provider-accounts/${acct.id}/admin-key`, { adminKey: `sk-admin-${hex(20)}` })).status).toBe(400);
      const sync = await as(admin).post(`/api/v1/provider-accounts/${acct.id}/cost-sync`);
      expect([sync.status, sync.body.code]).toEqual([400, 'cost_sync_unsupported']);

      const changed = await as(admin).patch(`/api/v1/provider-accounts/${acct.id}`, { apiVersion: null });
      expect([changed.status, changed.body.apiVersion]).toEqual([200, null]);
      expect((await as(admin).patch(`/api/v1/provider-accounts/${acct.id}`, { apiVersion: 'x' })).body.errors[0].field).toBe('apiVersion');
    });

    it('runs on a deployment with the account\'s api-version, priced from OpenAI\'s list when named after its model', async () => {
      const acct = await account({ kind: 'azure-openai', baseUrl: azure.url, apiKey: azureKey(), apiVersion: '2025-04-01-preview', defaultModel: 'gpt-4o-mini' });
      const op = await operator({ accountId: acct.id });
      const done = await run(op.id, 'hello Azure');
      expect(done).toMatchObject({ status: 'succeeded', output: 'Fake reply to: hello Azure', costLabel: 'estimated' });
      const call = azure.requests.find((r) => r.method === 'POST')!;
      expect(call.path).toBe('/openai/deployments/gpt-4o-mini/chat/completions?api-version=2025-04-01-preview');
      expect(done.costMicroUsd).toBe(usageCostMicroUsd(priceFor('openai', 'gpt-4o-mini')!.price, done.usage));

      // A deployment named otherwise has no price until the workspace sets one.
      const custom = await operator({ accountId: acct.id, model: 'prod-chat' });
      expect((await run(custom.id, 'hi')).costLabel).toBe('unavailable');
    });

    it('maps Azure\'s content filter and throttling', async () => {
      const filtered = await account({ kind: 'azure-openai', baseUrl: azure.url, apiKey: azureKey('filtered'), defaultModel: 'gpt-4o-mini', verify: false });
      const op = await operator({ accountId: filtered.id });
      const failed = await run(op.id, 'something the filter blocks');
      expect(failed).toMatchObject({ status: 'failed', error: { code: 'content_blocked', message: "The provider's safety filters blocked the request or its answer — rephrase the input" } });
      expect((await getAccount(filtered.id)).status).toBe('unverified');

      const throttled = await account({ kind: 'azure-openai', baseUrl: azure.url, apiKey: azureKey('ratelimit') });
      expect(throttled).toMatchObject({ status: 'rate_limited', lastError: { code: 'rate_limited' } });
      // retry-after-ms (1.5 s) wins over retry-after.
      expect(Date.parse(throttled.rateLimitedUntil) - Date.parse(throttled.lastCheckedAt)).toBe(1500);
    });
  });

  describe('Google Gemini', () => {
    it('connects with an API key: the models that can generate content, no rate-limit headers, costs stay estimated and the console says why', async () => {
      const key = geminiKey();
      const acct = await account({ kind: 'gemini', baseUrl: gemini.url, apiKey: key });
      expect(acct).toMatchObject({
        kind: 'gemini',
        status: 'active',
        models: ['gemini-2.5-flash', 'gemini-2.5-pro'],
        key: { hint: `AIza…${key.slice(-4)}`, shape: 'google' },
        providerLimits: null,
        costSync: null,
        costReporting: { mode: 'estimated_only', explanation: expect.stringContaining('Cloud Billing') },
      });
      expect(gemini.requests[0]!.headers['x-goog-api-key']).toBe(key);
      const wrong = await createAccount({ kind: 'gemini', baseUrl: gemini.url, apiKey: anthropicKey() });
      expect(wrong.body.errors[0].message).toMatch(/^looks like an Anthropic API key .* not a Google Gemini key \(AIza…\)/);
      const invalid = await account({ kind: 'gemini', baseUrl: gemini.url, apiKey: geminiKey('invalid') });
      expect(invalid).toMatchObject({ status: 'invalid_key', lastError: { code: 'invalid_api_key' } });
    });

    it('runs an operator (usage from usageMetadata, priced from the Gemini table) and maps a safety block to a clear error', async () => {
      const acct = await account({ kind: 'gemini', baseUrl: gemini.url, apiKey: geminiKey(), defaultModel: 'gemini-2.5-flash' });
      const op = await operator({ accountId: acct.id, temperature: 0.3 });
      const done = await run(op.id, 'hello Gemini');
      expect(done).toMatchObject({ status: 'succeeded', output: 'Fake reply to: hello Gemini', costLabel: 'estimated' });
      expect(done.costMicroUsd).toBe(usageCostMicroUsd(priceFor('gemini', 'gemini-2.5-flash')!.price, done.usage));
      expect(gemini.requests.find((r) => r.method === 'POST')!.body).toMatchObject({ systemInstruction: { parts: [{ text: 'Answer briefly.' }] }, generationConfig: { temperature: 0.3, maxOutputTokens: 100 } });

      const blocked = await account({ kind: 'gemini', baseUrl: gemini.url, apiKey: geminiKey('blocked'), defaultModel: 'gemini-2.5-flash', verify: false });
      const blockedOp = await operator({ accountId: blocked.id });
      const failed = await run(blockedOp.id, 'a prompt the filters block');
      expect(failed).toMatchObject({ status: 'failed', error: { code: 'content_blocked' } });
      // Not retried: one request.
      expect(gemini.requests.filter((r) => r.key === gemini.requests.at(-1)!.key && r.method === 'POST')).toHaveLength(1);
    });
  });

  describe('OpenAI-compatible presets', () => {
    it('a hosted preset fills in its base URL, needs a key, shows its name and how its costs are known', async () => {
      const missing = await createAccount({ kind: 'openai-compatible', preset: 'groq' });
      expect(missing.body.errors).toEqual([{ field: 'apiKey', message: 'is required for Groq (create one at https://console.groq.com/keys)' }]);
      const wrongKey = await createAccount({ kind: 'openai-compatible', preset: 'openrouter', apiKey: anthropicKey(), verify: false });
      expect(wrongKey.body.errors[0].message).toMatch(/not an OpenRouter key \(sk-or-…\)/);
      const router = await account({ kind: 'openai-compatible', preset: 'openrouter', apiKey: `sk-or-v1-${hex(16)}`, verify: false });
      expect(router).toMatchObject({ baseUrl: 'https://openrouter.ai/api/v1', preset: 'openrouter', costReporting: { mode: 'per_call' } });
      const deepseek = await account({ kind: 'openai-compatible', preset: 'deepseek', apiKey: `sk-${hex(16)}`, verify: false });
      expect(deepseek).toMatchObject({ baseUrl: 'https://api.deepseek.com/v1', preset: 'deepseek', costReporting: { mode: 'estimated_only' } });
      expect((await createAccount({ kind: 'anthropic', preset: 'groq', apiKey: anthropicKey() })).body.errors[0].field).toBe('preset');
    });

    it('a self-hosted preset may point anywhere and needs no key', async () => {
      const ollama = await account({ kind: 'openai-compatible', preset: 'ollama', baseUrl: `${anthropic.url}/v1`, verify: false });
      expect(ollama).toMatchObject({ kind: 'openai-compatible', preset: null, key: null, costReporting: { mode: 'estimated_only', explanation: expect.stringContaining('this server offers no cost report') } });
    });

    it('lists every shipped price table with its source and date', async () => {
      const prices = (await as(member).get('/api/v1/prices')).body;
      expect(prices.tables.map((t: Json) => t.id)).toEqual(['openai', 'anthropic', 'gemini', 'deepseek', 'groq', 'together', 'mistral']);
      const claude = prices.tables[1];
      expect(claude).toMatchObject({ title: 'Anthropic', asOf: ANTHROPIC_PRICE_TABLE.asOf, source: ANTHROPIC_PRICE_TABLE.source });
      expect(claude.models.find((m: Json) => m.model === 'claude-sonnet-4-5')).toMatchObject({
        inputMicroUsdPerM: 3_000_000,
        cacheWriteMicroUsdPerM: 3_750_000,
        longContext: { aboveInputTokens: 200_000, inputMicroUsdPerM: 6_000_000 },
      });
    });
  });

  describe('across providers', () => {
    it('compares the mock with an Anthropic account', async () => {
      const live = await account({ kind: 'anthropic', baseUrl: anthropic.url, apiKey: anthropicKey(), defaultModel: 'claude-haiku-4-5' });
      const op = await operator({});
      const input = `Summarise: the release slipped a week ${hex(3)}`;
      const res = await as(member).post('/api/v1/comparisons', { operatorId: op.id, input, liveAccountId: live.id });
      expect([res.status, res.body.detail]).toEqual([202, undefined]);
      let done: Json = {};
      await waitUntil(async () => (done = (await as(member).get(`/api/v1/comparisons/${res.body.id}`)).body).differences.bothFinished, 20_000, 'the comparison');
      expect(done.mock).toMatchObject({ accountKind: 'mock', status: 'succeeded' });
      expect(done.live).toMatchObject({ accountKind: 'anthropic', accountId: live.id, model: 'claude-haiku-4-5', status: 'succeeded', output: `Fake reply to: ${input}`, costLabel: 'estimated' });
      // The estimate check: Anthropic's prompt is held at the byte bound, never below what it counted.
      expect(done.live.estimate.promptTokensHeld).toBeGreaterThanOrEqual(done.live.usage.inputTokens);
      expect(done.live.estimate.chargedMicroUsd).toBe(usageCostMicroUsd(priceFor('anthropic', 'claude-haiku-4-5')!.price, done.live.usage));
      expect(done.live.estimate.worstCaseMicroUsd).toBeGreaterThanOrEqual(done.live.estimate.chargedMicroUsd);
    });

    it('runs a mission whose steps run on two providers, the second using the first one\'s output', async () => {
      const claude = await account({ kind: 'anthropic', baseUrl: anthropic.url, apiKey: anthropicKey(), defaultModel: 'claude-haiku-4-5' });
      const flash = await account({ kind: 'gemini', baseUrl: gemini.url, apiKey: geminiKey(), defaultModel: 'gemini-2.5-flash' });
      const researcher = await operator({ name: `Researcher-${hex(3)}`, accountId: claude.id });
      const writer = await operator({ name: `Writer-${hex(3)}`, accountId: flash.id });
      const created = await as(member).post('/api/v1/missions', { title: 'Two providers', goal: 'Research, then write' });
      expect(created.status).toBe(201);
      const missionId = created.body.id;
      // The workspace's Copilot is the mock: a scripted plan in the message is its answer.
      const plan = {
        title: 'Research with Claude, write with Gemini',
        failurePolicy: 'stop',
        steps: [
          { id: 'research', operator: researcher.name, input: 'Find three facts about tides', dependsOn: [] },
          { id: 'write', operator: writer.name, input: 'Write a note from: {{steps.research.output}}', dependsOn: ['research'] },
        ],
      };
      const sent = await as(member).post(`/api/v1/missions/${missionId}/messages`, { content: `Run this:\n\`\`\`plan\n${JSON.stringify(plan)}\n\`\`\`` });
      expect(sent.status).toBe(202);
      let mission: Json = {};
      await waitUntil(async () => (mission = (await as(member).get(`/api/v1/missions/${missionId}`)).body).plans.length > 0, 20_000, 'the plan');
      expect(mission.plans.at(-1).status).toBe('proposed');
      const approved = await as(member).post(`/api/v1/missions/${missionId}/plans/${mission.plans.at(-1).id}/approve`, {});
      expect([approved.status, approved.body.detail]).toEqual([202, undefined]);
      await waitUntil(async () => ['succeeded', 'failed'].includes((mission = (await as(member).get(`/api/v1/missions/${missionId}`)).body).currentRun?.run.status), 30_000, 'the mission');
      expect(mission.currentRun.run.status).toBe('succeeded');
      const steps = Object.fromEntries(mission.currentRun.steps.map((s: Json) => [s.stepId, s.run]));
      expect(steps.research).toMatchObject({ status: 'succeeded', accountId: claude.id, output: 'Fake reply to: Find three facts about tides' });
      expect(steps.write).toMatchObject({ status: 'succeeded', accountId: flash.id, output: 'Fake reply to: Write a note from: Fake reply to: Find three facts about tides' });
      expect(anthropic.requests.filter((r) => r.pathname === '/v1/messages')).toHaveLength(1);
      expect(gemini.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    });
  });
});
