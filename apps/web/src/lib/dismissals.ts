import { useCallback, useSyncExternalStore } from 'react';

/**
 * Notices a person dismissed, remembered per user in this browser: localStorage `vaultrun.dismissed.<userId>`, a
 * JSON list of keys. A key names what was dismissed precisely enough that a new occurrence shows again (a budget's
 * alert is keyed by the budget and its period: next period's alert is new). Another person signing in on the same
 * browser has their own list. Nothing secret is stored; the newest 200 keys are kept.
 */
const MAX_KEYS = 200;
const listeners = new Set<() => void>();
const storageKey = (userId: string) => `vaultrun.dismissed.${userId}`;

function read(userId: string): string {
  try {
    return window.localStorage.getItem(storageKey(userId)) ?? '[]';
  } catch {
    return '[]'; // storage disabled: nothing was remembered
  }
}

function parse(raw: string): string[] {
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) ? value.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}

function subscribe(notify: () => void): () => void {
  listeners.add(notify);
  window.addEventListener('storage', notify);
  return () => {
    listeners.delete(notify);
    window.removeEventListener('storage', notify);
  };
}

export function useDismissals(userId: string): { isDismissed: (key: string) => boolean; dismiss: (keys: string[]) => void } {
  // The raw string is the snapshot: stable between changes, so React re-renders only when it changes.
  const raw = useSyncExternalStore(subscribe, () => read(userId));
  const dismissed = new Set(parse(raw));
  const dismiss = useCallback(
    (keys: string[]) => {
      const next = [...parse(read(userId)).filter((k) => !keys.includes(k)), ...keys].slice(-MAX_KEYS);
      try {
        window.localStorage.setItem(storageKey(userId), JSON.stringify(next));
      } catch {
        // Storage disabled or full: the notice stays (nothing else would remember the choice).
      }
      listeners.forEach((notify) => notify());
    },
    [userId],
  );
  return { isDismissed: (key) => dismissed.has(key), dismiss };
}
