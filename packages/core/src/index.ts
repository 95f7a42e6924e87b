/**
 * @tensorslim/core — contracts, plugin registry, plans and rank specs, tensorization,
 * factorized-layer bases, model surgery and model IO. The float64 numerics it builds on are in
 * `@tensorslim/linalg`; backend selection and training kernels are in `@tensorslim/backends`.
 *
 * The error family ({@link TensorslimError}, {@link ErrorCodes}) is defined in linalg, the bottom
 * of the dependency graph, and re-exported here: every package takes it from core.
 *
 * @packageDocumentation
 */
export { ErrorCodes, TensorslimError, assertFinite, fail, isTensorslimError, type ErrorCode } from '@tensorslim/linalg';
export * from './options.js';
export * from './ranks.js';
export * from './tensorize.js';
export * from './plan.js';
export * from './budget.js';
export * from './contracts.js';
export * from './compose.js';
export * from './kernel.js';
export * from './registry.js';
export * from './layers/index.js';
export * from './data.js';
export * from './surgery/index.js';
export * from './io/index.js';
