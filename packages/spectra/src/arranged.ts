/**
 * Tensors kept in whatever mode order the last mode product left them in, and the blocked
 * transposes that move one axis of a row-major tensor to the front or the back. A mode product
 * runs as one matrix product (`matmul`) once the contracted mode is the innermost (last) axis,
 * and leaves the new mode last; a Gram matrix (`gram`) wants the mode first. Tracking the order
 * instead of restoring the canonical one after every product saves a copy per product (a
 * Tucker-2 HOOI sweep copies nothing).
 *
 * @module
 */
import { gram, matmul, matrix, permute, sizeOf, type DenseTensor } from '@tensorslim/linalg';

/** dst[c·rows + r] = src[r·cols + c] (an r×c matrix transposed), blocked for the cache. */
export function transposeInto(src: Float64Array, sOff: number, rows: number, cols: number, dst: Float64Array, dOff: number): void {
  if (cols === 1 || rows === 1) {
    dst.set(src.subarray(sOff, sOff + rows * cols), dOff);
    return;
  }
  const BS = 32;
  for (let r0 = 0; r0 < rows; r0 += BS) {
    const r1 = Math.min(rows, r0 + BS);
    for (let c0 = 0; c0 < cols; c0 += BS) {
      const c1 = Math.min(cols, c0 + BS);
      for (let r = r0; r < r1; r++) {
        const s = sOff + r * cols;
        for (let c = c0; c < c1; c++) dst[dOff + c * rows + r] = src[s + c]!;
      }
    }
  }
}

/**
 * [A, n, B] → [A, B, n]: moves the middle axis of a row-major tensor to the back.
 */
export function middleToBack(src: Float64Array, A: number, n: number, B: number): Float64Array {
  const out = new Float64Array(src.length);
  if (B === 1 || n === 1) {
    out.set(src);
    return out;
  }
  const slab = n * B;
  for (let a = 0; a < A; a++) transposeInto(src, a * slab, n, B, out, a * slab);
  return out;
}

/**
 * [A, n, B] → [n, A, B]: moves the middle axis of a row-major tensor to the front.
 */
export function middleToFront(src: Float64Array, A: number, n: number, B: number): Float64Array {
  const out = new Float64Array(src.length);
  if (A === 1 || n === 1) {
    out.set(src);
    return out;
  }
  if (B === 1) {
    transposeInto(src, 0, A, n, out, 0);
    return out;
  }
  // runs of B contiguous entries: out[i, a, :] = src[a, i, :]
  for (let a = 0; a < A; a++) {
    for (let i = 0; i < n; i++) {
      const s = (a * n + i) * B;
      out.set(src.subarray(s, s + B), (i * A + a) * B);
    }
  }
  return out;
}

/**
 * Cyclic rotation of a tensor's modes: the result's modes are `[m, m+1, …, d−1, 0, …, m−1]`. A
 * 2-D transpose of the tensor viewed as `[n_0···n_{m−1}, n_m···n_{d−1}]`; `m = 0` returns the input.
 */
export function rotateModes(t: DenseTensor, m: number): DenseTensor {
  const d = t.shape.length;
  if (m === 0 || d < 2) return t;
  const rows = sizeOf(t.shape.slice(0, m));
  const out = new Float64Array(t.data.length);
  transposeInto(t.data, 0, rows, t.data.length / rows, out, 0);
  return { shape: [...t.shape.slice(m), ...t.shape.slice(0, m)], data: out };
}

/** Rotates a list the same way as {@link rotateModes}: `[x_m, …, x_{d−1}, x_0, …, x_{m−1}]`. */
export function rotateList<T>(xs: readonly T[], m: number): T[] {
  return [...xs.slice(m), ...xs.slice(0, m)];
}

/** A tensor whose stored axis q holds the original mode `order[q]`, of size `dims[q]`. */
export interface Arranged {
  /** Row-major entries in the stored order. */
  readonly data: Float64Array;
  /** Stored axis sizes. */
  readonly dims: readonly number[];
  /** `order[q]` = the original mode stored at axis q. */
  readonly order: readonly number[];
}

/** A dense tensor in its canonical order (no copy). */
export function arrange(t: DenseTensor): Arranged {
  return { data: t.data, dims: [...t.shape], order: t.shape.map((_, i) => i) };
}

function split(a: Arranged, q: number): [number, number, number] {
  let A = 1;
  let B = 1;
  for (let i = 0; i < q; i++) A *= a.dims[i]!;
  for (let i = q + 1; i < a.dims.length; i++) B *= a.dims[i]!;
  return [A, a.dims[q]!, B];
}

function moved(a: Arranged, q: number, to: 'front' | 'back', data: Float64Array): Arranged {
  const dims = [...a.dims];
  const order = [...a.order];
  const [d] = dims.splice(q, 1);
  const [o] = order.splice(q, 1);
  if (to === 'front') {
    dims.unshift(d!);
    order.unshift(o!);
  } else {
    dims.push(d!);
    order.push(o!);
  }
  return { data, dims, order };
}

/** Stored position of an original mode. */
export function positionOf(a: Arranged, mode: number): number {
  const q = a.order.indexOf(mode);
  if (q < 0) throw new Error(`internal: mode ${mode} is not in [${a.order.join(', ')}]`);
  return q;
}

/** The same tensor with `mode` stored last (no copy when it already is). */
export function toBack(a: Arranged, mode: number): Arranged {
  const q = positionOf(a, mode);
  if (q === a.dims.length - 1) return a;
  const [A, n, B] = split(a, q);
  return moved(a, q, 'back', middleToBack(a.data, A, n, B));
}

/** The same tensor with `mode` stored first (no copy when it already is). */
export function toFront(a: Arranged, mode: number): Arranged {
  const q = positionOf(a, mode);
  if (q === 0) return a;
  const [A, n, B] = split(a, q);
  return moved(a, q, 'front', middleToFront(a.data, A, n, B));
}

/**
 * Mode product on the last stored axis: out[p, j] = Σ_i a[p, i] · M[j, i], where M is
 * nOut × nIn row-major. The mode keeps its place (last) with size nOut.
 */
export function contractBack(a: Arranged, M: Float64Array, nOut: number): Arranged {
  const nIn = a.dims[a.dims.length - 1]!;
  const P = nIn === 0 ? 0 : a.data.length / nIn;
  const out = matmul(matrix(P, nIn, a.data), matrix(nOut, nIn, M), { transB: true }).data;
  const dims = [...a.dims];
  dims[dims.length - 1] = nOut;
  return { data: out, dims, order: a.order };
}

/** Mode product T ×_mode M with M nOut × n_mode (row-major): moves the mode last, contracts. */
export function modeTimes(a: Arranged, mode: number, M: Float64Array, nOut: number): Arranged {
  return contractBack(toBack(a, mode), M, nOut);
}

/** The stored data viewed as the mode-`mode` unfolding: the mode first, the rest in stored order. */
export function unfolding(a: Arranged, mode: number): { rows: number; cols: number; data: Float64Array } {
  const f = toFront(a, mode);
  const rows = f.dims[0]!;
  return { rows, cols: rows === 0 ? 0 : f.data.length / rows, data: f.data };
}

/**
 * Gram matrix of the mode-`mode` unfolding (n × n, n the mode's size), from the first of the
 * candidates that already stores the mode first (else a copy of the first candidate).
 */
export function modeGram(cands: readonly Arranged[], mode: number): Float64Array {
  const front = cands.find((c) => c.order[0] === mode) ?? toFront(cands[0]!, mode);
  const n = front.dims[0]!;
  const cols = n === 0 ? 0 : front.data.length / n;
  return gram(matrix(n, cols, front.data), 'rows').data;
}

/** Back to a canonical (ascending mode order) dense tensor. */
export function canonical(a: Arranged): DenseTensor {
  if (a.order.every((o, i) => o === i)) return { shape: [...a.dims], data: a.data };
  // result axis i is original mode i, stored at position order.indexOf(i)
  const perm = a.order.map((_, i) => a.order.indexOf(i));
  return permute({ shape: [...a.dims], data: a.data }, perm);
}
