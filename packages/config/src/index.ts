export { apiConfig, type ApiSettings, type MasterKeySource } from './api-config.js';
export { workerConfig, type WorkerSettings } from './worker-config.js';
export { ConfigError, parseEnv, redisSettings, setVariables } from './parse.js';
export { parseTrustProxy } from './trust-proxy.js';
export {
  apiEnvSchema,
  type ApiEnv,
  type ConfigReader,
  envSchema,
  VARIABLE_NAMES,
  VARIABLES,
  type VariableName,
  type VariableSpec,
  variablesReadBy,
  workerEnvSchema,
  type WorkerEnv,
} from './variables.js';
export { VARIABLE_DOCS, type VariableDoc } from './docs.js';
export { namesInEnvExample, renderDocsTable, renderEnvExample, withDocsTable } from './env-example.js';
