import type { AccountLimiter, AccountLimits, Denial } from '../runs/limits.js';
import { gatewayWaiterId, type GatewayWaiters } from './waiters.js';

export interface SlotRequest {
  accountId: string;
  /** Names the call in the line of waiters (and in the limiter's request log). */
  callId: string;
  limits: AccountLimits;
  /** Prompt + output tokens, for the tokens-per-minute window (corrected with the usage when the slot is released). */
  estimatedTokens: number;
  /** Wait for a slot until then (ms since the epoch); 0: take one only if it is free now. */
  waitUntil: number;
  signal: AbortSignal;
  /**
   * A managed connector (docs/managed.md): `accountId` is the connector (the workspace's share); this is its managed
   * account, whose own limits every workspace's calls share. Both slots are taken, or neither.
   */
  shared?: { accountId: string; limits: AccountLimits } | null;
}

export type Slot = {
  granted: true;
  accountId: string;
  holder: string;
  bucket: number;
  estimatedTokens: number;
  /** The managed account's slot, taken with the connector's. */
  shared: { accountId: string; bucket: number } | null;
};
export type NoSlot = { granted: false; reason: Denial | 'aborted'; retryAfterMs: number };

/** The safety-net timer of a call waiting for a concurrency slot: a release normally wakes it long before. */
const SLOT_WAIT_FALLBACK_MS = 2_000;

/**
 * The gateway's side of the one limiter runs use: per-account concurrency, requests and tokens per minute, cooldowns,
 * in Redis, shared with every worker and API process. A call that finds no free slot joins the account's line of
 * waiters (runs and calls, oldest first) and is woken when a slot is released for it; a window (RPM/TPM) or a cooldown
 * is waited out when it ends in time. Slots of long calls (streams) are kept alive here, every third of the lease.
 */
export class GatewayCapacity {
  private readonly slots = new Map<string, { accountIds: string[] }>();
  private readonly refresher: NodeJS.Timeout;
  private warnedRefresh = false;

  constructor(
    private readonly limiter: AccountLimiter,
    private readonly waiters: GatewayWaiters,
    /** Wakes the waiters a release reserved the freed slot for (runs and gateway calls). */
    private readonly wake: (accountId: string, ids: string[]) => Promise<void>,
    leaseTtlMs: number,
    private readonly log?: { warn(details: Record<string, unknown>, message: string): void },
  ) {
    this.refresher = setInterval(() => void this.refreshAll(), Math.max(250, Math.floor(leaseTtlMs / 3)));
    this.refresher.unref();
  }

  get processId(): string {
    return this.waiters.processId;
  }

  async acquire(req: SlotRequest): Promise<Slot | NoSlot> {
    const waiterId = gatewayWaiterId(this.waiters.processId, req.callId);
    const own = await this.acquireOne(req.accountId, waiterId, req.limits, req);
    if (!own.granted) return own;
    let shared: Slot['shared'] = null;
    if (req.shared) {
      const total = await this.acquireOne(req.shared.accountId, waiterId, req.shared.limits, req);
      if (!total.granted) {
        // Both or neither: the share's slot goes to whoever waits for it.
        const woken = await this.limiter.release(req.accountId, waiterId, 0, own.bucket);
        if (woken.length) await this.wakeSafely(req.accountId, woken);
        return total;
      }
      shared = { accountId: req.shared.accountId, bucket: total.bucket };
    }
    this.slots.set(waiterId, { accountIds: shared ? [req.accountId, shared.accountId] : [req.accountId] });
    return { granted: true, accountId: req.accountId, holder: waiterId, bucket: own.bucket, estimatedTokens: req.estimatedTokens, shared };
  }

  /** One account's slot: now, or waited for (in its line, or a window out) until `req.waitUntil`. */
  private async acquireOne(accountId: string, waiterId: string, limits: AccountLimits, req: SlotRequest): Promise<{ granted: true; bucket: number } | NoSlot> {
    let inLine = false;
    for (;;) {
      const result = await this.limiter.acquire(accountId, waiterId, limits, req.estimatedTokens);
      if (result.granted) return { granted: true, bucket: result.bucket };
      inLine ||= result.reason === 'concurrency';
      const now = Date.now();
      // Redis's clock decides windows; only the difference is carried over to this process's clock.
      const windowMs = result.retryAt === null ? null : Math.max(50, result.retryAt - result.now);
      const remaining = req.waitUntil - now;
      if (result.reason !== 'concurrency') {
        if (windowMs === null || windowMs > remaining) return this.giveUp(accountId, waiterId, inLine, result.reason, windowMs ?? 1_000);
        if ((await this.sleep(windowMs, req.signal)) === 'aborted') return this.giveUp(accountId, waiterId, inLine, 'aborted', 0);
        continue;
      }
      if (remaining <= 0) return this.giveUp(accountId, waiterId, inLine, 'concurrency', 1_000);
      const outcome = await this.waiters.wait(waiterId, Math.min(remaining, SLOT_WAIT_FALLBACK_MS * (0.9 + Math.random() * 0.2)), req.signal);
      if (outcome === 'aborted') return this.giveUp(accountId, waiterId, inLine, 'aborted', 0);
    }
  }

  /** Frees the slot; `actualTokens` corrects the tokens-per-minute window. Wakes whoever the slot now goes to. */
  async release(slot: Slot, actualTokens: number | null): Promise<void> {
    this.slots.delete(slot.holder);
    const correction = actualTokens === null ? 0 : actualTokens - slot.estimatedTokens;
    if (slot.shared) {
      const woken = await this.limiter.release(slot.shared.accountId, slot.holder, correction, slot.shared.bucket);
      if (woken.length) await this.wakeSafely(slot.shared.accountId, woken);
    }
    const woken = await this.limiter.release(slot.accountId, slot.holder, correction, slot.bucket);
    if (woken.length) await this.wakeSafely(slot.accountId, woken);
  }

  /** The provider said 429: nobody calls the account until it allows again (runs included). */
  cooldown(accountId: string, ms: number): Promise<number> {
    return this.limiter.cooldown(accountId, ms);
  }

  /** The account's line of waiters (to wake them all when the account became unusable). */
  waiting(accountId: string): Promise<string[]> {
    return this.limiter.waiting(accountId);
  }

  /** A wake-up reached a call that no longer waits: it leaves the line, and the slot goes to the next waiter. */
  async passOn(accountId: string, waiterId: string): Promise<void> {
    const next = await this.limiter.leave(accountId, waiterId);
    if (next.length) await this.wakeSafely(accountId, next);
  }

  wakeAll(accountId: string, ids: string[]): Promise<void> {
    return this.wakeSafely(accountId, ids);
  }

  stop(): void {
    clearInterval(this.refresher);
  }

  private async giveUp(accountId: string, waiterId: string, inLine: boolean, reason: NoSlot['reason'], retryAfterMs: number): Promise<NoSlot> {
    // Out of the line; a slot reserved for this call meanwhile passes to the next waiter.
    if (inLine) {
      const next = await this.limiter.leave(accountId, waiterId);
      if (next.length) await this.wakeSafely(accountId, next);
    }
    return { granted: false, reason, retryAfterMs };
  }

  private sleep(ms: number, signal: AbortSignal): Promise<'slept' | 'aborted'> {
    if (signal.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve('slept');
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolve('aborted');
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async wakeSafely(accountId: string, ids: string[]): Promise<void> {
    try {
      await this.wake(accountId, ids);
    } catch (err) {
      // Their own timers bring them back (runs: the delayed job; calls: the fallback timer): only time is lost.
      this.log?.warn({ accountId, waiters: ids.length, err }, 'could not wake waiters; their fallback timers will');
    }
  }

  private async refreshAll(): Promise<void> {
    for (const [holder, { accountIds }] of this.slots) {
      for (const accountId of accountIds) {
        try {
          await this.limiter.refresh(accountId, holder);
        } catch (err) {
          // A slot that cannot be renewed expires on its own: the account may briefly admit one call more.
          if (!this.warnedRefresh) this.log?.warn({ accountId, err }, 'could not renew a gateway call\'s account slot');
          this.warnedRefresh = true;
        }
      }
    }
  }
}
