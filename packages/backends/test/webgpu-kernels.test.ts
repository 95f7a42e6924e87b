/**
 * The filter-gradient kernel tensorslim registers for webgpu, checked on the cpu backend: the
 * same kernel function, given the cpu backend, against the cpu backend's own
 * Conv2DBackpropFilter; then registered for 'cpu' and reached through tf.grad of conv2d and of
 * fused conv2d (the path tfjs-layers takes).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  chooseSplitK,
  conv2dBackpropFilterIm2colKernel,
  filterGradGemm,
  registerWebgpuTrainingKernels,
  resolveSplitK,
  unregisterWebgpuTrainingKernels,
  webgpuTrainingKernelsRegistered,
} from '../src/webgpu-kernels.js';
import { convGradGeometry, fusedBatchNormLayerInstalled } from '../src/index.js';
import { relMaxDiff, values } from './helpers.js';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

let cpuOwn: tf.KernelFunc;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tf.env().set('IS_TEST', true); // the engine then throws on kernels that leak memory
  cpuOwn = tf.getKernel('Conv2DBackpropFilter', 'cpu')!.kernelFunc;
});

afterEach(() => unregisterWebgpuTrainingKernels());

afterAll(() => {
  tf.env().set('IS_TEST', false);
});

/** Runs a kernel function on the cpu backend through the engine (memory-leak checked). */
function runWith(fn: tf.KernelFunc, x: tf.Tensor, dy: tf.Tensor, attrs: Record<string, unknown>): Float32Array {
  const kernel = tf.getKernel('Conv2DBackpropFilter', 'cpu')!;
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel({ ...kernel, kernelFunc: fn });
  try {
    const before = tf.memory().numTensors;
    const out = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor;
    expect(tf.memory().numTensors).toBe(before + 1);
    const v = out.dataSync() as Float32Array;
    expect(out.shape).toEqual(attrs['filterShape']);
    out.dispose();
    return v;
  } finally {
    tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
    tf.registerKernel(kernel);
  }
}

describe('im2col + split-K filter gradient agrees with the cpu kernel', () => {
  const cases: { hw: [number, number]; k: [number, number]; s: number | [number, number]; pad: Pad }[] = [];
  for (const s of [1, 2] as const) {
    for (const pad of ['same', 'valid'] as const) {
      for (const [hw, k] of [
        [
          [7, 9],
          [3, 3],
        ],
        [
          [8, 8],
          [3, 3],
        ],
        [
          [6, 5],
          [2, 3],
        ],
        [
          [5, 7],
          [1, 1],
        ],
        [
          [9, 6],
          [5, 4],
        ],
      ] as [[number, number], [number, number]][]) {
        cases.push({ hw, k, s, pad });
      }
    }
  }
  cases.push({ hw: [9, 8], k: [3, 3], s: 3, pad: 'same' });
  cases.push({
    hw: [8, 9],
    k: [3, 2],
    s: [2, 1],
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
  });
  cases.push({
    hw: [10, 10],
    k: [3, 3],
    s: 2,
    pad: [
      [0, 0],
      [0, 0],
      [1, 0],
      [0, 0],
    ],
  });

  it.each(cases)('%j', ({ hw, k, s, pad }) => {
    const [ci, co] = [3, 5];
    const xShape = [4, hw[0], hw[1], ci];
    const fShape = [k[0], k[1], ci, co];
    const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], fShape as [number, number, number, number], s, 1, pad);
    const dyShape = [4, info.outHeight, info.outWidth, co];
    const x = tf.tensor(values(size(xShape), 1), xShape);
    const dy = tf.tensor(values(size(dyShape), 2), dyShape);
    const attrs = { strides: s, pad, dataFormat: 'NHWC', filterShape: fShape };
    const want = runWith(cpuOwn, x, dy, attrs);
    // one split, the automatic choice (tiny targets so that it splits), and many splits
    for (const opts of [
      { splitK: 1 },
      { splitK: 'auto' as const, targetTiles: 64, minInner: 4 },
      { splitK: 4 },
      { splitK: 1e9 },
      { splitK: 1, product: 'transposeDy' as const },
      { splitK: 4, product: 'transposeDy' as const },
    ]) {
      const got = runWith(conv2dBackpropFilterIm2colKernel('cpu', opts), x, dy, attrs);
      expect(relMaxDiff(want, got)).toBeLessThan(1e-5);
    }
    tf.dispose([x, dy]);
  });

  it('NCHW data format', () => {
    const xShape = [2, 3, 7, 6];
    const fShape = [3, 3, 3, 4];
    const dyShape = [2, 4, 4, 3];
    const x = tf.tensor(values(size(xShape), 4), xShape);
    const dy = tf.tensor(values(size(dyShape), 5), dyShape);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: fShape };
    const want = runWith(cpuOwn, x, dy, attrs);
    expect(relMaxDiff(want, runWith(conv2dBackpropFilterIm2colKernel('cpu', { splitK: 2 }), x, dy, attrs))).toBeLessThan(1e-5);
    expect(relMaxDiff(want, runWith(conv2dBackpropFilterIm2colKernel('cpu', { splitK: 2, product: 'transposeDy' }), x, dy, attrs))).toBeLessThan(1e-5);
    tf.dispose([x, dy]);
  });

  it('a ResNet-20-shaped layer (16 channels, 32×32, batch 2) and a wrong answer is caught', () => {
    const xShape = [2, 32, 32, 16];
    const fShape = [3, 3, 16, 16];
    const x = tf.tensor(values(size(xShape), 7), xShape);
    const dy = tf.tensor(values(size(xShape), 8), xShape);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: fShape };
    const want = runWith(cpuOwn, x, dy, attrs);
    const got = runWith(conv2dBackpropFilterIm2colKernel('cpu'), x, dy, attrs);
    expect(relMaxDiff(want, got)).toBeLessThan(1e-5);
    // the check can fail: the same kernel on a shifted input is far off
    const x2 = tf.tensor(values(size(xShape), 9), xShape);
    expect(relMaxDiff(want, runWith(conv2dBackpropFilterIm2colKernel('cpu'), x2, dy, attrs))).toBeGreaterThan(0.1);
    tf.dispose([x, dy, x2]);
  });

  it('hands over to the fallback when the im2col matrix would be too large', () => {
    const xShape = [2, 6, 6, 3];
    const fShape = [3, 3, 3, 2];
    const x = tf.tensor(values(size(xShape), 10), xShape);
    const dy = tf.tensor(values(2 * 6 * 6 * 2, 11), [2, 6, 6, 2]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: fShape };
    let calls = 0;
    const fallback: tf.KernelFunc = (args) => {
      calls++;
      return cpuOwn(args);
    };
    const want = runWith(cpuOwn, x, dy, attrs);
    expect(relMaxDiff(want, runWith(conv2dBackpropFilterIm2colKernel('cpu', { maxColsBytes: 100 }, fallback), x, dy, attrs))).toBeLessThan(1e-6);
    expect(calls).toBe(1);
    runWith(conv2dBackpropFilterIm2colKernel('cpu', {}, fallback), x, dy, attrs);
    expect(calls).toBe(1);
    tf.dispose([x, dy]);
  });
});

describe('split count', () => {
  it('is a divisor of N·Ho·Wo that reaches the tile target with long enough splits', () => {
    // ResNet-20 at batch 128: 32×32×16, 16×16×32, 8×8×64 (3×3, same)
    for (const [hw, c] of [
      [32, 16],
      [16, 32],
      [8, 64],
    ] as const) {
      const g = convGradGeometry([128, hw, hw, c], [3, 3, c, c], { strides: 1, pad: 'same' });
      const gemm = filterGradGemm(g);
      expect(gemm).toEqual({ m: 128 * hw * hw, k: 9 * c, n: c });
      const s = chooseSplitK(gemm);
      expect(gemm.m % s).toBe(0);
      expect(gemm.m / s).toBeGreaterThanOrEqual(256);
      expect(s * Math.ceil(gemm.k / 32) * Math.ceil(gemm.n / 32)).toBeGreaterThanOrEqual(1024);
      // the smallest such divisor: half of it misses the target
      expect((s / 2) * Math.ceil(gemm.k / 32) * Math.ceil(gemm.n / 32)).toBeLessThan(1024);
    }
    expect(chooseSplitK({ m: 100, k: 9, n: 4 })).toBe(1); // too short to split
    expect(chooseSplitK({ m: 7 * 1024, k: 9, n: 4 }, { targetTiles: 1e9 })).toBe(28); // the most splits that keep 256 rows
    const g = convGradGeometry([3, 5, 5, 2], [3, 3, 2, 2], { strides: 1, pad: 'same' }); // m = 75
    expect(resolveSplitK(g, { splitK: 10 })).toBe(5); // rounded down to a divisor
    expect(resolveSplitK(g, { splitK: 0 })).toBe(1);
    const big = convGradGeometry([128, 32, 32, 16], [3, 3, 16, 16], { strides: 1, pad: 'same' });
    const auto = resolveSplitK(big);
    expect(resolveSplitK(big, { splitScale: 4 })).toBe(auto * 4); // powers of two: exact
    expect(resolveSplitK(big, { splitScale: 0.25 })).toBe(auto / 4);
    expect(resolveSplitK(g, { splitScale: 3, targetTiles: 1e9, minInner: 1 })).toBe(75);
  });
});

describe('registration', () => {
  it('replaces the kernel for a backend, reaches it from tf.grad of conv2d and fused conv2d, and restores the original', () => {
    const x = tf.tensor4d(values(2 * 9 * 9 * 3, 12), [2, 9, 9, 3]);
    const w = tf.tensor4d(values(3 * 3 * 3 * 4, 13), [3, 3, 3, 4]);
    const grads = () => {
      const g1 = tf.grad((ww: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, ww as tf.Tensor4D, 2, 'same'))))(w);
      const g2 = tf.grad((ww: tf.Tensor) => tf.sum(tf.square(tf.fused.conv2d({ x, filter: ww as tf.Tensor4D, strides: 1, pad: 'same', activation: 'relu' }))))(
        w,
      );
      const out = [g1.dataSync().slice(), g2.dataSync().slice()];
      tf.dispose([g1, g2]);
      return out;
    };
    const [want1, want2] = grads();
    let calls = 0;
    const reg = registerWebgpuTrainingKernels({ backendName: 'cpu', splitK: 2 });
    expect(reg).toEqual({
      backendName: 'cpu',
      kernels: ['Conv2DBackpropFilter'],
      filterGrad: 'im2col',
      splitK: 2,
      product: 'transposeA',
      fusedBatchNorm: false,
    });
    expect(webgpuTrainingKernelsRegistered()).toEqual(reg);
    expect(fusedBatchNormLayerInstalled()).toBe(false); // tfjs-layers' BatchNormalization is replaced only for webgpu
    const mine = tf.getKernel('Conv2DBackpropFilter', 'cpu')!;
    expect(mine.kernelFunc).not.toBe(cpuOwn);
    tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
    tf.registerKernel({ ...mine, kernelFunc: (a) => (calls++, mine.kernelFunc(a)) });
    const [got1, got2] = grads();
    expect(calls).toBe(2);
    expect(relMaxDiff(want1!, got1!)).toBeLessThan(1e-5);
    expect(relMaxDiff(want2!, got2!)).toBeLessThan(1e-5);
    // the transposed-conv formulation, registered instead
    registerWebgpuTrainingKernels({ backendName: 'cpu', filterGrad: 'transposed-conv' });
    expect(webgpuTrainingKernelsRegistered()?.filterGrad).toBe('transposed-conv');
    const [t1, t2] = grads();
    expect(relMaxDiff(want1!, t1!)).toBeLessThan(1e-5);
    expect(relMaxDiff(want2!, t2!)).toBeLessThan(1e-5);
    unregisterWebgpuTrainingKernels();
    expect(webgpuTrainingKernelsRegistered()).toBeNull();
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')!.kernelFunc).toBe(cpuOwn);
    tf.dispose([x, w]);
  });

  it('says what to do when the backend is not loaded', () => {
    expect(() => registerWebgpuTrainingKernels()).toThrow(/webgpu backend's kernels are not registered; import its package first/);
    expect(webgpuTrainingKernelsRegistered()).toBeNull();
  });
});
