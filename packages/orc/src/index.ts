export * from './generators.js';
export * from './object-linking-layer.js';
export * from './session.js';
export * from './debugging.js';
export * from './live/index.js';
