import type { Redis } from 'ioredis';

/**
 * Per-account capacity, global across every worker process: one atomic Lua script per step (never
 * read-then-write from the client). Every time compared here is the Redis server's clock (`TIME`), so workers on
 * different hosts, with clocks that disagree, still agree on every window, lease and reservation.
 *
 *   leases    ZSET member=slot holder score=lease expiry (ms)  concurrency: in-flight calls; a dead worker's lease expires
 *   rpm       ZSET member=runId:ms score=ms                     requests per minute: sliding 60 s log
 *   tpm       HASH field=second value=tokens                    tokens per minute: 1 s buckets over 60 s, estimate then correct
 *   cooldown  STRING until (ms)                                  provider said 429: nobody calls until then
 *   waiters   ZSET member=runId score=arrival (ms)              the line of runs waiting for a concurrency slot, oldest first
 *   woken     ZSET member=runId score=reservation end (ms)      waiters woken by a release: the freed slot is kept for them
 *
 * A slot's holder is the run id plus the worker that holds it, so a worker that lost a run to another worker
 * (its lease expired) releases its own slot only, never the new holder's.
 *
 * Fairness: a release wakes the head of the line and reserves the freed slot for it until it comes back (or
 * `wokenTtlMs` passes). While a reservation stands, a newcomer — or a waiter not woken yet — is told to wait, so
 * nobody overtakes a woken waiter between the release and its return. A woken waiter keeps its place in the line
 * until it gets a slot; a reservation that lapses only makes it an ordinary waiter again, still at its place.
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

/** The Redis server's clock in ms: every comparison in these scripts uses it, never a worker's clock. */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Wakes up to `n` waiters not woken yet, oldest first, and reserves a slot for each until `now + ttl`. The woken
 * stand at the head of the line, so the first (woken + n) entries hold the ones to wake: no full scan.
 * Expects `now`; leaves the woken run ids in `out`.
 */
const WAKE_NEXT = `
local function wakeNext(waiters, woken, n, ttl, out)
  if n <= 0 then return end
  local line = redis.call('ZRANGE', waiters, 0, redis.call('ZCARD', woken) + n - 1)
  for _, id in ipairs(line) do
    if #out >= n then break end
    if not redis.call('ZSCORE', woken, id) then
      redis.call('ZADD', woken, now + ttl, id)
      out[#out + 1] = id
    end
  end
  if #out > 0 then redis.call('PEXPIRE', woken, ttl * 2) end
end
`;

const ACQUIRE = `${NOW}
local holder, ttl, maxc, rpm, tpm, est, run = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local cd = tonumber(redis.call('GET', KEYS[4]) or '0')
if cd > now then return {0, 'cooldown', cd, now} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
-- A lapsed reservation frees its slot for anyone; its run keeps its place in the line.
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], holder) then
  local free = maxc - redis.call('ZCARD', KEYS[1])
  local woken = redis.call('ZSCORE', KEYS[6], run)
  local reserved = redis.call('ZCARD', KEYS[6])
  if woken then reserved = reserved - 1 end
  -- Slots kept for woken waiters are theirs: anyone else needs a free slot beyond them.
  if free <= 0 or ((not woken) and free <= reserved) then
    redis.call('ZADD', KEYS[5], 'NX', now, run)
    redis.call('PEXPIRE', KEYS[5], 3600000)
    return {0, 'concurrency', redis.call('ZRANK', KEYS[5], run), now}
  end
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
redis.call('ZADD', KEYS[1], now + ttl, holder)
redis.call('PEXPIRE', KEYS[1], ttl * 4)
redis.call('ZREM', KEYS[5], run)
redis.call('ZREM', KEYS[6], run)
if rpm > 0 then redis.call('ZADD', KEYS[2], now, run .. ':' .. now) redis.call('PEXPIRE', KEYS[2], 61000) end
if tpm > 0 then redis.call('HINCRBY', KEYS[3], sec, est) redis.call('PEXPIRE', KEYS[3], 61000) end
return {1, 'ok', sec, now}
`;

/** Frees the holder's slot, corrects the token estimate, and wakes the next waiter(s), reserving the slot for them. */
const RELEASE = `${NOW}${WAKE_NEXT}
redis.call('ZREM', KEYS[1], ARGV[1])
local delta, sec = tonumber(ARGV[2]), ARGV[3]
if delta ~= 0 and sec ~= '' and redis.call('HEXISTS', KEYS[3], sec) == 1 then redis.call('HINCRBY', KEYS[3], sec, delta) end
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
local out = {}
wakeNext(KEYS[5], KEYS[6], tonumber(ARGV[4]), tonumber(ARGV[5]), out)
return out
`;

/** Takes a run out of the line (it will not come back); a slot reserved for it passes to the next waiter. */
const LEAVE = `${NOW}${WAKE_NEXT}
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREM', KEYS[1], ARGV[1])
local out = {}
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then wakeNext(KEYS[1], KEYS[2], 1, tonumber(ARGV[2]), out) end
return out
`;

/** Back in line without a reservation (its wake-up could not be delivered), keeping its place if it had one. */
const REQUEUE = `${NOW}
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], 'NX', now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], 3600000)
return 1
`;

const REFRESH = `${NOW}
return redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
`;

const COOLDOWN = `${NOW}
local untilMs = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > cur then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1]) + 1000) return untilMs end
return cur
`;

const IN_FLIGHT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
`;

type Scripted = Redis & {
  vrAcquire(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, ...args: (string | number)[]): Promise<[number, string, number, number]>;
  vrRelease(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, ...args: (string | number)[]): Promise<string[]>;
  vrLeave(k1: string, k2: string, ...args: (string | number)[]): Promise<string[]>;
  vrRequeue(k1: string, k2: string, ...args: (string | number)[]): Promise<number>;
  vrRefresh(k1: string, ...args: (string | number)[]): Promise<number>;
  vrCooldown(k1: string, ...args: (string | number)[]): Promise<number>;
  vrInFlight(k1: string): Promise<number>;
};

/** How long a slot freed for a woken waiter stays reserved for it (its job has to come back from the delayed set). */
const WOKEN_TTL_MS = 15_000;

export class AccountLimiter {
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly leaseTtlMs = 30_000,
    private readonly wokenTtlMs = WOKEN_TTL_MS,
  ) {
    this.redis = redis as Scripted;
    if (!('vrAcquire' in redis)) {
      redis.defineCommand('vrAcquire', { numberOfKeys: 6, lua: ACQUIRE });
      redis.defineCommand('vrRelease', { numberOfKeys: 6, lua: RELEASE });
      redis.defineCommand('vrLeave', { numberOfKeys: 2, lua: LEAVE });
      redis.defineCommand('vrRequeue', { numberOfKeys: 2, lua: REQUEUE });
      redis.defineCommand('vrRefresh', { numberOfKeys: 1, lua: REFRESH });
      redis.defineCommand('vrCooldown', { numberOfKeys: 1, lua: COOLDOWN });
      redis.defineCommand('vrInFlight', { numberOfKeys: 1, lua: IN_FLIGHT });
    }
  }

  /** Hash tag on the account id: every key of one account lives in one cluster slot. */
  keys(accountId: string) {
    const base = `${this.prefix}:acct:{${accountId}}`;
    return [`${base}:leases`, `${base}:rpm`, `${base}:tpm`, `${base}:cooldown`, `${base}:waiters`, `${base}:woken`] as const;
  }

  /** The slot a worker holds for a run: run and worker, so two workers never share (and never free) one slot. */
  private holder(runId: string, holderId: string | undefined): string {
    return holderId ? `${runId}@${holderId}` : runId;
  }

  /** `holderId` names who holds the slot (the worker); without it the run id alone does. */
  async acquire(accountId: string, runId: string, limits: AccountLimits, estimatedTokens: number, holderId?: string): Promise<AcquireResult> {
    const [ok, reason, value, now] = await this.redis.vrAcquire(
      ...this.keys(accountId),
      this.holder(runId, holderId),
      this.leaseTtlMs,
      limits.maxConcurrency,
      limits.requestsPerMinute ?? 0,
      limits.tokensPerMinute ?? 0,
      Math.max(0, Math.ceil(estimatedTokens)),
      runId,
    );
    if (ok === 1) return { granted: true, bucket: value, now };
    return reason === 'concurrency'
      ? { granted: false, reason, retryAt: null, position: value, now }
      : { granted: false, reason: reason as Denial, retryAt: value || null, position: 0, now };
  }

  /**
   * A woken run whose wake-up could not be delivered (its job was not in the delayed set yet): back in the line as an
   * ordinary waiter, at its place, to be woken by the next release. Its reservation is given up, so the free slot
   * does not sit idle until the run's own timer brings it back.
   */
  async wait(accountId: string, runId: string): Promise<void> {
    const [, , , , waiters, woken] = this.keys(accountId);
    await this.redis.vrRequeue(waiters, woken, runId);
  }

  /** A run that will not come back for its slot (its job is gone): out of the line. Returns the run to wake instead. */
  async leave(accountId: string, runId: string): Promise<string[]> {
    const [, , , , waiters, woken] = this.keys(accountId);
    return this.redis.vrLeave(waiters, woken, runId, this.wokenTtlMs);
  }

  /**
   * Frees the slot; `tokenCorrection` (actual − estimated) is applied to the bucket it was counted in.
   * Returns up to `wake` waiting runs to wake up; the freed slot is reserved for them.
   */
  async release(accountId: string, runId: string, tokenCorrection = 0, bucket: number | null = null, wake = 1, holderId?: string): Promise<string[]> {
    return this.redis.vrRelease(...this.keys(accountId), this.holder(runId, holderId), Math.round(tokenCorrection), bucket === null ? '' : String(bucket), wake, this.wokenTtlMs);
  }

  /**
   * Every run in the account's line, to wake them all without reserving anything: the account's state changed
   * (its key or quota was refused) and each can now fail fast with the same message instead of waiting to.
   */
  async waiting(accountId: string): Promise<string[]> {
    return this.redis.zrange(this.keys(accountId)[4], 0, -1);
  }

  /** Keeps a long call's lease alive; false when the lease is gone (expired or Redis lost it). */
  async refresh(accountId: string, runId: string, holderId?: string): Promise<boolean> {
    const [leases] = this.keys(accountId);
    const holder = this.holder(runId, holderId);
    return (await this.redis.vrRefresh(leases, holder, this.leaseTtlMs)) === 1 || (await this.redis.zscore(leases, holder)) !== null;
  }

  /** The provider asked us to back off: nobody calls this account for `ms`. Returns the cooldown end (ms). */
  async cooldown(accountId: string, ms: number): Promise<number> {
    return this.redis.vrCooldown(this.keys(accountId)[3], Math.max(1, Math.ceil(ms)));
  }

  async inFlight(accountId: string): Promise<number> {
    return this.redis.vrInFlight(this.keys(accountId)[0]);
  }
}
