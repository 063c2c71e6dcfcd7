import type { DestinationStream } from 'pino';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from './api.js';
import { FAST_WORKER_ENV } from './runs.js';
import { scratchDatabase } from './scratch-db.js';
import { startTestWorker } from './worker.js';

export interface Stack {
  dbUrl: string;
  api: TestApi;
  worker: Awaited<ReturnType<typeof startTestWorker>> | null;
  ws: SeededWorkspace;
  admin: Session;
  member: Session;
  /** Environment for worker processes that must join this stack (same database and Redis prefix). */
  workerEnv: Record<string, string>;
  close(): Promise<void>;
}

/**
 * API (+ optionally an in-process worker) on a database of its own. Every test that runs workers needs this:
 * workers reconcile every unfinished run of their database, so a shared database would let one test's worker
 * execute another test's runs.
 */
export async function startStack(
  options: {
    inProcessWorker?: boolean;
    apiEnv?: Record<string, string>;
    workerEnv?: Record<string, string>;
    /**
     * Where the in-process API and worker log (e.g. a CapturedLogs). nestjs-pino keeps one logger per process, so
     * both write here at the API's LOG_LEVEL (set it in apiEnv).
     */
    logDestination?: DestinationStream;
    /** The in-process worker's "now" for day-based jobs (cost sync). */
    clock?: () => Date;
  } = {},
): Promise<Stack> {
  const db = await scratchDatabase();
  const api = await startTestApi({ DATABASE_URL: db.url, ...options.apiEnv }, { logDestination: options.logDestination });
  const workerEnv = { ...FAST_WORKER_ENV, DATABASE_URL: db.url, VAULTRUN_REDIS_PREFIX: api.config.redisPrefix, REDIS_URL: api.config.redisUrl, ...options.workerEnv };
  const worker = options.inProcessWorker === false ? null : await startTestWorker(workerEnv, { logDestination: options.logDestination, clock: options.clock });
  const ws = await seedWorkspace(api.db);
  const [admin, member] = await Promise.all([signIn(api.url, ws.users.admin), signIn(api.url, ws.users.member)]);
  return {
    dbUrl: db.url,
    api,
    worker,
    ws,
    admin,
    member,
    workerEnv,
    async close() {
      await worker?.stop();
      await api.close();
      await db.drop();
    },
  };
}

/** Starts `count` runs of an operator through the API, `parallel` at a time; returns their ids in order. */
export async function startRuns(s: Session, operatorId: string, count: number, input: (i: number) => string, parallel = 20): Promise<string[]> {
  const ids: string[] = new Array(count);
  for (let i = 0; i < count; i += parallel) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(parallel, count - i) }, (_, j) => as(s).post('/api/v1/runs', { operatorId, input: input(i + j) })),
    );
    batch.forEach((res, j) => {
      if (res.status !== 202) throw new Error(`run ${i + j} refused: ${res.status} ${JSON.stringify(res.body)}`);
      ids[i + j] = res.body.id;
    });
  }
  return ids;
}
