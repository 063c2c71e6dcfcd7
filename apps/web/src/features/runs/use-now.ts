import { useEffect, useReducer } from 'react';

/**
 * The current time for countdowns, running durations and "2 min ago": re-renders every `everyMs` while `active`,
 * and reads the clock at each render, so a render caused by new data never shows a time from before it.
 */
export function useNow(everyMs = 1000, active = true): number {
  const [, tick] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(tick, everyMs);
    return () => window.clearInterval(timer);
  }, [everyMs, active]);
  return Date.now();
}
