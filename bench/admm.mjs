// npm run bench -- admm [--repeat N] [--backend wasm|cpu] [--steps S] [--batch B]
// The cost of ADMM in training: the wall time of one training epoch of a LeNet-5-shaped model on
// MNIST-shaped synthetic data with ADMM (ρ(W − Z + U) added to the gradients of the compressed
// kernels every step, one Z/U update — the projections — at the end of the epoch) against the
// same epoch without it: same model, same data, same backend, measured alternately in the same
// run. Prints medians and the ratio with/without (target ≤ 1.10).
// Backend: wasm when it can train LeNet-5 here (@tensorslim/backends' wasm training kernels), otherwise cpu
// with a smaller epoch.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { selectBackend } from '@tensorslim/backends';
import { createRegistry, registerPlugin, registerProjector } from '@tensorslim/core';
import { Rng, matrix, truncatedSvd } from '@tensorslim/linalg';
import { createAdmmSolver, makeOptimizer, resolvePlannedLayers, resolveTrainOptions, trainLoop } from '@tensorslim/admm';
import { median } from './_numpy.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const repeat = Number(arg('repeat', 5));

// ------------------------------------------------------------------ backend
async function tryWasm() {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    await selectBackend('wasm');
    await tf.ready();
    if (tf.getBackend() !== 'wasm') return false;
    // can it train a conv net? (the stock wasm backend lacks Conv2DBackpropFilter)
    const m = lenet5(1);
    const opt = tf.train.momentum(0.01, 0.9);
    const x = tf.zeros([2, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d([1, 2], 'int32'), 10);
    opt.minimize(() => tf.mean(tf.square(tf.sub(m.apply(x), y))));
    tf.dispose([x, y]);
    opt.dispose();
    return true;
  } catch (e) {
    console.error(`wasm cannot train here (${String(e.message ?? e).split('\n')[0]}); using cpu`);
    return false;
  }
}

// ------------------------------------------------------------------ model and data
function lenet5(seed) {
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', name: 'conv1' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', name: 'conv2' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 120, activation: 'relu', name: 'fc1' }),
      tfl.layers.dense({ units: 84, activation: 'relu', name: 'fc2' }),
      tfl.layers.dense({ units: 10, activation: 'softmax', name: 'fc3' }),
    ],
  });
  const rng = new Rng(seed);
  const ws = m.weights.map((w) => {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (w.shape.length === 1) return tf.zeros(w.shape);
    const fanIn = w.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    return tf.tensor(
      Float32Array.from(rng.normalArray(n), (v) => v * Math.sqrt(2 / fanIn)),
      w.shape,
    );
  });
  m.setWeights(ws);
  tf.dispose(ws);
  return m;
}

/** MNIST-shaped synthetic data: 28×28×1 images, 10 classes, labels from a fixed random teacher. */
function syntheticMnist(n, seed) {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * 784 }, () => rng.uniform());
  const teacher = rng.normalArray(784 * 10);
  const y = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = -Infinity;
    for (let c = 0; c < 10; c++) {
      let s = 0;
      for (let k = 0; k < 784; k++) s += (x[i * 784 + k] - 0.5) * teacher[k * 10 + c];
      if (s > bv) [best, bv] = [c, s];
    }
    y[i * 10 + best] = 1;
  }
  const batch = (idx) => {
    const bx = new Float32Array(idx.length * 784);
    const by = new Float32Array(idx.length * 10);
    idx.forEach((j, i) => {
      bx.set(x.subarray(j * 784, j * 784 + 784), i * 784);
      by.set(y.subarray(j * 10, j * 10 + 10), i * 10);
    });
    return { xs: tf.tensor4d(bx, [idx.length, 28, 28, 1]), ys: tf.tensor2d(by, [idx.length, 10]) };
  };
  return {
    name: 'synthetic-mnist',
    inputShape: [28, 28, 1],
    numClasses: 10,
    trainSize: n,
    valSize: 0,
    *trainBatches(bs, { epoch, seed: s, startStep = 0 }) {
      const order = Array.from({ length: n }, (_, i) => i);
      new Rng((s * 7919 + epoch) >>> 0).shuffle(order);
      for (let k = startStep; k * bs < n; k++) yield batch(order.slice(k * bs, (k + 1) * bs));
    },
    *valBatches() {},
  };
}

// ------------------------------------------------------------------ projectors
// The TT plugin when it is built (the paper's format); otherwise a plain truncated-SVD projector on
// the kernel reshaped to [kh·kw·Cin, Cout]. Either way the solver resolves it from a registry.
async function formatRegistry() {
  const c = createRegistry();
  try {
    const tt = await import('@tensorslim/decomp-tt');
    registerPlugin(tt.ttPlugin, c);
    return { container: c, format: tt.ttPlugin.id, ranks: { maxRank: 8 } };
  } catch {
    registerProjector(
      {
        id: 'svd-bench',
        project(w, target) {
          const cout = w.shape[w.shape.length - 1];
          const rows = w.data.length / cout;
          const r = Math.min(Number(target.ranks.maxRank), rows, cout);
          const f = truncatedSvd(matrix(rows, cout, w.data), r);
          const out = new Float64Array(w.data.length);
          for (let i = 0; i < rows; i++)
            for (let k = 0; k < f.s.length; k++) {
              const u = f.u.data[i * f.u.cols + k] * f.s[k];
              for (let j = 0; j < cout; j++) out[i * cout + j] += u * f.vt.data[k * cout + j];
            }
          return { shape: [...w.shape], data: out };
        },
      },
      c,
    );
    return { container: c, format: 'svd-bench', ranks: { maxRank: 8 } };
  }
}

// ------------------------------------------------------------------ the measurement
const wasm = arg('backend', 'auto') !== 'cpu' && (await tryWasm());
if (!wasm) await tf.setBackend('cpu');
const backend = tf.getBackend();
const batch = Number(arg('batch', wasm ? 64 : 32));
const steps = Number(arg('steps', wasm ? 64 : 6));
const data = syntheticMnist(batch * steps, 7);
const { container, format, ranks } = await formatRegistry();
const plan = { version: 1, layers: { conv2: { format, ranks }, fc1: { format, ranks }, fc2: { format, ranks } } };
const options = resolveTrainOptions({ epochs: 1, lr: 0.01, batchSize: batch, seed: 3 });

async function epoch(withAdmm) {
  const model = lenet5(11);
  const optimizer = makeOptimizer(options);
  let solver = null;
  if (withAdmm) {
    const planned = await resolvePlannedLayers(model, plan, container);
    solver = createAdmmSolver(
      planned.map((p) => ({ name: p.name, target: p.target, variable: p.kernel })),
      { rho: 1e-3 },
      container,
    );
    await solver.initialize(); // Z₀ = Π(W): part of the set-up, not of an epoch
  }
  const t0 = performance.now();
  await trainLoop({ phase: 'bench', model, data, options, optimizer, solver, evaluateEachEpoch: false });
  const ms = performance.now() - t0;
  const update = solver ? solver.history[0].ms : 0;
  solver?.dispose();
  optimizer.dispose();
  model.dispose();
  return { ms, update };
}

console.log(`ADMM training overhead: LeNet-5 (conv2, fc1, fc2 compressed, ${format} maxRank 8), ${backend} backend, epoch = ${steps} steps × batch ${batch}`);
await epoch(false); // warm-up (kernels, allocations)
await epoch(true);
const plain = [];
const admm = [];
const updates = [];
for (let i = 0; i < repeat; i++) {
  // alternate the order (ABBA…) so that neither variant always runs first
  for (const withAdmm of i % 2 === 0 ? [false, true] : [true, false]) {
    const r = await epoch(withAdmm);
    if (withAdmm) {
      admm.push(r.ms);
      updates.push(r.update);
    } else plain.push(r.ms);
  }
}
// The ADMM work alone, timed in isolation (less exposed to noise from other processes than the
// difference of two epochs): the per-step gradient term for the three kernels, × steps, plus the
// end-of-epoch Z/U update.
const termMs = await (async () => {
  const model = lenet5(11);
  const planned = await resolvePlannedLayers(model, plan, container);
  const solver = createAdmmSolver(
    planned.map((q) => ({ name: q.name, target: q.target, variable: q.kernel })),
    { rho: 1e-3 },
    container,
  );
  await solver.initialize();
  const grads = Object.fromEntries(planned.map((q) => [q.kernel.name, tf.onesLike(q.kernel)]));
  const once = () => tf.tidy(() => Object.values(solver.augmentGradients(grads)).forEach((g) => g.dataSync()));
  for (let i = 0; i < 20; i++) once();
  const t = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) once();
    t.push((performance.now() - t0) / 100);
  }
  tf.dispose(Object.values(grads));
  solver.dispose();
  model.dispose();
  return median(t);
})();
const p = median(plain);
const a = median(admm);
const work = termMs * steps + median(updates);
console.log(`epoch without ADMM  ${p.toFixed(0)} ms (median of ${repeat})`);
console.log(`epoch with ADMM     ${a.toFixed(0)} ms (of which the Z/U update with 3 projections: ${median(updates).toFixed(1)} ms)`);
console.log(`ratio with/without  ${(a / p).toFixed(3)} (target ≤ 1.10)`);
console.log(
  `ADMM work alone     ${termMs.toFixed(3)} ms/step × ${steps} + ${median(updates).toFixed(1)} ms update = ${work.toFixed(0)} ms per epoch → ratio ${((p + work) / p).toFixed(3)} by addition`,
);
