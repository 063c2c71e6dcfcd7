import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { checkMasterKeys, type Envelope } from '@vaultrun/vault-core';
import type { Redis } from 'ioredis';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { DataSource } from 'typeorm';
import type { Clock, WorkerConfig } from './config.js';
import { startHealthServer } from './health-server.js';
import { WorkerMetrics } from './metrics.js';
import { RunsProcessor } from './processors/runs.processor.js';
import { REDIS } from './runs.tokens.js';
import { ENVELOPE } from './vault.providers.js';
import { WorkerModule } from './worker.module.js';

export { loadConfig, type WorkerConfig } from './config.js';

export interface RunningWorker {
  app: INestApplicationContext;
  healthPort: number;
  /** Stops taking jobs, lets in-flight ones finish (up to the grace period), then closes connections. */
  stop(): Promise<void>;
}

export async function startWorker(config: WorkerConfig, options: { logDestination?: DestinationStream; clock?: Clock } = {}): Promise<RunningWorker> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, options.logDestination, options.clock), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  const logger = app.get(Logger);
  const db = app.get<DataSource>(getDataSourceToken());
  const redis = app.get<Redis>(REDIS);
  const envelope = app.get<Envelope>(ENVELOPE);

  const metrics = app.get(WorkerMetrics);
  const { server, port } = await startHealthServer(config.healthHost, config.healthPort, {
    metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    health: async () => ({ ok: true, body: { status: 'ok' } }),
    ready: async () => {
      const checks = {
        postgres: await db.query('SELECT 1').then(() => 'ok', (e: unknown) => String(e)),
        redis: await redis.ping().then(() => 'ok', (e: unknown) => String(e)),
        masterKey: await checkMasterKeys(db, envelope, config.keyRing).then(() => 'ok', (e: unknown) => (e instanceof Error ? e.message : String(e))),
      };
      const ok = Object.values(checks).every((v) => v === 'ok');
      return { ok, body: { status: ok ? 'ready' : 'not_ready', checks } };
    },
  });

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.log('Shutting down: no new jobs; waiting for in-flight runs');
      server.close();
      await app.get(RunsProcessor).drain();
      // The runs processor waits for in-flight calls (up to the grace period) and hands the rest back; this
      // timer only caps a shutdown that hangs for another reason.
      let timer: NodeJS.Timeout | undefined;
      const cap = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn('Shutdown did not complete in time; exiting anyway (unfinished runs are recovered by the reconciler)');
          resolve();
        }, config.shutdownGraceMs + 15_000);
      });
      await Promise.race([app.close(), cap]);
      clearTimeout(timer);
    })());

  return { app, healthPort: port, stop };
}
