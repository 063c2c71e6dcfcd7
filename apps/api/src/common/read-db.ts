import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { createDataSource } from '@vaultrun/db';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config.js';

/**
 * The database reports read (the analytics overview, the spend report): the read-only replica of DATABASE_READ_URL
 * when set — its own small pool —, else the primary's DataSource. Reports only read, and may lag the primary by the
 * replication delay; everything else uses the primary.
 */
export const READ_DB = Symbol('READ_DB');

@Global()
@Module({})
export class ReadDatabaseModule implements OnApplicationShutdown {
  constructor(
    @Inject(READ_DB) private readonly readDb: DataSource,
    @Inject(getDataSourceToken()) private readonly primary: DataSource,
  ) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ReadDatabaseModule,
      providers: [
        {
          provide: READ_DB,
          inject: [getDataSourceToken()],
          useFactory: async (primary: DataSource) => {
            const c = config;
            if (!c.databaseReadUrl) return primary;
            const replica = createDataSource({
              url: c.databaseReadUrl,
              poolSize: Math.max(2, Math.ceil(c.databasePoolSize / 2)),
              poolMode: c.databasePoolMode,
              applicationName: 'vaultrun-api-reports',
            });
            return replica.initialize();
          },
        },
      ],
      exports: [READ_DB],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.readDb !== this.primary && this.readDb.isInitialized) await this.readDb.destroy();
  }
}
