/**
 * Tensor-ring cores as data: checking a ring, products of consecutive cores, the trace that
 * rebuilds the tensor, and the cyclic mode rotations TR-SVD and TR-ALS work in.
 *
 * @module
 */
import { ErrorCodes, fail, type Factors } from '@tensorslim/core';
import { matmul, sizeOf, type DenseTensor } from '@tensorslim/linalg';
import { validateTrRanks } from './ranks.js';

/**
 * Checks that `cores` form a ring (core k is `[r_k, n_k, r_{k+1}]`, the last right rank equals
 * the first left rank, at least two cores; ranks checked by {@link validateTrRanks}) and returns
 * the tensor shape and ring ranks they imply.
 */
export function ringOf(cores: readonly DenseTensor[]): {
  /** Mode sizes n_k. */
  shape: number[];
  /** Ring ranks r_k (left rank of core k). */
  ranks: number[];
} {
  const d = cores.length;
  if (d === 0) fail(ErrorCodes.SHAPE, 'a tensor ring needs at least one core');
  cores.forEach((c, k) => {
    if (c.shape.length !== 3) fail(ErrorCodes.SHAPE, `TR core ${k} has shape [${c.shape.join(', ')}]; cores are 3-way [r_k, n_k, r_(k+1)]`);
    if (c.data.length !== sizeOf(c.shape)) fail(ErrorCodes.SHAPE, `TR core ${k}: ${c.data.length} entries do not fill [${c.shape.join(', ')}]`);
    const next = cores[(k + 1) % d]!;
    if (c.shape[2] !== next.shape[0]) {
      fail(
        ErrorCodes.RANK,
        `TR cores do not close a ring: core ${k} ends in rank ${c.shape[2]} but core ${(k + 1) % d} starts with rank ${next.shape[0]}`,
      );
    }
  });
  const shape = cores.map((c) => c.shape[1]!);
  const ranks = cores.map((c) => c.shape[0]!);
  validateTrRanks(shape, ranks, { forSvd: false, what: 'TR cores' });
  return { shape, ranks };
}

/**
 * The product of consecutive cores `[a, n_1, b]·[b, n_2, c]···` as one `[a, n_1·n_2···, z]`
 * tensor (the merged mode is row-major over the cores' modes).
 */
export function chainProduct(cores: readonly DenseTensor[]): DenseTensor {
  let acc = cores[0]!;
  for (let k = 1; k < cores.length; k++) {
    const c = cores[k]!;
    const [ra, p, rb] = acc.shape as [number, number, number];
    const [rb2, n, rc] = c.shape as [number, number, number];
    if (rb !== rb2) fail(ErrorCodes.RANK, `cannot chain TR cores: rank ${rb} meets rank ${rb2}`);
    const prod = matmul({ rows: ra * p, cols: rb, data: acc.data }, { rows: rb, cols: n * rc, data: c.data });
    acc = { shape: [ra, p * n, rc], data: prod.data };
  }
  return acc;
}

/**
 * Rebuilds the tensor from ring cores: A(i_0, …, i_{d−1}) = trace(Z_0[i_0] · Z_1[i_1] ··· Z_{d−1}[i_{d−1}]).
 * The trace is folded into the last product, so the cost is that of the open chain.
 */
export function trReconstructCores(cores: readonly DenseTensor[]): DenseTensor {
  const { shape } = ringOf(cores);
  const d = cores.length;
  const last = cores[d - 1]!;
  const [c, n, r0] = last.shape as [number, number, number];
  const head = chainProduct(cores.slice(0, d - 1)); // [r0, P, c]
  const P = head.shape[1]!;
  // left[J, (c, a)] = head[a, J, c]; right[(c, a), i] = last[c, i, a]
  const left = new Float64Array(P * c * r0);
  const hd = head.data;
  for (let a = 0; a < r0; a++) {
    for (let J = 0; J < P; J++) {
      const src = (a * P + J) * c;
      const dst = J * c * r0 + a;
      for (let x = 0; x < c; x++) left[dst + x * r0] = hd[src + x]!;
    }
  }
  const right = new Float64Array(c * r0 * n);
  const ld = last.data;
  for (let x = 0; x < c; x++)
    for (let i = 0; i < n; i++)
      for (let a = 0; a < r0; a++) right[(x * r0 + a) * n + i] = ld[(x * n + i) * r0 + a]!;
  const out = matmul({ rows: P, cols: c * r0, data: left }, { rows: c * r0, cols: n, data: right });
  return { shape, data: out.data };
}

/** Rebuilds the tensor a TR `Factors` object describes (see {@link trReconstructCores}). */
export function trReconstruct(factors: Factors): DenseTensor {
  const out = trReconstructCores(factors.cores);
  if (factors.shape.length !== out.shape.length || factors.shape.some((s, i) => s !== out.shape[i])) {
    fail(ErrorCodes.SHAPE, `TR factors claim shape [${factors.shape.join(', ')}] but their cores give [${out.shape.join(', ')}]`);
  }
  return out;
}

/**
 * Cyclic rotation of modes: result modes are `[m, m+1, …, d−1, 0, …, m−1]`. This is a 2-D
 * transpose of the tensor viewed as `[n_0···n_{m−1}, n_m···n_{d−1}]`; `m = 0` returns the input.
 */
export function rotateModes(t: DenseTensor, m: number): DenseTensor {
  const d = t.shape.length;
  if (m === 0 || d < 2) return t;
  const rows = sizeOf(t.shape.slice(0, m));
  const cols = t.data.length / rows;
  const out = new Float64Array(t.data.length);
  const src = t.data;
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        const si = i * cols;
        for (let j = j0; j < j1; j++) out[j * rows + i] = src[si + j]!;
      }
    }
  }
  return { shape: [...t.shape.slice(m), ...t.shape.slice(0, m)], data: out };
}

/** Rotates a list the same way as {@link rotateModes}: `[x_m, …, x_{d−1}, x_0, …, x_{m−1}]`. */
export function rotateList<T>(xs: readonly T[], m: number): T[] {
  return [...xs.slice(m), ...xs.slice(0, m)];
}
