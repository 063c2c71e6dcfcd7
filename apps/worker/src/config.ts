import { readFileSync } from 'node:fs';
import { ConfigError, workerConfig } from '@vaultrun/config';
import { loadKeyRing, MasterKeyError } from '@vaultrun/vault-core';

export { ConfigError };

export type WorkerConfig = ReturnType<typeof loadConfig>;

/**
 * Validates the worker's part of the environment (the schema shared with the API lives in @vaultrun/config) once at
 * boot and loads the master key ring; the message names every variable at fault.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const { masterKeys, ...settings } = workerConfig(env);
  try {
    return {
      ...settings,
      /** Master key-encryption keys. Never log this object. */
      keyRing: loadKeyRing({ ...masterKeys, readFile: (path) => readFileSync(path, 'utf8') }),
    };
  } catch (err) {
    if (err instanceof MasterKeyError) throw new ConfigError(`Invalid master key configuration: ${err.message}`);
    throw err;
  }
}

export const WORKER_CONFIG = Symbol('WORKER_CONFIG');

/** "Now" for jobs that work in days (cost sync): injectable so a test can pin the date instead of racing midnight. */
export type Clock = () => Date;
export const CLOCK = Symbol('CLOCK');
