import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayEndpoint } from '@vaultrun/providers';
import { parseJsonBody } from '../../common/json-body.js';
import type { GatewayCalls } from './gateway-calls.service.js';
import { gatewayErrors, sendGatewayError } from './gateway-errors.js';

/** The gateway's routes, as the authorization walk and the docs list them: all take API tokens with the `inference` scope. */
export const GATEWAY_ROUTES = [
  { method: 'POST', path: '/v1/chat/completions' },
  { method: 'POST', path: '/v1/responses' },
  { method: 'POST', path: '/v1/embeddings' },
  { method: 'GET', path: '/v1/models' },
  { method: 'GET', path: '/v1/models/{model}' },
] as const;

const ENDPOINTS: [string, GatewayEndpoint][] = [
  ['/chat/completions', 'chat.completions'],
  ['/responses', 'responses'],
  ['/embeddings', 'embeddings'],
];

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
      for (const [path, endpoint] of ENDPOINTS) {
        v1.post(path, { bodyLimit: options.bodyLimit }, async (request, reply) => {
          try {
            await calls.serve(endpoint, request, reply);
          } catch (err) {
            fail(err, request, reply);
          }
          return reply;
        });
      }
      v1.get('/models', async (request, reply) => {
        try {
          await calls.models(request, reply, null);
        } catch (err) {
          fail(err, request, reply);
        }
        return reply;
      });
      // Model ids may contain slashes (`account/model`, `openai/gpt-4o`).
      v1.get('/models/*', async (request, reply) => {
        try {
          await calls.models(request, reply, decodeURIComponent((request.params as { '*': string })['*']));
        } catch (err) {
          fail(err, request, reply);
        }
        return reply;
      });
    },
    { prefix: '/v1' },
  );
}
