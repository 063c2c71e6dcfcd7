import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayEndpoint } from '@vaultrun/providers';
import { parseJsonBody } from '../../common/json-body.js';
import type { GatewayCalls } from './gateway-calls.service.js';
import { gatewayErrors, sendGatewayError } from './gateway-errors.js';

type Serve = (calls: GatewayCalls, request: FastifyRequest, reply: FastifyReply) => Promise<void>;
const serving = (endpoint: GatewayEndpoint): Serve => (calls, request, reply) => calls.serve(endpoint, request, reply);

/**
 * The gateway's routes — every one of them: they are mounted from this list, and the authorization walk and the docs
 * check against it. All take API tokens with the `inference` scope, and nothing else.
 */
export const GATEWAY_ROUTES: readonly { method: 'GET' | 'POST'; path: string; serve: Serve }[] = [
  { method: 'POST', path: '/v1/chat/completions', serve: serving('chat.completions') },
  { method: 'POST', path: '/v1/responses', serve: serving('responses') },
  { method: 'POST', path: '/v1/embeddings', serve: serving('embeddings') },
  // Anthropic's Messages API, for apps on the Anthropic SDK: same tokens (also as x-api-key), routing, limits and
  // budgets; errors in Anthropic's shape.
  { method: 'POST', path: '/v1/messages', serve: serving('messages') },
  // Free at Anthropic and not a model call: counted by Anthropic for Anthropic targets, estimated for every other.
  { method: 'POST', path: '/v1/messages/count_tokens', serve: (calls, request, reply) => calls.countMessageTokens(request, reply) },
  { method: 'GET', path: '/v1/models', serve: (calls, request, reply) => calls.models(request, reply, null) },
  // Model ids may contain slashes (`account/model`, `openai/gpt-4o`): the rest of the path (decoded by Fastify) is the id.
  { method: 'GET', path: '/v1/models/{model}', serve: (calls, request, reply) => calls.models(request, reply, (request.params as { '*': string })['*']) },
];

/** A route's path as Fastify spells it (under the /v1 prefix; `{model}` is the rest of the path). */
export const fastifyPathOf = (path: string) => path.replace(/^\/v1/, '').replace('{model}', '*');

/**
 * Mounts /v1/* on the Fastify instance (the API's, or the standalone gateway's) as plain Fastify routes in a plugin of
 * their own: no Nest guard, pipe or interceptor on the hot path, their own body limit, and their own error handler and
 * 404 so every refusal — bad JSON, a body too large, an unknown path — is OpenAI-shaped. The JSON parser is the API's
 * (depth, prototype keys, NUL and lone surrogates, huge numbers refused, each naming its field).
 */
export async function registerGatewayRoutes(fastify: FastifyInstance, calls: GatewayCalls, options: { bodyLimit: number; logger: { error: (obj: object, msg: string) => void } }): Promise<void> {
  const fail = (error: unknown, request: FastifyRequest, reply: FastifyReply) => sendGatewayError(error, request, reply, options.logger);
  await fastify.register(
    async (v1) => {
      if (v1.hasContentTypeParser('application/json')) v1.removeContentTypeParser('application/json');
      v1.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: options.bodyLimit }, (_request, body, done) => {
        try {
          done(null, parseJsonBody(String(body)));
        } catch (err) {
          done(err instanceof Error ? err : new Error(String(err)), undefined);
        }
      });
      v1.setErrorHandler((error, request, reply) => fail(error, request, reply));
      v1.setNotFoundHandler((request, reply) => fail(gatewayErrors.unknownUrl(request.method, request.url.split('?')[0]!), request, reply));
      for (const route of GATEWAY_ROUTES) {
        v1.route({
          method: route.method,
          url: fastifyPathOf(route.path),
          ...(route.method === 'POST' ? { bodyLimit: options.bodyLimit } : {}),
          handler: async (request, reply) => {
            try {
              await route.serve(calls, request, reply);
            } catch (err) {
              fail(err, request, reply);
            }
            return reply;
          },
        });
      }
    },
    { prefix: '/v1' },
  );
}
