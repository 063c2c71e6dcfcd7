import type { Redis } from 'ioredis';

/**
 * Per-account capacity, global across every worker process: one atomic Lua script per step (never
 * read-then-write from the client). Times come from the Redis server clock, so workers on different hosts agree.
 *
 *   leases    ZSET member=runId score=lease expiry (ms)   concurrency: in-flight calls; a dead worker's lease expires
 *   rpm       ZSET member=runId:ms score=ms               requests per minute: sliding 60 s log
 *   tpm       HASH field=second value=tokens              tokens per minute: 1 s buckets over 60 s, estimate then correct
 *   cooldown  STRING until (ms)                            provider said 429: nobody calls until then
 *   waiters   ZSET member=runId score=ms                  runs waiting for a concurrency slot, woken on release
 */
export interface AccountLimits {
  maxConcurrency: number;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

export type Denial = 'cooldown' | 'concurrency' | 'rpm' | 'tpm';

export type AcquireResult =
  | { granted: true; bucket: number; now: number }
  /** `retryAt`: when the window allows (rpm/tpm/cooldown). For `concurrency`, `position` in the line of waiters instead. */
  | { granted: false; reason: Denial; retryAt: number | null; position: number; now: number };

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease, ttl, maxc, rpm, tpm, est = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local cd = tonumber(redis.call('GET', KEYS[4]) or '0')
if cd > now then return {0, 'cooldown', cd, now} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZSCORE', KEYS[1], lease)
if (not held) and redis.call('ZCARD', KEYS[1]) >= maxc then
  -- Queue up for the next free slot; the rank tells the caller how far back it stands.
  redis.call('ZADD', KEYS[5], 'NX', now, lease)
  redis.call('PEXPIRE', KEYS[5], 3600000)
  return {0, 'concurrency', redis.call('ZRANK', KEYS[5], lease), now}
end
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
  if redis.call('ZCARD', KEYS[2]) >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return {0, 'rpm', tonumber(oldest[2]) + 60000, now}
  end
end
local sec = math.floor(now / 1000)
if tpm > 0 then
  local vals = redis.call('HGETALL', KEYS[3])
  local sum, minsec = 0, sec
  for i = 1, #vals, 2 do
    local s = tonumber(vals[i])
    if s <= sec - 60 then redis.call('HDEL', KEYS[3], vals[i]) else
      sum = sum + tonumber(vals[i + 1])
      if s < minsec then minsec = s end
    end
  end
  -- One request larger than the whole budget may still go alone, or it could never run.
  if sum > 0 and sum + est > tpm then return {0, 'tpm', (minsec + 61) * 1000, now} end
end
redis.call('ZADD', KEYS[1], now + ttl, lease)
redis.call('PEXPIRE', KEYS[1], ttl * 4)
redis.call('ZREM', KEYS[5], lease)
if rpm > 0 then redis.call('ZADD', KEYS[2], now, lease .. ':' .. now) redis.call('PEXPIRE', KEYS[2], 61000) end
if tpm > 0 then redis.call('HINCRBY', KEYS[3], sec, est) redis.call('PEXPIRE', KEYS[3], 61000) end
return {1, 'ok', sec, now}
`;

/** Frees the slot, corrects the token estimate, and pops the next waiter for that account. */
const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
local delta, sec = tonumber(ARGV[2]), ARGV[3]
if delta ~= 0 and sec ~= '' and redis.call('HEXISTS', KEYS[3], sec) == 1 then redis.call('HINCRBY', KEYS[3], sec, delta) end
local w = redis.call('ZPOPMIN', KEYS[5], tonumber(ARGV[4]))
local out = {}
for i = 1, #w, 2 do out[#out + 1] = w[i] end
return out
`;

const REFRESH = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
`;

const COOLDOWN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > cur then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1]) + 1000) return untilMs end
return cur
`;

type Scripted = Redis & {
  vrAcquire(k1: string, k2: string, k3: string, k4: string, k5: string, ...args: (string | number)[]): Promise<[number, string, number, number]>;
  vrRelease(k1: string, k2: string, k3: string, k4: string, k5: string, ...args: (string | number)[]): Promise<string[]>;
  vrRefresh(k1: string, ...args: (string | number)[]): Promise<number>;
  vrCooldown(k1: string, ...args: (string | number)[]): Promise<number>;
};

export class AccountLimiter {
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly leaseTtlMs = 30_000,
  ) {
    this.redis = redis as Scripted;
    if (!('vrAcquire' in redis)) {
      redis.defineCommand('vrAcquire', { numberOfKeys: 5, lua: ACQUIRE });
      redis.defineCommand('vrRelease', { numberOfKeys: 5, lua: RELEASE });
      redis.defineCommand('vrRefresh', { numberOfKeys: 1, lua: REFRESH });
      redis.defineCommand('vrCooldown', { numberOfKeys: 1, lua: COOLDOWN });
    }
  }

  /** Hash tag on the account id: every key of one account lives in one cluster slot. */
  keys(accountId: string) {
    const base = `${this.prefix}:acct:{${accountId}}`;
    return [`${base}:leases`, `${base}:rpm`, `${base}:tpm`, `${base}:cooldown`, `${base}:waiters`] as const;
  }

  async acquire(accountId: string, runId: string, limits: AccountLimits, estimatedTokens: number): Promise<AcquireResult> {
    const [ok, reason, value, now] = await this.redis.vrAcquire(
      ...this.keys(accountId),
      runId,
      this.leaseTtlMs,
      limits.maxConcurrency,
      limits.requestsPerMinute ?? 0,
      limits.tokensPerMinute ?? 0,
      Math.max(0, Math.ceil(estimatedTokens)),
    );
    if (ok === 1) return { granted: true, bucket: value, now };
    return reason === 'concurrency'
      ? { granted: false, reason, retryAt: null, position: value, now }
      : { granted: false, reason: reason as Denial, retryAt: value || null, position: 0, now };
  }

  /** Puts a run (back) in the account's line of waiters for a concurrency slot (woken by `release`). */
  async wait(accountId: string, runId: string): Promise<void> {
    await this.redis.zadd(this.keys(accountId)[4], 'NX', Date.now(), runId);
  }

  /**
   * Frees the run's slot; `tokenCorrection` (actual − estimated) is applied to the bucket it was counted in.
   * Returns up to `wake` waiting runs to wake up.
   */
  async release(accountId: string, runId: string, tokenCorrection = 0, bucket: number | null = null, wake = 1): Promise<string[]> {
    return this.redis.vrRelease(...this.keys(accountId), runId, Math.round(tokenCorrection), bucket === null ? '' : String(bucket), wake);
  }

  /** Keeps a long call's lease alive; false when the lease is gone (expired or Redis lost it). */
  async refresh(accountId: string, runId: string): Promise<boolean> {
    return (await this.redis.vrRefresh(this.keys(accountId)[0], runId, this.leaseTtlMs)) === 1 || (await this.redis.zscore(this.keys(accountId)[0], runId)) !== null;
  }

  /** The provider asked us to back off: nobody calls this account for `ms`. Returns the cooldown end (ms). */
  async cooldown(accountId: string, ms: number): Promise<number> {
    return this.redis.vrCooldown(this.keys(accountId)[3], Math.max(1, Math.ceil(ms)));
  }

  async inFlight(accountId: string): Promise<number> {
    const key = this.keys(accountId)[0];
    const [, count] = (await this.redis.multi().zremrangebyscore(key, '-inf', Date.now()).zcard(key).exec()) ?? [];
    return Number(count?.[1] ?? 0);
  }
}
