import { useEffect, useState, useSyncExternalStore } from 'react';
import type { RunDto } from '../../api/generated/types.gen.js';
import { useMe } from '../../lib/session.js';

/**
 * One `run` event of GET /api/v1/runs/stream. The OpenAPI document describes the stream's payload only in
 * prose, so the type is derived from the generated RunDto (same field names and value types).
 */
export type RunChange = Pick<RunDto, 'id' | 'status'> &
  Partial<Pick<RunDto, 'kind' | 'operatorId' | 'accountId' | 'statusReason' | 'nextAttemptAt'>> & {
    errorCode?: string | null;
    at: string;
  };

export type LiveState = 'connecting' | 'open' | 'closed';

const STREAM_URL = '/api/v1/runs/stream';
/** The server sends a heartbeat every 15 s; three missed ones mean the connection is dead (e.g. a half-open proxy). */
const SILENCE_LIMIT_MS = 45_000;
/** Keeps the connection through a navigation from one live page to the next (Runs → a run). */
const LINGER_MS = 3_000;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

function isRunChange(value: unknown): value is RunChange {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && typeof v.status === 'string' && typeof v.at === 'string';
}

/**
 * The console's single EventSource on the run stream, shared by every page that shows runs. It opens when the
 * first page needs it and closes a little after the last one leaves. EventSource reconnects by itself after a
 * network error; when the server refuses the stream (a 401/403/5xx closes it for good) this retries with backoff.
 * Each time it opens, `onOpen` listeners refetch whatever was read before that moment: a change made before the
 * stream was listening (or during a gap) is never announced again.
 */
class RunStream {
  private source: EventSource | null = null;
  private workspaceId: string | null = null;
  private holders = 0;
  private state: LiveState = 'closed';
  private retryDelay = RETRY_MIN_MS;
  private retryTimer: number | undefined;
  private lingerTimer: number | undefined;
  private silenceTimer: number | undefined;
  private readonly stateListeners = new Set<() => void>();
  private readonly changeListeners = new Set<(change: RunChange) => void>();
  private readonly openListeners = new Set<(openedAt: number) => void>();
  private readonly refusedListeners = new Set<() => void>();

  /** Keeps the stream open for a workspace until the returned function is called. */
  retain(workspaceId: string): () => void {
    window.clearTimeout(this.lingerTimer);
    if (this.workspaceId !== workspaceId) {
      // The server binds a stream to the workspace of the session when it opens: a switch needs a new one.
      this.disconnect();
      this.workspaceId = workspaceId;
    }
    this.holders++;
    if (!this.source && this.retryTimer === undefined) this.connect();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders--;
      if (this.holders === 0) this.lingerTimer = window.setTimeout(() => this.disconnect(), LINGER_MS);
    };
  }

  readonly subscribeState = (listener: () => void) => {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  };

  readonly getState = (): LiveState => this.state;

  onChange(listener: (change: RunChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onOpen(listener: (openedAt: number) => void): () => void {
    this.openListeners.add(listener);
    return () => this.openListeners.delete(listener);
  }

  /** Called when the server closed the stream for good (the session may have ended). */
  onRefused(listener: () => void): () => void {
    this.refusedListeners.add(listener);
    return () => this.refusedListeners.delete(listener);
  }

  private setState(next: LiveState): void {
    if (this.state === next) return;
    this.state = next;
    this.stateListeners.forEach((l) => l());
  }

  private connect(): void {
    this.retryTimer = undefined;
    const source = new EventSource(STREAM_URL, { withCredentials: true });
    this.source = source;
    this.setState('connecting');

    source.onopen = () => {
      const openedAt = Date.now();
      this.retryDelay = RETRY_MIN_MS;
      this.setState('open');
      this.heard();
      this.openListeners.forEach((l) => l(openedAt));
    };
    source.addEventListener('run', (event) => {
      this.heard();
      let change: unknown;
      try {
        change = JSON.parse((event as MessageEvent<string>).data);
      } catch {
        return;
      }
      if (isRunChange(change)) this.changeListeners.forEach((l) => l(change));
    });
    source.addEventListener('heartbeat', () => this.heard());
    source.onerror = () => {
      if (this.source !== source) return;
      window.clearTimeout(this.silenceTimer);
      if (source.readyState === EventSource.CLOSED) {
        // Refused (not a network blip): EventSource gives up, so retry ourselves, slower each time.
        this.drop();
        this.refusedListeners.forEach((l) => l());
        this.scheduleRetry();
      } else {
        this.setState('connecting');
      }
    };
  }

  private heard(): void {
    window.clearTimeout(this.silenceTimer);
    this.silenceTimer = window.setTimeout(() => {
      this.drop();
      this.connect();
    }, SILENCE_LIMIT_MS);
  }

  private scheduleRetry(): void {
    if (this.holders === 0) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay * 2);
    this.retryTimer = window.setTimeout(() => this.connect(), delay + Math.random() * 250);
  }

  private drop(): void {
    window.clearTimeout(this.silenceTimer);
    if (this.source) {
      this.source.onopen = null;
      this.source.onerror = null;
      this.source.close();
      this.source = null;
    }
    this.setState('closed');
  }

  private disconnect(): void {
    window.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    window.clearTimeout(this.lingerTimer);
    this.retryDelay = RETRY_MIN_MS;
    this.drop();
  }
}

export const runStream = new RunStream();

/** How long a page waits for the stream before it loads its runs anyway (they refresh when the stream opens). */
const READY_FALLBACK_MS = 2_000;

/**
 * Keeps the run stream open while the calling page is shown. `ready` turns true once the stream is open (or
 * after a short wait if it cannot open): pages load their runs only then, so no change falls between the
 * first read and the first event.
 */
export function useRunStream(): { state: LiveState; ready: boolean } {
  const workspaceId = useMe().workspace?.id ?? null;
  useEffect(() => (workspaceId ? runStream.retain(workspaceId) : undefined), [workspaceId]);
  const state = useSyncExternalStore(runStream.subscribeState, runStream.getState);
  const [waitedEnough, setWaitedEnough] = useState(false);
  useEffect(() => {
    const timer = window.setTimeout(() => setWaitedEnough(true), READY_FALLBACK_MS);
    return () => window.clearTimeout(timer);
  }, []);
  const [wasOpen, setWasOpen] = useState(state === 'open');
  if (state === 'open' && !wasOpen) setWasOpen(true);
  return { state, ready: wasOpen || waitedEnough };
}
