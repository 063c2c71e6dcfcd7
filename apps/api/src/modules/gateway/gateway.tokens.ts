export const GATEWAY_CAPACITY = Symbol('GATEWAY_CAPACITY');
export const GATEWAY_WAITERS = Symbol('GATEWAY_WAITERS');
export const GATEWAY_ADMISSIONS = Symbol('GATEWAY_ADMISSIONS');
export const GATEWAY_UPSTREAMS = Symbol('GATEWAY_UPSTREAMS');
/** A `runs` queue handle: a slot a gateway call frees may go to a waiting run, whose delayed job is then woken. */
export const GATEWAY_RUNS_QUEUE = Symbol('GATEWAY_RUNS_QUEUE');
