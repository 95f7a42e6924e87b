/**
 * The one rank check of the Tucker format (TensorLy's `validate_tucker_rank` idea): every entry
 * point — decompose, HOSVD, HOOI, reconstruct, parameter counts, rank resolution, the projector
 * and the layer factory — calls {@link validateTuckerRanks}.
 *
 * @module
 */
import { ErrorCodes, fail, layoutModes, spatialMode, type TensorLayout } from '@tensorslim/core';

/** Checked ranks and modes of a (partial) Tucker decomposition. */
export interface TuckerRanks {
  /** The decomposed modes, in the order given (factor i of the factors belongs to modes[i]). */
  readonly modes: number[];
  /** One rank per decomposed mode, clamped to what the shape allows. */
  readonly ranks: number[];
  /** Whether any rank was lowered by the clamp. */
  readonly clamped: boolean;
}

/** The rank convention, shown in help texts and errors. */
export const TUCKER_RANK_CONVENTION =
  'Tucker: one rank per decomposed mode (all modes by default, or the modes given with --modes / options.modes), each ≤ its mode size';

function checkShape(shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((s) => !Number.isInteger(s) || s < 1)) {
    fail(
      ErrorCodes.SHAPE,
      `Tucker needs a tensor with at least one mode and positive integer sizes, got shape [${Array.isArray(shape) ? shape.join(', ') : String(shape)}]`,
    );
  }
}

/**
 * Checks a list of decomposed modes against a shape and returns it (all modes when
 * `modes` is undefined). Out-of-range modes are `TS_SHAPE`; duplicates, non-integers or an
 * empty list are `TS_OPTION`.
 */
export function normalizeModes(shape: readonly number[], modes?: readonly number[]): number[] {
  checkShape(shape);
  const d = shape.length;
  if (modes === undefined || modes === null) return shape.map((_, i) => i);
  if (!Array.isArray(modes) || modes.length === 0) {
    fail(ErrorCodes.OPTION, `modes must be a non-empty list of mode indices, got ${JSON.stringify(modes)}`, `use indices 0..${d - 1}, e.g. [0, 1]`);
  }
  for (const m of modes) {
    if (!Number.isInteger(m)) fail(ErrorCodes.OPTION, `mode ${JSON.stringify(m)} in modes [${modes.join(', ')}] is not an integer`);
    if (m < 0 || m >= d) {
      fail(
        ErrorCodes.SHAPE,
        `mode ${m} in modes [${modes.join(', ')}] does not exist in a ${d}-mode tensor of shape [${shape.join(', ')}]`,
        `use indices 0..${d - 1}`,
      );
    }
  }
  if (new Set(modes).size !== modes.length) fail(ErrorCodes.OPTION, `modes [${modes.join(', ')}] lists a mode twice`);
  return [...modes];
}

/**
 * Validates Tucker ranks for a tensor of `shape` decomposed along `modes` (default: all):
 * one positive integer rank per decomposed mode, else `TS_RANK`. Ranks larger than the data
 * allows are clamped — to the mode size, and to the product of the other modes' (ranked) sizes,
 * beyond which the core's unfolding cannot have full rank — and `clamped` says so.
 */
export function validateTuckerRanks(
  shape: readonly number[],
  ranks: readonly number[],
  modes?: readonly number[],
): TuckerRanks {
  const ms = normalizeModes(shape, modes);
  if (!Array.isArray(ranks) || ranks.length !== ms.length) {
    fail(
      ErrorCodes.RANK,
      `Tucker needs one rank per decomposed mode: modes [${ms.join(', ')}] of shape [${shape.join(', ')}] need ${ms.length} rank${ms.length === 1 ? '' : 's'}, got ${Array.isArray(ranks) ? `${ranks.length} ([${ranks.join(', ')}])` : JSON.stringify(ranks)}`,
      `give ${ms.length} ranks, e.g. [${ms.map((m) => Math.max(1, Math.ceil(shape[m]! / 2))).join(', ')}], or choose the modes (--modes / options.modes); for Tucker-2 of a layer (2 ranks) give its plan entry outModes [Cout] and inModes [Cin]`,
    );
  }
  ranks.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 1) {
      fail(ErrorCodes.RANK, `Tucker rank ${JSON.stringify(r)} for mode ${ms[i]} is not a positive integer`, 'ranks must be integers ≥ 1');
    }
  });
  // sizes of the core: ranks on decomposed modes, full sizes elsewhere; clamp to a fixed point
  const size = [...shape];
  const out = ranks.map((r, i) => Math.min(r, shape[ms[i]!]!));
  ms.forEach((m, i) => (size[m] = out[i]!));
  for (let changed = true; changed; ) {
    changed = false;
    ms.forEach((m, i) => {
      let others = 1;
      for (let k = 0; k < size.length; k++) if (k !== m) others *= size[k]!;
      if (out[i]! > others) {
        out[i] = others;
        size[m] = others;
        changed = true;
      }
    });
  }
  return { modes: ms, ranks: out, clamped: out.some((r, i) => r !== ranks[i]) };
}

/** Shape of the Tucker core: ranks on the decomposed modes, the full sizes elsewhere. */
export function coreShape(shape: readonly number[], ranks: readonly number[], modes: readonly number[]): number[] {
  const s = [...shape];
  modes.forEach((m, i) => (s[m] = ranks[i]!));
  return s;
}

/** The decomposed modes a layer layout uses by default: every channel mode, the kh·kw mode kept whole. */
export function defaultChannelModes(layout: TensorLayout): number[] {
  const s = spatialMode(layout);
  return layoutModes(layout).map((_, i) => i).filter((i) => i !== s);
}

/**
 * The decomposed modes for a tensor of `shape` from decomposition options: `modes` when given;
 * else, when a layer `layout` is given (model surgery passes one), its channel modes (Tucker-2
 * for a convolution with outModes [Cout], inModes [Cin]); else undefined (all modes).
 */
export function modesFromOptions(
  shape: readonly number[],
  opts: { readonly modes?: readonly number[]; readonly layout?: unknown } = {},
): number[] | undefined {
  if (opts.modes !== undefined) return normalizeModes(shape, opts.modes);
  const layout = opts.layout as TensorLayout | undefined;
  if (layout === undefined || layout === null) return undefined;
  if (typeof layout !== 'object' || !Array.isArray(layout.outModes) || !Array.isArray(layout.inModes) || !Array.isArray(layout.kernelShape)) {
    fail(ErrorCodes.OPTION, `options.layout is not a tensor layout {kind, kernelShape, outModes, inModes}: ${JSON.stringify(layout)}`);
  }
  const want = layoutModes(layout);
  if (want.length !== shape.length || want.some((n, i) => n !== shape[i])) {
    fail(ErrorCodes.SHAPE, `the layout gives a tensor of shape [${want.join(', ')}], the tensor has [${shape.join(', ')}]`);
  }
  return defaultChannelModes(layout);
}
