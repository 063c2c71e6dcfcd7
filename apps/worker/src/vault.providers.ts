import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { AccountVerifier, Envelope, KeyFingerprints, SecretStore } from '@vaultrun/vault-core';
import type { DataSource } from 'typeorm';
import { WORKER_CONFIG, type WorkerConfig } from './config.js';

export const ENVELOPE = Symbol('ENVELOPE');
export const SECRET_STORE = Symbol('SECRET_STORE');
export const ACCOUNT_VERIFIER = Symbol('ACCOUNT_VERIFIER');
export const KEY_FINGERPRINTS = Symbol('KEY_FINGERPRINTS');

/** The worker's vault: the same envelope and secret store as the API, keys decrypted in memory only. */
export const VAULT_PROVIDERS: Provider[] = [
  { provide: ENVELOPE, inject: [WORKER_CONFIG], useFactory: (config: WorkerConfig) => new Envelope(config.keyRing) },
  { provide: SECRET_STORE, inject: [ENVELOPE], useFactory: (envelope: Envelope) => new SecretStore(envelope) },
  {
    provide: ACCOUNT_VERIFIER,
    inject: [getDataSourceToken(), SECRET_STORE, WORKER_CONFIG],
    useFactory: (db: DataSource, store: SecretStore, config: WorkerConfig) => new AccountVerifier(db, store, config.providerOutbound),
  },
  { provide: KEY_FINGERPRINTS, inject: [getDataSourceToken(), ENVELOPE], useFactory: (db: DataSource, envelope: Envelope) => new KeyFingerprints(db, envelope) },
];
