/**
 * Row-major float64 matrices and the products every decomposition is built from.
 *
 * @module
 */
import { ErrorCodes, fail } from '../errors.js';
import type { DenseTensor } from './tensor.js';
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
 * C = op(A)·op(B). Blocked so that the inner loop streams a row of B (contiguous).
 */
export function matmul(a: Matrix, b: Matrix, opts: MatmulOptions = {}): Matrix {
  const A = opts.transA ? transpose(a) : a;
  const Bm = opts.transB ? transpose(b) : b;
  const m = A.rows;
  const k = A.cols;
  const n = Bm.cols;
  if (Bm.rows !== k) {
    fail(ErrorCodes.SHAPE, `matmul of ${m}×${k} by ${Bm.rows}×${n}: inner sizes differ`);
  }
  const c = new Float64Array(m * n);
  const ad = A.data;
  const bd = Bm.data;
  const KB = 128;
  for (let k0 = 0; k0 < k; k0 += KB) {
    const k1 = Math.min(k, k0 + KB);
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      const ai = i * k;
      for (let p = k0; p < k1; p++) {
        const av = ad[ai + p]!;
        if (av === 0) continue;
        const bp = p * n;
        for (let j = 0; j < n; j++) c[ci + j] += av * bd[bp + j]!;
      }
    }
  }
  return { rows: m, cols: n, data: c };
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
