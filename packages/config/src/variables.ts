// Every environment variable Vaultrun reads, in one place: its validation (zod), who reads it, whether it is a secret
// and what it means. The API and the worker each parse the part they read (api-config.ts, worker-config.ts);
// `.env.example` and the table in docs/operations.md are generated from this file (`pnpm env:example`).
import { z } from 'zod';
import { parseTrustProxy } from './trust-proxy.js';

export type ConfigReader = 'api' | 'worker';

export interface VariableSpec {
  schema: z.ZodType;
  /** The processes that read it. */
  readBy: readonly ConfigReader[];
  /** What it means, for `.env.example` and the docs: plain sentences, `code` in backticks. */
  description: string;
  /** Holds a credential (or may, as a URL with a password): never log it, never show it. */
  secret?: boolean;
  /** Shown commented out in `.env.example` instead of the default: an optional setting, or one not to copy as is. */
  example?: string;
  /** Read only when the database has no user yet (the first start). */
  firstStartOnly?: boolean;
}

const both = ['api', 'worker'] as const;
const api = ['api'] as const;
const worker = ['worker'] as const;

/** Keeps each entry's own schema and readers in its type, so the per-process schemas are typed too. */
function variable<const S extends z.ZodType, const R extends readonly ConfigReader[]>(spec: VariableSpec & { schema: S; readBy: R }) {
  return spec;
}

const port = () => z.coerce.number().int().min(0).max(65535);

export const VARIABLES = {
  // --- read by both -----------------------------------------------------------------------------------------------
  NODE_ENV: variable({
    readBy: both,
    schema: z.enum(['development', 'production', 'test']).default('development'),
    example: 'production',
    description: '`development`, `production` or `test` (validated; no behaviour depends on it yet — neither process ever generates a master key, whatever the mode).',
  }),
  LOG_LEVEL: variable({
    readBy: both,
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    description: 'pino log level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.',
  }),
  DATABASE_URL: variable({
    readBy: both,
    secret: true,
    schema: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/vaultrun'),
    description: 'PostgreSQL. The start script creates the database if it is missing; the migration CLI (`pnpm db:migrate`) reads it too.',
  }),
  DATABASE_POOL_SIZE: variable({
    readBy: both,
    schema: z.coerce.number().int().min(1).max(200).default(10),
    description: 'Database connections per process.',
  }),
  DATABASE_POOL_MODE: variable({
    readBy: both,
    schema: z.enum(['session', 'transaction']).default('session'),
    description:
      '`session` (default): each process holds its own connections, as with a direct PostgreSQL or a session-mode pooler; hot-path statements are named prepared statements. `transaction`: `DATABASE_URL` points at PgBouncer in transaction pooling, so statements go unnamed (PgBouncer before 1.21 cannot carry named ones) and nothing relies on session state. Run migrations (`pnpm db:migrate`) against PostgreSQL directly. See docs/operations.md, Scaling out.',
  }),
  DATABASE_READ_URL: variable({
    readBy: api,
    secret: true,
    schema: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    example: 'postgres://vaultrun@replica.internal:5432/vaultrun',
    description:
      'Optional read-only replica for reports: the analytics overview and the spend report read from it (they may lag the primary by the replication delay; the API needs it reachable at start). Everything else, and those reports when unset, use `DATABASE_URL`. Same `DATABASE_POOL_MODE`.',
  }),
  REDIS_URL: variable({
    readBy: both,
    secret: true,
    schema: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
    description:
      'Redis. With `REDIS_SENTINELS` set, only its password, database number (`/2`) and scheme (`rediss` for TLS) are used: the sentinels say where the primary is.',
  }),
  REDIS_SENTINELS: variable({
    readBy: both,
    schema: z
      .string()
      .regex(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, 'must be a comma-separated list of host:port')
      .optional(),
    example: 'sentinel-1:26379,sentinel-2:26379,sentinel-3:26379',
    description:
      'Redis Sentinel: comma-separated `host:port` of the sentinels. Set, every Redis connection (API, worker, queues, subscribers) asks them for the current primary and follows a failover. See docs/operations.md, Scaling out.',
  }),
  REDIS_SENTINEL_MASTER: variable({
    readBy: both,
    schema: z.string().regex(/^[A-Za-z0-9._-]+$/).default('mymaster'),
    description: 'The master name the sentinels monitor (`sentinel monitor <name> …`). Used only with `REDIS_SENTINELS`.',
  }),
  REDIS_SENTINEL_PASSWORD: variable({
    readBy: both,
    secret: true,
    schema: z.string().min(1).optional(),
    example: '<sentinel-password>',
    description: "The sentinels' own password (`requirepass` in sentinel.conf), when they have one; the primary's password comes from `REDIS_URL`.",
  }),
  VAULTRUN_REDIS_PREFIX: variable({
    readBy: both,
    schema: z
      .string()
      .regex(/^[A-Za-z0-9:_{}-]+$/)
      .refine((v) => /^[^{}]*(\{[A-Za-z0-9:_-]+\}[^{}]*)?$/.test(v), 'may hold at most one {hash tag}, non-empty, with no nested braces')
      .default('vr'),
    description:
      'Every Redis key Vaultrun writes starts with this prefix (BullMQ queues under `<prefix>:bull`). For Redis Cluster, put a hash tag in it (`{vr}`): every key then lands in one slot, which BullMQ and the limiter\'s scripts need (documented, not tested here).',
  }),
  VAULTRUN_MASTER_KEYS: variable({
    readBy: both,
    secret: true,
    schema: z.string().optional(),
    example: '2:<base64>,1:<base64>',
    description:
      'Master key ring for the Provider Vault: versioned 32-byte keys, base64 (`N:<base64>,…`). The highest version (or `VAULTRUN_MASTER_KEY_ACTIVE`) encrypts new data keys; older versions stay until `pnpm vault:rotate` has re-wrapped everything. Generate an entry with `pnpm vaultrun keys:generate`. Required (this or `VAULTRUN_MASTER_KEYS_FILE`): the start script generates one into .env when none is set. Whoever loses it loses the stored provider keys; see docs/security.md.',
  }),
  VAULTRUN_MASTER_KEYS_FILE: variable({
    readBy: both,
    schema: z.string().optional(),
    example: '/run/secrets/vaultrun_master_keys',
    description: 'A file with the same content as `VAULTRUN_MASTER_KEYS` (e.g. a Docker secret), instead of the variable.',
  }),
  VAULTRUN_MASTER_KEY_ACTIVE: variable({
    readBy: both,
    schema: z.coerce.number().int().min(1).optional(),
    example: '2',
    description: 'Which key version wraps new data keys (default: the highest).',
  }),
  VAULTRUN_WEBHOOK_ALLOW_PRIVATE: variable({
    readBy: both,
    schema: z.stringbool().default(false),
    description:
      '`true` lets the budget alert webhook reach this host or a private network (127/8, ::1, 10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10…) — for a receiver on the same LAN. Link-local and cloud metadata addresses stay refused. Set it the same on the API and the worker.',
  }),
  VAULTRUN_PROVIDER_ALLOW_PRIVATE: variable({
    readBy: both,
    schema: z.stringbool().default(false),
    description:
      '`true` lets provider base URLs reach this host or a private network — e.g. Ollama or vLLM on the LAN (`http://192.168.1.20:11434/v1`, `http://localhost:11434/v1`). Off, only public addresses are called: the API answers 400 on `baseUrl` with the reason and the worker refuses such calls (`endpoint_refused`). Link-local and cloud metadata addresses (169.254.169.254, fd00:ec2::254, metadata.google.internal) are refused either way. The built-in mock provider needs no network. Set it the same on the API and the worker.',
  }),

  // --- API ----------------------------------------------------------------------------------------------------------
  VAULTRUN_API_HOST: variable({
    readBy: api,
    schema: z.string().default('127.0.0.1'),
    description: "The API's listen address (compose and the container image: `0.0.0.0`).",
  }),
  VAULTRUN_API_PORT: variable({
    readBy: api,
    schema: port().default(3000),
    description: "The API's port (0 picks a free one).",
  }),
  VAULTRUN_PUBLIC_URL: variable({
    readBy: api,
    schema: z.url({ protocol: /^https?$/ }).default('http://localhost:3000'),
    description: 'Where people open the console. Invite links use it; `https` here turns on Secure cookies and HSTS.',
  }),
  VAULTRUN_CONSOLE_ORIGIN: variable({
    readBy: api,
    schema: z.string().optional(),
    example: 'http://localhost:5173',
    description: "The console's origin when it is served from another origin than the API: the only origin CORS admits (default: the public URL's origin).",
  }),
  VAULTRUN_CONSOLE_DIST: variable({
    readBy: api,
    schema: z.string().optional(),
    description: 'Serve the built console from this directory. The start script sets it to apps/web/dist.',
  }),
  VAULTRUN_BODY_LIMIT_BYTES: variable({
    readBy: api,
    schema: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(1024 * 1024),
    description: 'Larger request bodies get 413.',
  }),
  VAULTRUN_TRUST_PROXY: variable({
    readBy: api,
    schema: z
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
    description:
      "Whose X-Forwarded-For to believe for the client address (sign-in throttling, audit): `false` when clients reach the API directly; `1` behind one reverse proxy that OVERWRITES the header with its peer's address (compose's nginx does, and compose sets `1`; `true` means `1`); or the proxies' addresses/CIDRs, e.g. `10.0.0.5,10.1.0.0/16`. Never trust a hop you do not run. See docs/security.md.",
  }),
  VAULTRUN_SESSION_TTL_HOURS: variable({
    readBy: api,
    schema: z.coerce.number().int().min(1).max(24 * 90).default(24 * 7),
    description: 'Console session lifetime, in hours.',
  }),
  VAULTRUN_INVITE_TTL_HOURS: variable({
    readBy: api,
    schema: z.coerce.number().int().min(1).max(24 * 30).default(72),
    description: 'Invite link lifetime, in hours.',
  }),
  VAULTRUN_RUN_MAX_ATTEMPTS: variable({
    readBy: api,
    schema: z.coerce.number().int().min(1).max(20).default(3),
    description: 'Provider attempts a run gets for retryable failures (5xx, timeouts); a 429 cooldown never counts.',
  }),
  VAULTRUN_ENQUEUE_TIMEOUT_MS: variable({
    readBy: api,
    schema: z.coerce.number().int().min(50).max(30_000).default(1000),
    description:
      "How long `POST /runs` waits for Redis (announce + enqueue) before answering 202 anyway: the run is in PostgreSQL, and the worker's reconciler enqueues it once Redis is back. The bound on `POST /runs` while Redis is down.",
  }),
  VAULTRUN_GATEWAY_MAX_WAIT_MS: variable({
    readBy: api,
    schema: z.coerce.number().int().min(0).max(300_000).default(10_000),
    description: 'Gateway: how long a call waits for a free slot on its account (concurrency, requests/min, tokens/min) before answering 429 with `retry-after`.',
  }),
  VAULTRUN_GATEWAY_BODY_LIMIT_BYTES: variable({
    readBy: api,
    schema: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(8 * 1024 * 1024),
    description: 'Gateway: the largest request body `/v1/*` accepts (images sent inline make prompts large); larger bodies get 413.',
  }),
  VAULTRUN_GATEWAY_TIMEOUT_MS: variable({
    readBy: api,
    schema: z.coerce.number().int().min(1000).max(60 * 60_000).default(600_000),
    description: 'Gateway: the longest a call may take, streams included; its record and budget holds outlive it by a minute (a call lost with its process is then finished with its worst case kept).',
  }),
  VAULTRUN_GATEWAY_DEFAULT_MAX_OUTPUT_TOKENS: variable({
    readBy: api,
    schema: z.coerce.number().int().min(1).max(1_000_000).default(4096),
    description: 'Gateway: the output tokens held against budgets for a request that sets no limit of its own (`max_tokens`, `max_completion_tokens`, `max_output_tokens`). The request is forwarded as sent; a longer answer is charged in full as an overage.',
  }),
  VAULTRUN_GATEWAY_PUBLIC_URL: variable({
    readBy: api,
    schema: z.url({ protocol: /^https?$/ }).optional(),
    description: "The gateway's base URL as apps should use it (shown in the console). Default: the public URL + `/v1`.",
    example: 'https://vaultrun.example.com/v1',
  }),
  VAULTRUN_GATEWAY_PORT: variable({
    readBy: api,
    schema: z.coerce.number().int().min(0).max(65535).default(3002),
    description: 'The port of the standalone gateway process (`node apps/api/dist/gateway-main.js`, serving `/v1/*` only). The API serves `/v1/*` on its own port too, so most installs never start it.',
  }),
  VAULTRUN_CREDITS_WEBHOOK_SECRET: variable({
    readBy: api,
    secret: true,
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    example: 'a-random-string-of-at-least-32-characters',
    description:
      'Signs the billing webhook (`POST /api/v1/credits/top-ups`, docs/managed.md): a billing system that adds credits signs each call with it (`Vaultrun-Signature: t=…,v1=…`, like the alert webhooks). Unset: the endpoint answers 404.',
  }),
  VAULTRUN_ADMIN_EMAIL: variable({
    readBy: api,
    firstStartOnly: true,
    schema: z.email().default('admin@vaultrun.local'),
    description: "The first workspace owner's email.",
  }),
  VAULTRUN_ADMIN_PASSWORD: variable({
    readBy: api,
    firstStartOnly: true,
    secret: true,
    schema: z.string().min(12, 'must be at least 12 characters').optional(),
    example: 'at-least-12-characters',
    description: "The owner's password, at least 12 characters. Without one, a password is generated and printed once on the API's standard output.",
  }),
  VAULTRUN_ADMIN_NAME: variable({
    readBy: api,
    firstStartOnly: true,
    schema: z.string().trim().min(1).max(100).default('Admin'),
    description: "The owner's display name.",
  }),
  VAULTRUN_WORKSPACE_NAME: variable({
    readBy: api,
    firstStartOnly: true,
    schema: z.string().min(1).max(100).default('My workspace'),
    description: "The first workspace's name (the owner can change it in Settings).",
  }),

  // --- worker -------------------------------------------------------------------------------------------------------
  VAULTRUN_WORKER_HEALTH_HOST: variable({
    readBy: worker,
    schema: z.string().default('127.0.0.1'),
    description: "Listen address of the worker's `/health`, `/ready` and `/metrics` (the container image: `0.0.0.0`).",
  }),
  VAULTRUN_WORKER_HEALTH_PORT: variable({
    readBy: worker,
    schema: port().default(3001),
    description: "The port of the worker's `/health`, `/ready` and `/metrics` (0 picks a free one, as tests do).",
  }),
  VAULTRUN_SESSION_PURGE_EVERY_MINUTES: variable({
    readBy: worker,
    schema: z.coerce.number().int().min(1).max(24 * 60).default(60),
    description: 'How often expired sessions and invites are deleted, in minutes.',
  }),
  VAULTRUN_WORKER_SHUTDOWN_GRACE_MS: variable({
    readBy: worker,
    schema: z.coerce.number().int().min(0).max(10 * 60_000).default(30_000),
    description: 'How long SIGTERM waits for in-flight jobs before giving up on them.',
  }),
  VAULTRUN_REVERIFY_EVERY_HOURS: variable({
    readBy: worker,
    schema: z.coerce.number().min(0.01).max(24 * 30).default(24),
    description: 'How often active provider accounts are verified again ("list the models"), in hours.',
  }),
  VAULTRUN_COST_SYNC_EVERY_MINUTES: variable({
    readBy: worker,
    schema: z.coerce.number().int().min(1).max(24 * 60).default(60),
    description:
      "How often provider cost sync reads the provider's cost report (OpenAI's Costs API, Anthropic's Admin API cost report) for every account with an admin key, in minutes (1–1440). See docs/operations.md, Cost sync.",
  }),
  VAULTRUN_RUNS_CONCURRENCY: variable({
    readBy: worker,
    schema: z.coerce.number().int().min(1).max(1000).default(50),
    description: "Runs executed at once per worker process (provider calls are I/O-bound); each account's own limits apply on top, across all workers.",
  }),
  VAULTRUN_RUN_LEASE_MS: variable({
    readBy: worker,
    schema: z.coerce.number().int().min(1000).max(10 * 60_000).default(30_000),
    description:
      "A running run's lease and concurrency slot, renewed every third of it while the call lasts. A worker that cannot renew it aborts the call before it runs out; a dead worker's runs are recovered after it.",
  }),
  VAULTRUN_RECONCILE_EVERY_MS: variable({
    readBy: worker,
    schema: z.coerce.number().int().min(500).max(10 * 60_000).default(10_000),
    description: "How often the reconciler re-enqueues orphaned runs, recovers dead workers' runs, sweeps expired budget holds and queues undelivered budget alerts.",
  }),
  VAULTRUN_RETRY_BASE_MS: variable({
    readBy: worker,
    schema: z.coerce.number().int().min(10).max(10 * 60_000).default(1000),
    description: 'The first delay of the exponential backoff (with jitter) between retryable provider failures.',
  }),
  VAULTRUN_RETRY_MAX_MS: variable({
    readBy: worker,
    schema: z.coerce.number().int().min(10).max(60 * 60_000).default(60_000),
    description: 'The longest delay of that backoff.',
  }),
  VAULTRUN_PROVIDER_TIMEOUT_MS: variable({
    readBy: worker,
    schema: z.coerce.number().int().min(1000).max(30 * 60_000).default(120_000),
    description: 'Timeout of one provider call. Budget holds expire this long + 60 s after they are taken.',
  }),
  VAULTRUN_WORKER_ID: variable({
    readBy: worker,
    schema: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/).optional(),
    example: 'worker-1',
    description: 'Names this worker in run leases, logs and timelines (default: `<hostname>-<pid>`).',
  }),
} satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof VARIABLES;
type Variables = typeof VARIABLES;
type NamesReadBy<R extends ConfigReader> = { [K in VariableName]: R extends Variables[K]['readBy'][number] ? K : never }[VariableName];
type ShapeOf<K extends VariableName> = { [N in K]: Variables[N]['schema'] };

function shapeOf(names: readonly VariableName[]): Record<string, z.ZodType> {
  return Object.fromEntries(names.map((name) => [name, VARIABLES[name].schema]));
}

export const VARIABLE_NAMES = Object.keys(VARIABLES) as VariableName[];

export function variablesReadBy(reader: ConfigReader): VariableName[] {
  return VARIABLE_NAMES.filter((name) => (VARIABLES[name].readBy as readonly ConfigReader[]).includes(reader));
}

/** The whole environment Vaultrun reads. */
export const envSchema = z.object(shapeOf(VARIABLE_NAMES) as ShapeOf<VariableName>);
/** The part the API reads. */
export const apiEnvSchema = z.object(shapeOf(variablesReadBy('api')) as ShapeOf<NamesReadBy<'api'>>);
/** The part the worker reads. */
export const workerEnvSchema = z.object(shapeOf(variablesReadBy('worker')) as ShapeOf<NamesReadBy<'worker'>>);

export type ApiEnv = z.output<typeof apiEnvSchema>;
export type WorkerEnv = z.output<typeof workerEnvSchema>;
