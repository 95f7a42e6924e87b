/**
 * The single-layer pieces of model surgery: what a TF.js layer is (kind, shapes, whether it can
 * be factorized, its kernel and bias in float64), one layer factorized through a format, and a
 * model rebuilt through its JSON topology with chosen layers replaced. Whole-model surgery
 * (summaries, FLOPs, plans bound to a model, `factorizeModel`, budgets) builds on these in
 * `@tensorslim/surgery`.
 *
 * @module
 */
export * from './tfjs-compat.js';
export * from './layer-info.js';
export * from './replace.js';
export * from './factorize-layer.js';
