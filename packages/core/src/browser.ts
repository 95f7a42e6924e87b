/**
 * @tensorslim/core for web pages: everything of the main entry point except model IO on disk
 * (`io/`, which reads and writes files with Node's `fs`). What remains, and the
 * `@tensorslim/linalg` it imports, has no Node built-in in its import graph, static or dynamic,
 * so any bundler (esbuild, webpack, Vite, Rollup) builds it for the browser without stubs. Load a
 * saved model in the page with TF.js itself: `tf.loadLayersModel(url)` after importing the
 * format plugins its layers come from.
 *
 * Bundlers pick this file through the `browser` condition of the package's `exports`.
 *
 * @module
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
