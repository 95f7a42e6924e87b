/**
 * The Tucker plugin object and its registration.
 *
 * @module
 */
import { defaultContainer, registerPlugin, type DependencyContainer, type FormatPlugin } from '@tensorslim/core';
import { tuckerLayers } from './factory.js';
import { tuckerProjector } from './projector.js';
import { tuckerParamCount } from './rank-specs.js';
import { reconstructTucker, resolveTuckerRanks, tucker, TUCKER_FORMAT } from './tucker.js';
import { modesFromOptions, TUCKER_RANK_CONVENTION } from './validate.js';

/** The Tucker format plugin: HOOI/HOSVD decomposition, projector, Tucker-2 layers. */
export const plugin: FormatPlugin = {
  id: TUCKER_FORMAT,
  name: 'Tucker',
  description: 'Tucker decomposition (truncated HOSVD + HOOI, partial over chosen modes; EVBMF automatic ranks) with Tucker-2 convolutions.',
  decomposition: {
    decompose: (tensor, spec, opts = {}) => tucker(tensor, spec, opts),
    reconstruct: reconstructTucker,
    paramCount: (shape, ranks, opts = {}) => tuckerParamCount(shape, ranks, modesFromOptions(shape, opts)),
    resolveRanks: (shape, spec, opts = {}) => resolveTuckerRanks(shape, spec, opts),
    rankConvention: TUCKER_RANK_CONVENTION,
  },
  projector: tuckerProjector,
  layers: tuckerLayers,
};

/** Registers the Tucker plugin (and its projector and layers) in a container (default: the process-wide one). */
export function register(container: DependencyContainer = defaultContainer): void {
  registerPlugin(plugin, container);
}
