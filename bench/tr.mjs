// npm run bench -- tr [--repeat N]
// TR-SVD (Zhao et al. 2016) of two tensors at fixed ring ranks: ours (@tensorslim/decomp-tr, default
// options) against the same algorithm in numpy (full LAPACK SVDs, OPENBLAS_NUM_THREADS=1), on the
// same data, measured in the same run. Prints medians, the time ratio ours/numpy (target ≤ 1.0) and
// the relative errors (target: ours ≤ 1.01 × numpy's).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, relError, writeNpy } from '@tensorslim/linalg';
import { trReconstruct, trSvd } from '@tensorslim/decomp-tr';
import { hasNumpy, PY_CLOCK, runPython, timeIt } from './_numpy.mjs';

const argRepeat = process.argv.indexOf('--repeat');
const repeat = argRepeat > 0 ? Number(process.argv[argRepeat + 1]) : 7;

const cases = [
  { name: '256×256×3×3 kernel', shape: [256, 256, 3, 3], ranks: [4, 4, 4, 4], seed: 1 },
  { name: '16×16×9×16×16 tensor', shape: [16, 16, 9, 16, 16], ranks: [4, 4, 8, 8, 8], seed: 2 },
];

// The numpy reference: the same algorithm and conventions (sign rule on the first SVD, r0 as the
// slower index of the split), full economy SVDs truncated, as TensorLy's tensor_ring does.
const PY = String.raw`
import json, sys, time
import numpy as np

def tr_svd(A, r):
    n = A.shape; d = A.ndim; r = list(r)
    U, s, Vt = np.linalg.svd(A.reshape(n[0], -1), full_matrices=False)
    R = r[0] * r[1]
    U = U[:, :R]; s = s[:R]; Vt = Vt[:R]
    flip = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(R)]); flip[flip == 0] = 1
    U = U * flip; Vt = Vt * flip[:, None]
    cores = [U.reshape(n[0], r[0], r[1]).transpose(1, 0, 2)]
    W = np.moveaxis((s[:, None] * Vt).reshape(r[0], r[1], -1), 0, -1)
    for k in range(1, d - 1):
        U, s, Vt = np.linalg.svd(W.reshape(r[k] * n[k], -1), full_matrices=False)
        r[k + 1] = min(r[k + 1], len(s))
        cores.append(U[:, :r[k + 1]].reshape(r[k], n[k], r[k + 1]))
        W = s[:r[k + 1], None] * Vt[:r[k + 1]]
    cores.append(W.reshape(r[d - 1], n[d - 1], r[0]))
    return cores

def full(cores):
    acc = cores[0]
    for c in cores[1:]:
        acc = np.einsum('aib,bjc->aijc', acc, c).reshape(acc.shape[0], -1, c.shape[2])
    return np.einsum('aia->i', acc).reshape([c.shape[1] for c in cores])

out = []
for path, ranks, repeat in json.loads(sys.argv[1] if len(sys.argv) > 1 else INPUT):
    A = np.load(path)
    tr_svd(A, ranks)
    ts = []
    for _ in range(repeat):
        t0 = ${PY_CLOCK}; cores = tr_svd(A, ranks); ts.append(${PY_CLOCK} - t0)
    out.append({'ms': float(np.median(ts) * 1e3), 'relError': float(np.linalg.norm(A - full(cores)) / np.linalg.norm(A))})
print(json.dumps(out))
`;

const dir = mkdtempSync(join(tmpdir(), 'tsbench-tr-'));
try {
  const data = cases.map((c) => {
    const rng = new Rng(c.seed);
    const n = c.shape.reduce((a, b) => a * b, 1);
    const A = { shape: c.shape, data: rng.normalArray(n) };
    const path = join(dir, `case${c.seed}.npy`);
    writeFileSync(path, writeNpy(A));
    return { ...c, A, path };
  });

  let ref = null;
  if (hasNumpy()) {
    const input = JSON.stringify(data.map((c) => [c.path, c.ranks, repeat]));
    ref = runPython(`INPUT = ${JSON.stringify(input)}\n${PY}`);
  } else {
    console.log('python3 with numpy not found: printing our times only');
  }

  console.log(`TR-SVD at fixed ring ranks, median of ${repeat} (after one warm-up); numpy with OPENBLAS_NUM_THREADS=1\n`);
  const rows = [];
  data.forEach((c, i) => {
    const { ms, last } = timeIt(() => trSvd(c.A, { ranks: c.ranks }), repeat);
    const err = relError(c.A, trReconstruct(last));
    const r = ref?.[i];
    rows.push({
      case: `${c.name} ranks ${c.ranks.join(',')}`,
      'ours ms': ms.toFixed(1),
      'numpy ms': r ? r.ms.toFixed(1) : '-',
      'ratio (≤ 1.0)': r ? (ms / r.ms).toFixed(2) : '-',
      'ours relError': err.toFixed(6),
      'numpy relError': r ? r.relError.toFixed(6) : '-',
      'err ratio (≤ 1.01)': r ? (err / r.relError).toFixed(5) : '-',
      'ranks used': last.ranks.join(','),
    });
  });
  console.table(rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
