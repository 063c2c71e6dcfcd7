export const REDIS = Symbol('REDIS');
export const RUN_EXECUTOR = Symbol('RUN_EXECUTOR');
export const RUN_BUS = Symbol('RUN_BUS');
export const LIMITER = Symbol('LIMITER');
export const MISSION_ENGINE = Symbol('MISSION_ENGINE');
