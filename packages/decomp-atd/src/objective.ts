/**
 * The ATD objective on one mini-batch and its exact gradient with respect to the two non-sample
 * CP factors B (features, I × R) and C (time, J × R).
 *
 * A sample x (I × J) is represented by the coefficients a(x) of its least-squares fit by the R
 * rank-1 atoms b_r ∘ c_r, with a small ridge ε:
 *
 *     a(x) = argmin_a ‖x − B·diag(a)·Cᵀ‖² + ε‖a‖² = G⁻¹ z(x),
 *     G = (BᵀB) ∗ (CᵀC) + εI,   z_r(x) = b_rᵀ x c_r,
 *
 * which is the sample-mode row of a CP fit with B, C fixed (the A-step of ALS, in closed form).
 * On a batch x_1..x_M with two augmented views x̃_m, x̃'_m of each sample the objective is
 *
 *     L(B, C) = Σ_m (‖x_m − B diag(a_m) Cᵀ‖² + ε‖a_m‖²) / Σ_m ‖x_m‖²            (reconstruction)
 *             + α · ½ (ℓ_rows + ℓ_cols)                                          (self-supervised)
 *
 * where ℓ is InfoNCE over the cosine similarities s_mk = ⟨u_m, v_k⟩ / (‖u_m‖‖v_k‖ τ) of the
 * views' representations u_m = a(x̃_m), v_k = a(x̃'_k): ℓ_rows = (1/M) Σ_m −log softmax_k(s_mk)
 * at k = m, ℓ_cols the same over columns. It pulls the two views of a sample together and pushes
 * the views of other samples apart. (‖u‖ is read as √(‖u‖² + 10⁻¹²), so a zero view is defined.)
 *
 * Because a_m minimizes its own ridge least-squares problem, the reconstruction gradient is the
 * partial derivative with a held fixed (envelope theorem); the self-supervised gradient flows
 * through a(x̃) = G⁻¹ z(x̃) into both G and z.
 *
 * @module
 */
import { ErrorCodes, fail } from '@tensorslim/core';
import { gram, matmul, type Matrix } from '@tensorslim/linalg';

/** A mini-batch of M samples of shape I × J (row-major, M·I·J values), with optional views. */
export interface AtdBatch {
  /** Number of samples M. */
  readonly count: number;
  /** Feature size I. */
  readonly rows: number;
  /** Time size J. */
  readonly cols: number;
  /** The samples. */
  readonly x: Float64Array;
  /** Two augmented views of every sample (same layout), for the self-supervised term. */
  readonly views?: readonly [Float64Array, Float64Array];
}

/** Weights of the ATD objective. */
export interface AtdObjectiveOptions {
  /** Weight α of the self-supervised term (default 1; 0 or no views: reconstruction only). */
  readonly alpha?: number;
  /** InfoNCE temperature τ (default 0.5). */
  readonly temperature?: number;
  /** Ridge ε of the least-squares representations (default 1e-6). */
  readonly ridge?: number;
}

/** The objective's value, its two terms and its gradient. */
export interface AtdObjectiveValue {
  /** L = reconstruction + α·selfSupervised. */
  readonly loss: number;
  /** The relative reconstruction term. */
  readonly reconstruction: number;
  /** The symmetric InfoNCE term (0 without views). */
  readonly selfSupervised: number;
  /** ∂L/∂B, I × R. */
  readonly gradB: Matrix;
  /** ∂L/∂C, J × R. */
  readonly gradC: Matrix;
}

const NORM_DELTA = 1e-12;

/** The inverse of a symmetric positive definite R × R matrix by Cholesky; `TS_NUMERIC` if it is not positive definite. */
export function spdInverse(g: Matrix): Matrix {
  const n = g.rows;
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = g.data[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) fail(ErrorCodes.NUMERIC, `atd: the atom Gram matrix is not positive definite (pivot ${s} at ${i})`, 'raise the ridge or lower the rank');
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j]!;
    }
  }
  // L⁻¹ by forward substitution, then G⁻¹ = L⁻ᵀ L⁻¹
  const li = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l[i * n + k]! * li[k * n + c]!;
      li[i * n + c] = s / l[i * n + i]!;
    }
  }
  return matmul({ rows: n, cols: n, data: li }, { rows: n, cols: n, data: li }, { transA: true });
}

/** G = (BᵀB) ∗ (CᵀC) + εI with the two Gram matrices. */
export function atomGram(
  b: Matrix,
  c: Matrix,
  ridge: number,
): {
  /** G, R × R. */
  g: Matrix;
  /** BᵀB. */
  btb: Matrix;
  /** CᵀC. */
  ctc: Matrix;
} {
  const btb = gram(b, 'cols');
  const ctc = gram(c, 'cols');
  const R = b.cols;
  const g = new Float64Array(R * R);
  for (let i = 0; i < R * R; i++) g[i] = btb.data[i]! * ctc.data[i]!;
  for (let r = 0; r < R; r++) g[r * R + r]! += ridge;
  return { g: { rows: R, cols: R, data: g }, btb, ctc };
}

/** P = x·C for every sample ((M·I) × R) and z_mr = Σ_i B_ir P_(m,i),r (M × R). */
function project(x: Float64Array, count: number, rows: number, cols: number, b: Matrix, c: Matrix): { p: Matrix; z: Matrix } {
  const R = b.cols;
  const p = matmul({ rows: count * rows, cols, data: x }, c);
  const z = new Float64Array(count * R);
  for (let m = 0; m < count; m++) {
    for (let i = 0; i < rows; i++) {
      const po = (m * rows + i) * R;
      for (let r = 0; r < R; r++) z[m * R + r]! += b.data[i * R + r]! * p.data[po + r]!;
    }
  }
  return { p, z: { rows: count, cols: R, data: z } };
}

/**
 * Adds the gradient of Σ_m Σ_r w_mr·z_r(x_m) to gB and gC: ∂/∂B_ir = Σ_m P_(m,i),r w_mr,
 * ∂/∂C = Xᵀ·T with T_(m,i),r = B_ir w_mr.
 */
function addZGradient(x: Float64Array, count: number, rows: number, cols: number, b: Matrix, p: Matrix, w: Matrix, gB: Float64Array, gC: Float64Array): void {
  const R = b.cols;
  const t = new Float64Array(count * rows * R);
  for (let m = 0; m < count; m++) {
    for (let i = 0; i < rows; i++) {
      const o = (m * rows + i) * R;
      for (let r = 0; r < R; r++) {
        const wr = w.data[m * R + r]!;
        gB[i * R + r]! += p.data[o + r]! * wr;
        t[o + r] = b.data[i * R + r]! * wr;
      }
    }
  }
  const gc = matmul({ rows: count * rows, cols, data: x }, { rows: count * rows, cols: R, data: t }, { transA: true });
  for (let i = 0; i < gc.data.length; i++) gC[i]! += gc.data[i]!;
}

/** Adds s·F(H + Hᵀ) to `out`, H = Ḡ ∗ K: the gradient through G = (FᵀF) ∗ K of ⟨Ḡ, G⟩. */
function addGramGradient(f: Matrix, gbar: Float64Array, k: Matrix, out: Float64Array): void {
  const R = f.cols;
  const h = new Float64Array(R * R);
  for (let i = 0; i < R; i++) for (let j = 0; j < R; j++) h[i * R + j] = gbar[i * R + j]! * k.data[i * R + j]! + gbar[j * R + i]! * k.data[j * R + i]!;
  const add = matmul(f, { rows: R, cols: R, data: h });
  for (let i = 0; i < out.length; i++) out[i]! += add.data[i]!;
}

/** The least-squares representations a(x_m) = G⁻¹ z(x_m) of `count` samples (count × R), in chunks. */
export function leastSquaresRepresentations(x: Float64Array, count: number, rows: number, cols: number, b: Matrix, c: Matrix, ridge = 1e-6): Matrix {
  checkShapes(x, count, rows, cols, b, c);
  const R = b.cols;
  const gInv = spdInverse(atomGram(b, c, ridge).g);
  const out = new Float64Array(count * R);
  const chunk = Math.max(1, Math.floor(2_000_000 / Math.max(1, rows * R)));
  for (let s = 0; s < count; s += chunk) {
    const n = Math.min(chunk, count - s);
    const { z } = project(x.subarray(s * rows * cols, (s + n) * rows * cols), n, rows, cols, b, c);
    out.set(matmul(z, gInv).data, s * R);
  }
  return { rows: count, cols: R, data: out };
}

function checkShapes(x: Float64Array, count: number, rows: number, cols: number, b: Matrix, c: Matrix): void {
  if (x.length !== count * rows * cols)
    fail(ErrorCodes.SHAPE, `atd: a batch of ${count} samples of ${rows}×${cols} holds ${count * rows * cols} values, got ${x.length}`);
  if (b.rows !== rows || c.rows !== cols || b.cols !== c.cols) {
    fail(ErrorCodes.SHAPE, `atd: factors B ${b.rows}×${b.cols} and C ${c.rows}×${c.cols} do not fit samples of ${rows}×${cols}`);
  }
}

/** Row (dir 0) or column (dir 1) softmax of an M × M matrix, and the summed log-sum-exp minus the diagonal. */
function infoNce(s: Float64Array, M: number, dir: 0 | 1): { loss: number; prob: Float64Array } {
  const prob = new Float64Array(M * M);
  let loss = 0;
  for (let a = 0; a < M; a++) {
    const at = (k: number) => (dir === 0 ? a * M + k : k * M + a);
    let mx = -Infinity;
    for (let k = 0; k < M; k++) mx = Math.max(mx, s[at(k)]!);
    let sum = 0;
    for (let k = 0; k < M; k++) sum += Math.exp(s[at(k)]! - mx);
    loss += mx + Math.log(sum) - s[a * M + a]!;
    for (let k = 0; k < M; k++) prob[at(k)] = Math.exp(s[at(k)]! - mx) / sum;
  }
  return { loss: loss / M, prob };
}

/** Unit rows û = u / √(‖u‖² + δ) and the norms. */
function unitRows(u: Matrix): { unit: Matrix; norms: Float64Array } {
  const { rows, cols } = u;
  const out = new Float64Array(u.data.length);
  const norms = new Float64Array(rows);
  for (let m = 0; m < rows; m++) {
    let ss = NORM_DELTA;
    for (let r = 0; r < cols; r++) ss += u.data[m * cols + r]! ** 2;
    const n = Math.sqrt(ss);
    norms[m] = n;
    for (let r = 0; r < cols; r++) out[m * cols + r] = u.data[m * cols + r]! / n;
  }
  return { unit: { rows, cols, data: out }, norms };
}

/** Back through û = u/n: ū = (ĝ − û(û·ĝ)) / n, row by row. */
function unitRowsBackward(unit: Matrix, norms: Float64Array, gUnit: Matrix): Matrix {
  const { rows, cols } = unit;
  const out = new Float64Array(unit.data.length);
  for (let m = 0; m < rows; m++) {
    let dot = 0;
    for (let r = 0; r < cols; r++) dot += unit.data[m * cols + r]! * gUnit.data[m * cols + r]!;
    for (let r = 0; r < cols; r++) out[m * cols + r] = (gUnit.data[m * cols + r]! - unit.data[m * cols + r]! * dot) / norms[m]!;
  }
  return { rows, cols, data: out };
}

/** The ATD objective of {@link AtdBatch} at (B, C) and its gradient (see the module comment). */
export function atdObjective(batch: AtdBatch, b: Matrix, c: Matrix, opts: AtdObjectiveOptions = {}): AtdObjectiveValue {
  const { count: M, rows: I, cols: J, x } = batch;
  checkShapes(x, M, I, J, b, c);
  const alpha = opts.alpha ?? 1;
  const tau = opts.temperature ?? 0.5;
  const ridge = opts.ridge ?? 1e-6;
  if (!(alpha >= 0) || !(tau > 0) || !(ridge > 0)) fail(ErrorCodes.OPTION, `atd: alpha ${alpha} must be ≥ 0, temperature ${tau} and ridge ${ridge} > 0`);
  const R = b.cols;
  const { g, btb, ctc } = atomGram(b, c, ridge);
  const gInv = spdInverse(g);
  const gB = new Float64Array(I * R);
  const gC = new Float64Array(J * R);

  // reconstruction: Σ_m ‖x_m‖² − a_m·z_m, over S = Σ_m ‖x_m‖²
  let sx = 0;
  for (let i = 0; i < x.length; i++) sx += x[i]! * x[i]!;
  const S = sx > 0 ? sx : 1;
  const { p, z } = project(x, M, I, J, b, c);
  const a = matmul(z, gInv);
  let az = 0;
  for (let i = 0; i < a.data.length; i++) az += a.data[i]! * z.data[i]!;
  const reconstruction = (sx - az) / S;
  // ∂/∂B = −(2/S)[Σ_m P_m diag(a_m) − B((CᵀC) ∗ AᵀA)], and the same for C with (BᵀB)
  const negA: Matrix = { rows: M, cols: R, data: a.data.map((v) => (-2 / S) * v) };
  addZGradient(x, M, I, J, b, p, negA, gB, gC);
  const ata = gram(a, 'cols');
  const half = ata.data.map((v) => v / S); // addGramGradient doubles through H + Hᵀ
  addGramGradient(b, half, ctc, gB);
  addGramGradient(c, half, btb, gC);

  let selfSupervised = 0;
  if (alpha > 0 && batch.views) {
    const [x1, x2] = batch.views;
    if (x1.length !== x.length || x2.length !== x.length) fail(ErrorCodes.SHAPE, 'atd: the two views must have the shape of the batch');
    const pr1 = project(x1, M, I, J, b, c);
    const pr2 = project(x2, M, I, J, b, c);
    const u = matmul(pr1.z, gInv);
    const v = matmul(pr2.z, gInv);
    const nu = unitRows(u);
    const nv = unitRows(v);
    const s = matmul(nu.unit, nv.unit, { transB: true }).data.map((w) => w / tau);
    const rowsTerm = infoNce(s, M, 0);
    const colsTerm = infoNce(s, M, 1);
    selfSupervised = 0.5 * (rowsTerm.loss + colsTerm.loss);
    // ∂(α·ssl)/∂s_mk = α(P^r + P^c − 2δ)/(2M), then through s = ÛV̂ᵀ/τ
    const sbar = new Float64Array(M * M);
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < M; k++) sbar[m * M + k] = (alpha * (rowsTerm.prob[m * M + k]! + colsTerm.prob[m * M + k]! - (m === k ? 2 : 0))) / (2 * M * tau);
    }
    const sb: Matrix = { rows: M, cols: M, data: sbar };
    const ubar = unitRowsBackward(nu.unit, nu.norms, matmul(sb, nv.unit));
    const vbar = unitRowsBackward(nv.unit, nv.norms, matmul(sb, nu.unit, { transA: true }));
    // u = z̃ G⁻¹: z̄ = ū G⁻¹, Ḡ = −(Uᵀz̄₁ + Vᵀz̄₂)
    const z1 = matmul(ubar, gInv);
    const z2 = matmul(vbar, gInv);
    addZGradient(x1, M, I, J, b, pr1.p, z1, gB, gC);
    addZGradient(x2, M, I, J, b, pr2.p, z2, gB, gC);
    const gbar1 = matmul(u, z1, { transA: true }).data;
    const gbar2 = matmul(v, z2, { transA: true }).data;
    const gbar = gbar1.map((w, i) => -(w + gbar2[i]!));
    addGramGradient(b, gbar, ctc, gB);
    addGramGradient(c, gbar, btb, gC);
  }
  return {
    loss: reconstruction + alpha * selfSupervised,
    reconstruction,
    selfSupervised,
    gradB: { rows: I, cols: R, data: gB },
    gradC: { rows: J, cols: R, data: gC },
  };
}
