/**
 * The TT projector (ADMM's Z-step) and the kernel → TT factors step shared with the layer
 * factory: weight in TF.js layout → the plan's tensorization → TT-SVD at the plan's ranks.
 *
 * @module
 */
import {
  assertFinite,
  detensorize,
  ErrorCodes,
  fail,
  layoutDims,
  layoutModes,
  rankSpecKind,
  tensorize,
  validateLayout,
  type Factors,
  type LayerTarget,
  type Projector,
  type RankScope,
  type RankValue,
  type TensorLayout,
} from '@tensorslim/core';
import { sizeOf, type DenseTensor } from '@tensorslim/linalg';
import { validateTtRanks } from './ranks.js';
import { TT_FORMAT, ttSvd, type TtSvdOptions } from './tt-svd.js';
import { ttReconstruct } from './tt-tensor.js';

/**
 * The layout that fits `kernel`: checks the kernel's rank and spatial size against the target
 * (`TS_SHAPE`), and that its channel counts factor as the plan's modes say (`TS_FACTOR`).
 */
export function kernelLayout(kernel: DenseTensor, target: LayerTarget): TensorLayout {
  const { layout, name } = target;
  const ks = kernel.shape;
  const want = layout.kind === 'conv2d' ? 4 : 2;
  if (ks.length !== want) {
    fail(ErrorCodes.SHAPE, `${name}: a ${layout.kind} kernel has ${want} dimensions, got [${ks.join(', ')}]`, layout.kind === 'conv2d' ? 'TF.js conv kernels are [kh, kw, Cin, Cout]' : 'TF.js dense kernels are [In, Out]');
  }
  if (layout.kind === 'conv2d' && (ks[0] !== layout.kernelShape[0] || ks[1] !== layout.kernelShape[1])) {
    fail(ErrorCodes.SHAPE, `${name}: kernel [${ks.join(', ')}] is ${ks[0]}×${ks[1]}, the plan's layout is for ${layout.kernelShape[0]}×${layout.kernelShape[1]}`);
  }
  const [cin, cout] = layout.kind === 'conv2d' ? [ks[2]!, ks[3]!] : [ks[0]!, ks[1]!];
  for (const [what, modes, n] of [
    ['outModes', layout.outModes, cout],
    ['inModes', layout.inModes, cin],
  ] as const) {
    if (sizeOf(modes) !== n) {
      fail(
        ErrorCodes.FACTOR,
        `${name}: the kernel has ${n} ${what === 'outModes' ? 'output' : 'input'} channels, but the plan's ${what} [${modes.join(', ')}] multiply to ${sizeOf(modes)}`,
        `use a factorization of ${n} for ${what}, or omit it to have one suggested`,
      );
    }
  }
  const fitted: TensorLayout = { ...layout, kernelShape: [...ks] };
  validateLayout(fitted, name);
  return fitted;
}

/** The names rank formulas may use for a layout: cin, cout, kh, kw, d. */
export function layoutScope(layout: TensorLayout): RankScope {
  return { ...layoutDims(layout), d: layoutModes(layout).length };
}

/**
 * TT factors of a layer kernel: the kernel is checked (finite, shape, channel factorization),
 * tensorized with the target's layout, and decomposed by TT-SVD at the target's ranks.
 * Explicit ranks must have one more entry than the layout has modes (`TS_RANK` otherwise).
 */
export function ttDecomposeKernel(kernel: DenseTensor, target: LayerTarget, opts: TtSvdOptions = {}): Factors {
  assertFinite(kernel.data, `${target.name}: weight`);
  const layout = kernelLayout(kernel, target);
  const modes = layoutModes(layout);
  const scope = layoutScope(layout);
  if (rankSpecKind(target.ranks) === 'ranks') {
    validateTtRanks(modes, (target.ranks as { ranks: readonly RankValue[] }).ranks, `${target.name}: TT ranks`, scope);
  }
  const svdOpt = (target.options.svd as TtSvdOptions['svd']) ?? opts.svd;
  return ttSvd(tensorize(kernel, layout), target.ranks, { ...opts, ...(svdOpt ? { svd: svdOpt } : {}), scope });
}

/**
 * The TT projection of a weight: TT-SVD at the target's ranks, reconstructed and brought back to
 * the weight's TF.js shape. NaN/Inf in the weight → `TS_NON_FINITE`.
 */
export function projectTt(weight: DenseTensor, target: LayerTarget, opts: TtSvdOptions = {}): DenseTensor {
  const f = ttDecomposeKernel(weight, target, opts); // checks finiteness first, then the layout
  return detensorize(ttReconstruct(f), kernelLayout(weight, target));
}

/** The TT projector registered under id "tt". */
export const ttProjector: Projector = {
  id: TT_FORMAT,
  project: (weight, target) => projectTt(weight, target),
};
