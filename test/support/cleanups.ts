/**
 * Teardown for tests that set up several things (stacks, worker processes, a private Redis): runs every cleanup, the
 * last added first, even when one fails — so one broken cleanup cannot leave the others' processes running — and then
 * fails with what went wrong, so a teardown that breaks is seen instead of hidden.
 */
export async function runCleanups(cleanups: (() => Promise<unknown>)[]): Promise<void> {
  const failures: unknown[] = [];
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} cleanups failed`);
}
