/**
 * ATD, augmented tensor decomposition (Yang et al., NeurIPS 2022, "ATD: augmented tensor
 * decomposition with stochastic alternating optimization"), for data tensors
 * (samples × features × time):
 *
 * - `atd(x, R, opts)`: CP factors fitted by stochastic alternating optimization on mini-batches,
 *   with a self-supervised term on two augmented views of each sample; `epochs: 0` is the plain
 *   CP-ALS baseline in the same layout;
 * - `atdObjective`: the objective and its exact gradient; `leastSquaresRepresentations`: the
 *   representations of new samples with trained factors;
 * - the augmentation registry (`jitter`, `scale`, `shift`, `crop`, and your own);
 * - `logisticRegression`: the linear probe that scores representations;
 * - `atdPlugin` (default export) / `registerAtd(registry)`: the format under id `atd`.
 *
 * The files of every tensorslim plugin (`ranks.ts`, `decomposition.ts`, `projector.ts`,
 * `plugin.ts`) but no `layers.ts` (ATD factorizes data, not layers), and three of its own:
 * `augment.ts`, `objective.ts`, `probe.ts`.
 *
 * @packageDocumentation
 */
export * from './ranks.js';
export * from './decomposition.js';
export * from './projector.js';
export * from './plugin.js';
export * from './augment.js';
export * from './objective.js';
export * from './probe.js';
export { atdPlugin as default } from './plugin.js';
