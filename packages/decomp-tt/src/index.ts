/**
 * @tensorslim/decomp-tt — the tensor-train (TT) format plugin: TT-SVD for every rank spec,
 * TT rounding, the projector for ADMM's Z-step, and the TTConv2D / TTDense layers.
 *
 * Importing the package registers the layers with TF.js serialization, so a saved model with TT
 * layers loads again; call {@link registerTt} to add the plugin to a tensorslim registry.
 *
 * @packageDocumentation
 */
export * from './ranks.js';
export * from './decomposition.js';
export * from './projector.js';
export * from './layers.js';
export * from './plugin.js';
export { ttPlugin as default } from './plugin.js';
