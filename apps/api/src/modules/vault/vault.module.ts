import { Global, Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken, InjectDataSource } from '@nestjs/typeorm';
import { AccountVerifier, Envelope, KeyFingerprints, prepareVault, SecretStore } from '@vaultrun/vault-core';
import { QUEUES } from '@vaultrun/engine';
import type { Queue } from 'bullmq';
import { apiQueue } from '../../common/queues.js';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { ProviderAccountsController } from './provider-accounts.controller.js';
import { ProviderAccountMapper } from './provider-account.mapper.js';
import { ProviderAccountChangesService } from './provider-account-changes.service.js';
import { ProviderAccountsService } from './provider-accounts.service.js';
import { ProviderCostSyncService } from './provider-cost-sync.service.js';
import { ProviderKeysService } from './provider-keys.service.js';
import { ProviderVerificationService } from './provider-verification.service.js';
import { ProviderEndpointsService } from './provider-endpoints.service.js';
import { ACCOUNT_VERIFIER, ENVELOPE, KEY_FINGERPRINTS, MAINTENANCE_QUEUE, SECRET_STORE } from './vault.tokens.js';

/**
 * Fail closed: the process does not serve until the master key ring matches what the database was written with.
 * Then secrets stored by older versions are upgraded (v1 → endpoint-bound v2, HMAC fingerprints, wrapped webhook secrets).
 */
@Injectable()
class MasterKeyBootCheck implements OnApplicationBootstrap {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(ENVELOPE) private readonly envelope: Envelope,
    @Inject(KEY_FINGERPRINTS) private readonly fingerprints: KeyFingerprints,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await prepareVault(this.db, this.envelope, this.config.keyRing, this.fingerprints);
  }
}

@Global()
@Module({
  controllers: [ProviderAccountsController],
  providers: [
    { provide: ENVELOPE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new Envelope(config.keyRing) },
    { provide: SECRET_STORE, inject: [ENVELOPE], useFactory: (envelope: Envelope) => new SecretStore(envelope) },
    {
      provide: ACCOUNT_VERIFIER,
      inject: [getDataSourceToken(), SECRET_STORE, APP_CONFIG],
      useFactory: (db: DataSource, store: SecretStore, config: AppConfig) => new AccountVerifier(db, store, config.providerOutbound),
    },
    { provide: KEY_FINGERPRINTS, inject: [getDataSourceToken(), ENVELOPE], useFactory: (db: DataSource, envelope: Envelope) => new KeyFingerprints(db, envelope) },
    {
      provide: MAINTENANCE_QUEUE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => apiQueue(QUEUES.maintenance, config, 'vaultrun-api-maintenance'),
    },
    MasterKeyBootCheck,
    ProviderEndpointsService,
    ProviderAccountMapper,
    ProviderAccountsService,
    ProviderAccountChangesService,
    ProviderKeysService,
    ProviderVerificationService,
    ProviderCostSyncService,
  ],
  exports: [ENVELOPE, SECRET_STORE, ACCOUNT_VERIFIER, KEY_FINGERPRINTS, ProviderAccountsService, ProviderAccountChangesService, ProviderKeysService, ProviderVerificationService],
})
export class VaultModule implements OnApplicationShutdown {
  constructor(@Inject(MAINTENANCE_QUEUE) private readonly maintenance: Queue) {}

  async onApplicationShutdown(): Promise<void> {
    await this.maintenance.close();
  }
}

