/**
 * @tensorslim/core — contracts, plugin registry, plans and rank specs, tensorization, the
 * factorized-layer bases and the single-layer pieces of model surgery (a layer's kernel through
 * a format, replacing layers of a model). The float64 numerics it builds on are in
 * `@tensorslim/linalg`; backend selection and training kernels are in `@tensorslim/backends`;
 * whole-model surgery and budgets are in `@tensorslim/surgery`, model IO on disk in
 * `@tensorslim/io`, the plugin conformance suite in `@tensorslim/conformance`.
 *
 * Nothing core imports, statically or dynamically, is a Node built-in: bundlers build it for the
 * browser as it is.
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
export * from './contracts.js';
export * from './compose.js';
export * from './kernel.js';
export * from './registry.js';
export * from './layers/index.js';
export * from './data.js';
export * from './surgery/index.js';
