/**
 * The CP format plugin object and its `register` helper.
 *
 * @module
 */
import { defaultContainer, registerPlugin, type DependencyContainer, type FormatPlugin } from '@tensorslim/core';
import { cpDecomposition } from './decomposition.js';
import { cpLayers } from './factory.js';
import { cpProjector } from './projector.js';

/** The CP (CANDECOMP/PARAFAC) format: CP-ALS, its projector, and CP conv/dense layers. */
export const plugin: FormatPlugin = {
  id: 'cp',
  name: 'CP (CANDECOMP/PARAFAC)',
  description: 'CP-ALS with a separable convolution (1×1 → depthwise kh×kw → 1×1, Lebedev et al. 2015)',
  decomposition: cpDecomposition,
  projector: cpProjector,
  layers: cpLayers,
};

/** Registers the CP plugin (and its layers) in `container` (default: the process-wide registry). */
export function register(container: DependencyContainer = defaultContainer): void {
  registerPlugin(plugin, container);
}
