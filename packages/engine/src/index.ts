// @vaultrun/engine — the run engine: the job contract (queues, job names, payloads), admission checks at boot,
// the executor (capacity → claim → budget hold → provider call → settle), the global per-account limiter, the
// run store (compare-and-set transitions), the reconciler, the live-update bus, and missions (plans, the Copilot,
// the flow engine). Everything another package or app may use is listed here; the rest is internal.
export {
  assertJobHandlers,
  DEFAULT_JOB_OPTIONS,
  JOB_NAMES,
  type JobName,
  type JobPayloads,
  missionFlow,
  QUEUES,
  RUN_JOB_OPTIONS,
} from './jobs.js';
export {
  assistantTurnText,
  boundHistory,
  COPILOT_MAX_OUTPUT_TOKENS,
  copilotInstructions,
  type Turn,
} from './missions/copilot.js';
export { type MissionBus, MissionEngine, type MissionJobs, STEP_PARK_MS } from './missions/engine.js';
export { checkPlan, referencesIn, topologicalOrder } from './missions/plan.js';
export { preflight } from './preflight.js';
export { createRedisConnection, describeRedisTarget, type RedisConnectionOptions, redisOptions, type RedisSettings } from './redis-connection.js';
export { cancelChannel, RunBus, type RunChange, runChannel } from './runs/bus.js';
export type { ExecuteOutcome, ExecutorObserver } from './runs/execution.js';
export type { EngineLog } from './runs/log.js';
export { RunExecutor } from './runs/executor.js';
export { messagesOf, promptRequestOf } from './runs/prompt.js';
export { type RunJson, type RunRow, runFromJson, runFromRow } from './runs/run-rows.js';
export { ProviderCache } from './runs/key-cache.js';
export { AccountLimiter } from './runs/limits.js';
export { reconcileRuns } from './runs/reconcile.js';
export { isFinal, transitionRun } from './runs/store.js';
// The OpenAI-compatible gateway's engine side: its place in the limiter's line (and the wake-ups runs and calls share),
// its record + holds statement, the record's end, lost calls, upstreams per account.
export { type Admission, type GatewayAttempt, GatewayAdmissions } from './gateway/admission.js';
export { GatewayCapacity, type NoSlot, type Slot, type SlotRequest } from './gateway/capacity.js';
export { finishGatewayCall, finishLostGatewayCalls, type GatewayFinish, LOST_CALL_MESSAGE } from './gateway/records.js';
export { GatewayUpstreams, type UpstreamAccount } from './gateway/upstreams.js';
export { gatewayWaiterId, GatewayWaiters, gatewayWakeChannel, isGatewayWaiter, sendGatewayWake, type WaitOutcome } from './gateway/waiters.js';
export { accountWaker, type WakeableJob, type WakeableQueue, type WakeDeps } from './wake.js';
export { type AccountLimits, type Denial } from './runs/limits.js';
