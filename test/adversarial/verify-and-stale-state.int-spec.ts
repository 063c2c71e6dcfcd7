/**
 * Verification claims no success it has no evidence for (an empty or malformed model list), warns about a default
 * model the provider does not list, and no error or wait reason outlives the state it describes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { as } from '../support/api.js';
import { uniqueId } from '../support/env.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeResponse } from '../support/fake-openai.js';
import { eventually, waitForRun } from '../support/runs.js';
import { startStack, type Stack } from '../support/stack.js';

describe('verify and stale state', () => {
  let stack: Stack;
  let fake: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: ['gpt-4.1-mini', 'gpt-4o'] });
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const create = (body: object = {}) =>
    as(stack.admin).post('/api/v1/provider-accounts', { kind: 'openai', baseUrl: fake.url, name: `acct-${uniqueId()}`, apiKey: `sk-proj-test-${uniqueId()}`, defaultModel: 'gpt-4.1-mini', ...body });
  const account = async (id: string) => (await stack.admin.agent.get(`/api/v1/provider-accounts/${id}`)).body;
  const modelsAnswer = (answer: FakeResponse) => fake.respondWith((request) => (request.path === '/v1/models' ? answer : undefined));

  it('an empty model list is no success', async () => {
    modelsAnswer({ status: 200, body: { object: 'list', data: [] } });
    const created = await create();
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'unverified', lastVerifiedAt: null, lastError: { code: 'empty_model_list', message: expect.stringMatching(/listed no models/) } });
    const again = await as(stack.admin).post(`/api/v1/provider-accounts/${created.body.id}/verify`);
    expect(again.body).toMatchObject({ ok: false, error: { code: 'empty_model_list' }, account: { status: 'unverified' } });
    // A new key that lists nothing is not switched to either.
    const rotated = await as(stack.admin).post(`/api/v1/provider-accounts/${created.body.id}/rotate`, { apiKey: `sk-proj-test-${uniqueId()}` });
    expect(rotated.status).toBe(422);
    expect(rotated.body.code).toBe('empty_model_list');
    expect((await account(created.body.id)).key).toEqual(created.body.key);
  });

  it.each([
    ['no list at all', { object: 'list', data: 'gpt-4o' }],
    ['entries without an id', { object: 'list', data: [{ name: 'gpt-4o' }, { id: 'gpt-4.1-mini' }] }],
  ])('a malformed model list (%s) is no success', async (_case, body) => {
    modelsAnswer({ status: 200, body });
    const created = await create();
    expect(created.body).toMatchObject({ status: 'unverified', lastVerifiedAt: null, lastError: { code: 'malformed_model_list' } });
  });

  it('a default model the provider does not list: verified, with a warning on the account', async () => {
    const unlisted = await create({ defaultModel: 'gpt-imaginary' });
    expect(unlisted.body).toMatchObject({ status: 'active', lastError: null, models: ['gpt-4.1-mini', 'gpt-4o'] });
    expect(unlisted.body.warnings).toContainEqual({ code: 'default_model_not_listed', message: expect.stringContaining('"gpt-imaginary"') });
    const fixed = await as(stack.admin).patch(`/api/v1/provider-accounts/${unlisted.body.id}`, { defaultModel: 'gpt-4o' });
    expect(fixed.body.warnings.map((w: { code: string }) => w.code)).not.toContain('default_model_not_listed');
  });

  it('a rate limit’s error ends with its cooldown', async () => {
    const limited = await create({ apiKey: `sk-proj-test-ratelimit-${uniqueId()}` });
    expect(limited.body).toMatchObject({ status: 'rate_limited', lastError: { code: 'rate_limited' } });
    // The provider asked for 2 s: once they are over the account is active again, and says nothing about a rate limit.
    const after = await eventually(() => account(limited.body.id), (a) => a.status === 'active', 'the cooldown to end', 20_000);
    expect(after.lastError).toBeNull();
  });

  it('a successful run clears an error that described a passing state (the provider was unreachable)', async () => {
    modelsAnswer({ status: 503, body: { error: { message: 'overloaded', type: 'server_error', param: null, code: null } } });
    const created = await create();
    expect(created.body.lastError).toMatchObject({ code: 'provider_unavailable' });
    fake.respondWith(null);
    const op = (await as(stack.member).post('/api/v1/operators', { name: `op-${uniqueId()}`, accountId: created.body.id })).body;
    const run = (await as(stack.member).post('/api/v1/runs', { operatorId: op.id, input: 'prove it is reachable' })).body;
    expect((await waitForRun(stack.member.agent, run.id)).status).toBe('succeeded');
    expect((await account(created.body.id)).lastError).toBeNull();
  });

  it('a run’s wait reason is cleared when the wait is over, whether it then succeeds or fails', async () => {
    const created = (await create({ limits: { maxConcurrency: 1 } })).body;
    const op = (await as(stack.member).post('/api/v1/operators', { name: `op-${uniqueId()}`, accountId: created.id })).body;
    let releaseHolder!: () => void;
    const holding = new Promise<void>((resolve) => (releaseHolder = resolve));
    fake.respondWith(async (request) => {
      if (request.path === '/v1/chat/completions' && JSON.stringify(request.body).includes('holder')) await holding;
      return undefined;
    });
    const startRun = async (input: string) => (await as(stack.member).post('/api/v1/runs', { operatorId: op.id, input })).body.id as string;
    const waitingFor = (id: string) => eventually(async () => (await stack.member.agent.get(`/api/v1/runs/${id}`)).body, (r) => r.status === 'waiting', `run ${id} to wait`);

    // Waits for the slot, then succeeds: nothing about the wait is left on it.
    const holder = await startRun('holder 1');
    await fake.waitFor(() => fake.inFlight() === 1, 20_000);
    const patient = await startRun('patient');
    expect((await waitingFor(patient)).statusReason).toMatch(/free slot/);
    releaseHolder();
    expect(await waitForRun(stack.member.agent, holder)).toMatchObject({ status: 'succeeded' });
    expect(await waitForRun(stack.member.agent, patient)).toMatchObject({ status: 'succeeded', statusReason: null, nextAttemptAt: null });

    // Waits for the slot, then fails (its account was disabled meanwhile): the wait reason goes with the wait.
    let releaseSecond!: () => void;
    const second = new Promise<void>((resolve) => (releaseSecond = resolve));
    fake.respondWith(async (request) => {
      if (request.path === '/v1/chat/completions' && JSON.stringify(request.body).includes('holder 2')) await second;
      return undefined;
    });
    const holder2 = await startRun('holder 2');
    await fake.waitFor(() => fake.inFlight() === 1, 20_000);
    const unlucky = await startRun('unlucky');
    await waitingFor(unlucky);
    await as(stack.admin).patch(`/api/v1/provider-accounts/${created.id}`, { enabled: false });
    releaseSecond();
    expect(await waitForRun(stack.member.agent, holder2)).toMatchObject({ status: 'succeeded' });
    expect(await waitForRun(stack.member.agent, unlucky)).toMatchObject({ status: 'failed', error: { code: 'account_disabled' }, statusReason: null });
  });
});
