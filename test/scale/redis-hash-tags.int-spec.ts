/**
 * Redis Cluster runs a script only when all its keys hash to one slot. With a hash tag in VAULTRUN_REDIS_PREFIX
 * (`{vr}`), every script Vaultrun sends — the limiter's and BullMQ's — must name only keys under that tag. Checked
 * on the real commands ioredis sends to a real (single) Redis: Cluster itself is documented, not tested here.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { AccountLimiter, QUEUES } from '@vaultrun/engine';
import { FlowProducer, Queue } from 'bullmq';
import { type Command, Redis } from 'ioredis';
import { testEnv, uniqueId } from '../support/env.js';

/** The part of a key Redis Cluster hashes: the first non-empty `{…}`, else the whole key. */
function hashed(key: string): string {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/** A connection that records the keys of every script it runs (EVAL/EVALSHA: `script numkeys key…`). */
function recording(): { redis: Redis; scripts: { name: string; keys: string[] }[] } {
  const redis = new Redis(testEnv().redisUrl, { maxRetriesPerRequest: null });
  const scripts: { name: string; keys: string[] }[] = [];
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: Command, stream?: never) => {
    if (command.name === 'evalsha' || command.name === 'eval') {
      const [, numkeys, ...rest] = command.args.map((a) => (Buffer.isBuffer(a) ? a.toString() : String(a)));
      scripts.push({ name: command.name, keys: rest.slice(0, Number(numkeys)) });
    }
    return send(command, stream);
  }) as typeof redis.sendCommand;
  return { redis, scripts };
}

describe('a {hash tag} in VAULTRUN_REDIS_PREFIX keeps every script in one Cluster slot', () => {
  const tag = `vrtag-${uniqueId()}`;
  const prefix = `{${tag}}`;
  const { redis, scripts } = recording();
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.unlink(...keys);
    redis.disconnect();
  });

  function expectOneSlot() {
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) {
      expect(s.keys.length).toBeGreaterThan(0);
      // Every key is Vaultrun's (under the prefix) and hashes on the prefix's tag.
      expect(s.keys.filter((k) => !k.startsWith(prefix) || hashed(k) !== tag)).toEqual([]);
    }
  }

  it("the limiter's scripts (acquire, wait, release with wake-up, refresh, cooldown, leave, in flight)", async () => {
    const limiter = new AccountLimiter(redis, prefix, 10_000);
    const limits = { maxConcurrency: 1, requestsPerMinute: 100, tokensPerMinute: 100_000 };
    expect((await limiter.acquire('acct-1', 'run-1', limits, 10)).granted).toBe(true);
    expect(await limiter.acquire('acct-1', 'run-2', limits, 10)).toMatchObject({ granted: false, reason: 'concurrency' });
    await limiter.wait('acct-1', 'run-2');
    expect(await limiter.refresh('acct-1', 'run-1')).toBe(true);
    expect(await limiter.inFlight('acct-1')).toBe(1);
    expect(await limiter.release('acct-1', 'run-1', 5, null, 1)).toEqual(['run-2']);
    await limiter.leave('acct-1', 'run-2');
    await limiter.cooldown('acct-1', 1000);
    expect(new Set(scripts.map((s) => s.keys.length)).size).toBeGreaterThan(1);
    expectOneSlot();
  });

  it("BullMQ's scripts: adding, delaying and flowing jobs under `<prefix>:bull`", async () => {
    scripts.length = 0;
    const queue = new Queue(QUEUES.runs, { connection: redis, prefix: `${prefix}:bull` });
    const flows = new FlowProducer({ connection: redis, prefix: `${prefix}:bull` });
    await queue.add('execute-run', { runId: 'r1' }, { jobId: 'r1' });
    await queue.add('execute-run', { runId: 'r2' }, { jobId: 'r2', delay: 60_000 });
    await queue.addBulk([{ name: 'execute-run', data: { runId: 'r3' }, opts: { jobId: 'r3' } }]);
    await (await queue.getJob('r2'))!.promote();
    await queue.remove('r3');
    await flows.add({ name: 'mission', queueName: QUEUES.missions, data: {}, children: [{ name: 'execute-run', queueName: QUEUES.runs, data: { runId: 'r4' } }] });
    expect(await queue.getJobCounts('wait', 'waiting-children', 'delayed')).toMatchObject({ delayed: 0 });
    await flows.close();
    await queue.close();
    expectOneSlot();
  });
});
