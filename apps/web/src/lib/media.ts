import { useSyncExternalStore } from 'react';

/** Whether a CSS media query matches now; re-renders when that changes (a window resized, a phone turned). */
export function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (notify) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', notify);
      return () => list.removeEventListener('change', notify);
    },
    () => window.matchMedia(query).matches,
  );
}

/**
 * Below this width the sidebar becomes a drawer and the top bar one row. Keep it equal to the `max-width` of the
 * shell's media queries in styles.css.
 */
export const COMPACT_LAYOUT_QUERY = '(max-width: 820px)';
