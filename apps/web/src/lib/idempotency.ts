import { useRef } from 'react';
import { randomKey } from './random.js';

/**
 * The Idempotency-Key of a form that starts paid work (a run, a comparison, a message to the Copilot): the same
 * request sent again — a double click, a retry after a lost answer — carries the same key, so the API answers with
 * what the first one started instead of starting it twice. A changed request, or any request after `used()` (called
 * once the API accepted one), gets a new key.
 */
export function useIdempotencyKey(): { keyFor(request: unknown): string; used(): void } {
  const last = useRef<{ request: string; key: string } | null>(null);
  return {
    keyFor(request) {
      const json = JSON.stringify(request);
      if (last.current?.request !== json) last.current = { request: json, key: randomKey() };
      return last.current.key;
    },
    used() {
      last.current = null;
    },
  };
}
