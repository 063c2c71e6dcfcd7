import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DomainError, TooManyRequests } from '@vaultrun/vault-core';
import type { Redis } from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { REDIS } from '../../common/redis.js';

/** Password checks allowed per email and per client IP within the window (a success gives its attempt back). */
export const LOGIN_LIMITS = { perEmail: 10, perIp: 30, windowSeconds: 15 * 60 };

/**
 * The one throttle of every password check — sign-in and password change (invites no longer check passwords).
 * Counters live in Redis, shared by every API process.
 *
 * An attempt is *spent before* the password is checked: Redis increments the counters atomically, so N requests
 * sent at once can never be checked more than the limit allows (counting failures afterwards let every request
 * of a burst through before the first one was counted). A correct password gives the attempt back: the email's
 * counter is reset and the IP's point refunded, so people who sign in successfully never lock themselves out.
 */
@Injectable()
export class LoginThrottleService implements OnModuleInit {
  private byEmail!: RateLimiterRedis;
  private byIp!: RateLimiterRedis;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('LoginThrottle');
  }

  onModuleInit(): void {
    const base = { storeClient: this.redis, duration: LOGIN_LIMITS.windowSeconds };
    this.byEmail = new RateLimiterRedis({ ...base, keyPrefix: `${this.config.redisPrefix}:login:email`, points: LOGIN_LIMITS.perEmail });
    this.byIp = new RateLimiterRedis({ ...base, keyPrefix: `${this.config.redisPrefix}:login:ip`, points: LOGIN_LIMITS.perIp });
  }

  /**
   * Spends one attempt for `email` and for `ip`, before any password is checked. Throws 429 (with Retry-After) when
   * either is used up, and 503 when Redis cannot count: without a counter there is no check (fail closed).
   */
  async spendAttempt(email: string, ip: string): Promise<void> {
    const outcomes = await Promise.allSettled([this.byEmail.consume(email), this.byIp.consume(ip)]);
    const refused: RateLimiterRes[] = [];
    for (const o of outcomes) {
      if (o.status === 'fulfilled') continue;
      if (o.reason instanceof RateLimiterRes) refused.push(o.reason);
      else {
        this.logger.error({ err: o.reason }, 'login throttle unavailable: password checks refused');
        throw new DomainError('throttle_unavailable', 'unavailable', 'Signing in is unavailable for a moment. Try again shortly.');
      }
    }
    if (refused.length) {
      const seconds = Math.max(1, Math.ceil(Math.max(...refused.map((r) => r.msBeforeNext)) / 1000));
      throw new TooManyRequests(`Too many failed sign-ins. Try again in ${seconds} seconds.`, seconds, 'login_throttled');
    }
  }

  /** The password was right: the email starts afresh, and the IP gets its attempt back. */
  async attemptSucceeded(email: string, ip: string): Promise<void> {
    try {
      await Promise.all([this.byEmail.delete(email), this.byIp.reward(ip, 1)]);
    } catch (err) {
      // Safe to go on: the person is signed in; the counters just keep one attempt more until the window ends.
      this.logger.warn({ err }, 'login throttle: could not give a successful attempt back');
    }
  }
}
