/**
 * Leading left singular vectors and singular values of mode unfoldings.
 *
 * The default ('auto') works on the Gram matrix of the unfolding (n × n for a mode of size n,
 * however many columns the unfolding has) and linalg's symmetric eigensolver (the leading r + 1
 * eigenpairs). Squaring the singular values puts everything below about 10⁻⁸·σ_1 into the
 * Gram's rounding noise, so the route is used only where the truncation boundary sits well above
 * it, σ_r ≥ 10⁻³·σ_1 (then the subspace, and the error of the truncation, match an exact SVD to
 * about 1e-10); otherwise, and when the unfolding has far fewer columns than rows, it falls back
 * to an exact SVD of the unfolding.
 *
 * @module
 */
import { ErrorCodes, fail, matrix, randomizedSvd, Rng, svd, symEig, type SymEig } from '@tensorslim/linalg';
import { modeGram, unfolding, type Arranged } from './arranged.js';

/** How the leading singular vectors of an unfolding are computed. */
export type SvdMethod = 'auto' | 'exact' | 'randomized';

/** An orthonormal basis of a mode's leading subspace. */
export interface ModeBasis {
  /** Mode size. */
  readonly n: number;
  /** Number of basis vectors. */
  readonly r: number;
  /** The basis as an n×r row-major matrix (the Tucker factor). */
  readonly u: Float64Array;
  /** Its transpose, r×n row-major (what a mode product with Uᵀ reads). */
  readonly ut: Float64Array;
  /** Σ of the r leading squared singular values of the unfolding (the energy the basis keeps). */
  readonly captured: number;
}

/** Largest mode size whose n×n Gram matrix tensorslim agrees to allocate. */
export const MAX_GRAM_SIZE = 16384;

/** λ_r/λ_1 (= (σ_r/σ_1)²) below which the Gram route hands over to an exact SVD. */
const BOUNDARY_RATIO = 1e-6;

function basisFromColumns(n: number, r: number, src: Float64Array, srcCols: number, captured: number): ModeBasis {
  const u = new Float64Array(n * r);
  const ut = new Float64Array(r * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < r; j++) {
      const v = src[i * srcCols + j]!;
      u[i * r + j] = v;
      ut[j * n + i] = v;
    }
  }
  return { n, r, u, ut, captured };
}

function identityBasis(n: number, r: number, captured: number): ModeBasis {
  const u = new Float64Array(n * r);
  const ut = new Float64Array(r * n);
  for (let j = 0; j < r; j++) {
    u[j * r + j] = 1;
    ut[j * n + j] = 1;
  }
  return { n, r, u, ut, captured };
}

function sumSquares(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

function checkGramSize(n: number, mode: number): void {
  if (n > MAX_GRAM_SIZE) {
    fail(
      ErrorCodes.TOO_LARGE,
      `mode ${mode} has size ${n}: its ${n}×${n} Gram matrix would take ${((n * n * 8) / 2 ** 30).toFixed(1)} GiB`,
      `split that mode into smaller ones (a tensor layout with more modes), or decompose other modes only; the limit is ${MAX_GRAM_SIZE}`,
    );
  }
}

/**
 * Eigen-decomposition of the mode-`mode` Gram matrix of a tensor (from the best-placed
 * candidate): the leading `k` eigenpairs (default all).
 */
export function modeGramEig(cands: readonly Arranged[], mode: number, k?: number): SymEig {
  const q = cands[0]!.order.indexOf(mode);
  const n = cands[0]!.dims[q]!;
  checkGramSize(n, mode);
  const G = modeGram(cands, mode);
  return symEig(matrix(n, n, G), k === undefined || k >= n ? {} : { k });
}

function exactBasis(a: Arranged, mode: number, r: number, method: 'exact' | 'randomized', rng?: Rng): ModeBasis {
  const uf = unfolding(a, mode);
  const m = matrix(uf.rows, uf.cols, uf.data);
  const f = method === 'exact' ? svd(m, { k: r }) : randomizedSvd(m, r, { rng: rng ?? new Rng(0x7cc) });
  let captured = 0;
  for (let i = 0; i < f.s.length; i++) captured += f.s[i]! * f.s[i]!;
  if (f.u.cols < r) {
    // fewer columns than asked (an unfolding with < r columns cannot happen after validation)
    throw new Error(`internal: SVD returned ${f.u.cols} < ${r} vectors`);
  }
  return basisFromColumns(uf.rows, r, f.u.data, f.u.cols, captured);
}

/**
 * An orthonormal basis of the r-dimensional leading subspace of the mode-`mode` unfolding of a
 * tensor given in one or more arrangements (the first that stores the mode first is used for
 * the Gram). `eig` may pass a Gram eigen-decomposition already computed for this tensor.
 */
export function leadingBasis(
  cands: readonly Arranged[],
  mode: number,
  r: number,
  method: SvdMethod = 'auto',
  opts: { rng?: Rng; eig?: SymEig } = {},
): ModeBasis {
  const a = cands[0]!;
  const q = a.order.indexOf(mode);
  const n = a.dims[q]!;
  const P = n === 0 ? 0 : a.data.length / n;
  if (r >= n) return identityBasis(n, n, sumSquares(a.data)); // nothing to truncate: any basis will do
  if (method !== 'auto') return exactBasis(a, mode, r, method, opts.rng);
  if (4 * P < n && !opts.eig) return exactBasis(a, mode, r, 'exact');
  const e = opts.eig && opts.eig.values.length >= r ? opts.eig : modeGramEig(cands, mode, r);
  const lam = e.values;
  const l1 = lam[0]!;
  if (!(l1 > 0)) return identityBasis(n, r, 0); // a zero tensor
  if (lam[r - 1]! < BOUNDARY_RATIO * l1) return exactBasis(a, mode, r, 'exact');
  let captured = 0;
  for (let i = 0; i < r; i++) captured += Math.max(0, lam[i]!);
  return basisFromColumns(n, r, e.vectors.data, e.vectors.cols, captured);
}

/**
 * Squared singular values (descending, min(n, P) of them) of the mode-`mode` unfolding.
 * From the Gram eigenvalues when `eig` is given and accurate enough for `floor` (the smallest
 * ratio σ_i²/σ_1² that matters to the caller), else from an exact SVD.
 */
export function modeSpectrum(cands: readonly Arranged[], mode: number, opts: { eig?: SymEig; floor?: number } = {}): Float64Array {
  const a = cands[0]!;
  const q = a.order.indexOf(mode);
  const n = a.dims[q]!;
  const P = n === 0 ? 0 : a.data.length / n;
  const L = Math.min(n, P);
  const floor = opts.floor ?? 1e-10;
  const e = opts.eig && opts.eig.values.length >= L ? opts.eig : 4 * P < n ? undefined : modeGramEig(cands, mode);
  if (e) {
    const l1 = e.values[0]!;
    // Gram eigenvalues carry an absolute error of a few ulps of λ1: fine when the caller
    // looks no deeper than 1e-10 of λ1, or when the tail is exactly zero to that precision.
    if (!(l1 > 0) || floor >= 1e-10) return Float64Array.from(e.values.subarray(0, L), (v) => Math.max(0, v));
  }
  const uf = unfolding(a, mode);
  const s = svd(matrix(uf.rows, uf.cols, uf.data)).s;
  return Float64Array.from(s.subarray(0, L), (v) => v * v);
}
