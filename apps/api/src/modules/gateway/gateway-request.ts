import type { GatewayEndpoint } from '@vaultrun/providers';
import { gatewayErrors } from './gateway-errors.js';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Model names as apps send them: printable, bounded (a route, `account/model`, a provider's model id). */
const MAX_MODEL_LENGTH = 256;

/**
 * The checks Vaultrun itself needs before it can hold money and pick an account — the model, whether it is a stream,
 * the output limits it holds for, the prompt's container. Everything else is the provider's to judge: unknown fields
 * pass through untouched. Each refusal names its parameter, as OpenAI's own 400s do.
 */
export function checkGatewayBody(endpoint: GatewayEndpoint, body: unknown, options: { countOnly?: boolean } = {}): Obj {
  if (!isObject(body)) throw gatewayErrors.invalidRequest('The body must be a JSON object.', null, 'invalid_body');
  if (body.model === undefined || body.model === null) throw gatewayErrors.missing('model');
  if (typeof body.model !== 'string' || body.model.trim() === '') throw gatewayErrors.invalidRequest("'model' must be a non-empty string.", 'model', 'invalid_type');
  if (body.model.length > MAX_MODEL_LENGTH) throw gatewayErrors.invalidRequest(`'model' must be at most ${MAX_MODEL_LENGTH} characters.`, 'model');
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw gatewayErrors.invalidRequest("'stream' must be a boolean.", 'stream', 'invalid_type');
  if (body.stream_options !== undefined && body.stream_options !== null && !isObject(body.stream_options)) {
    throw gatewayErrors.invalidRequest("'stream_options' must be an object.", 'stream_options', 'invalid_type');
  }
  const limits = endpoint === 'chat.completions' ? ['max_tokens', 'max_completion_tokens', 'n'] : endpoint === 'responses' ? ['max_output_tokens'] : endpoint === 'messages' ? ['max_tokens'] : [];
  for (const name of limits) {
    const v = body[name];
    if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isInteger(v) && v >= 1)) {
      throw gatewayErrors.invalidRequest(`'${name}' must be a positive integer.`, name);
    }
  }
  switch (endpoint) {
    case 'chat.completions':
      if (body.messages === undefined) throw gatewayErrors.missing('messages');
      if (!Array.isArray(body.messages) || body.messages.length === 0) throw gatewayErrors.invalidRequest("'messages' must be a non-empty array.", 'messages');
      body.messages.forEach((m, i) => {
        if (!isObject(m) || typeof m.role !== 'string') throw gatewayErrors.invalidRequest(`'messages[${i}]' must be an object with a 'role'.`, `messages[${i}]`);
      });
      break;
    case 'messages':
      // Anthropic requires max_tokens: what the call is held for.
      if (!options.countOnly && (body.max_tokens === undefined || body.max_tokens === null)) throw gatewayErrors.missing('max_tokens');
      if (body.messages === undefined) throw gatewayErrors.missing('messages');
      if (!Array.isArray(body.messages) || body.messages.length === 0) throw gatewayErrors.invalidRequest("'messages' must be a non-empty array.", 'messages');
      body.messages.forEach((m, i) => {
        if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant')) throw gatewayErrors.invalidRequest(`'messages[${i}]' must be an object whose 'role' is 'user' or 'assistant'.`, `messages[${i}]`);
        if (typeof m.content !== 'string' && !Array.isArray(m.content)) throw gatewayErrors.invalidRequest(`'messages[${i}].content' must be a string or an array of content blocks.`, `messages[${i}].content`);
      });
      if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) throw gatewayErrors.invalidRequest("'system' must be a string or an array of text blocks.", 'system', 'invalid_type');
      break;
    case 'responses':
      if (body.input !== undefined && typeof body.input !== 'string' && !Array.isArray(body.input)) {
        throw gatewayErrors.invalidRequest("'input' must be a string or an array of input items.", 'input', 'invalid_type');
      }
      if (body.input === undefined && body.previous_response_id === undefined && body.prompt === undefined) throw gatewayErrors.missing('input');
      break;
    case 'embeddings': {
      if (body.input === undefined) throw gatewayErrors.missing('input');
      const input = body.input;
      const ok =
        (typeof input === 'string' && input !== '') ||
        (Array.isArray(input) &&
          input.length > 0 &&
          input.length <= 2048 &&
          (input.every((x) => typeof x === 'string' && x !== '') || input.every((x) => Number.isInteger(x)) || input.every((x) => Array.isArray(x) && x.length > 0 && x.every((t) => Number.isInteger(t)))));
      if (!ok) throw gatewayErrors.invalidRequest("'input' must be a non-empty string, an array of up to 2048 non-empty strings, or token arrays.", 'input');
      if (body.stream === true) throw gatewayErrors.invalidRequest('Embeddings cannot be streamed.', 'stream');
      if (body.dimensions !== undefined && !(Number.isInteger(body.dimensions) && (body.dimensions as number) >= 1 && (body.dimensions as number) <= 3072)) {
        throw gatewayErrors.invalidRequest("'dimensions' must be an integer between 1 and 3072.", 'dimensions');
      }
      break;
    }
  }
  return body;
}
