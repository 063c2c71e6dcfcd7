import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type DynamicModule, RequestMethod } from '@nestjs/common';
import { REDACT_PATHS } from '@vaultrun/vault-core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfig } from '../config.js';

const QUIET_PATHS = new Set(['/health', '/ready', '/metrics']);

/** JSON logs with secrets redacted and the request id on every line (the API's and the standalone gateway's). */
export function loggerModule(config: AppConfig, service: string, logDestination?: DestinationStream): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: [
      {
        level: config.logLevel,
        redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
        // The id Fastify assigned (see app.ts), so log lines and the x-request-id header agree.
        genReqId: (req: IncomingMessage) => String(req.headers['x-request-id'] ?? randomUUID()),
        customProps: () => ({ service }),
        autoLogging: { ignore: (req: IncomingMessage & { originalUrl?: string }) => QUIET_PATHS.has((req.originalUrl ?? req.url ?? '').split('?')[0]!) },
      },
      logDestination ?? process.stdout,
    ],
    // nestjs-pino 5.2.1's default route (`{/*splat}`) matches nothing on Nest 12.5's Fastify
    // adapter, so request logging silently never ran; this spelling matches every path.
    forRoutes: [{ path: '/{*splat}', method: RequestMethod.ALL }],
  });
}
