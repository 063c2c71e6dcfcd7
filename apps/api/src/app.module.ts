import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from '@vaultrun/db';
import type { DestinationStream } from 'pino';
import { loggerModule } from './common/logging.js';
import { ProblemDetailsFilter } from './common/problem-details.filter.js';
import { RequestValidationPipe } from './common/validation.js';
import { ReadDatabaseModule } from './common/read-db.js';
import type { AppConfig } from './config.js';
import { CoreModule } from './core.module.js';
import { AnalyticsModule } from './modules/analytics/analytics.module.js';
import { AuditModule } from './modules/audit/audit.module.js';
import { AuthModule } from './modules/auth/auth.module.js';
import { BootstrapModule } from './modules/bootstrap/bootstrap.module.js';
import { ComparisonsModule } from './modules/comparisons/comparisons.module.js';
import { GatewayModule } from './modules/gateway/gateway.module.js';
import { GatewayRoutesModule } from './modules/gateway/gateway-routes.module.js';
import { CreditsModule } from './modules/credits/credits.module.js';
import { InstanceModule } from './modules/instance/instance.module.js';
import { HealthModule } from './modules/health/health.module.js';
import { MembersModule } from './modules/members/members.module.js';
import { TokensModule } from './modules/tokens/tokens.module.js';
import { MetricsModule } from './modules/metrics/metrics.module.js';
import { MissionsModule } from './modules/missions/missions.module.js';
import { MoneyModule } from './modules/money/money.module.js';
import { OperatorsModule } from './modules/operators/operators.module.js';
import { RunsModule } from './modules/runs/runs.module.js';
import { VaultModule } from './modules/vault/vault.module.js';
import { WorkspacesModule } from './modules/workspaces/workspaces.module.js';

@Module({})
export class AppModule {
  /** `logDestination` lets tests read what the process logs; production logs go to stdout. */
  static forRoot(config: AppConfig, logDestination?: DestinationStream): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        loggerModule(config, 'api', logDestination),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions({ url: config.databaseUrl, poolSize: config.databasePoolSize, poolMode: config.databasePoolMode, applicationName: 'vaultrun-api' }),
            retryAttempts: 5,
            retryDelay: 1000,
          }),
        }),
        ReadDatabaseModule.forRoot(config),
        AuditModule,
        AuthModule,
        TokensModule,
        WorkspacesModule,
        MembersModule,
        HealthModule,
        BootstrapModule,
        VaultModule,
        OperatorsModule,
        RunsModule,
        ComparisonsModule,
        MoneyModule,
        MissionsModule,
        MetricsModule,
        GatewayModule,
        GatewayRoutesModule,
        AnalyticsModule,
        InstanceModule,
        CreditsModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useClass: RequestValidationPipe },
      ],
    };
  }
}
