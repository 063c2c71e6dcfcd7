import type { Redis } from 'ioredis';

/**
 * Gateway calls wait for an account's concurrency slot in the same line as runs (the limiter's `waiters`), under an id
 * of their own: `gw:<process id>:<call id>`. Whoever frees a slot — a worker finishing a run, or any gateway process —
 * wakes the head of that line: a run through its queued job, a gateway call through a Redis pub/sub message to the one
 * process holding it (a channel per process). A process that is gone receives nothing (PUBLISH says nobody listened):
 * the waker takes the call out of the line and wakes the next waiter instead, so a dead process never keeps a slot.
 */
const PREFIX = 'gw:';

export const gatewayWaiterId = (processId: string, callId: string) => `${PREFIX}${processId}:${callId}`;
export const isGatewayWaiter = (id: string) => id.startsWith(PREFIX);
const processOf = (waiterId: string) => waiterId.slice(PREFIX.length, waiterId.indexOf(':', PREFIX.length));
export const gatewayWakeChannel = (prefix: string, processId: string) => `${prefix}:gateway-wake:${processId}`;

/** Tells the process holding a gateway call that a slot was freed for it; false when no process listened. */
export async function sendGatewayWake(redis: Redis, prefix: string, accountId: string, waiterId: string): Promise<boolean> {
  return (await redis.publish(gatewayWakeChannel(prefix, processOf(waiterId)), `${accountId} ${waiterId}`)) > 0;
}

export type WaitOutcome = 'woken' | 'timeout' | 'aborted';

/** This process's waiting gateway calls, and its subscription to the wake-ups meant for them. */
export class GatewayWaiters {
  private readonly waiting = new Map<string, (outcome: WaitOutcome) => void>();
  private subscriber: Redis | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly processId: string,
    private readonly log?: { warn(details: Record<string, unknown>, message: string): void },
  ) {}

  /** `onStray`: a wake-up for a call no longer waiting here (it gave up meanwhile) — pass the freed slot on. */
  async start(onStray: (accountId: string, waiterId: string) => Promise<void>): Promise<void> {
    const subscriber = this.redis.duplicate({ connectionName: `vaultrun-gateway-wake-${this.processId}` });
    // Connection trouble shows in failing commands and /ready; waiting calls fall back to their timers meanwhile.
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, message: string) => {
      const [accountId, waiterId] = message.split(' ');
      if (!accountId || !waiterId) return;
      const resolve = this.waiting.get(waiterId);
      if (resolve) return resolve('woken');
      onStray(accountId, waiterId).catch((err: unknown) => {
        // The slot reserved for that call lapses on its own (the limiter's woken TTL); nothing else is at stake.
        this.log?.warn({ accountId, err }, 'could not pass on a wake-up for a gateway call that stopped waiting');
      });
    });
    this.subscriber = subscriber;
    // Subscribed on every (re)connection: a process started while Redis is down begins serving (its /ready says why
    // it is not ready) and picks its wake-ups up once Redis is back; waiting calls fall back to their timers meanwhile.
    const channel = gatewayWakeChannel(this.prefix, this.processId);
    const subscribe = () =>
      subscriber.subscribe(channel).then(
        () => undefined,
        (err: unknown) => this.log?.warn({ err }, 'gateway wake-ups are not subscribed yet (Redis unreachable); retried when it is back'),
      );
    subscriber.on('ready', () => void subscribe());
    await subscribe();
  }

  /** Resolves when a slot was freed for this call, after `ms` (a safety net for a lost wake-up), or on abort. */
  wait(waiterId: string, ms: number, signal: AbortSignal): Promise<WaitOutcome> {
    if (signal.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const done = (outcome: WaitOutcome) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiting.delete(waiterId);
        resolve(outcome);
      };
      const onAbort = () => done('aborted');
      const timer = setTimeout(() => done('timeout'), Math.max(0, ms));
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(waiterId, done);
    });
  }

  get size(): number {
    return this.waiting.size;
  }

  async stop(): Promise<void> {
    for (const resolve of this.waiting.values()) resolve('aborted');
    const subscriber = this.subscriber;
    this.subscriber = null;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }
}
