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
  // a matrix (dense kernel, 1×1 convolution) keeps one mode per side: Tucker-2 on (out, in), the
  // truncated SVD; a plan entry that gives outModes/inModes asks for multi-mode Tucker instead
  preferredModes: (kind, kernelShape) =>
    kind === 'dense'
      ? { outModes: [kernelShape[1]!], inModes: [kernelShape[0]!] }
      : kernelShape[0] === 1 && kernelShape[1] === 1
        ? { outModes: [kernelShape[3]!], inModes: [kernelShape[2]!] }
        : undefined,
};

/** Registers the Tucker plugin (and its projector and layers) in `registry` (idempotent). */
export function registerTucker(registry: PluginRegistry = defaultRegistry): void {
  registry.register(tuckerPlugin);
}
