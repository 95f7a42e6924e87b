/**
 * The CP (CANDECOMP/PARAFAC) format plugin of tensorslim. It was written from docs/plugin-guide.md
 * as a third-party plugin would be, against the public APIs of `@tensorslim/core` and
 * `@tensorslim/linalg` only, and is the guide's worked example:
 *
 * - `cpPlugin` (also the default export) / `registerCp(registry)`: the format under id `cp`;
 * - `cpAls(tensor, spec, opts)`: CP-ALS as a plain function over linalg's DenseTensor;
 * - `CPConv2D` (1×1 → depthwise kh×kw → 1×1, Lebedev et al. 2015) and `CPDense`, registered with
 *   TF.js serialization at import.
 *
 * @packageDocumentation
 */
export * from './ranks.js';
export * from './decomposition.js';
export * from './projector.js';
export * from './layers.js';
export * from './plugin.js';
export { cpPlugin as default } from './plugin.js';
