/**
 * The `atd` format plugin: ATD of data tensors through the registry, so `tensorslim decompose
 * --format atd` reaches it like any format. Ranks, reconstruction and parameter count are CP's
 * (an ATD model is a CP model), taken from `@tensorslim/decomp-cp`.
 *
 * @module
 */
import { cpParamCount, cpReconstruct, resolveCpRanks } from '@tensorslim/decomp-cp';
import { defaultRegistry, ErrorCodes, fail, type Decomposition, type Factors, type FormatPlugin, type PluginRegistry } from '@tensorslim/core';
import type { DenseTensor } from '@tensorslim/linalg';
import { atd, validateDataTensor, type AtdOptions } from './atd.js';

/** The options of the `atd` format that `decompose` may pass besides the core ones. */
export const ATD_OPTION_KEYS: readonly string[] = ['augment', 'epochs', 'seed'];

function asCp(f: Factors): Factors {
  if (!f || f.format !== 'atd' || f.cores?.length !== 3)
    fail(ErrorCodes.SHAPE, 'atd: factors must be {format: "atd", cores: [A, B, C]}', 'decompose with the atd plugin');
  const R = f.ranks[0]!;
  return { format: 'cp', shape: f.shape, ranks: f.ranks, cores: [...f.cores, { shape: [R], data: new Float64Array(R).fill(1) }] };
}

/** The ATD {@link Decomposition}: data tensors N × I × J, rank [R]. */
export const atdDecomposition: Decomposition = {
  rankConvention: 'one number: the CP rank R of the data tensor N × I × J (ranks: [R]); the per-sample representations are A (N × R)',
  optionKeys: ATD_OPTION_KEYS,
  resolveRanks(shape, spec, opts) {
    validateDataTensor(shape);
    return resolveCpRanks(shape, spec, opts as { tensor?: DenseTensor });
  },
  decompose(tensor, spec, opts) {
    const [R] = atdDecomposition.resolveRanks(tensor.shape, spec, { ...opts, tensor });
    return atd(tensor, R!, opts as AtdOptions);
  },
  reconstruct(factors) {
    return cpReconstruct(asCp(factors));
  },
  paramCount(shape, ranks) {
    return cpParamCount(shape, ranks);
  },
  representations(factors) {
    return asCp(factors).cores[0]!;
  },
};

/** The `atd` format: ATD for data tensors; it has no weight projector and no layers. */
export const atdPlugin: FormatPlugin = {
  id: 'atd',
  name: 'ATD (augmented tensor decomposition)',
  description: 'CP of a data tensor (samples × features × time) with a self-supervised term on augmented views (Yang et al., NeurIPS 2022)',
  decomposition: atdDecomposition,
  projector: {
    id: 'atd',
    project() {
      return fail(
        ErrorCodes.PLUGIN,
        'atd decomposes data tensors, not weights: it has no projector for ADMM',
        'compress with a weight format (tt, tr, tucker, cp)',
      );
    },
  },
};

/** Registers the ATD plugin in `registry` (default: the process-wide registry). */
export function registerAtd(registry: PluginRegistry = defaultRegistry): void {
  registry.register(atdPlugin);
}
