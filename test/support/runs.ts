import type supertest from 'supertest';

type Client = { get(path: string): supertest.Test };

/** Polls a run until it reaches one of `statuses` (default: any final one). */
export async function waitForRun(client: Client, runId: string, statuses = ['succeeded', 'failed', 'cancelled', 'blocked'], timeoutMs = 20_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, any> = {};
  while (Date.now() < deadline) {
    last = (await client.get(`/api/v1/runs/${runId}`)).body;
    if (statuses.includes(last.status)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`run ${runId} did not reach ${statuses.join('/')} in ${timeoutMs} ms (last: ${last.status} ${last.statusReason ?? ''})`);
}

export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Reads until `check` passes and returns what passed; on a timeout, says what it still read. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T = await read();
  while (!check(last)) {
    if (Date.now() > until) throw new Error(`${what}: still ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 150));
    last = await read();
  }
  return last;
}

/** Fast timings for tests: short leases, quick reconciliation and retries. */
export const FAST_WORKER_ENV = {
  // Short enough that recovery tests (a killed worker's runs) finish quickly, long enough that a worker on a loaded
  // machine — renewals waiting seconds for a database connection — does not give up its own calls (it aborts a call
  // once it cannot confirm its lease shortly before the lease would run out).
  VAULTRUN_RUN_LEASE_MS: '10000',
  VAULTRUN_RECONCILE_EVERY_MS: '500',
  VAULTRUN_RETRY_BASE_MS: '50',
  VAULTRUN_RETRY_MAX_MS: '200',
  VAULTRUN_WORKER_SHUTDOWN_GRACE_MS: '2000',
};
