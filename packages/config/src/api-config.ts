import { parseEnv, redisSettings } from './parse.js';
import { apiEnvSchema } from './variables.js';

/** Where the master key ring comes from; the app loads it (vault-core), this package only reads the variables. */
export interface MasterKeySource {
  keys: string | undefined;
  file: string | undefined;
  active: number | undefined;
}

export type ApiSettings = ReturnType<typeof apiConfig>;

/** The API's configuration: its part of the environment, validated (throws ConfigError naming every variable at fault). */
export function apiConfig(env: NodeJS.ProcessEnv) {
  const e = parseEnv(apiEnvSchema, env);
  const publicUrl = new URL(e.VAULTRUN_PUBLIC_URL);
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.VAULTRUN_API_HOST,
    port: e.VAULTRUN_API_PORT,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databasePoolMode: e.DATABASE_POOL_MODE,
    /** A read-only replica for the reports (analytics overview, spend report); unset: they read DATABASE_URL. */
    databaseReadUrl: e.DATABASE_READ_URL,
    redisUrl: e.REDIS_URL,
    /** Every Redis connection is built from this (engine's createRedisConnection): Sentinel or a single Redis. */
    redis: redisSettings(e),
    redisPrefix: e.VAULTRUN_REDIS_PREFIX,
    /** BullMQ keys live under the same prefix as everything else (the worker uses the same). */
    bullPrefix: `${e.VAULTRUN_REDIS_PREFIX}:bull`,
    runMaxAttempts: e.VAULTRUN_RUN_MAX_ATTEMPTS,
    enqueueTimeoutMs: e.VAULTRUN_ENQUEUE_TIMEOUT_MS,
    publicUrl: publicUrl.origin,
    consoleOrigin: e.VAULTRUN_CONSOLE_ORIGIN ?? publicUrl.origin,
    consoleDist: e.VAULTRUN_CONSOLE_DIST,
    bodyLimitBytes: e.VAULTRUN_BODY_LIMIT_BYTES,
    trustProxy: e.VAULTRUN_TRUST_PROXY,
    /** Cookies get `Secure` whenever the console is served over HTTPS. */
    secureCookies: publicUrl.protocol === 'https:',
    sessionTtlMs: e.VAULTRUN_SESSION_TTL_HOURS * 3600_000,
    inviteTtlMs: e.VAULTRUN_INVITE_TTL_HOURS * 3600_000,
    webhookAllowPrivate: e.VAULTRUN_WEBHOOK_ALLOW_PRIVATE,
    /** Where provider calls (verification, key checks, gateway calls) may connect; link-local and metadata never. */
    providerOutbound: { allowPrivate: e.VAULTRUN_PROVIDER_ALLOW_PRIVATE },
    gateway: {
      maxWaitMs: e.VAULTRUN_GATEWAY_MAX_WAIT_MS,
      bodyLimitBytes: e.VAULTRUN_GATEWAY_BODY_LIMIT_BYTES,
      timeoutMs: e.VAULTRUN_GATEWAY_TIMEOUT_MS,
      /** A call's record lease and budget holds: they outlive the longest call, then a lost call is finished (worst case kept). */
      holdTtlMs: e.VAULTRUN_GATEWAY_TIMEOUT_MS + 60_000,
      defaultMaxOutputTokens: e.VAULTRUN_GATEWAY_DEFAULT_MAX_OUTPUT_TOKENS,
      port: e.VAULTRUN_GATEWAY_PORT,
      publicUrl: (e.VAULTRUN_GATEWAY_PUBLIC_URL ?? `${publicUrl.origin}/v1`).replace(/\/+$/, ''),
    },
    /** The billing webhook's signing secret (docs/managed.md); unset: the webhook is off. */
    creditsWebhookSecret: e.VAULTRUN_CREDITS_WEBHOOK_SECRET,
    masterKeys: { keys: e.VAULTRUN_MASTER_KEYS, file: e.VAULTRUN_MASTER_KEYS_FILE, active: e.VAULTRUN_MASTER_KEY_ACTIVE } satisfies MasterKeySource,
    bootstrap: {
      email: e.VAULTRUN_ADMIN_EMAIL.trim().toLowerCase(),
      password: e.VAULTRUN_ADMIN_PASSWORD,
      name: e.VAULTRUN_ADMIN_NAME,
      workspaceName: e.VAULTRUN_WORKSPACE_NAME,
    },
  };
}
