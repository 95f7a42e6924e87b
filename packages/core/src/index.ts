/**
 * @tensorslim/core — contracts, registry, numerics, tensorization, factorized-layer bases,
 * model surgery and backend selection.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './numerics/index.js';
export * from './ranks.js';
export * from './tensorize.js';
export * from './plan.js';
export * from './contracts.js';
export * from './registry.js';
export * from './layers/index.js';
export * from './data.js';
export * from './report/index.js';
export * from './surgery/index.js';
export * from './io/index.js';
export * from './backend/index.js';
