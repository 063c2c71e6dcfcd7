export const ENVELOPE = Symbol('ENVELOPE');
export const SECRET_STORE = Symbol('SECRET_STORE');
export const ACCOUNT_VERIFIER = Symbol('ACCOUNT_VERIFIER');
/** The BullMQ maintenance queue (the API enqueues on-demand cost-sync jobs on it). */
export const MAINTENANCE_QUEUE = Symbol('MAINTENANCE_QUEUE');
/** Computes key fingerprints (keyed HMAC with the instance's fingerprint key). */
export const KEY_FINGERPRINTS = Symbol('KEY_FINGERPRINTS');
