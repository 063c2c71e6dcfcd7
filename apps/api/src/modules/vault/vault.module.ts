import { Global, Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken, InjectDataSource } from '@nestjs/typeorm';
import { AccountVerifier, assertMasterKeys, Envelope, QUEUES, SecretStore } from '@vaultrun/vault-core';
import type { Queue } from 'bullmq';
import { apiQueue } from '../../common/queues.js';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { ProviderAccountsController } from './provider-accounts.controller.js';
import { ProviderAccountsService } from './provider-accounts.service.js';
import { ACCOUNT_VERIFIER, ENVELOPE, MAINTENANCE_QUEUE, SECRET_STORE } from './vault.tokens.js';

/** Fail closed: the process does not serve until the master key ring matches what the database was written with. */
@Injectable()
class MasterKeyBootCheck implements OnApplicationBootstrap {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(ENVELOPE) private readonly envelope: Envelope,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return assertMasterKeys(this.db, this.envelope, this.config.keyRing);
  }
}

@Global()
@Module({
  controllers: [ProviderAccountsController],
  providers: [
    { provide: ENVELOPE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new Envelope(config.keyRing) },
    { provide: SECRET_STORE, inject: [ENVELOPE], useFactory: (envelope: Envelope) => new SecretStore(envelope) },
    { provide: ACCOUNT_VERIFIER, inject: [getDataSourceToken(), SECRET_STORE], useFactory: (db: DataSource, store: SecretStore) => new AccountVerifier(db, store) },
    {
      provide: MAINTENANCE_QUEUE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => apiQueue(QUEUES.maintenance, config, 'vaultrun-api-maintenance'),
    },
    MasterKeyBootCheck,
    ProviderAccountsService,
  ],
  exports: [ENVELOPE, SECRET_STORE, ACCOUNT_VERIFIER, ProviderAccountsService],
})
export class VaultModule implements OnApplicationShutdown {
  constructor(@Inject(MAINTENANCE_QUEUE) private readonly maintenance: Queue) {}

  async onApplicationShutdown(): Promise<void> {
    await this.maintenance.close();
  }
}

