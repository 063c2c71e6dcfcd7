/**
 * The per-account limiter, driven directly against Redis (a key prefix of this test's own): a woken waiter keeps
 * its place — no newcomer overtakes it between the release that woke it and its return —, a worker that lost a run
 * never frees the slot of the worker that took it over, and every comparison uses Redis's clock.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AccountLimiter } from '@vaultrun/engine';
import { Redis } from 'ioredis';
import { instancePrefix, testEnv } from '../support/env.js';

describe('account limiter fairness', () => {
  let redis: Redis;
  let limiter: AccountLimiter;
  const one = { maxConcurrency: 1, requestsPerMinute: null, tokensPerMinute: null };

  beforeAll(() => {
    redis = new Redis(testEnv().redisUrl);
    limiter = new AccountLimiter(redis, instancePrefix(), 30_000);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('a newcomer arriving when the slot frees does not overtake the woken waiter; the waiter gets the slot', async () => {
    const account = randomUUID();
    expect((await limiter.acquire(account, 'running', one, 10, 'worker-1')).granted).toBe(true);
    const denied = await limiter.acquire(account, 'waiter', one, 10, 'worker-2');
    expect(denied).toMatchObject({ granted: false, reason: 'concurrency', position: 0 });

    // The slot frees: the waiter is woken…
    expect(await limiter.release(account, 'running', 0, null, 1, 'worker-1')).toEqual(['waiter']);
    // …but before it is back, a newcomer asks. It must wait behind the waiter, not take the slot.
    const newcomer = await limiter.acquire(account, 'newcomer', one, 10, 'worker-3');
    expect(newcomer).toMatchObject({ granted: false, reason: 'concurrency' });
    expect(await limiter.inFlight(account)).toBe(0);

    expect((await limiter.acquire(account, 'waiter', one, 10, 'worker-2')).granted).toBe(true);
    // The newcomer is next in line, and is the one the next release wakes.
    expect(await limiter.release(account, 'waiter', 0, null, 1, 'worker-2')).toEqual(['newcomer']);
    expect((await limiter.acquire(account, 'newcomer', one, 10, 'worker-3')).granted).toBe(true);
  });

  it('a woken waiter keeps its place in line even when it could not take the slot yet', async () => {
    const account = randomUUID();
    await limiter.acquire(account, 'first', one, 10, 'w');
    await limiter.acquire(account, 'a', one, 10, 'w');
    await limiter.acquire(account, 'b', one, 10, 'w');
    expect(await limiter.release(account, 'first', 0, null, 1, 'w')).toEqual(['a']);
    // Its wake-up could not be delivered (the job was not delayed yet): it gives up the reservation, not its place.
    await limiter.wait(account, 'a');
    const late = await limiter.acquire(account, 'late', one, 10, 'w');
    expect(late.granted).toBe(true); // the slot does not sit idle for a run that is not coming yet
    const again = await limiter.acquire(account, 'a', one, 10, 'w');
    expect(again).toMatchObject({ granted: false, position: 0 });
    expect(await limiter.release(account, 'late', 0, null, 1, 'w')).toEqual(['a']);
  });

  it('a woken run whose job is gone leaves the line, and the slot kept for it passes to the next waiter', async () => {
    const account = randomUUID();
    await limiter.acquire(account, 'holder', one, 10, 'w');
    await limiter.acquire(account, 'gone', one, 10, 'w');
    await limiter.acquire(account, 'next', one, 10, 'w');
    expect(await limiter.release(account, 'holder', 0, null, 1, 'w')).toEqual(['gone']);
    expect(await limiter.leave(account, 'gone')).toEqual(['next']);
    expect((await limiter.acquire(account, 'newcomer', one, 10, 'w')).granted).toBe(false);
    expect((await limiter.acquire(account, 'next', one, 10, 'w')).granted).toBe(true);
  });

  it('a worker that lost a run releases its own slot only, never the one the run holds under its new worker', async () => {
    const account = randomUUID();
    const two = { ...one, maxConcurrency: 2 };
    expect((await limiter.acquire(account, 'run', two, 10, 'loser')).granted).toBe(true);
    expect((await limiter.acquire(account, 'run', two, 10, 'taker')).granted).toBe(true);
    expect(await limiter.inFlight(account)).toBe(2);
    await limiter.release(account, 'run', 0, null, 1, 'loser');
    expect(await limiter.inFlight(account)).toBe(1);
    expect(await limiter.refresh(account, 'run', 'taker')).toBe(true);
    expect(await limiter.refresh(account, 'run', 'loser')).toBe(false);
  });

  it('compares every time against the Redis clock: a worker whose clock is an hour off changes nothing', async () => {
    const account = randomUUID();
    const [leases, , , , waiters] = limiter.keys(account);
    const redisNow = async () => {
      const [seconds, micros] = await redis.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    const before = await redisNow();
    // Two leases by Redis's clock: one ended a minute ago, one ends in a minute.
    await redis.zadd(leases, before - 60_000, 'ended@w', before + 60_000, 'live@w');
    const skewed = jest.spyOn(Date, 'now').mockReturnValue(before + 3_600_000);
    try {
      expect(await limiter.inFlight(account)).toBe(1);
      await limiter.wait(account, 'waiter');
    } finally {
      skewed.mockRestore();
    }
    // Its place in line is when it arrived by Redis's clock.
    const score = Number(await redis.zscore(waiters, 'waiter'));
    expect(score).toBeGreaterThanOrEqual(before);
    expect(score).toBeLessThanOrEqual(await redisNow());
  });
});
