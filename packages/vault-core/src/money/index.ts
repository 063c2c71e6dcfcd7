export * from './labels.js';
export * from './ledger.js';
export * from './quote.js';
export * from './alerts.js';
export * from './cost-sync.js';
