/**
 * Row-major float64 matrices and the products every decomposition is built from.
 *
 * @module
 */
import { ErrorCodes, fail } from './errors.js';
import type { DenseTensor } from './tensor.js';
import { gemm } from './gemm.js';
import { permute, sizeOf } from './tensor.js';

/** A dense row-major float64 matrix. */
export interface Matrix {
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** Row-major entries, `rows * cols` long. */
  readonly data: Float64Array;
}

/** Builds a matrix; `data` is used as is when it is a Float64Array of the right length. */
export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  const n = rows * cols;
  const d = data === undefined ? new Float64Array(n) : data instanceof Float64Array ? data : Float64Array.from(data);
  if (d.length !== n) fail(ErrorCodes.SHAPE, `data of length ${d.length} does not fill a ${rows}×${cols} matrix`);
  return { rows, cols, data: d };
}

/** The n×n identity. */
export function identity(n: number): Matrix {
  const m = matrix(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

/** Transpose (a new matrix). */
export function transpose(a: Matrix): Matrix {
  const { rows, cols } = a;
  const out = new Float64Array(rows * cols);
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) out[j * rows + i] = a.data[i * cols + j]!;
      }
    }
  }
  return { rows: cols, cols: rows, data: out };
}

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** Use Aᵀ in place of A. */
  transA?: boolean;
  /** Use Bᵀ in place of B. */
  transB?: boolean;
}

/**
 * C = op(A)·op(B), by the packed, register-blocked kernel of {@link gemm} (WebAssembly SIMD when
 * available). Transposes are read in place, never copied.
 */
export function matmul(a: Matrix, b: Matrix, opts: MatmulOptions = {}): Matrix {
  const m = opts.transA ? a.cols : a.rows;
  const k = opts.transA ? a.rows : a.cols;
  const kb = opts.transB ? b.cols : b.rows;
  const n = opts.transB ? b.rows : b.cols;
  if (kb !== k) {
    fail(ErrorCodes.SHAPE, `matmul of ${m}×${k} by ${kb}×${n}: inner sizes differ`);
  }
  const c = new Float64Array(m * n);
  const [aRs, aCs] = opts.transA ? [1, a.cols] : [a.cols, 1];
  const [bRs, bCs] = opts.transB ? [1, b.cols] : [b.cols, 1];
  gemm(m, n, k, 1, a.data, 0, aRs, aCs, b.data, 0, bRs, bCs, 0, c, 0, n, 1);
  return { rows: m, cols: n, data: c };
}

/** Which Gram matrix {@link gram} forms. */
export type GramSide = 'rows' | 'cols' | 'auto';

/**
 * The Gram matrix of `a`: A·Aᵀ (`'rows'`, rows×rows) or Aᵀ·A (`'cols'`, cols×cols); `'auto'`
 * (the default) picks the smaller one. Only one triangle is computed (about half the work of a
 * general product), then mirrored, so the result is exactly symmetric.
 */
export function gram(a: Matrix, side: GramSide = 'auto'): Matrix {
  const rowsSide = side === 'rows' || (side === 'auto' && a.rows <= a.cols);
  const n = rowsSide ? a.rows : a.cols;
  const k = rowsSide ? a.cols : a.rows;
  const c = new Float64Array(n * n);
  const [rs, cs] = rowsSide ? [a.cols, 1] : [1, a.cols];
  // lower triangle of op(A)·op(A)ᵀ, then mirror
  gemm(n, n, k, 1, a.data, 0, rs, cs, a.data, 0, cs, rs, 0, c, 0, n, 1, true);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) c[j * n + i] = c[i * n + j]!;
  return { rows: n, cols: n, data: c };
}

/** The mode-`mode` unfolding: rows indexed by that mode, columns by the others in order. */
export function unfold(t: DenseTensor, mode: number): Matrix {
  const d = t.shape.length;
  if (mode < 0 || mode >= d) fail(ErrorCodes.SHAPE, `mode ${mode} out of range for a ${d}-mode tensor`);
  const perm = [mode, ...Array.from({ length: d }, (_, i) => i).filter((i) => i !== mode)];
  const p = mode === 0 ? t : permute(t, perm);
  const rows = t.shape[mode]!;
  return { rows, cols: rows === 0 ? 0 : p.data.length / rows, data: p.data };
}

/** Inverse of {@link unfold}: folds a mode-`mode` unfolding back to `shape`. */
export function fold(m: Matrix, mode: number, shape: readonly number[]): DenseTensor {
  const d = shape.length;
  if (m.rows * m.cols !== sizeOf(shape) || m.rows !== shape[mode]) {
    fail(ErrorCodes.SHAPE, `cannot fold a ${m.rows}×${m.cols} matrix along mode ${mode} into [${shape.join(', ')}]`);
  }
  const others = Array.from({ length: d }, (_, i) => i).filter((i) => i !== mode);
  const permShape = [shape[mode]!, ...others.map((i) => shape[i]!)];
  // inverse permutation of [mode, ...others]
  const fwd = [mode, ...others];
  const inv = new Array<number>(d);
  fwd.forEach((p, i) => (inv[p] = i));
  return mode === 0 ? { shape: [...shape], data: m.data } : permute({ shape: permShape, data: m.data }, inv);
}

/** Mode-`mode` product: T ×_mode M, where M is J×I_mode (or its transpose with `transM`). */
export function modeProduct(t: DenseTensor, m: Matrix, mode: number, transM = false): DenseTensor {
  const u = unfold(t, mode);
  const r = matmul(m, u, { transA: transM });
  const shape = [...t.shape];
  shape[mode] = r.rows;
  return fold(r, mode, shape);
}
