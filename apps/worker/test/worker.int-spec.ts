import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { getQueueToken } from '@nestjs/bullmq';
import { getDataSourceToken } from '@nestjs/typeorm';
import { assertJobHandlers, JOB_NAMES, QUEUES } from '@vaultrun/engine';
import { Queue, QueueEvents } from 'bullmq';
import type { DataSource } from 'typeorm';
import { as, seedWorkspace, signIn, startTestApi } from '../../../test/support/api.js';
import { startFakeOpenAI } from '../../../test/support/fake-openai.js';
import { instancePrefix, testEnv } from '../../../test/support/env.js';
import { scratchDatabase } from '../../../test/support/scratch-db.js';
import { startTestWorker } from '../../../test/support/worker.js';
import { MaintenanceProcessor } from '../src/processors/maintenance.processor.js';
import { MissionsProcessor } from '../src/processors/missions.processor.js';
import { NotificationsProcessor } from '../src/processors/notifications.processor.js';
import { RunsProcessor } from '../src/processors/runs.processor.js';
import { VaultProcessor } from '../src/processors/vault.processor.js';
import type { RunningWorker } from '../src/worker.js';

describe('worker', () => {
  let worker: RunningWorker;
  let db: DataSource;
  let prefix: string;

  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;

  beforeAll(async () => {
    // A database of its own: the worker's reconciler adopts every unfinished run of its database.
    scratch = await scratchDatabase();
    prefix = instancePrefix();
    worker = await startTestWorker({ VAULTRUN_REDIS_PREFIX: prefix, DATABASE_URL: scratch.url });
    db = worker.app.get<DataSource>(getDataSourceToken());
  });
  afterAll(async () => {
    await worker.stop();
    await scratch.drop();
  });

  it('answers health and readiness', async () => {
    expect((await fetch(`http://127.0.0.1:${worker.healthPort}/health`)).status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${worker.healthPort}/ready`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', masterKey: 'ok' } });
  });

  it('schedules the session purge, and the purge removes expired sessions only', async () => {
    const queue = new Queue(QUEUES.maintenance, { connection: { url: testEnv().redisUrl }, prefix: `${prefix}:bull` });
    const events = new QueueEvents(QUEUES.maintenance, { connection: { url: testEnv().redisUrl }, prefix: `${prefix}:bull` });
    try {
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => s.key)).toContain('purge-expired-sessions');

      const ws = await seedWorkspace(db);
      const insert = (hash: string, expires: string) =>
        db.query(
          `INSERT INTO sessions (token_hash, user_id, workspace_id, csrf_token, last_seen_at, expires_at) VALUES ($1, $2, $3, 'c', now(), now() + $4::interval)`,
          [hash, ws.users.owner.id, ws.id, expires],
        );
      await insert(`expired-${ws.id}`, '-1 hour');
      await insert(`live-${ws.id}`, '1 hour');

      await events.waitUntilReady();
      const job = await queue.add('purge-expired-sessions', {});
      const result = (await job.waitUntilFinished(events, 15_000)) as { sessions: number };
      expect(result.sessions).toBeGreaterThanOrEqual(1);
      const left = await db.query(`SELECT token_hash FROM sessions WHERE user_id = $1 ORDER BY token_hash`, [ws.users.owner.id]);
      expect(left).toEqual([{ token_hash: `live-${ws.id}` }]);
    } finally {
      await events.close();
      await queue.close();
    }
  });

  it('re-verifies active accounts on schedule: a key the provider now refuses flips the account, and it is audited', async () => {
    const fake = await startFakeOpenAI();
    const queue = new Queue(QUEUES.vault, { connection: { url: testEnv().redisUrl }, prefix: `${prefix}:bull` });
    const events = new QueueEvents(QUEUES.vault, { connection: { url: testEnv().redisUrl }, prefix: `${prefix}:bull` });
    const api = await startTestApi({ DATABASE_URL: scratch.url });
    try {
      expect((await queue.getJobSchedulers()).map((s) => s.key)).toContain('reverify-provider-accounts');
      const ws = await seedWorkspace(db);
      const owner = await signIn(api.url, ws.users.owner);
      const good = await as(owner).post('/api/v1/provider-accounts', { name: 'good', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-test-good' });
      // A key that worked, then was revoked at the provider ("invalid" makes the fake answer 401 from now on).
      const revoked = await as(owner).post('/api/v1/provider-accounts', { name: 'revoked', kind: 'openai', baseUrl: fake.url, apiKey: 'sk-proj-test-invalid', verify: false });
      await db.query(`UPDATE provider_accounts SET status = 'active', last_checked_at = now() - interval '2 days' WHERE id = ANY($1)`, [[good.body.id, revoked.body.id]]);
      fake.reset();

      await events.waitUntilReady();
      const job = await queue.add('reverify-provider-accounts', {});
      await job.waitUntilFinished(events, 30_000);

      const rows = await db.query(`SELECT id, status, last_error_code FROM provider_accounts WHERE id = ANY($1) ORDER BY name`, [[good.body.id, revoked.body.id]]);
      expect(rows).toEqual([
        { id: good.body.id, status: 'active', last_error_code: null },
        { id: revoked.body.id, status: 'invalid_key', last_error_code: 'invalid_api_key' },
      ]);
      expect(fake.requests.map((r) => r.key).sort()).toEqual(['sk-proj-test-good', 'sk-proj-test-invalid']);
      const audit = await db.query(`SELECT actor_type, actor_label, outcome FROM audit_events WHERE target_id = $1 AND action = 'vault.account.verify' ORDER BY created_at DESC LIMIT 1`, [revoked.body.id]);
      expect(audit).toEqual([{ actor_type: 'system', actor_label: 'scheduled re-verification', outcome: 'failure' }]);
    } finally {
      await api.close();
      await events.close();
      await queue.close();
      await fake.close();
    }
  });

  it('every queue’s worker and queue handle its "error" events (a lost lock after a Redis flush is a log line, not an unhandled error)', () => {
    const processors = [MaintenanceProcessor, MissionsProcessor, NotificationsProcessor, RunsProcessor, VaultProcessor].map((type) => worker.app.get(type));
    expect(processors.map((p) => p.worker.name).sort()).toEqual(Object.values(QUEUES).sort());
    // BullMQ logs an 'error' nobody listens to with console.error (Node would otherwise throw it).
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      for (const p of processors) {
        expect(p.worker.listenerCount('error')).toBeGreaterThan(0);
        p.worker.emit('error', new Error('could not renew lock for job test'));
      }
      // …and so do the worker's queue handles (schedulers, queue depth, wake-ups).
      for (const name of Object.values(QUEUES)) {
        const queue = worker.app.get<Queue>(getQueueToken(name), { strict: false });
        expect(queue.listenerCount('error')).toBeGreaterThan(0);
        queue.emit('error', new Error('Connection is closed.'));
      }
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
    }
  });

  it('gives each worker its own runs-processor options, even two workers built together in one process', async () => {
    const start = (leaseMs: number, concurrency: number) =>
      startTestWorker({ VAULTRUN_REDIS_PREFIX: instancePrefix(), DATABASE_URL: scratch.url, VAULTRUN_RUN_LEASE_MS: String(leaseMs), VAULTRUN_RUNS_CONCURRENCY: String(concurrency) });
    const [a, b] = await Promise.all([start(7_000, 3), start(9_000, 5)]);
    try {
      const options = (w: RunningWorker) => {
        const { concurrency, lockDuration, stalledInterval } = w.app.get(RunsProcessor).worker.opts;
        return { concurrency, lockDuration, stalledInterval };
      };
      expect([options(a), options(b)]).toEqual([
        { concurrency: 3, lockDuration: 7_000, stalledInterval: 7_000 },
        { concurrency: 5, lockDuration: 9_000, stalledInterval: 9_000 },
      ]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('has exactly one handler per job name (the boot check passed, and it rejects bad sets)', () => {
    expect(() => assertJobHandlers(JOB_NAMES)).not.toThrow();
    expect(() => assertJobHandlers([])).toThrow(/has 0 handlers/);
    expect(() => assertJobHandlers([...JOB_NAMES, ...JOB_NAMES])).toThrow(/has 2 handlers/);
  });
});
