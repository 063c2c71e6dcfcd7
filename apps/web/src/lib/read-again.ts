import type { QueryClient, QueryFilters } from '@tanstack/react-query';

/**
 * Reads the matching queries again because something changed: `invalidateQueries`, except that a *first* read in
 * flight (no data yet) is cancelled and started again as well. TanStack Query cancels a refetch in flight only when
 * the query already has data; a first read would be joined instead, and its answer may predate the change (a run
 * page opened while the mock finishes in milliseconds would stay on "running").
 */
export async function readAgain(qc: QueryClient, filters: QueryFilters): Promise<void> {
  const firstReadInFlight = (query: Parameters<NonNullable<QueryFilters['predicate']>>[0]) =>
    query.state.data === undefined && query.state.fetchStatus === 'fetching' && (filters.predicate?.(query) ?? true);
  await qc.cancelQueries({ ...filters, predicate: firstReadInFlight });
  await qc.invalidateQueries(filters);
}
