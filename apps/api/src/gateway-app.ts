import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type DynamicModule, Global, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from '@vaultrun/db';
import { assertMasterKeys, Envelope, SecretStore } from '@vaultrun/vault-core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger, PinoLogger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { DataSource } from 'typeorm';
import { loggerModule } from './common/logging.js';
import { ProblemDetailsFilter, sendProblem } from './common/problem-details.filter.js';
import { APP_CONFIG, type AppConfig } from './config.js';
import { CoreModule } from './core.module.js';
import { AuditService } from './modules/audit/audit.service.js';
import { GatewayCalls } from './modules/gateway/gateway-calls.service.js';
import { registerGatewayRoutes } from './modules/gateway/gateway-http.js';
import { GatewayModule } from './modules/gateway/gateway.module.js';
import { ENVELOPE, SECRET_STORE } from './modules/vault/vault.tokens.js';

/** Fail closed, as the API does: no call is served until the master key ring matches the database's key checks. */
@Injectable()
class GatewayMasterKeyCheck implements OnApplicationBootstrap {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(ENVELOPE) private readonly envelope: Envelope,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await assertMasterKeys(this.db, this.envelope, this.config.keyRing);
  }
}

/** What the gateway needs of the vault and the audit log — no REST controller of either (nothing unguarded is mounted). */
@Global()
@Module({
  providers: [
    { provide: ENVELOPE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new Envelope(config.keyRing) },
    { provide: SECRET_STORE, inject: [ENVELOPE], useFactory: (envelope: Envelope) => new SecretStore(envelope) },
    AuditService,
    GatewayMasterKeyCheck,
  ],
  exports: [ENVELOPE, SECRET_STORE, AuditService],
})
class GatewayVaultModule {}

/**
 * The gateway alone (gateway-main.ts): /v1/* and /health, on the same packages and database as the API, without the
 * console, the REST API or its guards. For measuring the gateway in-process vs. standalone (`pnpm bench gateway`), and
 * for deployments that want the data plane apart. The API serves the same routes on its own port.
 */
@Module({})
export class GatewayAppModule {
  static forRoot(config: AppConfig, logDestination?: DestinationStream): DynamicModule {
    return {
      module: GatewayAppModule,
      imports: [
        CoreModule.forRoot(config),
        loggerModule(config, 'gateway', logDestination),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions({ url: config.databaseUrl, poolSize: config.databasePoolSize, poolMode: config.databasePoolMode, applicationName: 'vaultrun-gateway' }),
            retryAttempts: 5,
            retryDelay: 1000,
          }),
        }),
        GatewayVaultModule,
        GatewayModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function createGatewayApp(config: AppConfig, options: { logDestination?: DestinationStream } = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => sendProblem(error, request, reply, { error: () => undefined }),
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      req.headers['x-request-id'] = id;
      return id;
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayAppModule.forRoot(config, options.logDestination), adapter, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return payload;
  });
  fastify.get('/health', async () => ({ status: 'ok', service: 'gateway' }));
  const gatewayLog = await app.resolve(PinoLogger);
  gatewayLog.setContext('Gateway');
  await registerGatewayRoutes(fastify, app.get(GatewayCalls), { bodyLimit: config.gateway.bodyLimitBytes, logger: gatewayLog });
  app.enableShutdownHooks();
  await app.init();
  return app;
}
