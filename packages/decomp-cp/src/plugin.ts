/**
 * The CP format plugin object and its registration.
 *
 * @module
 */
import { defaultRegistry, type FormatPlugin, type PluginRegistry } from '@tensorslim/core';
import { cpDecomposition } from './decomposition.js';
import { cpLayers } from './layers.js';
import { cpProjector } from './projector.js';

/** The CP (CANDECOMP/PARAFAC) format: CP-ALS, its projector, and CP conv/dense layers. */
export const cpPlugin: FormatPlugin = {
  id: 'cp',
  name: 'CP (CANDECOMP/PARAFAC)',
  description: 'CP-ALS with a separable convolution (1×1 → depthwise kh×kw → 1×1, Lebedev et al. 2015)',
  decomposition: cpDecomposition,
  projector: cpProjector,
  layers: cpLayers,
};

/** Registers the CP plugin (and its layers) in `registry` (default: the process-wide registry). */
export function registerCp(registry: PluginRegistry = defaultRegistry): void {
  registry.register(cpPlugin);
}
