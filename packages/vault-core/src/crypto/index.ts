export * from './envelope.js';
export * from './keyring.js';
