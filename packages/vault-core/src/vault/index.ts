export * from './master-keys.js';
export * from './secret-store.js';
export * from './verify.js';
export * from './mock-account.js';
