/**
 * The `atd` format plugin: ATD of data tensors through the registry, so `tensorslim decompose
 * --format atd` reaches it like any format. It has no layers: its factors describe data samples,
 * not a layer's kernel.
 *
 * @module
 */
import { defaultRegistry, type FormatPlugin, type PluginRegistry } from '@tensorslim/core';
import { atdDecomposition } from './decomposition.js';
import { atdProjector } from './projector.js';

/** The `atd` format: ATD for data tensors; its projector refuses and it has no layers. */
export const atdPlugin: FormatPlugin = {
  id: 'atd',
  name: 'ATD (augmented tensor decomposition)',
  description: 'CP of a data tensor (samples × features × time) with a self-supervised term on augmented views (Yang et al., NeurIPS 2022)',
  decomposition: atdDecomposition,
  projector: atdProjector,
};

/** Registers the ATD plugin in `registry` (default: the process-wide registry). */
export function registerAtd(registry: PluginRegistry = defaultRegistry): void {
  registry.register(atdPlugin);
}
