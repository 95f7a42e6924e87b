/**
 * The Tucker plugin object and its registration.
 *
 * @module
 */
import { defaultRegistry, type FormatPlugin, type PluginRegistry } from '@tensorslim/core';
import { TUCKER_FORMAT, tuckerDecomposition } from './decomposition.js';
import { tuckerLayers } from './layers.js';
import { tuckerProjector } from './projector.js';

/** The Tucker format plugin: HOOI/HOSVD decomposition, projector, Tucker-2 layers. */
export const tuckerPlugin: FormatPlugin = {
  id: TUCKER_FORMAT,
  name: 'Tucker',
  description: 'Tucker decomposition (truncated HOSVD + HOOI, partial over chosen modes; EVBMF automatic ranks) with Tucker-2 convolutions.',
  decomposition: tuckerDecomposition,
  projector: tuckerProjector,
  layers: tuckerLayers,
};

/** Registers the Tucker plugin (and its projector and layers) in `registry` (idempotent). */
export function registerTucker(registry: PluginRegistry = defaultRegistry): void {
  registry.register(tuckerPlugin);
}
