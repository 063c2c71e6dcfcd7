import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type RunChange, runChannel } from '@vaultrun/engine';
import type { Redis } from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import { concatMap, filter, interval, map, merge, Observable, Subject } from 'rxjs';
import type { DataSource } from 'typeorm';
import { REDIS } from '../../common/redis.js';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import type { RequestContext } from '../auth/principal.js';
import { accountViewer, type AccountViewer, accountVisibleSql, positional } from '../vault/visibility.js';

export interface SseMessage {
  data: string | object;
  type?: string;
  id?: string;
}

/** Keeps idle connections (and proxies) alive. */
const HEARTBEAT_MS = 15_000;
/**
 * How long one subscriber's answer to "may I see account X" is reused. Access-list changes reach open streams
 * within this time; every other answer (lists, by id) is read fresh on each request.
 */
const VISIBILITY_TTL_MS = 2_000;
const MAX_CACHED_ANSWERS = 10_000;

/**
 * Run changes for the console's live view. Workers and API processes publish on one Redis channel; each API
 * process holds a single subscription and fans changes out to its SSE clients, filtered by workspace.
 */
@Injectable()
export class RunStreamService implements OnModuleInit, OnApplicationShutdown {
  private readonly changes = new Subject<RunChange>();
  private subscriber?: Redis;
  /** Whether the subscription is made, or being made: then nothing needs to be retried. */
  private subscribed = false;

  /** `<principal>|<account>` → whether that principal may see that account, until `expires`. */
  private readonly answers = new Map<string, { visible: Promise<boolean>; expires: number }>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('RunStream');
  }

  async onModuleInit(): Promise<void> {
    const subscriber = this.redis.duplicate({ connectionName: 'vaultrun-api-run-stream' });
    this.subscriber = subscriber;
    // ioredis reports every failed reconnection as an error: one line per outage, re-armed once it is ready again.
    let failing = false;
    subscriber.on('error', (err: Error) => {
      if (!failing) this.logger.warn({ err }, 'run stream: Redis unavailable; live updates resume when it is back');
      failing = true;
    });
    subscriber.on('ready', () => {
      failing = false;
      // A subscription that failed (Redis was down at boot) is made now; one that succeeded ioredis renews itself.
      if (!this.subscribed) void this.subscribe(subscriber);
    });
    subscriber.on('message', (channel: string, message: string) => {
      try {
        this.changes.next(JSON.parse(message) as RunChange);
      } catch (err) {
        // Only our processes publish on this channel, always JSON: skipping a message that is not touches nothing else.
        this.logger.warn({ channel, err }, 'run stream: ignored a message that is not a run change');
      }
    });
    await this.subscribe(subscriber);
  }

  private async subscribe(subscriber: Redis): Promise<void> {
    this.subscribed = true;
    try {
      await subscriber.subscribe(runChannel(this.config.redisPrefix));
    } catch (err) {
      this.subscribed = false;
      // The API serves without live updates meanwhile (consoles still read runs on demand); the subscription is made
      // when the connection is ready again.
      this.logger.warn({ err }, 'run stream: could not subscribe to run changes; retrying once Redis is ready');
    }
  }

  /** The workspace's run changes that the caller may see (the rule of ../vault/visibility.ts), in order. */
  stream(ctx: RequestContext): Observable<SseMessage> {
    const viewer = accountViewer(ctx.principal);
    return merge(
      this.changes.pipe(
        filter((c) => c.workspaceId === ctx.workspaceId),
        concatMap(async (c) => ((await this.mayView(viewer, c)) ? [c] : [])),
        concatMap((visible) => visible),
        map(({ workspaceId: _ws, ...change }): SseMessage => ({ type: 'run', id: `${change.id}:${change.at}`, data: change })),
      ),
      interval(HEARTBEAT_MS).pipe(map((): SseMessage => ({ type: 'heartbeat', data: { at: new Date().toISOString() } }))),
    );
  }

  private async mayView(viewer: AccountViewer, change: RunChange): Promise<boolean> {
    if (viewer.seesAll) return true;
    try {
      let accountId = change.accountId;
      if (accountId === undefined) {
        // Some publishers (mission steps skipped or cancelled, copilot answers) do not name the account: read it.
        const [run] = (await this.db.query(`SELECT account_id FROM runs WHERE id = $1 AND workspace_id = $2`, [change.id, change.workspaceId])) as { account_id: string | null }[];
        if (!run) return false;
        accountId = run.account_id;
      }
      if (accountId === null) return true; // a mission run: no account of its own
      return await this.accountVisible(viewer, change.workspaceId, accountId);
    } catch (err) {
      // Fail closed: a change nobody could check is not shown (the console reads the run again on its next change).
      this.logger.warn({ err, runId: change.id }, 'run change withheld: its visibility could not be checked');
      return false;
    }
  }

  private accountVisible(viewer: AccountViewer, workspaceId: string, accountId: string): Promise<boolean> {
    const key = `${viewer.principalType}:${viewer.principalId}|${accountId}`;
    const now = Date.now();
    const cached = this.answers.get(key);
    if (cached && cached.expires > now) return cached.visible;
    if (this.answers.size >= MAX_CACHED_ANSWERS) for (const [k, v] of this.answers) if (v.expires <= now) this.answers.delete(k);
    const params: unknown[] = [accountId, workspaceId];
    const visible = this.db
      .query(`SELECT 1 FROM provider_accounts a WHERE a.id = $1 AND a.workspace_id = $2 AND ${accountVisibleSql('a', viewer, positional(params))}`, params)
      .then((rows: unknown[]) => rows.length > 0);
    this.answers.set(key, { visible, expires: now + VISIBILITY_TTL_MS });
    // A failed check is not remembered.
    visible.catch(() => this.answers.delete(key));
    return visible;
  }

  async onApplicationShutdown(): Promise<void> {
    this.changes.complete();
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }
}
