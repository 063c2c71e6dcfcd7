import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { runChannel, type RunChange } from '@vaultrun/vault-core';
import type { Redis } from 'ioredis';
import { Observable, Subject, filter, interval, map, merge } from 'rxjs';
import { REDIS } from '../../common/redis.js';
import { APP_CONFIG, type AppConfig } from '../../config.js';

export interface SseMessage {
  data: string | object;
  type?: string;
  id?: string;
}

/** Keeps idle connections (and proxies) alive. */
const HEARTBEAT_MS = 15_000;

/**
 * Run changes for the console's live view. Workers and API processes publish on one Redis channel; each API
 * process holds a single subscription and fans changes out to its SSE clients, filtered by workspace.
 */
@Injectable()
export class RunStreamService implements OnModuleInit, OnApplicationShutdown {
  private readonly changes = new Subject<RunChange>();
  private subscriber?: Redis;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscriber = this.redis.duplicate({ connectionName: 'vaultrun-api-run-stream' });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel, message: string) => {
      try {
        this.changes.next(JSON.parse(message) as RunChange);
      } catch {
        // not ours
      }
    });
    await this.subscriber.subscribe(runChannel(this.config.redisPrefix)).catch(() => undefined);
  }

  stream(workspaceId: string): Observable<SseMessage> {
    return merge(
      this.changes.pipe(
        filter((c) => c.workspaceId === workspaceId),
        map(({ workspaceId: _ws, ...change }): SseMessage => ({ type: 'run', id: `${change.id}:${change.at}`, data: change })),
      ),
      interval(HEARTBEAT_MS).pipe(map((): SseMessage => ({ type: 'heartbeat', data: { at: new Date().toISOString() } }))),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.changes.complete();
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }
}
