/**
 * The TT plugin object and its registration.
 *
 * @module
 */
import { defaultRegistry, type FormatPlugin, type PluginRegistry } from '@tensorslim/core';
import { TT_FORMAT, ttDecomposition } from './decomposition.js';
import { ttLayers } from './layers.js';
import { ttProjector } from './projector.js';

/** The tensor-train format plugin (id "tt"). */
export const ttPlugin: FormatPlugin = {
  id: TT_FORMAT,
  name: 'tensor train',
  description: 'Tensor train (Oseledets 2011): TT-SVD, TT rounding, and TTConv2D/TTDense layers in the paper layout [o.., kh·kw, i..].',
  decomposition: ttDecomposition,
  projector: ttProjector,
  layers: ttLayers,
};

/** Registers the TT plugin (decomposition, projector, layers) in `registry`. Idempotent. */
export function registerTt(registry: PluginRegistry = defaultRegistry): void {
  registry.register(ttPlugin);
}
