export const GATEWAY_CAPACITY = Symbol('GATEWAY_CAPACITY');
export const GATEWAY_WAITERS = Symbol('GATEWAY_WAITERS');
export const GATEWAY_ADMISSIONS = Symbol('GATEWAY_ADMISSIONS');
export const GATEWAY_UPSTREAMS = Symbol('GATEWAY_UPSTREAMS');
/** A `runs` queue handle: a slot a gateway call frees may go to a waiting run, whose delayed job is then woken. */
export const GATEWAY_RUNS_QUEUE = Symbol('GATEWAY_RUNS_QUEUE');
/** Announces finished calls on the runs' live channel (the console's Runs page shows them as they end). */
export const GATEWAY_RUN_BUS = Symbol('GATEWAY_RUN_BUS');
