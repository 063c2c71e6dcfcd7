/**
 * A local Azure OpenAI resource for tests: point the real `openai` SDK's `AzureOpenAI` client (`baseURL:
 * <url>/openai` or `endpoint: <url>`) or a Vaultrun `azure-openai` account (base URL = `fake.url`, the resource
 * endpoint) at it.
 *
 * Serves (the key is read from Azure's `api-key` header; every request needs `?api-version=`, else Azure's 404):
 * - `GET  /openai/deployments?api-version=2022-12-01` → `{ object: 'list', data: [{ id, model, status, object:
 *   'deployment', … }] }` over `options.deployments` (default gpt-4o-mini → gpt-4o-mini, prod-chat → gpt-4o, and
 *   `creating` still being created).
 * - `POST /openai/deployments/<deployment>/chat/completions?api-version=…` → a `chat.completion` like the OpenAI
 *   fake's (`Fake reply to: …`, or the plainest JSON for a json_schema response format; usage from the mock's token
 *   model; `model` is the deployment's model with a date, as Azure answers). An unknown deployment gets Azure's 404
 *   DeploymentNotFound. With `stream: true`, the same answer as `chat.completion.chunk` events (Azure's first event
 *   carries only `prompt_filter_results`), a usage chunk when `stream_options.include_usage` asks, then `[DONE]`.
 *
 * Every answer carries `apim-request-id` and, for a keyed request, `x-ratelimit-limit-requests` (options.rateLimits,
 * default 60), `x-ratelimit-remaining-requests`, `x-ratelimit-limit-tokens` (default 10000), `x-ratelimit-remaining-tokens`.
 *
 * Errors with Azure's body shapes by key:
 * | key contains | answer |
 * |---|---|
 * | `invalid`   | 401 `{ error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint…' } }` |
 * | `ratelimit` | 429 `{ error: { code: '429', message: '…exceeded token rate limit…' } }`, `retry-after: 2`, `retry-after-ms: 1500` |
 * | `filtered`  | 400 `code: content_filter` with Azure's innererror (ResponsibleAIPolicyViolation) |
 * | `filterout` | 200 with finish_reason `content_filter` and no content |
 * | `toolong`   | 400 context_length_exceeded |
 * | `broken`    | 500 InternalServerError |
 */
import { randomBytes } from 'node:crypto';
import { type CountedMessage, plainJsonForSchema, simulatedUsage } from '@vaultrun/providers';
import { type FakeHttpRequest, type FakeHttpResponse, type FakeHttpServer, type FakeSseEvent, startFakeHttp, streamPieces } from './fake-http.js';

export interface FakeAzureDeployment {
  id: string;
  model: string;
  status?: string;
}

export interface FakeAzureOpenAIOptions {
  deployments?: FakeAzureDeployment[];
  rateLimits?: { requests?: number; tokens?: number };
  latencyMs?: number;
}

export interface FakeAzureOpenAI extends Omit<FakeHttpServer, 'origin'> {
  /** The resource endpoint (what an account's base URL is). */
  url: string;
}

const DEFAULT_DEPLOYMENTS: FakeAzureDeployment[] = [
  { id: 'gpt-4o-mini', model: 'gpt-4o-mini' },
  { id: 'prod-chat', model: 'gpt-4o' },
  { id: 'creating', model: 'gpt-4.1', status: 'running' },
];

export function azureError(status: number, code: string, message: string, headers?: Record<string, string>): FakeHttpResponse {
  return { status, body: { error: { code, message } }, headers };
}

function messagesOf(body: unknown): CountedMessage[] {
  const messages = (body as { messages?: { role?: unknown; content?: unknown }[] } | null)?.messages;
  return Array.isArray(messages) ? messages.map((m) => ({ role: typeof m.role === 'string' ? m.role : '', content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '') })) : [];
}

export async function startFakeAzureOpenAI(options: FakeAzureOpenAIOptions = {}): Promise<FakeAzureOpenAI> {
  const deployments = options.deployments ?? DEFAULT_DEPLOYMENTS;
  const requestLimit = options.rateLimits?.requests ?? 60;
  const tokenLimit = options.rateLimits?.tokens ?? 10_000;
  const requestsByKey = new Map<string, number>();

  function errorForKey(request: FakeHttpRequest): FakeHttpResponse | undefined {
    const key = request.key;
    const invalid = azureError(401, '401', 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.');
    if (key === null || key.includes('invalid')) return invalid;
    if (key.includes('ratelimit')) {
      return azureError(429, '429', 'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 2 seconds.', {
        'retry-after': '2',
        'retry-after-ms': '1500',
        'x-ratelimit-remaining-requests': '0',
      });
    }
    if (key.includes('filtered')) {
      return {
        status: 400,
        body: {
          error: {
            message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
            type: null,
            param: 'prompt',
            code: 'content_filter',
            status: 400,
            innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: { hate: { filtered: true, severity: 'high' } } },
          },
        },
      };
    }
    if (key.includes('toolong')) {
      return { status: 400, body: { error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } };
    }
    if (key.includes('broken')) return azureError(500, 'InternalServerError', 'The service is temporarily unable to process your request. Please try again later.');
    return undefined;
  }

  function completion(request: FakeHttpRequest, deploymentId: string): FakeHttpResponse {
    const deployment = deployments.find((d) => d.id === deploymentId);
    if (!deployment) return azureError(404, 'DeploymentNotFound', 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.');
    const body = (request.body ?? {}) as { messages?: { role?: string; content?: unknown }[]; response_format?: { type?: string; json_schema?: { schema?: unknown } } };
    const filteredOut = request.key?.includes('filterout') ?? false;
    const schema = body.response_format?.json_schema?.schema;
    const lastUser = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
    const content = filteredOut
      ? null
      : body.response_format?.type === 'json_schema'
        ? JSON.stringify(plainJsonForSchema(typeof schema === 'object' && schema !== null ? (schema as Record<string, unknown>) : {}))
        : `Fake reply to: ${typeof lastUser?.content === 'string' ? lastUser.content : ''}`;
    const usage = simulatedUsage(messagesOf(body), content ?? '');
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const model = `${deployment.model}-2024-07-18`;
    const usageBody = { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens, prompt_tokens_details: { cached_tokens: 0 } };
    if ((request.body as { stream?: unknown } | null)?.stream === true) {
      const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ data: { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices, ...extra } });
      const events: FakeSseEvent[] = [{ data: { id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] } }];
      events.push(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
      for (const piece of streamPieces(content ?? '')) events.push(chunk([{ index: 0, delta: { content: piece }, finish_reason: null, content_filter_results: {} }]));
      events.push(chunk([{ index: 0, delta: {}, finish_reason: filteredOut ? 'content_filter' : 'stop' }]));
      const includeUsage = (request.body as { stream_options?: { include_usage?: unknown } }).stream_options?.include_usage === true;
      if (includeUsage) events.push(chunk([], { usage: usageBody }));
      events.push({ data: '[DONE]', raw: true });
      return { status: 200, sse: events };
    }
    return {
      status: 200,
      body: {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: filteredOut ? 'content_filter' : 'stop', logprobs: null, content_filter_results: {} }],
        usage: usageBody,
        prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }],
      },
    };
  }

  const server = await startFakeHttp({
    latencyMs: options.latencyMs,
    keyOf: (headers) => headers['api-key'] ?? null,
    headersFor(request) {
      const headers: Record<string, string> = { 'apim-request-id': request.requestId };
      if (request.key === null) return headers;
      const made = (requestsByKey.get(request.key) ?? 0) + 1;
      requestsByKey.set(request.key, made);
      const prompt = simulatedUsage(messagesOf(request.body), '').inputTokens;
      return {
        ...headers,
        'x-ratelimit-limit-requests': String(requestLimit),
        'x-ratelimit-remaining-requests': String(Math.max(0, requestLimit - made)),
        'x-ratelimit-limit-tokens': String(tokenLimit),
        'x-ratelimit-remaining-tokens': String(Math.max(0, tokenLimit - prompt)),
      };
    },
    route(request) {
      if (!request.query['api-version']) return azureError(404, '404', 'Resource not found');
      const failure = errorForKey(request);
      if (failure) return failure;
      if (request.method === 'GET' && request.pathname === '/openai/deployments') {
        return {
          status: 200,
          body: {
            object: 'list',
            data: deployments.map((d) => ({ id: d.id, model: d.model, owner: 'organization-owner', status: d.status ?? 'succeeded', object: 'deployment', scale_settings: { scale_type: 'standard' }, created_at: 1_700_000_000, updated_at: 1_700_000_000 })),
          },
        };
      }
      const call = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(request.pathname);
      if (request.method === 'POST' && call) return completion(request, decodeURIComponent(call[1]!));
      return azureError(404, '404', 'Resource not found');
    },
    onReset() {
      requestsByKey.clear();
    },
  });
  const { origin, ...rest } = server;
  return { ...rest, url: origin };
}
