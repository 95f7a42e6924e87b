/**
 * The TT plugin object and its registration.
 *
 * @module
 */
import {
  defaultContainer,
  ErrorCodes,
  fail,
  registerPlugin,
  type DecomposeOptions,
  type Decomposition,
  type DependencyContainer,
  type FormatPlugin,
  type RankSpec,
} from '@tensorslim/core';
import { type DenseTensor } from '@tensorslim/linalg';
import { ttLayerFactory } from './layers/factory.js';
import { ttProjector } from './projector.js';
import { resolveStaticTtRanks, TT_RANK_CONVENTION, ttParamCount } from './ranks.js';
import { TT_FORMAT, ttSvd, type TtSvdOptions } from './tt-svd.js';
import { ttReconstruct } from './tt-tensor.js';

/**
 * The ranks `spec` resolves to for a tensor of `shape`, clamped to what the shape allows.
 * `{eps}` depends on the data: pass `opts.tensor` (a TT-SVD is run to find them).
 */
export function resolveTtRanks(
  shape: readonly number[],
  spec: RankSpec,
  opts: TtSvdOptions & { tensor?: DenseTensor } = {},
): number[] {
  const r = resolveStaticTtRanks(shape, spec, opts.scope);
  if (r) return r;
  if (!opts.tensor) {
    fail(ErrorCodes.RANK, 'TT ranks for an eps spec depend on the data', 'pass the tensor (opts.tensor) or use explicit ranks, maxRank or ratio');
  }
  return [...ttSvd(opts.tensor, spec, opts).ranks];
}

/** The TT decomposition: TT-SVD, reconstruction, parameter count, rank resolution. */
export const ttDecomposition: Decomposition = {
  decompose: (tensor: DenseTensor, spec: RankSpec, opts?: DecomposeOptions) => ttSvd(tensor, spec, opts as TtSvdOptions),
  reconstruct: ttReconstruct,
  paramCount: (shape: readonly number[], ranks: readonly number[]) => ttParamCount(shape, ranks),
  resolveRanks: (shape, spec, opts) => resolveTtRanks(shape, spec, opts as TtSvdOptions & { tensor?: DenseTensor }),
  rankConvention: TT_RANK_CONVENTION,
};

/** The tensor-train format plugin (id "tt"). */
export const plugin: FormatPlugin = {
  id: TT_FORMAT,
  name: 'tensor train',
  description: 'Tensor train (Oseledets 2011): TT-SVD, TT rounding, and TTConv2D/TTDense layers in the paper layout [o.., kh·kw, i..].',
  decomposition: ttDecomposition,
  projector: ttProjector,
  layers: ttLayerFactory,
};

/** Registers the TT plugin (decomposition, projector, layers) in `container`. Idempotent. */
export function register(container: DependencyContainer = defaultContainer): void {
  registerPlugin(plugin, container);
}
