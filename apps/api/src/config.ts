import { readFileSync } from 'node:fs';
import { apiConfig, ConfigError } from '@vaultrun/config';
import { loadKeyRing, MasterKeyError } from '@vaultrun/vault-core';

export { ConfigError };

export type AppConfig = ReturnType<typeof loadConfig>;

/**
 * Validates the API's part of the environment (the schema shared with the worker lives in @vaultrun/config) once at
 * boot and loads the master key ring; the message names every variable at fault.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const { masterKeys, ...settings } = apiConfig(env);
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

export const APP_CONFIG = Symbol('APP_CONFIG');
