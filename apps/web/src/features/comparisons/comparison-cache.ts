import { type InfiniteData, type Query, type QueryClient, useQueryClient } from '@tanstack/react-query';
import { getComparisonQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ComparisonDto, ComparisonPageDto } from '../../api/generated/types.gen.js';
import { readAgain } from '../../lib/read-again.js';
import { type LiveState, runStream, useRunStream } from '../runs/run-stream.js';

/*
 * A comparison is two runs: the run stream says when either changes, and the comparison is read again (its
 * outputs, tokens, costs and estimate check come from the API, which computes them from the runs). Changes
 * arrive in bursts (queued → running → succeeded within milliseconds on the mock), so refetches are coalesced.
 */

const REFETCH_AFTER_MS = 150;
const idOf = (query: Query) => (query.queryKey[0] as { _id?: unknown } | undefined)?._id;
const isComparisonQuery = (query: Query) => idOf(query) === 'getComparison' || idOf(query) === 'listComparisons';

function comparisonsIn(data: unknown): ComparisonDto[] {
  if (!data || typeof data !== 'object') return [];
  if ('pages' in data) return (data as InfiniteData<ComparisonPageDto>).pages.flatMap((p) => p.items);
  if ('items' in data) return (data as ComparisonPageDto).items;
  return 'mock' in data ? [data as ComparisonDto] : [];
}

const showsRun = (query: Query, runId: string) => comparisonsIn(query.state.data).some((c) => c.mock.runId === runId || c.live.runId === runId);

let installed = false;

/**
 * Refetches every cached comparison query that shows a run that changed — and the lists when a comparison run they
 * do not show yet changes (a comparison started elsewhere: its row follows its runs). When the stream (re)opens,
 * whatever was read before that moment is read again. Installed once for the whole console, like the runs' cache
 * sync, so no change is missed while one page gives way to the next.
 */
function installComparisonSync(qc: QueryClient): void {
  if (installed) return;
  installed = true;
  const stale = new Set<string>();
  let listsStale = false;
  let timer: number | undefined;
  const flush = () => {
    timer = undefined;
    const hashes = new Set(stale);
    const lists = listsStale;
    stale.clear();
    listsStale = false;
    void readAgain(qc, { predicate: (q) => hashes.has(q.queryHash) || (lists && idOf(q) === 'listComparisons') });
  };
  runStream.onChange((change) => {
    let shown = false;
    for (const query of qc.getQueryCache().findAll({ predicate: isComparisonQuery })) {
      if (!showsRun(query, change.id)) continue;
      stale.add(query.queryHash);
      if (idOf(query) === 'listComparisons') shown = true;
    }
    if (change.kind === 'comparison' && !shown) listsStale = true;
    if ((stale.size || listsStale) && timer === undefined) timer = window.setTimeout(flush, REFETCH_AFTER_MS);
  });
  runStream.onOpen((openedAt) => {
    void readAgain(qc, { predicate: (q) => isComparisonQuery(q) && (q.state.fetchStatus === 'fetching' || (q.state.dataUpdatedAt > 0 && q.state.dataUpdatedAt < openedAt)) });
  });
}

/** Live comparisons for the calling page: keeps the run stream open and the comparison queries in step (`ready` as in useRunStream). */
export function useComparisonsFollowRuns(): { state: LiveState; ready: boolean } {
  installComparisonSync(useQueryClient());
  return useRunStream();
}

/**
 * After this client started a comparison: show the answer at once, and read it again — its runs may have moved on
 * before the answer arrived, and those changes were announced before anything here showed them.
 */
export function rememberComparison(qc: QueryClient, comparison: ComparisonDto): void {
  const key = getComparisonQueryKey({ path: { comparisonId: comparison.id } });
  qc.setQueryData(key, comparison);
  void qc.invalidateQueries({ queryKey: key, exact: true });
  void qc.invalidateQueries({ predicate: (q) => idOf(q) === 'listComparisons' });
}
