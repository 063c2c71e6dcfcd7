import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { loadKeyRing, MasterKeyError } from '@vaultrun/vault-core';
import { z } from 'zod';

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  VAULTRUN_API_HOST: z.string().default('127.0.0.1'),
  VAULTRUN_API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/vaultrun'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  VAULTRUN_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/).default('vr'),
  VAULTRUN_PUBLIC_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:3000'),
  VAULTRUN_CONSOLE_ORIGIN: z.string().optional(),
  VAULTRUN_CONSOLE_DIST: z.string().optional(),
  VAULTRUN_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(1024 * 1024),
  /**
   * Which proxy may tell the client's address (X-Forwarded-For): off (direct install), a number of hops to trust
   * (1 = the one reverse proxy in front, e.g. the compose file's nginx), or the proxies' addresses/CIDRs.
   */
  VAULTRUN_TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value, ctx) => {
      const parsed = parseTrustProxy(value);
      if (parsed === null) {
        ctx.addIssue({ code: 'custom', message: 'must be false, a number of proxy hops (1–5), or a comma-separated list of proxy addresses/CIDRs' });
        return z.NEVER;
      }
      return parsed;
    }),
  VAULTRUN_SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(24 * 7),
  VAULTRUN_INVITE_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(72),
  VAULTRUN_ADMIN_EMAIL: z.email().default('admin@vaultrun.local'),
  VAULTRUN_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  VAULTRUN_ADMIN_NAME: z.string().trim().min(1).max(100).default('Admin'),
  VAULTRUN_WORKSPACE_NAME: z.string().min(1).max(100).default('My workspace'),
  /** Provider calls a run may make when they fail in a retryable way (5xx, timeouts). */
  VAULTRUN_RUN_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  /**
   * How long accepting a run waits for Redis (announce + enqueue) before answering anyway: the run is in Postgres,
   * and the reconciler adds its job once Redis is back. Bounds `POST /runs` while Redis is down.
   */
  VAULTRUN_ENQUEUE_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(1000),
  VAULTRUN_MASTER_KEYS: z.string().optional(),
  VAULTRUN_MASTER_KEYS_FILE: z.string().optional(),
  VAULTRUN_MASTER_KEY_ACTIVE: z.coerce.number().int().min(1).optional(),
  /** Let the budget alert webhook point at this host or its private network (a receiver on the same LAN). */
  VAULTRUN_WEBHOOK_ALLOW_PRIVATE: z.stringbool().default(false),
  /** Let provider base URLs point at this host or its private network (self-hosted models on the LAN). */
  VAULTRUN_PROVIDER_ALLOW_PRIVATE: z.stringbool().default(false),
  /** Gateway: how long a call waits for a free slot on its account (concurrency, RPM/TPM) before answering 429. */
  VAULTRUN_GATEWAY_MAX_WAIT_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
  /** Gateway: the largest request body /v1/* accepts (images sent inline make prompts large). */
  VAULTRUN_GATEWAY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(8 * 1024 * 1024),
  /** Gateway: the longest a call may take, streams included; its record and holds outlive it by a minute. */
  VAULTRUN_GATEWAY_TIMEOUT_MS: z.coerce.number().int().min(1000).max(60 * 60_000).default(600_000),
  /** Gateway: the output tokens held for a request that sets no limit of its own (max_tokens, max_output_tokens). */
  VAULTRUN_GATEWAY_DEFAULT_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(1).max(1_000_000).default(4096),
  /** The gateway's base URL as apps should use it (shown in the console); default: the public URL + /v1. */
  VAULTRUN_GATEWAY_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The standalone gateway process (gateway-main.js) listens here; the API serves /v1/* on its own port too. */
  VAULTRUN_GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(3002),
});

export type AppConfig = ReturnType<typeof toConfig>;

/**
 * false | hop count | proxy addresses. `true` means one hop: trusting every hop (what `true` meant to Fastify)
 * would let any client choose its address by sending X-Forwarded-For itself.
 */
export function parseTrustProxy(raw: string): false | number | string[] | null {
  const value = raw.trim().toLowerCase();
  if (['false', '0', 'off', 'no', ''].includes(value)) return false;
  if (['true', 'on', 'yes'].includes(value)) return 1;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops >= 1 && hops <= 5 ? hops : null;
  }
  const entries = value.split(',').map((e) => e.trim());
  const valid = entries.every((e) => {
    const [address, prefix, ...rest] = e.split('/');
    const family = isIP(address ?? '');
    if (!family || rest.length) return false;
    if (prefix === undefined) return true;
    return /^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
  });
  return valid ? entries : null;
}

function toConfig(env: z.infer<typeof schema>) {
  const publicUrl = new URL(env.VAULTRUN_PUBLIC_URL);
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    host: env.VAULTRUN_API_HOST,
    port: env.VAULTRUN_API_PORT,
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    redisUrl: env.REDIS_URL,
    redisPrefix: env.VAULTRUN_REDIS_PREFIX,
    /** BullMQ keys live under the same prefix as everything else (the worker uses the same). */
    bullPrefix: `${env.VAULTRUN_REDIS_PREFIX}:bull`,
    runMaxAttempts: env.VAULTRUN_RUN_MAX_ATTEMPTS,
    enqueueTimeoutMs: env.VAULTRUN_ENQUEUE_TIMEOUT_MS,
    publicUrl: publicUrl.origin,
    consoleOrigin: env.VAULTRUN_CONSOLE_ORIGIN ?? publicUrl.origin,
    consoleDist: env.VAULTRUN_CONSOLE_DIST,
    bodyLimitBytes: env.VAULTRUN_BODY_LIMIT_BYTES,
    trustProxy: env.VAULTRUN_TRUST_PROXY,
    /** Cookies get `Secure` whenever the console is served over HTTPS. */
    secureCookies: publicUrl.protocol === 'https:',
    sessionTtlMs: env.VAULTRUN_SESSION_TTL_HOURS * 3600_000,
    inviteTtlMs: env.VAULTRUN_INVITE_TTL_HOURS * 3600_000,
    webhookAllowPrivate: env.VAULTRUN_WEBHOOK_ALLOW_PRIVATE,
    /** Where provider calls (verification, key checks, gateway calls) may connect; link-local and metadata never. */
    providerOutbound: { allowPrivate: env.VAULTRUN_PROVIDER_ALLOW_PRIVATE },
    gateway: {
      maxWaitMs: env.VAULTRUN_GATEWAY_MAX_WAIT_MS,
      bodyLimitBytes: env.VAULTRUN_GATEWAY_BODY_LIMIT_BYTES,
      timeoutMs: env.VAULTRUN_GATEWAY_TIMEOUT_MS,
      /** A call's record lease and budget holds: they outlive the longest call, then a lost call is finished (worst case kept). */
      holdTtlMs: env.VAULTRUN_GATEWAY_TIMEOUT_MS + 60_000,
      defaultMaxOutputTokens: env.VAULTRUN_GATEWAY_DEFAULT_MAX_OUTPUT_TOKENS,
      port: env.VAULTRUN_GATEWAY_PORT,
      publicUrl: (env.VAULTRUN_GATEWAY_PUBLIC_URL ?? `${publicUrl.origin}/v1`).replace(/\/+$/, ''),
    },
    /** Master key-encryption keys. Never log this object. */
    keyRing: loadKeyRing({
      keys: env.VAULTRUN_MASTER_KEYS,
      file: env.VAULTRUN_MASTER_KEYS_FILE,
      active: env.VAULTRUN_MASTER_KEY_ACTIVE,
      readFile: (path) => readFileSync(path, 'utf8'),
    }),
    bootstrap: {
      email: env.VAULTRUN_ADMIN_EMAIL.trim().toLowerCase(),
      password: env.VAULTRUN_ADMIN_PASSWORD,
      name: env.VAULTRUN_ADMIN_NAME,
      workspaceName: env.VAULTRUN_WORKSPACE_NAME,
    },
  };
}

export class ConfigError extends Error {}

/**
 * An empty variable counts as unset: docker-compose's `${VAR:-}` and a blank line in `.env` pass "", which would
 * otherwise fail validation (e.g. a password shorter than 12 characters) instead of taking the default.
 */
const setVariables = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));

/** Validates the environment once at boot; the message names every variable at fault. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = schema.safeParse(setVariables(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  try {
    return toConfig(parsed.data);
  } catch (err) {
    if (err instanceof MasterKeyError) throw new ConfigError(`Invalid master key configuration: ${err.message}`);
    throw err;
  }
}

export const APP_CONFIG = Symbol('APP_CONFIG');
