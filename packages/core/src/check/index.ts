export * from './types.js';
export * from './expression.js';
export * from './evaluate.js';
export * from './checker.js';
export * from './graph-context.js';
