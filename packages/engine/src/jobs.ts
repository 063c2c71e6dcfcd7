/**
 * The job contract between the API (producer) and the worker (consumer).
 * Queue and job names are persisted in Redis: never rename one that may still be waiting there —
 * add a new name and retire the old one after it has drained.
 * Payloads carry ids only (never inputs, never keys); handlers reload what they need and are idempotent.
 */
export const QUEUES = {
  maintenance: 'maintenance',
  vault: 'vault',
  runs: 'runs',
  /** Outgoing webhooks: slow receivers never hold up maintenance. */
  notifications: 'notifications',
  /** Mission runs: the BullMQ flow parent of each approved plan (its children are the step runs on `runs`). */
  missions: 'missions',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface JobPayloads {
  /** Deletes expired console sessions and long-dead invites. */
  'purge-expired-sessions': { requestId?: string };
  /** Lists the models of every active account again; a refused key flips the account's status. */
  'reverify-provider-accounts': { requestId?: string };
  /** Executes one run. The job id is the run id; the payload holds ids only. */
  'execute-run': { runId: string; requestId?: string };
  /** Provider cost sync of the closed UTC days for one OpenAI account with an admin key, or (no id) for all of them. */
  'cost-sync': { accountId?: string; requestId?: string };
  /**
   * Delivers one budget alert to the workspace's webhook: a soft-threshold crossing (job id
   * `budget-alert:<budget>:<period ms>`) or, with `kind: 'overage'`, an overage (`budget-overage:<budget>:<period ms>-<raised ms>`).
   * Jobs queued before `kind` existed are soft-threshold alerts.
   */
  'budget-alert': { budgetId: string; periodStart: string; kind?: 'soft_threshold' | 'overage'; raisedAt?: string; requestId?: string };
  /** The flow parent of a mission run (job id = the mission run id): runs once every step's job is done. */
  'finish-mission': { runId: string; requestId?: string };
}
export type JobName = keyof JobPayloads;

/** Which queue each job travels on. */
export const JOB_QUEUE: Record<JobName, QueueName> = {
  'purge-expired-sessions': QUEUES.maintenance,
  'reverify-provider-accounts': QUEUES.vault,
  'execute-run': QUEUES.runs,
  'cost-sync': QUEUES.maintenance,
  'budget-alert': QUEUES.notifications,
  'finish-mission': QUEUES.missions,
};

export const JOB_NAMES = Object.keys(JOB_QUEUE) as JobName[];

/**
 * Boot check (after Immich's job repository): every job name must have exactly one handler,
 * and no handler may claim a job that does not exist.
 */
export function assertJobHandlers(handled: Iterable<JobName>): void {
  const seen = new Map<string, number>();
  for (const name of handled) seen.set(name, (seen.get(name) ?? 0) + 1);
  const problems: string[] = [];
  for (const name of JOB_NAMES) {
    const n = seen.get(name) ?? 0;
    if (n !== 1) problems.push(`job "${name}" has ${n} handlers`);
  }
  for (const name of seen.keys()) {
    if (!(name in JOB_QUEUE)) problems.push(`handler for unknown job "${name}"`);
  }
  if (problems.length) throw new Error(`Job contract violated: ${problems.join('; ')}`);
}

/**
 * Default options for every job: bounded retries with jittered exponential backoff, and finished
 * jobs trimmed by age and count so Redis does not grow without bound (Postgres keeps the history).
 */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 24 * 3600, count: 5000 },
} as const;

/**
 * Run jobs: removed as soon as they finish (Postgres keeps the history), so a run that must execute again —
 * recovered from a dead worker, or re-enqueued after Redis lost its jobs — can always get a job with its own id.
 * Attempts here only cover infrastructure failures (e.g. Postgres briefly down); provider retries are the
 * executor's business and never fail the job.
 */
export const RUN_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
  removeOnComplete: true,
  removeOnFail: true,
} as const;

/**
 * The flow of an approved plan: the mission run's `finish-mission` job is the parent, each step's `execute-run`
 * job a child (job id = run id). Steps with dependencies start parked (delayed) until the engine wakes them.
 * A child job that fails for good (infrastructure, not the run) still releases the parent: the engine, not
 * BullMQ, decides how the mission ended.
 */
export function missionFlow(missionRunId: string, steps: { runId: string; parked: boolean }[], parkMs: number, requestId?: string) {
  return {
    name: 'finish-mission' as const,
    queueName: QUEUES.missions,
    data: { runId: missionRunId, requestId } satisfies JobPayloads['finish-mission'],
    opts: { ...DEFAULT_JOB_OPTIONS, jobId: missionRunId, attempts: 10 },
    children: steps.map((s) => ({
      name: 'execute-run' as const,
      queueName: QUEUES.runs,
      data: { runId: s.runId, requestId } satisfies JobPayloads['execute-run'],
      opts: { ...RUN_JOB_OPTIONS, jobId: s.runId, ignoreDependencyOnFailure: true, ...(s.parked ? { delay: parkMs } : {}) },
    })),
  };
}
