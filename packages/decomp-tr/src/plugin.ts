/**
 * The tensor-ring plugin object and its registration helper.
 *
 * @module
 */
import { defaultContainer, registerPlugin, type DependencyContainer, type FormatPlugin } from '@tensorslim/core';
import { trDecomposition, trProjector } from './decomposition.js';
import { trLayerFactory } from './layers.js';
import { TR_FORMAT } from './tr-svd.js';

/** The tensor-ring format plugin: TR-SVD (+ TR-ALS), the ADMM projector, TRConv2D and TRDense. */
export const plugin: FormatPlugin = {
  id: TR_FORMAT,
  name: 'tensor ring',
  description: 'Tensor-ring decomposition (TR-SVD with optional TR-ALS refinement); ring ranks r0..r(d-1), the ring closes on r0.',
  decomposition: trDecomposition,
  projector: trProjector,
  layers: trLayerFactory,
};

/** Registers the TR plugin (and its projector and layers) in `container` (idempotent). */
export function register(container: DependencyContainer = defaultContainer): void {
  registerPlugin(plugin, container);
}
