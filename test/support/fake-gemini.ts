/**
 * A local Gemini API for tests: point the real `@google/genai` SDK (`httpOptions.baseUrl`) or a Vaultrun `gemini`
 * account at `fake.url` (the API root) and every taxonomy error, and Gemini's safety blocks, can be produced offline.
 *
 * Serves, under /v1beta (and /v1, the SDK's default; the key is read from `x-goog-api-key`, or `?key=`):
 * - `GET  /v1beta/models?pageSize&pageToken` → `{ models: [{ name: 'models/<id>', displayName,
 *   supportedGenerationMethods }], nextPageToken }` over `options.models` (default gemini-2.5-flash, gemini-2.5-pro),
 *   plus an embedding model that cannot generateContent (text-embedding-004); pages of min(pageSize,
 *   options.modelsPageSize).
 * - `POST /v1beta/models/<model>:generateContent` → one candidate whose text is `Fake reply to: <last user text>`,
 *   or with `generationConfig.responseJsonSchema` the plainest JSON valid against it; `usageMetadata` from the mock's
 *   token model over systemInstruction and contents (`options.thoughtsTokens` adds thinking tokens); `modelVersion`,
 *   `responseId`. With `toolConfig.functionCallingConfig.mode: ANY` a `functionCall` part instead (the first allowed
 *   function declaration, its args the plainest JSON valid against its parametersJsonSchema; signed with
 *   `thoughtSignature: 'c2lnbmVk'`, as thinking models sign their calls).
 *   `:streamGenerateContent?alt=sse` sends the same answer as SSE data chunks, usage on the last one.
 *   A model not in the list gets Google's 404.
 *
 * Gemini sends no rate-limit headers, and neither does the fake. Errors with Google's body (`{ error: { code,
 * message, status, details } }`) by key:
 * | key contains | answer |
 * |---|---|
 * | `invalid`    | 400 INVALID_ARGUMENT, ErrorInfo reason API_KEY_INVALID (Google's invalid key) |
 * | `denied`     | 403 PERMISSION_DENIED |
 * | `ratelimit`  | 429 RESOURCE_EXHAUSTED "You exceeded your current quota…", RetryInfo retryDelay 2s |
 * | `billing`    | 400 FAILED_PRECONDITION "…Please enable billing…" |
 * | `nomodel`    | 404 NOT_FOUND |
 * | `toolong`    | 400 INVALID_ARGUMENT "The input token count … exceeds the maximum number of tokens allowed …" |
 * | `overloaded` | 503 UNAVAILABLE |
 * | `broken`     | 500 INTERNAL |
 * | `blocked`    | 200, no candidates, promptFeedback.blockReason SAFETY |
 * | `unsafe`     | 200, a candidate with finishReason SAFETY and no text |
 */
import { randomBytes } from 'node:crypto';
import { type CountedMessage, estimatePromptTokens, plainJsonForSchema, simulatedUsage } from '@vaultrun/providers';
import { type FakeHttpRequest, type FakeHttpResponse, type FakeHttpServer, startFakeHttp, streamPieces } from './fake-http.js';

export interface FakeGeminiOptions {
  models?: string[];
  modelsPageSize?: number;
  thoughtsTokens?: number;
  latencyMs?: number;
}

export interface FakeGemini extends Omit<FakeHttpServer, 'origin'> {
  /** The API root (no /v1beta). */
  url: string;
}

interface GenerateBody {
  contents?: { role?: string; parts?: { text?: string }[] }[];
  systemInstruction?: { parts?: { text?: string }[] } | string;
  generationConfig?: { maxOutputTokens?: number; temperature?: number; responseMimeType?: string; responseJsonSchema?: unknown };
  tools?: { functionDeclarations?: { name?: string; parametersJsonSchema?: unknown }[] }[];
  toolConfig?: { functionCallingConfig?: { mode?: string; allowedFunctionNames?: string[] } };
}

const DEFAULT_MODELS = ['gemini-2.5-flash', 'gemini-2.5-pro'];

export function googleError(code: number, status: string, message: string, details: unknown[] = []): FakeHttpResponse {
  return { status: code, body: { error: { code, message, status, details } } };
}

const partsText = (parts: { text?: string }[] | undefined) => (parts ?? []).map((p) => p.text ?? '').join('');

function countedMessages(body: GenerateBody): CountedMessage[] {
  const system = typeof body.systemInstruction === 'string' ? body.systemInstruction : partsText(body.systemInstruction?.parts);
  const messages = (body.contents ?? []).map((c) => ({ role: c.role ?? 'user', content: partsText(c.parts) }));
  return system ? [{ role: 'system', content: system }, ...messages] : messages;
}

export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const models = options.models ?? DEFAULT_MODELS;
  const listed = [...models.map((id) => ({ id, methods: ['generateContent', 'countTokens'] })), { id: 'text-embedding-004', methods: ['embedContent'] }];

  function errorForKey(request: FakeHttpRequest): FakeHttpResponse | undefined {
    const key = request.key;
    if (key === null) return googleError(403, 'PERMISSION_DENIED', "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
    if (key.includes('invalid')) {
      return googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      ]);
    }
    if (key.includes('denied')) return googleError(403, 'PERMISSION_DENIED', 'Permission denied: Consumer has been suspended.');
    if (key.includes('ratelimit')) {
      return googleError(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.', [
        { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }] },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' },
      ]);
    }
    if (key.includes('billing')) return googleError(400, 'FAILED_PRECONDITION', 'Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.');
    if (key.includes('nomodel')) return googleError(404, 'NOT_FOUND', 'models/unknown is not found for API version v1beta, or is not supported for generateContent.');
    if (key.includes('toolong')) return googleError(400, 'INVALID_ARGUMENT', 'The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).');
    if (key.includes('overloaded')) return googleError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
    if (key.includes('broken')) return googleError(500, 'INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
    return undefined;
  }

  function modelsPage(request: FakeHttpRequest): FakeHttpResponse {
    const size = Math.min(Number(request.query.pageSize ?? 50) || 50, options.modelsPageSize ?? 1000);
    const start = request.query.pageToken ? Number(Buffer.from(request.query.pageToken, 'base64url').toString('utf8')) : 0;
    const page = listed.slice(start, start + size);
    const more = start + size < listed.length;
    return {
      status: 200,
      body: {
        models: page.map((m) => ({ name: `models/${m.id}`, version: '001', displayName: m.id, inputTokenLimit: 1_048_576, outputTokenLimit: 65_536, supportedGenerationMethods: m.methods })),
        ...(more ? { nextPageToken: Buffer.from(String(start + size)).toString('base64url') } : {}),
      },
    };
  }

  function generate(request: FakeHttpRequest, model: string, stream: boolean): FakeHttpResponse {
    if (!models.includes(model)) return googleError(404, 'NOT_FOUND', `models/${model} is not found for API version v1beta, or is not supported for generateContent.`);
    const body = (request.body ?? {}) as GenerateBody;
    const counted = countedMessages(body);
    const responseId = randomBytes(8).toString('base64url');
    if (request.key?.includes('blocked')) {
      return { status: 200, body: { promptFeedback: { blockReason: 'SAFETY', safetyRatings: [] }, usageMetadata: { promptTokenCount: estimatePromptTokens(counted), totalTokenCount: estimatePromptTokens(counted) }, modelVersion: model, responseId } };
    }
    if (request.key?.includes('unsafe')) {
      return { status: 200, body: { candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'SAFETY', index: 0 }], modelVersion: model, responseId } };
    }
    const declarations = (body.tools ?? []).flatMap((t) => t.functionDeclarations ?? []);
    const calling = body.toolConfig?.functionCallingConfig;
    const called = calling?.mode === 'ANY' ? declarations.find((d) => !calling.allowedFunctionNames || calling.allowedFunctionNames.includes(d.name ?? '')) : undefined;
    if (called) {
      const args = plainJsonForSchema((called.parametersJsonSchema ?? {}) as Record<string, unknown>);
      const usage = simulatedUsage(counted, JSON.stringify(args));
      const usageMetadata = { promptTokenCount: usage.inputTokens, candidatesTokenCount: usage.outputTokens, totalTokenCount: usage.inputTokens + usage.outputTokens };
      const candidate = { content: { role: 'model', parts: [{ functionCall: { name: called.name, args }, thoughtSignature: 'c2lnbmVk' }] }, finishReason: 'STOP', index: 0 };
      const answer = { candidates: [candidate], usageMetadata, modelVersion: model, responseId };
      return stream ? { status: 200, sse: [{ data: answer }] } : { status: 200, body: answer };
    }
    const schema = body.generationConfig?.responseJsonSchema;
    const lastUser = [...(body.contents ?? [])].reverse().find((c) => c.role === 'user');
    const text = schema && typeof schema === 'object' ? JSON.stringify(plainJsonForSchema(schema as Record<string, unknown>)) : `Fake reply to: ${partsText(lastUser?.parts)}`;
    const usage = simulatedUsage(counted, text);
    const thoughts = options.thoughtsTokens ?? 0;
    const usageMetadata = {
      promptTokenCount: usage.inputTokens,
      candidatesTokenCount: usage.outputTokens,
      ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
      totalTokenCount: usage.inputTokens + usage.outputTokens + thoughts,
    };
    if (!stream) {
      return { status: 200, body: { candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }], usageMetadata, modelVersion: model, responseId } };
    }
    const pieces = streamPieces(text);
    return {
      status: 200,
      sse: pieces.map((piece, i) => ({
        data: {
          candidates: [{ content: { role: 'model', parts: [{ text: piece }] }, ...(i === pieces.length - 1 ? { finishReason: 'STOP' } : {}), index: 0 }],
          ...(i === pieces.length - 1 ? { usageMetadata } : { usageMetadata: { promptTokenCount: usage.inputTokens, totalTokenCount: usage.inputTokens } }),
          modelVersion: model,
          responseId,
        },
      })),
    };
  }

  const server = await startFakeHttp({
    latencyMs: options.latencyMs,
    keyOf: (headers, query) => headers['x-goog-api-key'] ?? query.key ?? null,
    route(request) {
      const failure = errorForKey(request);
      if (failure) return failure;
      if (request.method === 'GET' && /^\/v1(beta)?\/models$/.test(request.pathname)) return modelsPage(request);
      const call = /^\/v1(?:beta)?\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(request.pathname);
      if (request.method === 'POST' && call) return generate(request, decodeURIComponent(call[1]!), call[2] === 'streamGenerateContent');
      return googleError(404, 'NOT_FOUND', 'Not Found');
    },
  });
  const { origin, ...rest } = server;
  return { ...rest, url: origin };
}
