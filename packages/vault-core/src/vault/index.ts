export * from './master-keys.js';
export * from './secret-store.js';
export * from './verify.js';
export * from './mock-account.js';
export * from './endpoint.js';
export * from './fingerprints.js';
export * from './stored-secrets.js';
