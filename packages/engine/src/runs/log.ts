/**
 * Where the engine reports what went wrong around its work without changing its outcome: one log line with its
 * context. The engine has no logging library; each app passes its own logger (the worker's and the API's pino).
 */
export interface EngineLog {
  warn(details: Record<string, unknown>, message: string): void;
}
