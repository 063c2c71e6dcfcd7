import type { HoldClosing, RunQuote } from '@vaultrun/money';
import type { DataSource } from 'typeorm';
import type { MissionEngine } from '../missions/engine.js';
import type { RunBus } from './bus.js';
import type { ProviderCache } from './key-cache.js';
import type { AccountLimiter } from './limits.js';
import type { EngineLog } from './log.js';

/** What executing a run came to; the processor moves the job accordingly. */
export type ExecuteOutcome =
  | { outcome: 'succeeded' | 'failed' | 'cancelled' | 'blocked' | 'skipped' }
  /** Not now: try again at `at` (ms since epoch). The job goes back to delayed and holds no worker slot. */
  | { outcome: 'waiting'; at: number };

/** Backoff between retryable failures; how many attempts a run gets is decided when it is created. */
export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Hooks for metrics; the engine stays free of any metrics library. */
export interface ExecutorObserver {
  providerCall?(kind: string, seconds: number, outcome: string): void;
  providerError?(code: string): void;
  accountWait?(reason: string): void;
  runFinished?(status: string): void;
  runBlocked?(code: string): void;
  /** This worker stopped a provider call because it could no longer prove it held the run's lease. */
  leaseLost?(why: LeaseLoss): void;
}

/** `taken_over`: the lease is no longer this worker's; `unconfirmed`: it could not be renewed before it ran out. */
export type LeaseLoss = 'taken_over' | 'unconfirmed';

export interface ExecutorDeps {
  db: DataSource;
  limiter: AccountLimiter;
  providers: ProviderCache;
  bus: RunBus;
  /** Identifies this worker process in run leases. */
  workerId: string;
  leaseTtlMs: number;
  /** How long a budget hold lives (longer than the longest provider call); then the sweeper counts it as spent. */
  holdTtlMs: number;
  retry: RetryPolicy;
  observer?: ExecutorObserver;
  log?: EngineLog;
  /**
   * Wakes runs that waited for a slot of `accountId` (moves their delayed jobs forward); the limiter keeps the freed
   * slot for them meanwhile. A run whose job is not delayed yet (it is still on its way there) gives that reservation
   * up with `limiter.wait` (it stays first in line); a run whose job is gone leaves the line with `limiter.leave`.
   */
  wake?: (accountId: string, runIds: string[]) => Promise<void>;
  /** Mission steps and copilot runs: the dependency gate and what follows a run's end. */
  missions?: Pick<MissionEngine, 'gate' | 'skip' | 'stepEnded' | 'recordCopilotAnswer'>;
}

/** Why a provider call's AbortSignal fired: a cancel, a shutdown, or this worker lost the run's lease. */
export const LEASE_LOST = 'lease_lost';

/** The provider call this worker is making for a run, and whether budget holds were taken for it. */
export interface Attempt {
  number: number;
  holds: boolean;
}

/** How the attempt's holds close when the run's next transition is written. */
export interface Money {
  attempt: Attempt;
  closing: HoldClosing;
  /** After an answer with usage: record the provider's prompt count against this estimate (token_calibrations). */
  calibrate?: { estimatedPromptTokens: number };
}

/** What the budget guardrail priced for this attempt: the quote and the prompt estimate it came from. */
export interface Pricing {
  quote: RunQuote;
  estimatedPromptTokens: number;
  /** Only real providers are calibrated: the mock's count is the estimator's own. */
  calibrates: boolean;
}
