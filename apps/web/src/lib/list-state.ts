import { useCallback, useEffect, useMemo, useState } from 'react';
import { useLocation, useSearchParams } from 'react-router';

export interface SortState {
  key: string;
  direction: 'asc' | 'desc';
}

/** The API's `sort` parameter: `name` ascending, `-name` descending. */
export const sortParam = (sort: SortState) => (sort.direction === 'desc' ? `-${sort.key}` : sort.key);

export interface ListState {
  /** What the user typed (shown in the box). */
  search: string;
  /** The search to send: settles 250 ms after typing stops. */
  query: string;
  filters: Record<string, string>;
  sort: SortState;
  page: number;
  pageSize: number;
  setSearch(value: string): void;
  setFilter(name: string, value: string): void;
  /** Several filters in one navigation (two setFilter calls in one event would each start from the same URL). */
  setFilters(values: Record<string, string>): void;
  setSort(sort: SortState): void;
  setPage(page: number): void;
  clear(): void;
  /** Whether a search or a filter narrows the list. */
  narrowed: boolean;
}

/**
 * A list's search, filters, sort and page, kept in the URL (`?q=…&status=…&sort=-name&page=2`) so a filtered view
 * can be shared, bookmarked and survives reload and the back button. `prefix` keeps two lists on one page apart.
 */
export function useListState({ filters: filterNames = [], defaultSort, pageSize = 25, prefix = '' }: { filters?: string[]; defaultSort: SortState; pageSize?: number; prefix?: string }): ListState {
  const [params, setParams] = useSearchParams();
  const name = useCallback((key: string) => `${prefix}${key}`, [prefix]);
  const urlQuery = params.get(name('q')) ?? '';
  const [search, setSearchText] = useState(urlQuery);
  const [query, setQuery] = useState(urlQuery);

  // The URL follows the search box after a pause, not on every key.
  useEffect(() => {
    if (search === query) return;
    const timer = window.setTimeout(() => {
      setQuery(search);
      setParams(
        (p) => {
          const next = new URLSearchParams(p);
          if (search.trim()) next.set(name('q'), search);
          else next.delete(name('q'));
          next.delete(name('page'));
          return next;
        },
        { replace: true },
      );
    }, 250);
    return () => window.clearTimeout(timer);
  }, [search, query, setParams, name]);

  const rawSort = params.get(name('sort'));
  const sort = useMemo<SortState>(() => (rawSort ? { key: rawSort.replace(/^-/, ''), direction: rawSort.startsWith('-') ? 'desc' : 'asc' } : defaultSort), [rawSort, defaultSort]);
  const filters = useMemo(() => Object.fromEntries(filterNames.map((f) => [f, params.get(name(f)) ?? ''])), [params, filterNames, name]);
  const page = Math.max(1, Number(params.get(name('page')) ?? '1') || 1);

  const update = useCallback(
    (change: (p: URLSearchParams) => void) =>
      setParams(
        (p) => {
          const next = new URLSearchParams(p);
          change(next);
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );

  return {
    search,
    query: query.trim(),
    filters,
    sort,
    page,
    pageSize,
    narrowed: !!query.trim() || Object.values(filters).some(Boolean),
    setSearch: setSearchText,
    setFilter: (key, value) =>
      update((p) => {
        if (value) p.set(name(key), value);
        else p.delete(name(key));
        p.delete(name('page'));
      }),
    setFilters: (values) =>
      update((p) => {
        for (const [key, value] of Object.entries(values)) {
          if (value) p.set(name(key), value);
          else p.delete(name(key));
        }
        p.delete(name('page'));
      }),
    setSort: (next) =>
      update((p) => {
        p.set(name('sort'), sortParam(next));
        p.delete(name('page'));
      }),
    setPage: (next) =>
      update((p) => {
        if (next > 1) p.set(name('page'), String(next));
        else p.delete(name('page'));
      }),
    clear: () => {
      setSearchText('');
      setQuery('');
      update((p) => {
        for (const key of ['q', 'page', ...filterNames]) p.delete(name(key));
      });
    },
  };
}

/** Sorts and filters a list held in the browser (budgets: a handful per workspace) with the same state as server lists. */
export function compareBy<T>(value: (item: T) => string | number | null | undefined, direction: 'asc' | 'desc') {
  const sign = direction === 'asc' ? 1 : -1;
  return (a: T, b: T) => {
    const x = value(a);
    const y = value(b);
    if (x === y) return 0;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { sensitivity: 'base' })) * sign;
  };
}

/**
 * Which row is highlighted and which is open: a link to `#<prefix>-<id>` (from the audit trail, a blocked run) opens
 * and highlights that row, as does creating an item (`select`).
 */
export function useRowFocus(prefix: string) {
  const { hash } = useLocation();
  const fromHash = hash.startsWith(`#${prefix}-`) ? hash.slice(prefix.length + 2) : null;
  const [chosen, setChosen] = useState<{ highlight: string | null; open: string | null }>({ highlight: null, open: null });
  useEffect(() => {
    if (fromHash) setChosen({ highlight: fromHash, open: fromHash });
  }, [fromHash]);
  return {
    highlightId: chosen.highlight,
    openId: chosen.open,
    /** A new item: highlighted and opened. */
    select: (id: string) => setChosen({ highlight: id, open: id }),
    toggle: (id: string) => setChosen((c) => ({ ...c, open: c.open === id ? null : id })),
  };
}
