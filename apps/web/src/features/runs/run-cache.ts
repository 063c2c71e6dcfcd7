import type { InfiniteData, Query, QueryClient } from '@tanstack/react-query';
import { getMeQueryKey, getQueueHealthQueryKey, getRunQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import { getRun } from '../../api/generated/sdk.gen.js';
import type { ListRunsData, RunDetailDto, RunDto, RunPageDto } from '../../api/generated/types.gen.js';
import { queryClient } from '../../lib/query-client.js';
import { readAgain } from '../../lib/read-again.js';
import { isFinal } from './run-labels.js';
import { type LiveState, type RunChange, runStream, useRunStream } from './run-stream.js';

/*
 * Keeps the TanStack Query cache in step with the run stream, so the Runs list and a run's page update
 * without polling:
 * - a change to a run in a loaded list patches its row (status, reason, next try); a final one fetches that
 *   run (GET /runs/{id}) for its tokens, duration and error; an unknown run that fits a list's filters is
 *   fetched the same way and inserted where it belongs (new runs appear at the top);
 * - an open run page is patched and refetched when its status changes (output, usage, timeline);
 * - queue health is refetched, coalesced (at most once a second);
 * - whenever the stream opens (first time, or after a gap), every run query read before that moment is
 *   refetched (pages wait for the stream before their first read, so normally there is none).
 * A final status never goes back; a "queued" that arrives after "running" (the API publishes it after
 * enqueueing, so a fast worker can overtake it) is checked against the server instead of being applied.
 */

type RunPages = InfiniteData<RunPageDto, unknown>;
type ListQueryKey = [{ _id: string; _infinite?: boolean; query?: NonNullable<ListRunsData['query']> }];

/** More runs to fetch one by one than this (a burst of new runs): refetch the lists instead. */
const MAX_PARALLEL_SYNCS = 6;
/** Queue health is refetched shortly after a run event (a burst is coalesced), then at most once a second. */
const QUEUE_HEALTH_COALESCE_MS = 150;
const QUEUE_HEALTH_MIN_INTERVAL_MS = 1_000;

function isRunListQuery(query: Query): boolean {
  const key = query.queryKey[0] as { _id?: string; _infinite?: boolean } | undefined;
  return key?._id === 'listRuns' && key._infinite === true;
}

function isRunQuery(query: Query): boolean {
  const id = (query.queryKey[0] as { _id?: string } | undefined)?._id;
  return id === 'listRuns' || id === 'getRun' || id === 'getQueueHealth';
}

export function toRunDto(detail: RunDetailDto | RunDto): RunDto {
  if (!('events' in detail)) return detail;
  const { events: _events, ...run } = detail;
  return run;
}

interface Applied<T> {
  next: T;
  /** Something shown changed. */
  changed: boolean;
  /** Only the server knows the rest (tokens, output, error), or the change is suspicious. */
  needsTruth: boolean;
}

/** What a change does to a cached run; null when it must be ignored. */
function applyChange<T extends RunDto>(run: T, change: RunChange): Applied<T> | null {
  // Final states are terminal: a late event cannot undo them.
  if (isFinal(run.status)) return null;
  // "queued" after "running" is either a late publish or a worker handing the run back: ask the server.
  if (change.status === 'queued' && run.status !== 'queued') return { next: run, changed: false, needsTruth: true };
  const sameStatus = change.status === run.status;
  const statusReason = change.statusReason !== undefined ? change.statusReason : sameStatus ? run.statusReason : null;
  const nextAttemptAt = change.status === 'waiting' ? (change.nextAttemptAt ?? (sameStatus ? run.nextAttemptAt : null)) : null;
  const timings = { ...run.timings };
  if (change.status === 'running' && !timings.startedAt) timings.startedAt = change.at;
  if (isFinal(change.status) && !timings.finishedAt) timings.finishedAt = change.at;
  const next: T = { ...run, status: change.status, statusReason, nextAttemptAt, timings };
  const changed = !sameStatus || statusReason !== run.statusReason || nextAttemptAt !== run.nextAttemptAt;
  return { next, changed, needsTruth: isFinal(change.status) };
}

function matchesFilters(query: Query, run: Pick<RunDto, 'status' | 'kind' | 'operatorId' | 'accountId'>): boolean {
  const filters = (query.queryKey as ListQueryKey)[0].query ?? {};
  if (filters.status?.length && !filters.status.includes(run.status)) return false;
  if (filters.kind && filters.kind !== run.kind) return false;
  if (filters.operatorId && filters.operatorId !== run.operatorId) return false;
  if (filters.accountId && filters.accountId !== run.accountId) return false;
  return true;
}

function newestFirst(a: RunDto, b: RunDto): number {
  return a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1;
}

/** Puts a run into the loaded pages where it belongs (newest first), or leaves them alone when it is older than what is loaded. */
function insertRun(data: RunPages, run: RunDto): RunPages | null {
  const pages = data.pages;
  const complete = pages[pages.length - 1]?.nextCursor === null;
  const index = pages.findIndex((p, i) => {
    const last = p.items[p.items.length - 1];
    return !last || newestFirst(run, last) <= 0 || (i === pages.length - 1 && complete);
  });
  if (index === -1) return null;
  return {
    ...data,
    pages: pages.map((p, i) => (i === index ? { ...p, items: [...p.items, run].sort(newestFirst) } : p)),
  };
}

function replaceRun(data: RunPages, run: RunDto): RunPages {
  return { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map((r) => (r.id === run.id ? run : r)) })) };
}

function findRun(data: RunPages | undefined, runId: string): RunDto | undefined {
  for (const page of data?.pages ?? []) {
    const found = page.items.find((r) => r.id === runId);
    if (found) return found;
  }
  return undefined;
}

class RunCacheSync {
  private readonly inflight = new Map<string, { again: boolean }>();
  /** Changes that arrived while a list was loading: its answer may predate them, so they are applied again after. */
  private readonly replay = new Map<string, RunChange[]>();
  private queueHealthTimer: number | undefined;
  private queueHealthAt = 0;
  private listRefetchTimer: number | undefined;

  constructor(private readonly qc: QueryClient) {
    runStream.onChange((change) => this.apply(change));
    runStream.onOpen((openedAt) => {
      // Cancel-and-refetch what is loading and refetch what was read before the stream listened.
      void readAgain(this.qc, { predicate: (q) => isRunQuery(q) && (q.state.fetchStatus === 'fetching' || (q.state.dataUpdatedAt > 0 && q.state.dataUpdatedAt < openedAt)) });
    });
    // The stream was refused: if the session ended, refetching it sends the user to sign in.
    runStream.onRefused(() => void this.qc.invalidateQueries({ queryKey: getMeQueryKey() }));
    this.qc.getQueryCache().subscribe((event) => {
      if (event.type !== 'updated' || !this.replay.has(event.query.queryHash)) return;
      if (event.action.type !== 'success' && event.action.type !== 'error') return;
      const changes = this.replay.get(event.query.queryHash) ?? [];
      this.replay.delete(event.query.queryHash);
      if (event.action.type === 'success') changes.forEach((c) => this.applyToList(event.query, c));
    });
  }

  apply(change: RunChange): void {
    this.applyToDetail(change);
    let known = false;
    let fits = false;
    for (const query of this.qc.getQueryCache().findAll({ predicate: isRunListQuery })) {
      if (findRun(query.state.data as RunPages | undefined, change.id)) known = true;
      else if (query.state.data && matchesFilters(query, { status: change.status, kind: change.kind ?? 'operator', operatorId: change.operatorId ?? null, accountId: change.accountId ?? '' })) fits = true;
      this.applyToList(query, change);
    }
    // A run no loaded list has yet (typically a new one): fetch it, and insert it where it fits.
    if (fits && !known) this.sync(change.id);
    this.scheduleQueueHealth();
  }

  private applyToDetail(change: RunChange): void {
    const key = getRunQueryKey({ path: { runId: change.id } });
    const state = this.qc.getQueryState<RunDetailDto>(key);
    if (!state) return;
    if (state.fetchStatus === 'fetching') {
      // The answer in flight may have been read before this change: ask again.
      void readAgain(this.qc, { queryKey: key, exact: true });
      return;
    }
    if (!state.data) return;
    const applied = applyChange(state.data, change);
    if (!applied) return;
    if (applied.changed) this.qc.setQueryData<RunDetailDto>(key, applied.next);
    // Output, usage, timings and the new timeline entry come with the run itself.
    if (applied.changed || applied.needsTruth) void this.qc.invalidateQueries({ queryKey: key, exact: true });
  }

  private applyToList(query: Query, change: RunChange): void {
    if (query.state.fetchStatus === 'fetching') {
      const pending = this.replay.get(query.queryHash) ?? [];
      pending.push(change);
      this.replay.set(query.queryHash, pending);
    }
    const data = query.state.data as RunPages | undefined;
    const run = findRun(data, change.id);
    if (!data || !run) return;
    const applied = applyChange(run, change);
    if (!applied) return;
    if (applied.changed) this.qc.setQueryData<RunPages>(query.queryKey, (old) => (old ? replaceRun(old, applied.next) : old));
    if (applied.needsTruth) this.sync(change.id);
  }

  /** Fetches one run and writes it wherever it is shown (coalesced: one request per run at a time). */
  private sync(runId: string): void {
    const running = this.inflight.get(runId);
    if (running) {
      running.again = true;
      return;
    }
    if (this.inflight.size >= MAX_PARALLEL_SYNCS) {
      this.scheduleListRefetch();
      return;
    }
    const entry = { again: false };
    this.inflight.set(runId, entry);
    void getRun({ path: { runId }, throwOnError: true, meta: { authRedirect: false } })
      .then(({ data }) => this.store(data))
      // The run could not be read (network, session): read the lists instead. If that fails too, the page shows the
      // list's error (and an ended session sends the user to sign in), so nothing is lost without a word.
      .catch(() => this.scheduleListRefetch())
      .finally(() => {
        this.inflight.delete(runId);
        if (entry.again) this.sync(runId);
      });
  }

  private store(detail: RunDetailDto): void {
    const detailKey = getRunQueryKey({ path: { runId: detail.id } });
    if (this.qc.getQueryState(detailKey)) this.qc.setQueryData<RunDetailDto>(detailKey, detail);
    const run = toRunDto(detail);
    for (const query of this.qc.getQueryCache().findAll({ predicate: isRunListQuery })) {
      const data = query.state.data as RunPages | undefined;
      if (!data) continue;
      if (findRun(data, run.id)) {
        this.qc.setQueryData<RunPages>(query.queryKey, (old) => (old ? replaceRun(old, run) : old));
      } else if (matchesFilters(query, run)) {
        const next = insertRun(data, run);
        if (next) this.qc.setQueryData<RunPages>(query.queryKey, next);
      }
    }
  }

  private scheduleListRefetch(): void {
    window.clearTimeout(this.listRefetchTimer);
    this.listRefetchTimer = window.setTimeout(() => void this.qc.invalidateQueries({ predicate: isRunListQuery }), 500);
  }

  private scheduleQueueHealth(): void {
    // One refetch already pending will read this change too (events are published after the change commits).
    if (this.queueHealthTimer !== undefined) return;
    const delay = Math.max(QUEUE_HEALTH_COALESCE_MS, QUEUE_HEALTH_MIN_INTERVAL_MS - (Date.now() - this.queueHealthAt));
    this.queueHealthTimer = window.setTimeout(() => {
      this.queueHealthTimer = undefined;
      this.queueHealthAt = Date.now();
      void this.qc.invalidateQueries({ queryKey: getQueueHealthQueryKey() });
    }, delay);
  }
}

let installed: RunCacheSync | undefined;

/** Live run updates for the calling page: opens the shared stream and keeps the cache in step (see useRunStream). */
export function useLiveRuns(): { state: LiveState; ready: boolean } {
  installed ??= new RunCacheSync(queryClient);
  return useRunStream();
}

/**
 * After this client created or cancelled a run: show it at once, without waiting for the stream. A detail
 * (the cancel answer) is the server's current truth and replaces what is cached; a freshly created run is
 * only inserted, since the stream may already have reported it further along.
 */
export function rememberRun(run: RunDto | RunDetailDto): void {
  installed ??= new RunCacheSync(queryClient);
  const authoritative = 'events' in run;
  if (authoritative) queryClient.setQueryData<RunDetailDto>(getRunQueryKey({ path: { runId: run.id } }), run);
  const dto = toRunDto(run);
  for (const query of queryClient.getQueryCache().findAll({ predicate: isRunListQuery })) {
    const data = query.state.data as RunPages | undefined;
    if (!data) continue;
    if (findRun(data, run.id)) {
      if (authoritative) queryClient.setQueryData<RunPages>(query.queryKey, (old) => (old ? replaceRun(old, dto) : old));
    } else if (matchesFilters(query, dto)) {
      const next = insertRun(data, dto);
      if (next) queryClient.setQueryData<RunPages>(query.queryKey, next);
    }
  }
}
