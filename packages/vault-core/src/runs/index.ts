export * from './bus.js';
export * from './executor.js';
export * from './key-cache.js';
export * from './limits.js';
export * from './store.js';
export * from './reconcile.js';
