// SVD benchmark: @tensorslim/linalg's float64 numerics vs numpy (python3, OPENBLAS_NUM_THREADS=1), same
// matrices, measured in the same run.
//   npm run bench -- svd [--repeat N] [--no-kernels | --kernels-only]     (TSBENCH_CLOCK=cpu: CPU time on both sides)
// Rows:
//   top-64 of 512×4608   ours: truncatedSvd 'auto' (Gram path) and randomizedSvd (oversample 10,
//                        2 power iterations);  numpy: full economy SVD, and the same randomized SVD
//   full SVD 256×2304    ours: svd;  numpy: np.linalg.svd(full_matrices=False)
//   rank-16 of 256×2304  (the big step of a TT-SVD of a 256×256×3×3 kernel)
//   TT-SVD 16×16×9×16×16 at ranks 16 (the whole sequence of truncated SVDs)
// plus the kernels with their GFLOP/s (GEMM, Gram, QR, symmetric eigensolver).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gram, kernelMode, matmul, matrix, qr, randomizedSvd, Rng, svd, symEig, truncatedSvd, writeNpy } from '@tensorslim/linalg';
import { CLOCK, hasNumpy, PY_CLOCK, runPython, timeIt } from './_numpy.mjs';

const argRepeat = process.argv.indexOf('--repeat');
const repeat = argRepeat > 0 ? Number(process.argv[argRepeat + 1]) : 5;
const withKernels = !process.argv.includes('--no-kernels');
const kernelsOnly = process.argv.includes('--kernels-only');
const dir = mkdtempSync(join(tmpdir(), 'tsbench-svd-'));
const rng = new Rng(7);

/** An m×n matrix with a decaying spectrum (σ_i ≈ 0.985^i), like a trained weight's unfolding. */
function weightLike(m, n) {
  const p = Math.min(m, n);
  const l = matrix(m, p, rng.normalArray(m * p));
  for (let i = 0; i < m; i++) for (let j = 0; j < p; j++) l.data[i * p + j] *= 0.985 ** j;
  const r = matrix(
    p,
    n,
    rng.normalArray(p * n).map((v) => v / Math.sqrt(n)),
  );
  return matmul(l, r);
}
const save = (name, a) => {
  const path = join(dir, `${name}.npy`);
  writeFileSync(path, writeNpy({ shape: [a.rows, a.cols], data: a.data }));
  return path;
};

const big = weightLike(512, 4608);
const mid = weightLike(256, 2304);
const bigPath = save('big', big);
const midPath = save('mid', mid);
const K = 64;
const OVERSAMPLE = 10;
const POWER = 2;

// TT-SVD over a [16,16,9,16,16] tensor (the 256×256×3×3 conv kernel's layout), ranks 16
const ttShape = [16, 16, 9, 16, 16];
const ttRanks = [1, 16, 16, 16, 16, 1];
const ttData = rng.normalArray(ttShape.reduce((a, b) => a * b, 1)); // timing does not depend on the values
const ttPath = join(dir, 'tt.npy');
writeFileSync(ttPath, writeNpy({ shape: ttShape, data: ttData }));

function ttSvdOurs(data, shape, ranks) {
  let c = data;
  let r = 1;
  const out = [];
  for (let k = 0; k < shape.length - 1; k++) {
    const rows = r * shape[k];
    const cols = c.length / rows;
    const f = truncatedSvd(matrix(rows, cols, c), Math.min(ranks[k + 1], rows, cols));
    const rk = f.s.length;
    out.push(f.u);
    const next = new Float64Array(rk * cols);
    for (let i = 0; i < rk; i++) for (let j = 0; j < cols; j++) next[i * cols + j] = f.s[i] * f.vt.data[i * cols + j];
    c = next;
    r = rk;
  }
  return out;
}

// numpy side: one python process per case, run right before ours, so both see the same load
const PRELUDE = `
import json, time, numpy as np
REPEAT = ${repeat}
def med(f, r=REPEAT):
    f(); ts = []
    for _ in range(r):
        t0 = ${PY_CLOCK}; f(); ts.append(${PY_CLOCK} - t0)
    ts.sort(); return ts[len(ts) // 2] * 1000
rng = np.random.default_rng(0)
def rsvd(a, k, p=${OVERSAMPLE}, q=${POWER}):
    m, n = a.shape; l = k + p
    om = rng.standard_normal((n, l))
    Q, _ = np.linalg.qr(a @ om)
    for _ in range(q):
        Z, _ = np.linalg.qr(a.T @ Q); Q, _ = np.linalg.qr(a @ Z)
    u, s, vt = np.linalg.svd(Q.T @ a, full_matrices=False)
    return Q @ u[:, :k], s[:k], vt[:k]
def tt_svd(x, ranks):
    n = x.shape; r = 1; c = x
    for k in range(x.ndim - 1):
        c = c.reshape(r * n[k], -1)
        u, s, vt = np.linalg.svd(c, full_matrices=False)
        rk = min(ranks[k + 1], len(s)); c = s[:rk, None] * vt[:rk]; r = rk
big = np.load(${JSON.stringify(bigPath)}); mid = np.load(${JSON.stringify(midPath)}); tt = np.load(${JSON.stringify(ttPath)})
`;
const NP_CASES = {
  big_full: `out = {'ms': med(lambda: np.linalg.svd(big, full_matrices=False), max(3, REPEAT // 2)), 's': np.linalg.svd(big, compute_uv=False)[:${K}].tolist()}`,
  big_rand: `out = {'ms': med(lambda: rsvd(big, ${K}))}`,
  mid_full: `out = {'ms': med(lambda: np.linalg.svd(mid, full_matrices=False)), 's': np.linalg.svd(mid, compute_uv=False).tolist()}`,
  mid_rand: `out = {'ms': med(lambda: rsvd(mid, 16))}`,
  tt: `out = {'ms': med(lambda: tt_svd(tt, ${JSON.stringify(ttRanks)}))}`,
  gemm1000: `x = rng.standard_normal((1000, 1000)); y = rng.standard_normal((1000, 1000)); out = {'ms': med(lambda: x @ y)}`,
  gram: `out = {'ms': med(lambda: big @ big.T)}`,
  qr: `q74 = rng.standard_normal((4608, 74)); out = {'ms': med(lambda: np.linalg.qr(q74))}`,
  eigh: `g = big @ big.T; out = {'ms': med(lambda: np.linalg.eigh(g))}`,
};
const numpyOk = hasNumpy();
/** numpy's result for one case ({ms, s?}), or null without numpy. */
function np(name) {
  return numpyOk ? runPython(`${PRELUDE}\n${NP_CASES[name]}\nprint(json.dumps(out))`) : null;
}

const rows = [];
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
function row(name, ours, numpy, note = '') {
  rows.push({ name, ours, numpy, ratio: numpy ? ours / numpy : NaN, note });
}
function maxRel(a, b, n) {
  let e = 0;
  for (let i = 0; i < n; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / b[i]);
  return e;
}

try {
  // warm-up: V8 first runs WebAssembly through its baseline compiler and tiers hot functions up
  // in the background; a few untimed runs keep that out of the figures
  for (let i = 0; i < 3 && !kernelsOnly; i++) {
    truncatedSvd(big, K);
    svd(mid);
    randomizedSvd(big, K);
  }
  if (!kernelsOnly) {
    let ref = np('big_full');
    const bigAuto = timeIt(() => truncatedSvd(big, K), repeat);
    row(
      `top-${K} of 512×4608, ours auto vs numpy full SVD`,
      bigAuto.ms,
      ref?.ms,
      ref ? `top-${K} σ vs numpy: max rel ${maxRel(bigAuto.last.s, ref.s, K).toExponential(1)}` : '',
    );
    const bigS = ref?.s;
    ref = np('big_rand');
    const bigAuto2 = timeIt(() => truncatedSvd(big, K), repeat);
    row(`top-${K} of 512×4608, ours auto vs numpy randomized`, bigAuto2.ms, ref?.ms, `numpy: p=${OVERSAMPLE}, q=${POWER}`);
    const bigRand = timeIt(() => randomizedSvd(big, K, { oversample: OVERSAMPLE, powerIters: POWER }), repeat);
    row(
      `top-${K} of 512×4608, ours randomized vs numpy randomized`,
      bigRand.ms,
      ref?.ms,
      bigS ? `σ max rel ${maxRel(bigRand.last.s, bigS, K).toExponential(1)} (both randomized ones are this loose here)` : '',
    );
    ref = np('mid_full');
    const midFull = timeIt(() => svd(mid), repeat);
    row('full SVD of 256×2304', midFull.ms, ref?.ms, ref ? `σ vs numpy: max rel ${maxRel(midFull.last.s, ref.s, 256).toExponential(1)}` : '');
    const midR16 = timeIt(() => truncatedSvd(mid, 16), repeat);
    row('rank-16 of 256×2304, ours auto vs numpy full SVD', midR16.ms, ref?.ms, ref ? `σ max rel ${maxRel(midR16.last.s, ref.s, 16).toExponential(1)}` : '');
    ref = np('mid_rand');
    const midR16b = timeIt(() => truncatedSvd(mid, 16), repeat);
    row('rank-16 of 256×2304, ours auto vs numpy randomized', midR16b.ms, ref?.ms);
    ref = np('tt');
    const tt = timeIt(() => ttSvdOurs(ttData, ttShape, ttRanks), repeat);
    row('TT-SVD 16×16×9×16×16 ranks 16 (np: full SVD per step)', tt.ms, ref?.ms);
  }

  if (withKernels) {
    const a1 = matrix(1000, 1000, rng.normalArray(1e6));
    const b1 = matrix(1000, 1000, rng.normalArray(1e6));
    const tall = matrix(4608, 74, rng.normalArray(4608 * 74));
    const g = gram(big);
    const kern = [
      ['GEMM 1000³', 'gemm1000', () => matmul(a1, b1), 2e9],
      ['Gram 512×4608 (A·Aᵀ; GFLOP/s as 2·m²·n)', 'gram', () => gram(big), 2 * 512 * 512 * 4608],
      ['QR 4608×74 (with Q)', 'qr', () => qr(tall), 2 * (2 * 4608 * 74 * 74 - (2 / 3) * 74 ** 3)],
      ['symEig 512 (all pairs)', 'eigh', () => symEig(g), null],
      [`symEig 512 (top ${K})`, 'eigh', () => symEig(g, { k: K }), null],
    ];
    for (const [name, npName, fn, flops] of kern) {
      const npMs = np(npName)?.ms;
      const ms = timeIt(fn, repeat).ms;
      const gf = flops ? ` ${(flops / ms / 1e6).toFixed(1)} GFLOP/s` : '';
      const npgf = flops && npMs ? ` (numpy ${(flops / npMs / 1e6).toFixed(1)} GFLOP/s)` : '';
      row(`kernel: ${name}`, ms, npMs, `${gf}${npgf}`.trim());
    }
  }

  console.log(
    `SVD benchmark — median of ${repeat} (${CLOCK} clock); ours on ${kernelMode()} kernels; numpy with OPENBLAS_NUM_THREADS=1, each case right before ours${numpyOk ? '' : ' (numpy not found: no reference)'}`,
  );
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'case'.padEnd(w)}  ${'ours ms'.padStart(8)}  ${'numpy ms'.padStart(8)}  ${'ours/np'.padStart(7)}`);
  for (const r of rows) {
    const ratio = Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}×` : '—';
    console.log(`${r.name.padEnd(w)}  ${fmt(r.ours).padStart(8)}  ${(r.numpy ? fmt(r.numpy) : '—').padStart(8)}  ${ratio.padStart(7)}  ${r.note}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
