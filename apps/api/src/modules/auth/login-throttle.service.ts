import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TooManyRequests } from '@vaultrun/vault-core';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { REDIS } from '../../common/redis.js';

/** Failed sign-ins allowed per email and per client IP within the window. */
export const LOGIN_LIMITS = { perEmail: 10, perIp: 30, windowSeconds: 15 * 60 };

/**
 * Counts failed sign-ins in Redis (shared by every API process). A blocked email or IP is refused
 * before the password is even checked, with the time to wait.
 */
@Injectable()
export class LoginThrottleService implements OnModuleInit {
  private byEmail!: RateLimiterRedis;
  private byIp!: RateLimiterRedis;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const base = { storeClient: this.redis, duration: LOGIN_LIMITS.windowSeconds };
    this.byEmail = new RateLimiterRedis({ ...base, keyPrefix: `${this.config.redisPrefix}:login:email`, points: LOGIN_LIMITS.perEmail });
    this.byIp = new RateLimiterRedis({ ...base, keyPrefix: `${this.config.redisPrefix}:login:ip`, points: LOGIN_LIMITS.perIp });
  }

  async assertAllowed(email: string, ip: string): Promise<void> {
    const [e, i] = await Promise.all([this.byEmail.get(email), this.byIp.get(ip)]);
    const blocked = [
      e && e.consumedPoints >= LOGIN_LIMITS.perEmail ? e : null,
      i && i.consumedPoints >= LOGIN_LIMITS.perIp ? i : null,
    ].filter((r): r is RateLimiterRes => r !== null);
    if (blocked.length) {
      const seconds = Math.ceil(Math.max(...blocked.map((r) => r.msBeforeNext)) / 1000);
      throw new TooManyRequests(`Too many failed sign-ins. Try again in ${seconds} seconds.`, seconds, 'login_throttled');
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    // consume() rejects once the limit is reached; the next assertAllowed() reports it.
    await Promise.allSettled([this.byEmail.consume(email), this.byIp.consume(ip)]);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.byEmail.delete(email);
  }
}
