// TT-SVD benchmark: ours (@tensorslim/decomp-tt on linalg's SVD) vs numpy's TT-SVD (the same
// algorithm: one np.linalg.svd per unfolding, OPENBLAS_NUM_THREADS=1), measured in the same run.
//   npm run bench -- tt [--repeat N]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensorize } from '@tensorslim/core';
import { matrix, relError, Rng, truncatedSvd, writeNpy } from '@tensorslim/linalg';
import { decomposeKernel } from '@tensorslim/core';
import { ttDecomposition, ttReconstruct, ttSvd } from '@tensorslim/decomp-tt';
import { hasNumpy, PY_CLOCK, runPython, timeIt } from './_numpy.mjs';

const argRepeat = process.argv.indexOf('--repeat');
const repeat = argRepeat > 0 ? Number(process.argv[argRepeat + 1]) : 5;
const dir = mkdtempSync(join(tmpdir(), 'tsbench-tt-'));
const rng = new Rng(42);

const cases = [
  {
    name: 'conv kernel 256×256×3×3 as [16,16,9,16,16]',
    note: 'TF.js kernel [3,3,256,256] → layout [o1,o2,kh·kw,i1,i2]',
    shape: [3, 3, 256, 256],
    ranks: [1, 16, 16, 16, 16, 1],
    layout: { kind: 'conv2d', kernelShape: [3, 3, 256, 256], outModes: [16, 16], inModes: [16, 16] },
  },
  { name: 'tensor 16×16×9×16×16', shape: [16, 16, 9, 16, 16], ranks: [1, 16, 16, 16, 16, 1] },
  { name: 'tensor 256×256×3×3 (4-D)', shape: [256, 256, 3, 3], ranks: [1, 16, 16, 16, 1] },
];

const NUMPY = `
import json, time, numpy as np
def tt_svd(a, ranks):
    d = a.ndim; n = a.shape; r = [1]; cores = []; c = a
    for k in range(d - 1):
        c = c.reshape(r[-1] * n[k], -1)
        u, s, vt = np.linalg.svd(c, full_matrices=False)
        rk = min(ranks[k + 1], len(s))
        cores.append(u[:, :rk].reshape(r[-1], n[k], rk)); c = s[:rk, None] * vt[:rk]; r.append(rk)
    cores.append(c.reshape(r[-1], n[-1], 1)); r.append(1)
    return cores, r
def full(cores):
    out = cores[0]
    for g in cores[1:]: out = np.tensordot(out, g, axes=([out.ndim - 1], [0]))
    return out.reshape(out.shape[1:-1])
def prep(x, conv):
    if conv is None: return x
    kh, kw, cin, cout = x.shape
    return x.reshape(kh * kw, cin, cout).transpose(2, 0, 1).reshape(conv)
res = []
for path, ranks, conv, repeat in CASES:
    x = np.load(path)
    t = prep(x, conv); cores, r = tt_svd(t, ranks)
    ts = []
    for i in range(repeat):
        t0 = ${PY_CLOCK}; t = prep(x, conv); cores, r = tt_svd(t, ranks); ts.append(${PY_CLOCK} - t0)
    rel = float(np.linalg.norm(t - full(cores)) / np.linalg.norm(t))
    res.append({"ms": sorted(ts)[len(ts) // 2] * 1000, "relError": rel, "ranks": r})
print(json.dumps(res))
`;

const pyCases = [];
const ours = [];
for (const [i, c] of cases.entries()) {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const x = { shape: c.shape, data: rng.normalArray(n) };
  const path = join(dir, `case${i}.npy`);
  writeFileSync(path, writeNpy(x));
  const modes = c.layout ? tensorize(x, c.layout).shape : null;
  pyCases.push(`(${JSON.stringify(path)}, ${JSON.stringify(c.ranks)}, ${modes ? `(${modes.join(', ')},)` : 'None'}, ${repeat})`);
  const target = c.layout ? { name: 'conv', format: 'tt', layout: c.layout, ranks: { ranks: c.ranks }, options: {} } : null;
  const run = () => (target ? decomposeKernel(ttDecomposition, x, target) : ttSvd(x, { ranks: c.ranks }));
  const { ms, last } = timeIt(run, repeat);
  const t = target ? tensorize(x, c.layout) : x;
  const err = relError(t, ttReconstruct(last));
  // the SVDs alone: linalg's truncatedSvd on random matrices of the sizes our sweep truncated
  let right = n;
  const svdMs = [];
  for (let k = 0; k < last.shape.length - 1; k++) {
    right /= last.shape[k];
    const m = last.ranks[k] * last.shape[k];
    if (last.meta.steps[k] === 'svd') {
      const a = matrix(m, right, rng.normalArray(m * right));
      svdMs.push(timeIt(() => truncatedSvd(a, last.ranks[k + 1]), Math.min(repeat, 3)).ms);
    }
  }
  ours.push({ ms, relError: err, ranks: last.ranks, steps: last.meta.steps, svdMs: svdMs.reduce((a, b) => a + b, 0) });
}

let np = null;
if (hasNumpy()) np = runPython(NUMPY.replace('CASES', `[${pyCases.join(', ')}]`));
rmSync(dir, { recursive: true, force: true });

console.log(`TT-SVD, median of ${repeat} runs (numpy: python3, OPENBLAS_NUM_THREADS=1, same run)\n`);
for (const [i, c] of cases.entries()) {
  const o = ours[i];
  const p = np?.[i];
  console.log(c.name + (c.note ? `  (${c.note})` : ''));
  console.log(`  ranks        ours [${o.ranks.join(', ')}]${p ? `  numpy [${p.ranks.join(', ')}]` : ''}`);
  console.log(`  steps        ${o.steps.join(', ')}   (linalg truncatedSvd alone on those unfoldings: ${o.svdMs.toFixed(1)} ms)`);
  console.log(
    `  time         ours ${o.ms.toFixed(1)} ms${p ? `  numpy ${p.ms.toFixed(1)} ms  ratio ${(o.ms / p.ms).toFixed(2)} (target ≤ 1.0)` : '  (numpy not available)'}`,
  );
  console.log(
    `  relError     ours ${o.relError.toExponential(6)}${p ? `  numpy ${p.relError.toExponential(6)}  ratio ${(o.relError / p.relError).toFixed(6)} (target ≤ 1.01)` : ''}`,
  );
}
