import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join, resolve } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger, PinoLogger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module.js';
import { parseJsonBody } from './common/json-body.js';
import { sendProblem } from './common/problem-details.filter.js';
import type { AppConfig } from './config.js';
import { GatewayCalls } from './modules/gateway/gateway-calls.service.js';
import { sendGatewayError } from './modules/gateway/gateway-errors.js';
import { registerGatewayRoutes } from './modules/gateway/gateway-http.js';
import { buildOpenApiDocument } from './openapi.js';

export { loadConfig, type AppConfig } from './config.js';
export { BootstrapService } from './modules/bootstrap/bootstrap.service.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/** Builds the API application (used by main.ts and by the e2e tests). */
export async function createApp(config: AppConfig, options: { logDestination?: DestinationStream } = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // A hop count as the function Fastify would make of it (the adapter's types take no number): hop i is trusted
    // when it is one of the `n` closest, so only the address the last trusted proxy appended counts.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // Keep a sane caller-supplied request id, or mint one; it is echoed back and logged.
    // Malformed URLs (e.g. a lone surrogate percent-encoded in a path) and media types Fastify refuses before any route:
    // answered like every other error — problem details, or OpenAI's shape under /v1.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => sendProblem(error, request, reply, { error: () => undefined }),
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      req.headers['x-request-id'] = id;
      return id;
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options.logDestination), adapter, {
    bufferLogs: true,
    // Fastify's own JSON parser only (body limit and prototype-poisoning checks included); no form parsing.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));

  // Security headers with helmet 8's defaults (Nest's built-in), relaxed only so Swagger UI's styles load.
  app.useSecurityHeaders({
    contentSecurityPolicy: {
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'frame-ancestors': ["'none'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        // Only over HTTPS: on a plain-HTTP LAN install it would break every asset.
        'upgrade-insecure-requests': config.secureCookies ? [] : null,
      },
    },
    strictTransportSecurity: config.secureCookies,
  });
  // Fetch-metadata cross-origin check on every write; cookie writes also need the x-csrf-token (AuthGuard).
  app.enableCsrfProtection({ trustedOrigins: [config.consoleOrigin] });
  app.enableCors({ origin: [config.consoleOrigin], credentials: true, exposedHeaders: ['x-request-id', 'retry-after'] });
  await app.register(fastifyCookie as never);

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return payload;
  });
  // Only JSON bodies: a form or text/plain post is refused with 415 instead of being half-parsed.
  fastify.removeContentTypeParser('text/plain');
  // Our JSON parser: nesting depth checked before parsing; prototype-poisoning keys, NUL characters, lone surrogates
  // and numbers beyond ±2^53−1 refused after — each a 400 naming the field, on every route (common/json-body.ts).
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // The billing webhook's signature covers the body exactly as sent.
    if (request.url.startsWith('/api/v1/credits/top-ups')) (request as typeof request & { rawBody?: string }).rawBody = String(body);
    try {
      done(null, parseJsonBody(String(body)));
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)), undefined);
    }
  });

  // The OpenAI-compatible gateway (/v1/*): plain Fastify routes beside Nest's (docs/gateway.md).
  const gatewayLog = await app.resolve(PinoLogger);
  gatewayLog.setContext('Gateway');
  await registerGatewayRoutes(fastify, app.get(GatewayCalls), { bodyLimit: config.gateway.bodyLimitBytes, logger: gatewayLog });

  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json' });

  if (config.consoleDist) serveConsole(app, resolve(config.consoleDist));

  app.enableShutdownHooks();
  await app.init();
  return app;
}

/** Serves the built console, with index.html for client-side routes (but never for /api or /v1). */
function serveConsole(app: NestFastifyApplication, root: string): void {
  if (!existsSync(join(root, 'index.html'))) throw new Error(`VAULTRUN_CONSOLE_DIST has no index.html: ${root}`);
  const fastify = app.getHttpAdapter().getInstance();
  void fastify.register(fastifyStatic, { root, wildcard: false, index: false, maxAge: '1h', immutable: false });
  // Static routes and Nest's routes are more specific than this wildcard, so they win.
  fastify.get('/*', (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (path.startsWith('/v1/')) return sendGatewayError(Object.assign(new Error(`No route for GET ${path}.`), { statusCode: 404 }), request, reply, { error: () => undefined });
    if (path.startsWith('/api/') || path.includes('.')) {
      return sendProblem(Object.assign(new Error(`No route for GET ${path}.`), { statusCode: 404 }), request, reply, { error: () => undefined });
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
