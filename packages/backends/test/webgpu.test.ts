/**
 * The webgpu backend, for real (Dawn through the `webgpu` package), against the cpu backend:
 * tensorslim's webgpu kernels (the Conv2DBackpropFilter formulations of webgpu-kernels.ts) and
 * one training step of a small LeNet-5 with batch norm and of ResNet-20 (the gradient of every
 * weight; on webgpu with tensorslim's filter gradient and fused batch-norm backward pass). Without
 * a GPU this runs on Mesa's software Vulkan (lavapipe; .ci/run installs it). Skipped when no
 * adapter starts, except under REQUIRE_WEBGPU=1 (CI), where that is a failure.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildModel } from '@tensorslim/models';
import { countWebgpuDispatches, FusedMomentumOptimizer, MOMENTUM_UPDATE_KERNEL, selectBackend } from '../src/index.js';
import { registerWebgpuTrainingKernels, unregisterWebgpuTrainingKernels, type WebgpuKernelOptions } from '../src/webgpu-kernels.js';
import { relMaxDiff, values } from './helpers.js';

const required = process.env['REQUIRE_WEBGPU'] === '1';
const started = await selectBackend('webgpu').then(
  (sel) => ({ ok: true as const, sel, why: '' }),
  (e: unknown) => ({ ok: false as const, sel: null, why: e instanceof Error ? e.message : String(e) }),
);
const skipWhy = started.ok ? '' : ` (skipped: ${started.why})`;

afterAll(async () => {
  unregisterWebgpuTrainingKernels();
  await tf.setBackend('cpu');
});

/** Runs `f` with `backend` active and reads its result. */
async function on(backend: string, f: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const t = f();
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

it.skipIf(!required)('REQUIRE_WEBGPU=1: the webgpu backend starts', () => {
  expect(started.why).toBe('');
  expect(started.sel?.name).toBe('webgpu');
});

describe.skipIf(!started.ok)(`webgpu agrees with cpu${skipWhy}`, () => {
  const filterGrad = (x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], strides: number, pad: 'same' | 'valid') =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', dilations: 1, filterShape } as never) as tf.Tensor;

  const kernelCases: { name: string; opts: WebgpuKernelOptions }[] = [
    { name: 'im2col, split-K auto', opts: {} },
    { name: 'im2col, 4 splits, transposed dy', opts: { splitK: 4, product: 'transposeDy' } },
    { name: 'transposed conv', opts: { filterGrad: 'transposed-conv' } },
  ];
  const geometries = [
    { hw: 9, k: 3, inC: 3, outC: 5, s: 1, pad: 'same' as const },
    { hw: 10, k: 5, inC: 4, outC: 6, s: 2, pad: 'valid' as const },
  ];
  for (const { name, opts } of kernelCases) {
    it(`Conv2DBackpropFilter (${name}) matches cpu's own kernel`, async () => {
      const own = tf.getKernel('Conv2DBackpropFilter', 'webgpu')!.kernelFunc;
      registerWebgpuTrainingKernels(opts);
      expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu')!.kernelFunc).not.toBe(own); // tensorslim's is the one run
      for (const [i, g] of geometries.entries()) {
        const n = 4;
        const out = g.pad === 'same' ? Math.ceil(g.hw / g.s) : Math.ceil((g.hw - g.k + 1) / g.s);
        const x = tf.tensor4d(values(n * g.hw * g.hw * g.inC, 11 + i), [n, g.hw, g.hw, g.inC]);
        const dy = tf.tensor4d(values(n * out * out * g.outC, 23 + i), [n, out, out, g.outC]);
        const shape = [g.k, g.k, g.inC, g.outC];
        const ref = await on('cpu', () => filterGrad(x, dy, shape, g.s, g.pad));
        const got = await on('webgpu', () => filterGrad(x, dy, shape, g.s, g.pad));
        const err = relMaxDiff(ref, got);
        console.log(`webgpu vs cpu, Conv2DBackpropFilter ${name}, geometry ${i}: relative max error ${err.toExponential(2)}`);
        expect(err, `${name}, geometry ${i}`).toBeLessThan(1e-5);
        x.dispose();
        dy.dispose();
      }
      unregisterWebgpuTrainingKernels();
    });
  }

  it('countWebgpuDispatches counts one dispatch per shader program, by program', async () => {
    await tf.setBackend('webgpu');
    const a = tf.tensor1d(values(1000, 3));
    const c = await countWebgpuDispatches(async () => {
      const y = tf.add(tf.mul(a, 2), a); // two elementwise kernels
      const v = await y.data();
      y.dispose();
      return v.length;
    });
    expect(c.result).toBe(1000);
    expect(c.dispatches).toBe(2);
    expect(c.byProgram).toEqual([{ program: 'BinaryOpProgram', dispatches: 2 }]);
    const after = await countWebgpuDispatches(() => tf.tidy(() => tf.neg(a)).dispose());
    expect(after.dispatches).toBe(1); // the wrapper is gone after each count: nothing leaks into the next
    a.dispose();
  });

  it('the fused momentum update (two shaders per variable instead of four kernels) matches tf.train.momentum on cpu', async () => {
    registerWebgpuTrainingKernels();
    expect(tf.getKernel(MOMENTUM_UPDATE_KERNEL, 'webgpu')).toBeDefined();
    const shapes = [[3, 3, 2, 4], [7], [16, 5]];
    const run = async (backend: string, make: () => tf.Optimizer) => {
      await tf.setBackend(backend);
      const vars = shapes.map((s, i) => tf.variable(tf.tensor(values(tf.util.sizeFromShape(s), 40 + i), s), true, `fused_${backend}_${i}`));
      const opt = make();
      let dispatches = 0;
      for (let step = 0; step < 3; step++) {
        const grads = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(values(v.size, 50 + 10 * step + i), v.shape)]));
        if (backend === 'webgpu') dispatches = (await countWebgpuDispatches(() => opt.applyGradients(grads))).dispatches;
        else opt.applyGradients(grads);
        tf.dispose(Object.values(grads));
      }
      const out = await Promise.all(vars.map(async (v) => (await v.data()) as Float32Array));
      const acc = await Promise.all((await opt.getWeights()).slice(1).map(async (w) => (await w.tensor.data()) as Float32Array));
      opt.dispose();
      tf.dispose(vars);
      return { out, acc, dispatches };
    };
    const ref = await run('cpu', () => tf.train.momentum(0.1, 0.9));
    const fused = await run('webgpu', () => new FusedMomentumOptimizer(0.1, 0.9));
    const plain = await run('webgpu', () => tf.train.momentum(0.1, 0.9));
    expect(fused.dispatches).toBe(2 * shapes.length); // after the first step (which also fills the zero accumulations)
    expect(plain.dispatches).toBe(4 * shapes.length);
    console.log(`momentum update of ${shapes.length} variables: ${plain.dispatches} dispatches (TF.js) → ${fused.dispatches} (fused)`);
    for (const [i, r] of ref.out.entries()) {
      expect(relMaxDiff(r, fused.out[i]!), `value ${i}`).toBeLessThan(1e-6);
      expect(relMaxDiff(ref.acc[i]!, fused.acc[i]!), `accumulation ${i}`).toBeLessThan(1e-6);
    }
    unregisterWebgpuTrainingKernels();
  });

  it("a LeNet-5 (with batch norm) training step's gradients match cpu's", async () => {
    registerWebgpuTrainingKernels();
    await tf.setBackend('cpu');
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [28, 28, 1],
          filters: 6,
          kernelSize: 5,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        }),
        tfl.layers.batchNormalization(),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 120, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
        tfl.layers.dense({ units: 84, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }),
        tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }),
      ],
    });
    const n = 8;
    const x = tf.tensor4d(values(n * 28 * 28, 7), [n, 28, 28, 1]);
    const labels = tf.oneHot(tf.tensor1d([3, 1, 4, 1, 5, 9, 2, 6], 'int32'), 10);
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
      const out = new Map<string, Float32Array>([['loss', (await value.data()) as Float32Array]]);
      for (const [k, g] of Object.entries(grads)) out.set(k, (await g.data()) as Float32Array);
      tf.dispose([value, grads]);
      return out;
    };
    const ref = await grads('cpu');
    const got = await grads('webgpu');
    expect([...got.keys()]).toEqual([...ref.keys()]);
    expect(ref.size).toBe(13); // the loss; kernel and bias of 2 convs and 3 denses; batch norm's gamma and beta
    const errors = Object.fromEntries([...ref].map(([k, r]) => [k, relMaxDiff(r, got.get(k)!)]));
    console.log('webgpu vs cpu, LeNet-5 step, relative max error per gradient:', errors);
    for (const [k, e] of Object.entries(errors)) expect(e, k).toBeLessThan(1e-4);
    tf.dispose([x, labels]);
    model.layers.forEach((l) => l.dispose());
  });

  it("a ResNet-20 training step's loss, gradients and batch-norm statistics match cpu's (batch 2, 32×32×3)", async () => {
    registerWebgpuTrainingKernels(); // im2col filter gradient, fused batch-norm backward pass
    await tf.setBackend('cpu');
    const model = buildModel('resnet20', { seed: 1 }); // @tensorslim/models: 21 convolutions, 21 batch norms, softmax classifier
    const n = 2;
    const x = tf.tensor4d(values(n * 32 * 32 * 3, 17), [n, 32, 32, 3]);
    const labels = tf.oneHot(tf.tensor1d([3, 8], 'int32'), 10);
    const initial = model.getWeights().map((w) => tf.clone(w));
    const step = async (backend: string) => {
      await tf.setBackend(backend);
      model.setWeights(initial); // the same moving statistics before each step
      const run = () =>
        tf.variableGrads(() => {
          const p = model.apply(x, { training: true }) as tf.Tensor;
          return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.log(tf.add(p, 1e-7))), -1))) as tf.Scalar; // cross-entropy of the softmax
        });
      const counted = backend === 'webgpu' ? await countWebgpuDispatches(run) : null;
      const { value, grads } = counted?.result ?? run();
      const out = new Map<string, Float32Array>([['loss', (await value.data()) as Float32Array]]);
      for (const [k, g] of Object.entries(grads)) out.set(k, (await g.data()) as Float32Array);
      for (const w of model.weights.filter((w) => /moving_(mean|variance)/.test(w.name))) out.set(w.name, (await w.read().data()) as Float32Array);
      tf.dispose([value, grads]);
      return { out, dispatches: counted?.dispatches ?? null };
    };
    const t0 = performance.now();
    const ref = await step('cpu');
    const t1 = performance.now();
    const got = await step('webgpu');
    const t2 = performance.now();
    expect([...got.out.keys()]).toEqual([...ref.out.keys()]);
    expect(ref.out.size).toBe(1 + 21 + 2 * 21 + 2 + 2 * 21); // loss; 21 conv kernels, γ and β of 21 batch norms, fc kernel and bias; 21 moving means and variances
    const errors = Object.fromEntries([...ref.out].map(([k, r]) => [k, relMaxDiff(r, got.out.get(k)!)]));
    const worst = Object.entries(errors).sort((a, b) => b[1] - a[1]);
    console.log(
      `webgpu vs cpu, ResNet-20 step (batch ${n}): cpu ${((t1 - t0) / 1000).toFixed(1)} s, webgpu ${((t2 - t1) / 1000).toFixed(1)} s ` +
        `(${got.dispatches} dispatches); largest relative errors ${JSON.stringify(worst.slice(0, 4))}`,
    );
    for (const [k, e] of Object.entries(errors)) expect(e, k).toBeLessThan(1e-4);
    tf.dispose([x, labels, ...initial]);
    model.dispose();
  });
});
