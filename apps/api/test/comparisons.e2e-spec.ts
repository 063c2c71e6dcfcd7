/**
 * Mock-to-live comparisons: the same input on a mock account and on a live OpenAI account (the real `openai` SDK
 * against the fake server), both as ordinary runs through an in-process worker, linked, and shown side by side with
 * the estimate check (the worst case held before the call vs what the call was charged).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { countTokens, estimatePromptTokens, priceFor, usageCostMicroUsd } from '@vaultrun/providers';
import { messagesOf } from '@vaultrun/engine';
import { quoteRun } from '@vaultrun/money';
import { as, bearer, type SeededWorkspace, seedWorkspace, type Session, signIn, type TestApi } from '../../../test/support/api.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { waitForRun, waitUntil } from '../../../test/support/runs.js';
import { type Stack, startStack } from '../../../test/support/stack.js';
import supertest from 'supertest';

type Side = Record<string, any>;
type ComparisonBody = { id: string; mock: Side; live: Side; differences: Record<string, any>; operator: { id: string; name: string }; input: string; outputFormat: string };

const INSTRUCTIONS = 'Answer briefly.';
const hex = () => randomBytes(4).toString('hex');
/** The fake server's token count: the providers' model, shared with the mock (o200k_base, OpenAI's chat framing). */
const fakeTokens = countTokens;
const fakePromptTokens = (input: string) => estimatePromptTokens(messagesOf({ instructions: INSTRUCTIONS, input }));
const share = (charged: number, worst: number) => Math.round((charged / worst) * 10_000) / 10_000;

describe('comparisons', () => {
  let stack: Stack;
  let api: TestApi;
  let fake: FakeOpenAI;
  let ws: SeededWorkspace;
  let member: Session;
  let admin: Session;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: ['gpt-4.1-mini'] });
    stack = await startStack();
    ({ api, ws, member, admin } = stack);
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  const operator = async (body: object = {}) => {
    const res = await as(member).post('/api/v1/operators', { name: `op-${hex()}`, instructions: INSTRUCTIONS, maxOutputTokens: 200, ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string };
  };
  const account = async (body: object) => {
    const res = await as(admin).post('/api/v1/provider-accounts', { name: `acct-${hex()}`, verify: false, ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string };
  };
  const openaiAccount = (key = `sk-proj-test-${hex()}`, extra: object = {}) => account({ kind: 'openai', baseUrl: fake.url, apiKey: key, defaultModel: 'gpt-4.1-mini', ...extra });
  const compare = (body: object, s: Session = member, idempotencyKey?: string) => {
    const req = s.agent.post('/api/v1/comparisons').set('x-csrf-token', s.csrf);
    if (idempotencyKey) req.set('idempotency-key', idempotencyKey);
    return req.send(body);
  };
  const getComparison = async (id: string, s: Session = member) => (await as(s).get(`/api/v1/comparisons/${id}`)).body as ComparisonBody;
  async function finished(id: string): Promise<ComparisonBody> {
    let last: ComparisonBody | undefined;
    await waitUntil(async () => (last = await getComparison(id)).differences.bothFinished, 20_000, `comparison ${id} to finish`);
    return last!;
  }
  const comparisonRuns = async (operatorId: string) =>
    (await api.db.query(`SELECT id, status, account_id FROM runs WHERE operator_id = $1 AND kind = 'comparison' ORDER BY created_at`, [operatorId])) as { id: string; status: string; account_id: string }[];
  const comparisonRows = async (operatorId: string) => (await api.db.query(`SELECT * FROM comparisons WHERE operator_id = $1`, [operatorId])) as Record<string, string>[];
  const worstCase = (kind: string, model: string, input: string, maxOutputTokens = 200) =>
    quoteRun({ kind, model, overrides: {}, promptTokens: estimatePromptTokens(messagesOf({ instructions: INSTRUCTIONS, input })), maxOutputTokens }).worstCaseMicroUsd!;
  const charge = (kind: string, model: string, usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number }) => usageCostMicroUsd(priceFor(kind, model)!.price, usage);

  it('runs the input on the mock and on the live account as two linked comparison runs, and checks each estimate against its charge', async () => {
    const op = await operator();
    const live = await openaiAccount();
    const reporting = await account({ kind: 'mock', mock: { reportCost: true } });
    const input = `The export button does nothing on Safari ${hex()}.`;

    const res = await compare({ operatorId: op.id, input, liveAccountId: live.id, mockAccountId: reporting.id });
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/api/v1/comparisons/${res.body.id}`);
    expect(res.body).toMatchObject({
      operator: { id: op.id, name: op.name },
      input,
      outputFormat: 'text',
      // Either side may already have answered by the time the 202 is written: outputs and labels are checked below.
      mock: { accountId: reporting.id, accountName: reporting.name, accountKind: 'mock', model: 'mock-fast' },
      live: { accountId: live.id, accountName: live.name, accountKind: 'openai', model: 'gpt-4.1-mini' },
    });
    expect(['queued', 'running', 'succeeded']).toContain(res.body.mock.status);

    // Two ordinary runs of kind "comparison", linked by the comparison row.
    const [row] = await comparisonRows(op.id);
    expect(row).toMatchObject({ id: res.body.id, workspace_id: ws.id, input, mock_run_id: res.body.mock.runId, live_run_id: res.body.live.runId, created_by_type: 'user', created_by_id: ws.users.member.id });
    for (const runId of [res.body.mock.runId, res.body.live.runId]) {
      const run = await waitForRun(member.agent, runId);
      expect(run).toMatchObject({ kind: 'comparison', status: 'succeeded', operatorId: op.id, input, comparisonId: res.body.id });
    }

    const done = await finished(res.body.id);
    const promptTokensEstimated = estimatePromptTokens(messagesOf({ instructions: INSTRUCTIONS, input }));

    // The mock reports its own cost: Verified by Provider. Same tokenizer, so its prompt count is exact.
    const mock = done.mock;
    expect(mock).toMatchObject({ status: 'succeeded', costLabel: 'verified', schemaValid: null, outputJson: null, error: null });
    expect(mock.output).toContain('Mock reply from mock-fast');
    expect(mock.usage.inputTokens).toBe(promptTokensEstimated);
    const mockWorst = worstCase('mock', 'mock-fast', input);
    const mockCharged = charge('mock', 'mock-fast', mock.usage);
    expect(mock.costMicroUsd).toBe(mockCharged);
    expect(mock.estimate).toEqual({
      promptTokensEstimated,
      promptTokensHeld: promptTokensEstimated,
      promptTokensReported: promptTokensEstimated,
      maxOutputTokens: 200,
      worstCaseMicroUsd: mockWorst,
      chargedMicroUsd: mockCharged,
      chargedLabel: 'verified',
      differenceMicroUsd: mockCharged - mockWorst,
      chargedShareOfWorstCase: share(mockCharged, mockWorst),
    });

    // OpenAI reports tokens but no amount: tokens × the price table, Estimated by Vaultrun.
    const liveSide = done.live;
    const usage = { inputTokens: fakePromptTokens(input), outputTokens: fakeTokens(`Fake reply to: ${input}`), cachedInputTokens: 0 };
    expect(liveSide).toMatchObject({ status: 'succeeded', costLabel: 'estimated', output: `Fake reply to: ${input}`, schemaValid: null, error: null, usage });
    expect(liveSide.latencyMs).toEqual(expect.any(Number));
    const liveWorst = worstCase('openai', 'gpt-4.1-mini', input);
    const liveCharged = charge('openai', 'gpt-4.1-mini', usage);
    expect(liveCharged).toBeGreaterThan(0);
    expect(liveSide.estimate).toEqual({
      promptTokensEstimated,
      promptTokensHeld: Math.ceil(promptTokensEstimated * 1.1) + 16,
      promptTokensReported: usage.inputTokens,
      maxOutputTokens: 200,
      worstCaseMicroUsd: liveWorst,
      chargedMicroUsd: liveCharged,
      chargedLabel: 'estimated',
      differenceMicroUsd: liveCharged - liveWorst,
      chargedShareOfWorstCase: share(liveCharged, liveWorst),
    });
    expect(liveSide.estimate.differenceMicroUsd).toBeLessThan(0);
    // The worst case the worker held is the run's own estimate.
    expect((await as(member).get(`/api/v1/runs/${liveSide.runId}`)).body).toMatchObject({ estimateMicroUsd: liveWorst, costMicroUsd: liveCharged, costLabel: 'estimated' });

    expect(done.differences).toEqual({
      bothFinished: true,
      outputsEqual: false,
      schemaValidityEqual: null,
      inputTokensDelta: usage.inputTokens - mock.usage.inputTokens,
      outputTokensDelta: usage.outputTokens - mock.usage.outputTokens,
      costDeltaMicroUsd: liveCharged - mockCharged,
      latencyDeltaMs: liveSide.latencyMs - mock.latencyMs,
    });
    // The live side went through the real SDK with the operator's instructions and the same input.
    const calls = fake.requests.filter((r) => r.path.startsWith('/v1/chat/completions'));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toMatchObject({ model: 'gpt-4.1-mini', messages: [{ role: 'system', content: INSTRUCTIONS }, { role: 'user', content: input }] });

    // Listed newest first, with cursor paging.
    const second = await compare({ operatorId: op.id, input: `${input} again`, liveAccountId: live.id, liveModel: 'gpt-4o' });
    expect(second.status).toBe(202);
    expect(second.body.live.model).toBe('gpt-4o');
    const page1 = await as(member).get('/api/v1/comparisons?limit=1');
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((c: ComparisonBody) => c.id)).toEqual([second.body.id]);
    const page2 = await as(member).get(`/api/v1/comparisons?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items.map((c: ComparisonBody) => c.id)).toEqual([res.body.id]);
    await finished(second.body.id);
  });

  it('shows whether each side matched the JSON Schema, and a live output that did not, in words', async () => {
    const schema = { type: 'object', properties: { summary: { type: 'string' }, priority: { type: 'integer' } }, required: ['summary', 'priority'], additionalProperties: false };
    const op = await operator({ outputFormat: 'json_schema', outputSchema: schema });
    const live = await openaiAccount();

    // Without mockAccountId: the workspace's oldest mock account (it does not report costs: estimated).
    const valid = await compare({ operatorId: op.id, input: 'Ticket: login loops', liveAccountId: live.id });
    expect(valid.status).toBe(202);
    expect(valid.body).toMatchObject({ outputFormat: 'json_schema', mock: { accountId: ws.mockAccountId } });
    const ok = await finished(valid.body.id);
    expect(ok.mock).toMatchObject({ status: 'succeeded', schemaValid: true, outputJson: { summary: expect.any(String), priority: expect.any(Number) }, costLabel: 'estimated' });
    expect(ok.live).toMatchObject({ status: 'succeeded', schemaValid: true, outputJson: { summary: 'fake', priority: 1 }, costLabel: 'estimated' });
    expect(ok.differences).toMatchObject({ schemaValidityEqual: true });

    fake.respondWith((req) =>
      req.path.startsWith('/v1/chat')
        ? {
            status: 200,
            body: { id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4.1-mini', choices: [{ index: 0, message: { role: 'assistant', content: '{"summary": 42}' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } },
          }
        : undefined,
    );
    const invalid = await compare({ operatorId: op.id, input: 'Ticket: blank invoice', liveAccountId: live.id });
    expect(invalid.status).toBe(202);
    const bad = await finished(invalid.body.id);
    expect(bad.mock).toMatchObject({ status: 'succeeded', schemaValid: true });
    expect(bad.live).toMatchObject({
      status: 'failed',
      schemaValid: false,
      output: '{"summary": 42}',
      outputJson: null,
      error: { code: 'invalid_output', message: 'Output did not match the schema' },
      usage: { inputTokens: 5, outputTokens: 3 },
      // The call was answered and is paid for, whatever its output.
      costLabel: 'estimated',
      costMicroUsd: charge('openai', 'gpt-4.1-mini', { inputTokens: 5, outputTokens: 3, cachedInputTokens: 0 }),
    });
    expect(bad.live.estimate.chargedShareOfWorstCase).toBeGreaterThan(0);
    expect(bad.differences).toMatchObject({ bothFinished: true, outputsEqual: false, schemaValidityEqual: false });
  });

  it('shows a live provider error in words; an account the provider refused is refused before anything is queued', async () => {
    const op = await operator();
    const live = await openaiAccount(`sk-proj-invalid-${hex()}`);
    const res = await compare({ operatorId: op.id, input: 'Hello', liveAccountId: live.id });
    expect(res.status).toBe(202);
    const done = await finished(res.body.id);
    expect(done.mock).toMatchObject({ status: 'succeeded', error: null });
    expect(done.live).toMatchObject({
      status: 'failed',
      output: null,
      schemaValid: null,
      usage: null,
      costMicroUsd: null,
      costLabel: null,
      error: { code: 'invalid_api_key', message: 'Invalid API key — verify the full key was copied' },
    });
    // The worst case was priced when the worker claimed the run; the provider refused, so nothing was charged.
    expect(done.live.estimate).toMatchObject({ worstCaseMicroUsd: worstCase('openai', 'gpt-4.1-mini', 'Hello'), chargedMicroUsd: null, differenceMicroUsd: null, chargedShareOfWorstCase: null });
    expect(done.differences).toMatchObject({ bothFinished: true, outputsEqual: null, costDeltaMicroUsd: null });

    // The account is now marked invalid_key: a new comparison on it is refused at once, and no mock run is queued.
    const before = (await comparisonRuns(op.id)).length;
    const again = await compare({ operatorId: op.id, input: 'Hello', liveAccountId: live.id });
    expect([again.status, again.body.code]).toEqual([409, 'invalid_api_key']);
    expect(again.body.detail).toContain(live.name);
    expect((await comparisonRuns(op.id)).length).toBe(before);
    expect(await comparisonRows(op.id)).toHaveLength(1);
  });

  it('cancels the mock run when the live run is refused after it was queued (a budget), and answers why', async () => {
    const op = await operator();
    const live = await openaiAccount();
    // A slow mock, so the cancel surely finds its run unfinished.
    const slowMock = await account({ kind: 'mock', mock: { latencyMs: 5000 } });
    const budget = await as(admin).post('/api/v1/budgets', { name: `Live account ${hex()}`, scope: { type: 'account', id: live.id }, period: 'month', capMicroUsd: 1 });
    expect(budget.status).toBe(201);

    const res = await compare({ operatorId: op.id, input: 'Hello', liveAccountId: live.id, mockAccountId: slowMock.id });
    expect(res.status).toBe(402);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ code: 'budget_exhausted', side: 'live', budgetId: budget.body.id, worstCaseMicroUsd: worstCase('openai', 'gpt-4.1-mini', 'Hello') });
    expect(res.body.detail).toMatch(/^The live run was refused: Budget ".+" has no headroom/);
    expect(res.body.detail).toContain('The mock run was cancelled');
    const runs = await comparisonRuns(op.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.account_id).toBe(slowMock.id);
    expect((await waitForRun(member.agent, runs[0]!.id)).status).toBe('cancelled');
    expect(await comparisonRows(op.id)).toHaveLength(0);
    await as(admin).delete(`/api/v1/budgets/${budget.body.id}`);

    // Refused with an Idempotency-Key, the key stays unused: the retry starts both runs afresh (not the cancelled one).
    const key = `cmp-${hex()}`;
    const budget2 = await as(admin).post('/api/v1/budgets', { name: `Live account ${hex()}`, scope: { type: 'account', id: live.id }, period: 'month', capMicroUsd: 1 });
    const body = { operatorId: op.id, input: 'Hello again', liveAccountId: live.id, mockAccountId: slowMock.id };
    expect((await compare(body, member, key)).status).toBe(402);
    await as(admin).delete(`/api/v1/budgets/${budget2.body.id}`);
    const retried = await compare(body, member, key);
    expect(retried.status).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    const after = await comparisonRuns(op.id);
    expect(after.map((r) => r.status).slice(0, 2)).toEqual(['cancelled', 'cancelled']);
    expect(after.slice(2).map((r) => r.id)).toEqual([retried.body.mock.runId, retried.body.live.runId]);
    expect(after[2]!.status).not.toBe('cancelled');
  });

  it('takes an Idempotency-Key: the same request again (or at the same time) answers the same comparison and starts nothing more', async () => {
    const op = await operator();
    const live = await openaiAccount();
    const body = { operatorId: op.id, input: `Once only ${hex()}`, liveAccountId: live.id };
    const key = `cmp-${hex()}`;
    // Two at once with the same key: one comparison, two runs — whichever request won, both answer it.
    const [a, b] = await Promise.all([compare(body, member, key), compare(body, member, key)]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.id).toBe(a.body.id);
    expect(b.body.mock.runId).toBe(a.body.mock.runId);
    // Sent again later: the same comparison, marked as a replay.
    const again = await compare(body, member, key);
    expect([again.status, again.body.id, again.headers['idempotent-replayed']]).toEqual([202, a.body.id, 'true']);
    expect(await comparisonRows(op.id)).toHaveLength(1);
    expect(await comparisonRuns(op.id)).toHaveLength(2);
    // The same key with another request is a conflict; a malformed key is a 400 naming the header.
    const other = await compare({ ...body, input: 'Something else' }, member, key);
    expect([other.status, other.body.code, other.body.comparisonId]).toEqual([409, 'idempotency_key_reused', a.body.id]);
    const bad = await compare(body, member, 'not a key!');
    expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'Idempotency-Key']);
    expect(await comparisonRuns(op.id)).toHaveLength(2);
    await finished(a.body.id);
  });

  it('answers 400 naming the field for bad input, never a 500', async () => {
    const op = await operator();
    const live = await openaiAccount();
    const other = await seedWorkspace(api.db);
    const otherOwner = await signIn(api.url, other.users.owner);
    const foreign = await as(otherOwner).post('/api/v1/provider-accounts', { name: 'theirs', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-theirs', verify: false });
    const base = { operatorId: op.id, input: 'Hello', liveAccountId: live.id };
    const cases: [object, string][] = [
      [{ input: 'Hello', liveAccountId: live.id }, 'operatorId'],
      [{ ...base, operatorId: 'op-1' }, 'operatorId'],
      [{ ...base, operatorId: '00000000-0000-4000-8000-000000000000' }, 'operatorId'],
      [{ ...base, input: '' }, 'input'],
      [{ ...base, input: '   \n ' }, 'input'],
      [{ ...base, input: 42 }, 'input'],
      [{ operatorId: op.id, input: 'Hello' }, 'liveAccountId'],
      [{ ...base, liveAccountId: ws.mockAccountId }, 'liveAccountId'],
      [{ ...base, liveAccountId: '00000000-0000-4000-8000-000000000000' }, 'liveAccountId'],
      [{ ...base, liveAccountId: foreign.body.id }, 'liveAccountId'],
      [{ ...base, mockAccountId: live.id }, 'mockAccountId'],
      [{ ...base, mockAccountId: 'mock' }, 'mockAccountId'],
      [{ ...base, liveModel: '' }, 'liveModel'],
      [{ ...base, accountId: live.id }, 'accountId'],
    ];
    for (const [body, field] of cases) {
      const res = await compare(body);
      expect([JSON.stringify(body), res.status, res.body.code]).toEqual([JSON.stringify(body), 400, 'validation_failed']);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await as(member).get('/api/v1/comparisons/not-a-uuid')).body.errors).toEqual([{ field: 'comparisonId', message: 'must be a UUID' }]);
    expect((await as(member).get('/api/v1/comparisons?cursor=garbage')).status).toBe(400);
    expect((await as(member).get('/api/v1/comparisons?limit=0')).status).toBe(400);
    expect((await as(member).get('/api/v1/comparisons/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect(await comparisonRuns(op.id)).toHaveLength(0);
    // Another mock account may stand in for the live side (to try comparisons without a key).
    const standIn = await as(admin).post('/api/v1/provider-accounts', { name: `Mock that reports cost ${hex()}`, kind: 'mock', mock: { reportCost: true } });
    const tried = await compare({ ...base, liveAccountId: standIn.body.id });
    expect([tried.status, tried.body.live?.accountId, tried.body.mock?.accountId]).toEqual([202, standIn.body.id, ws.mockAccountId]);
  });

  it('is workspace-scoped and follows the permission matrix: viewers read, only runs:create starts one', async () => {
    const op = await operator();
    const live = await openaiAccount();
    const created = await compare({ operatorId: op.id, input: `Mine ${hex()}`, liveAccountId: live.id });
    expect(created.status).toBe(202);
    await finished(created.body.id);

    // Another workspace cannot read, list or use anything of this one.
    const other = await seedWorkspace(api.db);
    const stranger = await signIn(api.url, other.users.owner);
    const foreignGet = await as(stranger).get(`/api/v1/comparisons/${created.body.id}`);
    expect([foreignGet.status, foreignGet.body.code]).toEqual([404, 'not_found']);
    const foreignList = await as(stranger).get('/api/v1/comparisons');
    expect(foreignList.status).toBe(200);
    expect(JSON.stringify(foreignList.body)).not.toContain(created.body.id);
    const foreignUse = await as(stranger).post('/api/v1/comparisons', { operatorId: op.id, input: 'x', liveAccountId: live.id });
    expect([foreignUse.status, foreignUse.body.errors?.[0]?.field]).toEqual([400, 'operatorId']);

    // A viewer (and a read-only token) reads but cannot start one; a run-scoped token can.
    const viewer = await signIn(api.url, ws.users.viewer);
    const refused = await as(viewer).post('/api/v1/comparisons', { operatorId: op.id, input: 'x', liveAccountId: live.id });
    expect([refused.status, refused.body.code, refused.body.permission]).toEqual([403, 'forbidden', 'runs:create']);
    expect((await as(viewer).get(`/api/v1/comparisons/${created.body.id}`)).body.id).toBe(created.body.id);
    const readToken = (await as(admin).post('/api/v1/tokens', { name: `read-${hex()}`, scopes: ['read'] })).body.token;
    expect((await bearer(api.url, readToken).post('/api/v1/comparisons', { operatorId: op.id, input: 'x', liveAccountId: live.id })).status).toBe(403);
    const runToken = (await as(admin).post('/api/v1/tokens', { name: `run-${hex()}`, scopes: ['run'] })).body.token;
    const byToken = await bearer(api.url, runToken).post('/api/v1/comparisons', { operatorId: op.id, input: 'x', liveAccountId: live.id });
    expect(byToken.status).toBe(202);
    expect((await comparisonRows(op.id)).find((r) => r.id === byToken.body.id)).toMatchObject({ created_by_type: 'token' });
    expect((await supertest(api.url).get('/api/v1/comparisons')).status).toBe(401);
    await finished(byToken.body.id);

    // A restricted live account: to people not allowed to see it, the comparison does not exist.
    const restricted = await openaiAccount(undefined, { visibility: 'restricted', allowedUserIds: [ws.users.member.id] });
    const onRestricted = await compare({ operatorId: op.id, input: 'Secret plans', liveAccountId: restricted.id });
    expect(onRestricted.status).toBe(202);
    expect(onRestricted.body.live).toMatchObject({ accountName: restricted.name, accountKind: 'openai' });
    const seenByViewer = await as(viewer).get(`/api/v1/comparisons/${onRestricted.body.id}`);
    expect([seenByViewer.status, seenByViewer.body.code]).toEqual([404, 'not_found']);
    const listed = await as(viewer).get('/api/v1/comparisons');
    expect(listed.body.items.map((c: { id: string }) => c.id)).not.toContain(onRestricted.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(restricted.name);
    await finished(onRestricted.body.id);
  });
});
