/**
 * @tensorslim/prune — pruning beside the low-rank formats: magnitude projectors (weight, filter
 * and channel granularity).
 *
 * @packageDocumentation
 */
export * from './sparsity.js';
export * from './reweighted.js';
export * from './channel-surgery.js';
export * from './collaborative.js';
export * from './pipeline.js';
