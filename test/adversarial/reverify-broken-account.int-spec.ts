/**
 * Scheduled re-verification survives one broken account: an account whose stored key can no longer be decrypted
 * is marked (unverified, `secret_unreadable`, audited), and every other due account is still checked.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QUEUES } from '@vaultrun/engine';
import { Queue, QueueEvents } from 'bullmq';
import { as } from '../support/api.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { type Stack, startStack } from '../support/stack.js';

describe('scheduled re-verification with a broken account', () => {
  let stack: Stack;
  let fake: FakeOpenAI;
  let queue: Queue;
  let events: QueueEvents;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    stack = await startStack();
    const connection = { url: stack.api.config.redisUrl };
    queue = new Queue(QUEUES.vault, { connection, prefix: `${stack.api.config.redisPrefix}:bull` });
    events = new QueueEvents(QUEUES.vault, { connection, prefix: `${stack.api.config.redisPrefix}:bull` });
    await events.waitUntilReady();
  });
  afterAll(async () => {
    await events.close();
    await queue.close();
    await stack.close();
    await fake.close();
  });

  it('marks the account whose key cannot be decrypted and still checks the others', async () => {
    const create = async (name: string) =>
      (await as(stack.admin).post('/api/v1/provider-accounts', { name, kind: 'openai', baseUrl: fake.url, apiKey: `sk-proj-test-${name}`, defaultModel: 'gpt-4.1-mini' })).body as { id: string };
    const broken = await create('broken-cipher');
    const first = await create('healthy-one');
    const second = await create('healthy-two');
    // All due; the broken one first in line (the job checks the longest-unchecked first).
    await stack.api.db.query(
      `UPDATE provider_accounts SET status = 'active', last_checked_at = now() - interval '3 days' + (CASE id WHEN $1::uuid THEN 0 WHEN $2::uuid THEN 1 ELSE 2 END) * interval '1 hour'
        WHERE id = ANY($3::uuid[])`,
      [broken.id, first.id, [broken.id, first.id, second.id]],
    );
    // Its ciphertext is damaged (same format, other bytes): authenticated decryption must refuse it.
    await stack.api.db.query(
      `UPDATE provider_secrets SET ciphertext = split_part(ciphertext, '.', 1) || '.' || split_part(ciphertext, '.', 2) || '.' || translate(split_part(ciphertext, '.', 3), 'ABCDEFGHabcdefgh', 'BCDEFGHAbcdefgha')
        WHERE account_id = $1 AND purpose = 'api_key'`,
      [broken.id],
    );
    fake.reset();

    const job = await queue.add('reverify-provider-accounts', {});
    expect(await job.waitUntilFinished(events, 60_000)).toEqual({ checked: 3, failed: 1 });

    const rows: { id: string; status: string; last_error_code: string | null; last_checked_at: Date }[] = await stack.api.db.query(
      `SELECT id, status, last_error_code, last_checked_at FROM provider_accounts WHERE id = ANY($1)`,
      [[broken.id, first.id, second.id]],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(broken.id)).toMatchObject({ status: 'unverified', last_error_code: 'secret_unreadable' });
    // Every one was checked now (its last check moved from days ago to today), the broken one included.
    for (const id of [broken.id, first.id, second.id]) expect(byId.get(id)!.last_checked_at.getTime()).toBeGreaterThan(Date.now() - 24 * 3600_000);
    for (const id of [first.id, second.id]) expect(byId.get(id)).toMatchObject({ status: 'active', last_error_code: null });
    // The healthy ones were asked for their models; the broken one never reached the provider.
    expect(fake.requests.map((r) => r.key).sort()).toEqual(['sk-proj-test-healthy-one', 'sk-proj-test-healthy-two']);

    const shown = (await stack.admin.agent.get(`/api/v1/provider-accounts/${broken.id}`)).body;
    expect(shown.lastError).toEqual({ code: 'secret_unreadable', message: expect.stringMatching(/cannot be decrypted.*rotate the key/) });
    const [audit] = await stack.api.db.query(`SELECT outcome, metadata FROM audit_events WHERE target_id = $1 AND action = 'vault.account.verify' ORDER BY created_at DESC LIMIT 1`, [broken.id]);
    expect(audit).toMatchObject({ outcome: 'failure', metadata: { code: 'secret_unreadable', status: 'unverified' } });
  });
});
