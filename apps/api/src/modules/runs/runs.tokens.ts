export const RUNS_QUEUE = Symbol('RUNS_QUEUE');
export const RUN_BUS = Symbol('RUN_BUS');
export const RUN_LIMITER = Symbol('RUN_LIMITER');
