import { type RefObject, useEffect } from 'react';

/**
 * Wide content that scrolls sideways inside the page (tables on a phone, the spend chart) instead of widening it.
 * Any element matching this selector, anywhere under the shell, is handled — pages keep writing
 * `<div className="table-wrap">`, and tables added later are covered without a wrapper component.
 */
const SCROLL_REGION_SELECTOR = '.table-wrap, .spend-chart-frame';

/** The region's name for screen readers: its table's caption, else the heading of the card or section it sits in. */
function regionName(region: HTMLElement): string {
  const caption = region.querySelector('caption')?.textContent?.trim();
  if (caption) return caption;
  const container = region.closest('section, .card, details');
  const heading = container?.querySelector('h2, h3, summary')?.textContent?.trim();
  return heading ? `${heading} (scrolls sideways)` : 'Table (scrolls sideways)';
}

function update(region: HTMLElement): void {
  const overflowing = region.scrollWidth > region.clientWidth + 1;
  if (overflowing) {
    // Keyboard users scroll it with the arrow keys once it has focus (WCAG 2.1.1; axe: scrollable-region-focusable).
    region.tabIndex = 0;
    region.setAttribute('role', 'region');
    region.setAttribute('aria-label', regionName(region));
    region.dataset.overflowing = region.scrollLeft + region.clientWidth >= region.scrollWidth - 1 ? 'end' : 'more';
  } else if (region.dataset.overflowing) {
    region.removeAttribute('tabindex');
    region.removeAttribute('role');
    region.removeAttribute('aria-label');
    delete region.dataset.overflowing;
  }
}

/**
 * Marks every sideways-scrolling region under `root` while it overflows: focusable, named, and with
 * `data-overflowing="more" | "end"`, which the stylesheet draws as an edge shadow and a "scroll sideways" hint. These
 * are attributes React does not manage, so its renders leave them alone; a resize, new rows or a scroll re-check them.
 */
export function useScrollRegionCues(root: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const container = root.current;
    if (!container) return;
    const watched = new Set<HTMLElement>();
    const resizes = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const region = entry.target instanceof HTMLElement ? entry.target.closest<HTMLElement>(SCROLL_REGION_SELECTOR) : null;
        if (region) update(region);
      }
    });
    const onScroll = (event: Event) => {
      if (event.target instanceof HTMLElement && watched.has(event.target)) update(event.target);
    };
    const scan = () => {
      for (const region of Array.from(container.querySelectorAll<HTMLElement>(SCROLL_REGION_SELECTOR))) {
        if (!watched.has(region)) {
          watched.add(region);
          resizes.observe(region);
          // Its content growing (rows loaded, columns shown) changes the overflow without resizing the region.
          if (region.firstElementChild) resizes.observe(region.firstElementChild);
        }
        update(region);
      }
      for (const region of Array.from(watched)) {
        if (!region.isConnected) {
          watched.delete(region);
          resizes.unobserve(region);
        }
      }
    };
    const mutations = new MutationObserver(scan);
    mutations.observe(container, { childList: true, subtree: true });
    container.addEventListener('scroll', onScroll, { capture: true, passive: true });
    scan();
    return () => {
      mutations.disconnect();
      resizes.disconnect();
      container.removeEventListener('scroll', onScroll, { capture: true });
    };
  }, [root]);
}
