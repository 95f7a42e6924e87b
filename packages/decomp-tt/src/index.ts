/**
 * @tensorslim/decomp-tt — the tensor-train (TT) format plugin: TT-SVD for every rank spec,
 * TT rounding, the projector for ADMM's Z-step, and the TTConv2D / TTDense layers.
 *
 * Importing the package registers the layers with TF.js serialization, so a saved model with TT
 * layers loads again; call {@link register} to add the plugin to a tensorslim registry.
 *
 * @packageDocumentation
 */
import { registerTtLayers } from './layers/factory.js';

export * from './ranks.js';
export * from './tt-svd.js';
export * from './tt-tensor.js';
export * from './projector.js';
export * from './layers/tt-maps.js';
export * from './layers/tt-conv2d.js';
export * from './layers/tt-dense.js';
export * from './layers/factory.js';
export * from './plugin.js';

registerTtLayers();
