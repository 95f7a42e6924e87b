import { cpDecomposition } from './decomposition.js';
import { cpProjector } from './projector.js';
import { cpLayers } from './factory.js';
import { defaultContainer, registerPlugin, type DependencyContainer, type FormatPlugin } from '@tensorslim/core';

/** The CP format. */
export const plugin: FormatPlugin = {
  id: 'cp',                                   // lowercase letters, digits, dashes
  name: 'CP (CANDECOMP/PARAFAC)',
  description: 'CP-ALS with a separable convolution',
  decomposition: cpDecomposition,
  projector: cpProjector,
  layers: cpLayers,                           // optional: a projector-only plugin serves ADMM but not surgery
};

/** Registers the CP plugin (and its layers) in `container`. */
export function register(container: DependencyContainer = defaultContainer): void {
  registerPlugin(plugin, container);
}
