/**
 * A layer's kernel through a format's decomposition, the same way for every format: the kernel
 * is checked against the plan's layout, tensorized, decomposed at the plan's ranks with the
 * plan entry's options, and (for ADMM's Z-step) reconstructed and brought back to the kernel's
 * shape. A format's projector is usually {@link decompositionProjector} of its decomposition.
 *
 * @module
 */
import { assertFinite, ErrorCodes, fail, sizeOf, TensorslimError, type DenseTensor } from '@tensorslim/linalg';
import type { DecomposeOptions, Decomposition, Factors, Projector } from './contracts.js';
import type { LayerTarget } from './plan.js';
import { evaluateRankFormulas, type RankScope } from './ranks.js';
import { detensorize, layoutDims, layoutModes, tensorize, validateLayout, type TensorLayout } from './tensorize.js';

/**
 * The target's layout fitted to `kernel`: the kernel's rank and spatial size must be the
 * layout's (`TS_SHAPE`), its channel counts must factor as the plan's modes say (`TS_FACTOR`).
 */
export function kernelLayout(kernel: DenseTensor, target: LayerTarget): TensorLayout {
  const { layout, name } = target;
  const ks = kernel.shape;
  const want = layout.kind === 'conv2d' ? 4 : 2;
  if (ks.length !== want) {
    fail(
      ErrorCodes.SHAPE,
      `${name}: a ${layout.kind} kernel has ${want} dimensions, got [${ks.join(', ')}]`,
      layout.kind === 'conv2d' ? 'TF.js conv kernels are [kh, kw, Cin, Cout]' : 'TF.js dense kernels are [In, Out]',
    );
  }
  if (layout.kind === 'conv2d' && (ks[0] !== layout.kernelShape[0] || ks[1] !== layout.kernelShape[1])) {
    fail(
      ErrorCodes.SHAPE,
      `${name}: kernel [${ks.join(', ')}] is ${ks[0]}×${ks[1]}, the plan's layout is for ${layout.kernelShape[0]}×${layout.kernelShape[1]}`,
    );
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
 * Runs `f`; a TensorslimError it throws gets the layer's name and modes in front of its message
 * (unless the message names the layer already).
 */
export function withLayerName<T>(name: string, modes: readonly number[], f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TensorslimError && !e.message.includes(`"${name}"`)) {
      throw new TensorslimError(e.code, `layer "${name}" (modes [${modes.join(', ')}]): ${e.message}`, undefined, e.details);
    }
    throw e;
  }
}

/**
 * The factors of a layer kernel (TF.js layout) in a format: NaN/Inf → `TS_NON_FINITE`; the
 * kernel checked against the plan's layout ({@link kernelLayout}); rank formulas (strings)
 * evaluated for the layout, numbers left to the format's rank check; the kernel tensorized and decomposed at `target.ranks` with options
 * `{ ...opts, ...target.options, layout }`. Errors name the layer and its modes.
 */
export function decomposeKernel(decomposition: Decomposition, kernel: DenseTensor, target: LayerTarget, opts: DecomposeOptions = {}): Factors {
  assertFinite(kernel.data, `${target.name}: weight`);
  const layout = kernelLayout(kernel, target);
  const modes = layoutModes(layout);
  return withLayerName(target.name, modes, () => {
    const ranks = evaluateRankFormulas(target.ranks, layoutScope(layout));
    return decomposition.decompose(tensorize(kernel, layout), ranks, { ...opts, ...target.options, layout });
  });
}

/**
 * The nearest tensor of a format to `weight` at the target's ranks (as the decomposition finds
 * it), in the weight's own TF.js shape: {@link decomposeKernel}, reconstructed, detensorized.
 */
export function projectKernel(decomposition: Decomposition, weight: DenseTensor, target: LayerTarget, opts: DecomposeOptions = {}): DenseTensor {
  const f = decomposeKernel(decomposition, weight, target, opts);
  return detensorize(decomposition.reconstruct(f), kernelLayout(weight, target));
}

/** The projector of a format whose Z-step is its own decomposition (see {@link projectKernel}). */
export function decompositionProjector(id: string, decomposition: Decomposition): Projector {
  return { id, project: (weight, target) => projectKernel(decomposition, weight, target) };
}
