// Convolution gradients on wasm against the forward convolution, on ResNet-20's conv shapes
// (batch 64, CIFAR 32×32) and LeNet-5's:
//   npm run bench -- conv-grad [--batch B] [--repeat N] [--model resnet20|lenet5|all]
// For each shape: the forward Conv2D (XNNPACK), the filter gradient as tensorslim registers it
// (an implicit-im2col GEMM in WebAssembly SIMD, packages/backends/src/kernels/wat/filter-grad.wat),
// the filter gradient as one transposed XNNPACK Conv2D (the formulation it replaced), and the
// input gradient; median wall and process-CPU times of interleaved repetitions, and each as a
// ratio to the forward convolution. The last lines weigh each shape by how often the model uses it.
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterKernel, selectBackend } from '@tensorslim/backends';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const B = Number(arg('batch', 64));
const repeat = Number(arg('repeat', 9));
const which = arg('model', 'all');

// [name, input NHWC, filter [kh, kw, Cin, Cout], stride, padding, uses per training step]
const SHAPES = {
  resnet20: [
    ['stem 3→16 32²', [B, 32, 32, 3], [3, 3, 3, 16], 1, 'same', 1],
    ['stage1 16→16 32²', [B, 32, 32, 16], [3, 3, 16, 16], 1, 'same', 6],
    ['stage2 16→32 s2', [B, 32, 32, 16], [3, 3, 16, 32], 2, 'same', 1],
    ['stage2 32→32 16²', [B, 16, 16, 32], [3, 3, 32, 32], 1, 'same', 5],
    ['stage2 shortcut 1×1 s2', [B, 32, 32, 16], [1, 1, 16, 32], 2, 'same', 1],
    ['stage3 32→64 s2', [B, 16, 16, 32], [3, 3, 32, 64], 2, 'same', 1],
    ['stage3 64→64 8²', [B, 8, 8, 64], [3, 3, 64, 64], 1, 'same', 5],
    ['stage3 shortcut 1×1 s2', [B, 16, 16, 32], [1, 1, 32, 64], 2, 'same', 1],
  ],
  lenet5: [
    ['conv1 1→6 5×5 28²', [B, 28, 28, 1], [5, 5, 1, 6], 1, 'same', 1],
    ['conv2 6→16 5×5 14²', [B, 14, 14, 6], [5, 5, 6, 16], 1, 'valid', 1],
  ],
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const sel = await selectBackend('wasm');
const backend = tf.backend();
const transposedConv = conv2dBackpropFilterKernel('wasm');
/** Runs a kernel function outside the engine and frees its output after reading it back. */
const direct = (fn, inputs, attrs) => () => {
  const info = fn({ inputs, attrs, backend });
  backend.readSync(info.dataId);
  backend.disposeData(info.dataId);
};
/** Runs a registered kernel through the engine (as training does) and reads the result back. */
const engine = (name, inputs, attrs) => () => {
  const t = tf.engine().runKernel(name, inputs, attrs);
  t.dataSync();
  t.dispose();
};

console.log(`conv-grad benchmark: ${sel.name} backend, batch ${B}, median of ${repeat} interleaved runs (wall ms; CPU ms in brackets)`);
const cols = ['forward', 'filter grad', 'filter (transposed conv)', 'input grad'];
const header = `${'shape'.padEnd(24)} ${cols.map((c) => c.padStart(c.length > 14 ? c.length : 14)).join(' ')}   filter/fwd  old filter/fwd  input/fwd`;
for (const [model, shapes] of Object.entries(SHAPES)) {
  if (which !== 'all' && which !== model) continue;
  console.log(`\n${model}\n${header}`);
  const total = { fwd: 0, bf: 0, old: 0, bi: 0, cfwd: 0, cbf: 0 };
  for (const [name, xs, ws, s, pad, uses] of shapes) {
    const x = tf.randomNormal(xs, 0, 1, 'float32', 1);
    const w = tf.randomNormal(ws, 0, 1, 'float32', 2);
    const y = tf.conv2d(x, w, s, pad);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
    const gradAttrs = { strides: [s, s], pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    const fns = [
      () => {
        const t = tf.conv2d(x, w, s, pad);
        t.dataSync();
        t.dispose();
      },
      engine('Conv2DBackpropFilter', { x, dy }, { ...gradAttrs, filterShape: ws }),
      direct(transposedConv, { x, dy }, { ...gradAttrs, filterShape: ws }),
      engine('Conv2DBackpropInput', { dy, filter: w }, { ...gradAttrs, inputShape: xs }),
    ];
    const wall = fns.map(() => []);
    const cpu = fns.map(() => []);
    for (const f of fns) f(); // warm-up
    for (let r = 0; r < repeat; r++) {
      fns.forEach((f, k) => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        f();
        wall[k].push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu[k].push((c.user + c.system) / 1000);
      });
    }
    const mw = wall.map(median);
    const mc = cpu.map(median);
    total.fwd += uses * mw[0];
    total.bf += uses * mw[1];
    total.old += uses * mw[2];
    total.bi += uses * mw[3];
    total.cfwd += uses * mc[0];
    total.cbf += uses * mc[1];
    const cells = mw.map((t, k) => `${t.toFixed(2)} [${mc[k].toFixed(1)}]`.padStart(cols[k].length > 14 ? cols[k].length : 14));
    console.log(
      `${name.padEnd(24)} ${cells.join(' ')}   ${(mw[1] / mw[0]).toFixed(2).padStart(10)}  ${(mw[2] / mw[0]).toFixed(2).padStart(14)}  ${(mw[3] / mw[0]).toFixed(2).padStart(9)}`,
    );
    tf.dispose([x, w, y, dy]);
  }
  console.log(
    `${model} step (each shape × its uses): forward ${total.fwd.toFixed(1)} ms, filter grad ${total.bf.toFixed(1)} ms ` +
      `→ filter/forward ${(total.bf / total.fwd).toFixed(2)}× (by CPU time ${(total.cbf / total.cfwd).toFixed(2)}×); ` +
      `transposed conv ${(total.old / total.fwd).toFixed(2)}×; input grad ${(total.bi / total.fwd).toFixed(2)}×`,
  );
}
