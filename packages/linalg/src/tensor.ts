/**
 * The dense float64 tensor of tensorslim's numerics: a shape and a row-major Float64Array.
 * Functions here never mutate their inputs unless their name says so.
 *
 * @module
 */
import { ErrorCodes, fail } from './errors.js';

/** A dense, row-major float64 tensor. `data.length` equals the product of `shape`. */
export interface DenseTensor {
  /** Mode sizes, outermost first. A scalar has shape `[]`. */
  readonly shape: readonly number[];
  /** Row-major entries (the last mode varies fastest). */
  readonly data: Float64Array;
}

/** Number of entries of a tensor of the given shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Checks that a shape has non-negative integer sizes. */
export function checkShape(shape: readonly number[], what = 'shape'): void {
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) {
      fail(ErrorCodes.SHAPE, `${what} [${shape.join(', ')}] has a size that is not a non-negative integer`);
    }
  }
}

/** Builds a tensor; copies nothing when `data` is a Float64Array of the right length. */
export function tensor(shape: readonly number[], data?: ArrayLike<number>): DenseTensor {
  checkShape(shape);
  const n = sizeOf(shape);
  let d: Float64Array;
  if (data === undefined) d = new Float64Array(n);
  else if (data instanceof Float64Array) d = data;
  else d = Float64Array.from(data);
  if (d.length !== n) {
    fail(ErrorCodes.SHAPE, `data of length ${d.length} does not fill shape [${shape.join(', ')}] (${n} entries)`);
  }
  return { shape: [...shape], data: d };
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[]): DenseTensor {
  return tensor(shape);
}

/** A deep copy. */
export function clone(t: DenseTensor): DenseTensor {
  return { shape: [...t.shape], data: t.data.slice() };
}

/** Same data, new shape (no copy). The sizes must multiply to the same count. */
export function reshape(t: DenseTensor, shape: readonly number[]): DenseTensor {
  if (sizeOf(shape) !== t.data.length) {
    fail(ErrorCodes.SHAPE, `cannot reshape [${t.shape.join(', ')}] (${t.data.length} entries) to [${shape.join(', ')}] (${sizeOf(shape)} entries)`);
  }
  return { shape: [...shape], data: t.data };
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i]!;
  }
  return st;
}

/**
 * Permutes modes: result mode `i` is input mode `perm[i]` (numpy's `transpose(perm)`).
 */
export function permute(t: DenseTensor, perm: readonly number[]): DenseTensor {
  const d = t.shape.length;
  if (perm.length !== d || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    fail(ErrorCodes.SHAPE, `permutation [${perm.join(', ')}] is not a permutation of 0..${d - 1}`);
  }
  if (perm.every((p, i) => p === i)) return clone(t);
  const inStrides = stridesOf(t.shape);
  const outShape = perm.map((p) => t.shape[p]!);
  const st = perm.map((p) => inStrides[p]!);
  const out = new Float64Array(t.data.length);
  const src = t.data;
  // Iterate output in row-major order; the last output mode is the inner loop.
  const last = d - 1;
  const innerN = outShape[last] ?? 1;
  const innerS = st[last] ?? 0;
  const idx = new Array<number>(d).fill(0);
  let o = 0;
  let base = 0;
  const total = out.length;
  while (o < total) {
    for (let k = 0, p = base; k < innerN; k++, p += innerS) out[o++] = src[p]!;
    // increment the outer index
    let ax = last - 1;
    while (ax >= 0) {
      idx[ax]!++;
      base += st[ax]!;
      if (idx[ax]! < outShape[ax]!) break;
      base -= st[ax]! * outShape[ax]!;
      idx[ax] = 0;
      ax--;
    }
    if (ax < 0) break;
  }
  return { shape: outShape, data: out };
}

/** Frobenius norm. */
export function frobNorm(t: { data: Float64Array }): number {
  // scaled sum of squares to avoid overflow on huge entries
  let scale = 0;
  let ssq = 1;
  const a = t.data;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v !== 0) {
      const av = Math.abs(v);
      if (scale < av) {
        ssq = 1 + ssq * (scale / av) * (scale / av);
        scale = av;
      } else ssq += (av / scale) * (av / scale);
    }
  }
  return scale * Math.sqrt(ssq);
}

/** ‖a − b‖_F / ‖a‖_F (0 when both are zero; Inf when only `a` is zero). */
export function relError(a: DenseTensor, b: DenseTensor): number {
  if (a.data.length !== b.data.length) {
    fail(ErrorCodes.SHAPE, `relError of tensors with ${a.data.length} and ${b.data.length} entries`);
  }
  const diff = new Float64Array(a.data.length);
  for (let i = 0; i < diff.length; i++) diff[i] = a.data[i]! - b.data[i]!;
  const na = frobNorm(a);
  const nd = frobNorm({ data: diff });
  if (na === 0) return nd === 0 ? 0 : Infinity;
  return nd / na;
}

/** Entrywise a + alpha·b, as a new tensor with a's shape. */
export function axpy(a: DenseTensor, alpha: number, b: DenseTensor): DenseTensor {
  if (a.data.length !== b.data.length) fail(ErrorCodes.SHAPE, 'axpy of tensors of different sizes');
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i]! + alpha * b.data[i]!;
  return { shape: [...a.shape], data: out };
}

/** alpha·t as a new tensor. */
export function scale(t: DenseTensor, alpha: number): DenseTensor {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = alpha * t.data[i]!;
  return { shape: [...t.shape], data: out };
}
