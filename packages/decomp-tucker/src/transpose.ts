/**
 * The copies Tucker cannot avoid, done cache-friendly: blocked transposes that move one axis
 * of a row-major tensor to the front or to the back. The products themselves run on linalg's
 * `matmul` / `gram` (packed, WebAssembly SIMD when available).
 *
 * @module
 */

/** dst[c·rows + r] = src[r·cols + c] (an r×c matrix transposed), blocked for the cache. */
export function transposeInto(
  src: Float64Array,
  sOff: number,
  rows: number,
  cols: number,
  dst: Float64Array,
  dOff: number,
): void {
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
