/**
 * The tensor-ring plugin object and its registration.
 *
 * @module
 */
import { defaultRegistry, type FormatPlugin, type PluginRegistry } from '@tensorslim/core';
import { TR_FORMAT, trDecomposition } from './decomposition.js';
import { trLayers } from './layers.js';
import { trProjector } from './projector.js';

/** The tensor-ring format plugin: TR-SVD (+ TR-ALS), the ADMM projector, TRConv2D and TRDense. */
export const trPlugin: FormatPlugin = {
  id: TR_FORMAT,
  name: 'tensor ring',
  description: 'Tensor-ring decomposition (TR-SVD with optional TR-ALS refinement); ring ranks r0..r(d-1), the ring closes on r0.',
  decomposition: trDecomposition,
  projector: trProjector,
  layers: trLayers,
};

/** Registers the TR plugin (and its projector and layers) in `registry` (idempotent). */
export function registerTr(registry: PluginRegistry = defaultRegistry): void {
  registry.register(trPlugin);
}
