import type { DestinationStream } from 'pino';
import { loadConfig, startWorker, type RunningWorker } from '../../apps/worker/src/worker.js';
import { instancePrefix, testEnv } from './env.js';

/**
 * Boots the real worker (BullMQ on the test Redis prefix, the test database). Note: nestjs-pino keeps one
 * logger per process, so next to an in-process API the worker logs wherever the first app was told to.
 */
export async function startTestWorker(env: Record<string, string> = {}, options: { logDestination?: DestinationStream; clock?: () => Date } = {}): Promise<RunningWorker & { prefix: string }> {
  const t = testEnv();
  const prefix = env.VAULTRUN_REDIS_PREFIX ?? instancePrefix();
  const worker = await startWorker(
    loadConfig({
      DATABASE_URL: t.databaseUrl,
      DATABASE_POOL_SIZE: '4',
      REDIS_URL: t.redisUrl,
      VAULTRUN_REDIS_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      VAULTRUN_WORKER_HEALTH_PORT: '0',
      VAULTRUN_MASTER_KEYS: t.masterKeys,
      // The fake provider listens on 127.0.0.1: tests allow private provider URLs unless they test the guard (test/adversarial).
      VAULTRUN_PROVIDER_ALLOW_PRIVATE: 'true',
      ...env,
    }),
    options,
  );
  return Object.assign(worker, { prefix });
}
