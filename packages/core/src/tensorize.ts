/**
 * How a layer's weight becomes a tensor (the paper's layout, shared by every plugin):
 * - conv kernel [kh, kw, Cin, Cout] → modes [o_1..o_m, kh·kw, i_1..i_n], ∏o = Cout, ∏i = Cin;
 * - dense kernel [In, Out] → modes [o_1..o_m, i_1..i_n].
 *
 * @module
 */
import { ErrorCodes, fail, permute, reshape, sizeOf, type DenseTensor } from '@tensorslim/linalg';

/** The kinds of dense layers that can be factorized. */
export type LayerKind = 'conv2d' | 'dense';

/** Where a layer's weight lives as a tensor: its kernel shape and the mode split. */
export interface TensorLayout {
  /** conv2d or dense. */
  readonly kind: LayerKind;
  /** The TF.js kernel shape: conv [kh, kw, Cin, Cout]; dense [In, Out]. */
  readonly kernelShape: readonly number[];
  /** Factors of Cout (or Out), outermost first. */
  readonly outModes: readonly number[];
  /** Factors of Cin (or In). */
  readonly inModes: readonly number[];
}

/** The mode sizes of the tensorized weight: [...outModes, kh·kw (conv only), ...inModes]. */
export function layoutModes(layout: TensorLayout): number[] {
  const { kind, kernelShape, outModes, inModes } = layout;
  return kind === 'conv2d' ? [...outModes, kernelShape[0]! * kernelShape[1]!, ...inModes] : [...outModes, ...inModes];
}

/** Index of the spatial (kh·kw) mode, or -1 for dense layers. */
export function spatialMode(layout: TensorLayout): number {
  return layout.kind === 'conv2d' ? layout.outModes.length : -1;
}

/** Channel sizes of a layout: { cin, cout, kh, kw }. */
export function layoutDims(layout: TensorLayout): { cin: number; cout: number; kh: number; kw: number } {
  const k = layout.kernelShape;
  return layout.kind === 'conv2d' ? { kh: k[0]!, kw: k[1]!, cin: k[2]!, cout: k[3]! } : { kh: 1, kw: 1, cin: k[0]!, cout: k[1]! };
}

/** Validates a layout: kernel rank, and mode products equal to the channel counts. */
export function validateLayout(layout: TensorLayout, layerName = 'layer'): void {
  const { kind, kernelShape } = layout;
  const want = kind === 'conv2d' ? 4 : 2;
  if (kernelShape.length !== want) {
    fail(ErrorCodes.SHAPE, `${layerName}: a ${kind} kernel has ${want} dimensions, got [${kernelShape.join(', ')}]`);
  }
  const { cin, cout } = layoutDims(layout);
  for (const [what, modes, n] of [
    ['outModes', layout.outModes, cout],
    ['inModes', layout.inModes, cin],
  ] as const) {
    if (modes.length === 0 || modes.some((m) => !Number.isInteger(m) || m < 1)) {
      fail(ErrorCodes.FACTOR, `${layerName}: ${what} [${modes.join(', ')}] must be a non-empty list of positive integers`);
    }
    if (sizeOf(modes) !== n) {
      fail(
        ErrorCodes.FACTOR,
        `${layerName}: ${what} [${modes.join(', ')}] multiply to ${sizeOf(modes)}, but the layer has ${n} ${what === 'outModes' ? 'output' : 'input'} channels`,
        `use factors of ${n}, e.g. [${factorizeChannels(n, Math.max(1, modes.length)).join(', ')}]`,
      );
    }
  }
}

/** Kernel (TF.js layout) → the tensor in the layout's modes. */
export function tensorize(kernel: DenseTensor, layout: TensorLayout): DenseTensor {
  if (kernel.shape.length !== layout.kernelShape.length || kernel.shape.some((s, i) => s !== layout.kernelShape[i])) {
    fail(ErrorCodes.SHAPE, `kernel shape [${kernel.shape.join(', ')}] differs from the layout's [${layout.kernelShape.join(', ')}]`);
  }
  const { kh, kw, cin, cout } = layoutDims(layout);
  const p =
    layout.kind === 'conv2d'
      ? permute(reshape(kernel, [kh * kw, cin, cout]), [2, 0, 1]) // [Cout, kh·kw, Cin]
      : permute(kernel, [1, 0]); // [Out, In]
  return reshape(p, layoutModes(layout));
}

/** Inverse of {@link tensorize}: the tensor in the layout's modes → the TF.js kernel. */
export function detensorize(t: DenseTensor, layout: TensorLayout): DenseTensor {
  const { kh, kw, cin, cout } = layoutDims(layout);
  if (t.data.length !== sizeOf(layout.kernelShape)) {
    fail(ErrorCodes.SHAPE, `tensor of ${t.data.length} entries does not fit kernel [${layout.kernelShape.join(', ')}]`);
  }
  if (layout.kind === 'conv2d') {
    return reshape(permute(reshape(t, [cout, kh * kw, cin]), [1, 2, 0]), [kh, kw, cin, cout]);
  }
  return permute(reshape(t, [cout, cin]), [1, 0]);
}

/** Prime factors of n, ascending. */
export function primeFactors(n: number): number[] {
  const out: number[] = [];
  let m = n;
  for (let p = 2; p * p <= m; p++) {
    while (m % p === 0) {
      out.push(p);
      m /= p;
    }
  }
  if (m > 1) out.push(m);
  return out;
}

/**
 * Splits n into at most `count` factors as balanced as possible (largest prime into the
 * smallest bin), in descending order. Fewer factors are returned when n has too few primes.
 */
export function factorizeChannels(n: number, count: number): number[] {
  if (!Number.isInteger(n) || n < 1) fail(ErrorCodes.FACTOR, `cannot factorize ${n}: not a positive integer`);
  if (n === 1) return [1];
  const primes = primeFactors(n).reverse();
  const bins = new Array<number>(Math.min(count, primes.length)).fill(1);
  for (const p of primes) {
    let best = 0;
    for (let i = 1; i < bins.length; i++) if (bins[i]! < bins[best]!) best = i;
    bins[best]! *= p;
  }
  return bins.sort((a, b) => b - a);
}

/**
 * Suggests mode splits for a channel count: as many factors as keep each near `target`
 * (default 8, the reference implementation's typical mode size), at most `maxModes`.
 */
export function suggestModes(n: number, target = 8, maxModes = 3): number[] {
  const want = Math.max(1, Math.min(maxModes, Math.round(Math.log(n) / Math.log(target))));
  return factorizeChannels(n, want);
}
