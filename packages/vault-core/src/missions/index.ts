export * from './plan.js';
export * from './copilot.js';
export * from './engine.js';
