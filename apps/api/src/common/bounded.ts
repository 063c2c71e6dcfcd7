/** What became of work given a deadline. */
export type Bounded<T> = { outcome: 'done'; value: T } | { outcome: 'failed'; error: unknown } | { outcome: 'timed_out' };

/**
 * Waits for `work` at most `ms`. Work still running at the deadline is not cancelled: its late result or error is
 * dropped (its rejection is handled here, so it never becomes an unhandled one). For best-effort side effects that
 * must not hold a request, e.g. Redis while it is down.
 */
export async function within<T>(ms: number, work: Promise<T>): Promise<Bounded<T>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Bounded<T>>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: 'timed_out' }), Math.max(0, ms));
  });
  try {
    return await Promise.race([work.then((value): Bounded<T> => ({ outcome: 'done', value }), (error: unknown): Bounded<T> => ({ outcome: 'failed', error })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
