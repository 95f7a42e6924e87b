/**
 * The kernels tensorslim registers for the wasm backend, checked against the cpu backend's own
 * kernels (and, for dilation, which TF.js's kernels do not take, against the forward
 * convolution through the adjoint identity).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assembleKernels, renderModule } from '../../linalg/scripts/assemble-kernels.mjs';
import {
  KernelScope,
  WASM_TRAINING_KERNELS,
  conv2dBackpropFilterGemm,
  conv2dBackpropInputByPhases,
  convGradGeometry,
  paddedInput,
  type CompositeBackend,
  selectBackend,
  simplifyTile,
  unregisterWasmTrainingKernels,
  registerWasmTrainingKernels,
  wasmTrainingKernelsRegistered,
} from '../src/index.js';
import { relMaxDiff, values } from './helpers.js';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Runs `f` on cpu and on wasm; returns both results as flat arrays and the wasm shape. */
async function onBoth(f: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array; shape: number[]; cpuShape: number[] }> {
  await tf.setBackend('cpu');
  const a = f();
  const cpu = (await a.data()) as Float32Array;
  const cpuShape = a.shape;
  a.dispose();
  await tf.setBackend('wasm');
  const b = f();
  const wasm = (await b.data()) as Float32Array;
  const shape = b.shape;
  b.dispose();
  return { cpu, wasm, shape, cpuShape };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

beforeAll(async () => {
  tf.env().set('IS_TEST', true); // the engine then throws on kernels that leak memory
  const sel = await selectBackend('wasm');
  expect(sel.name).toBe('wasm');
});

afterAll(() => {
  tf.env().set('IS_TEST', false);
});

describe('registration', () => {
  it('registers every listed kernel for wasm, and can restore the originals', () => {
    expect(wasmTrainingKernelsRegistered()).toBe(true);
    const names = WASM_TRAINING_KERNELS.map((k) => k.kernelName);
    expect(names).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Tile', 'UnsortedSegmentSum']));
    const mine = names.map((n) => tf.getKernel(n, 'wasm')!.kernelFunc);
    unregisterWasmTrainingKernels();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined(); // wasm has none of its own
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBeDefined(); // wasm's own is back
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc).not.toBe(mine[1]);
    registerWasmTrainingKernels();
    expect(wasmTrainingKernelsRegistered()).toBe(true);
    expect(registerWasmTrainingKernels()).toEqual(names); // idempotent
  });
});

describe('Conv2DBackpropFilter and Conv2DBackpropInput agree with the cpu backend', () => {
  const cases: { hw: [number, number]; k: [number, number]; s: number | [number, number]; pad: Pad; ci: number; co: number }[] = [];
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
        cases.push({ hw, k, s, pad, ci: 3, co: 5 });
      }
    }
  }
  cases.push({ hw: [9, 8], k: [3, 3], s: 3, pad: 'same', ci: 4, co: 2 });
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
    ci: 2,
    co: 3,
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
    ci: 3,
    co: 4,
  });

  it.each(cases)('x %j', async ({ hw, k, s, pad, ci, co }) => {
    const xShape = [2, hw[0], hw[1], ci];
    const fShape = [k[0], k[1], ci, co];
    const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], fShape as [number, number, number, number], s, 1, pad);
    const dyShape = [2, info.outHeight, info.outWidth, co];
    const xv = values(size(xShape), 1);
    const dyv = values(size(dyShape), 2);
    const fv = values(size(fShape), 3);
    const attrs = { strides: s, pad, dataFormat: 'NHWC' };
    const dw = await onBoth(
      () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(xv, xShape), dy: tf.tensor(dyv, dyShape) }, {
          ...attrs,
          filterShape: fShape,
        } as never) as tf.Tensor,
    );
    expect(dw.shape).toEqual(fShape);
    expect(relMaxDiff(dw.cpu, dw.wasm)).toBeLessThan(1e-4);
    const dx = await onBoth(
      () =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(fv, fShape) }, {
          ...attrs,
          inputShape: xShape,
        } as never) as tf.Tensor,
    );
    expect(dx.shape).toEqual(xShape);
    expect(relMaxDiff(dx.cpu, dx.wasm)).toBeLessThan(1e-4);
  });

  it('the phase method also handles phases without taps (kernel smaller than the stride)', async () => {
    await tf.setBackend('wasm');
    const be = tf.engine().backend as unknown as CompositeBackend;
    const xShape = [2, 7, 8, 3];
    const fShape = [1, 2, 3, 4];
    const attrs = { strides: [2, 3] as [number, number], pad: 'same' as const };
    const g = convGradGeometry(xShape, fShape, attrs);
    const dy = tf.tensor(values(2 * g.outH * g.outW * 4, 71), [2, g.outH, g.outW, 4]);
    const w = tf.tensor(values(size(fShape), 72), fShape);
    const scope = new KernelScope(be, 'wasm');
    const info = scope.finish(conv2dBackpropInputByPhases(scope, dy, w, g));
    const got = tf.engine().makeTensorFromTensorInfo(info);
    const want = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, dataFormat: 'NHWC', inputShape: xShape } as never) as tf.Tensor;
    expect(got.shape).toEqual(xShape);
    expect(relMaxDiff(want.dataSync(), got.dataSync())).toBeLessThan(1e-6);
    tf.dispose([dy, w, got, want]);
  });

  it('NCHW data format', async () => {
    const xShape = [2, 3, 7, 6];
    const fShape = [3, 3, 3, 4];
    const dyShape = [2, 4, 4, 3];
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW' };
    const dw = await onBoth(
      () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(values(size(xShape), 4), xShape), dy: tf.tensor(values(size(dyShape), 5), dyShape) }, {
          ...attrs,
          filterShape: fShape,
        } as never) as tf.Tensor,
    );
    expect(relMaxDiff(dw.cpu, dw.wasm)).toBeLessThan(1e-4);
    const dx = await onBoth(
      () =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor(values(size(dyShape), 5), dyShape), filter: tf.tensor(values(size(fShape), 6), fShape) }, {
          ...attrs,
          inputShape: xShape,
        } as never) as tf.Tensor,
    );
    expect(dx.shape).toEqual(xShape);
    expect(relMaxDiff(dx.cpu, dx.wasm)).toBeLessThan(1e-4);
  });

  it('a large-valued case keeps the relative tolerance (ResNet-like 16-channel layer, batch 4)', async () => {
    const xShape = [4, 16, 16, 16];
    const dyShape = [4, 8, 8, 16];
    const fShape = [3, 3, 16, 16];
    const dw = await onBoth(
      () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(values(size(xShape), 7), xShape), dy: tf.tensor(values(size(dyShape), 8), dyShape) }, {
          strides: 2,
          pad: 'same',
          dataFormat: 'NHWC',
          filterShape: fShape,
        } as never) as tf.Tensor,
    );
    expect(relMaxDiff(dw.cpu, dw.wasm)).toBeLessThan(1e-4);
  });
});

describe('the wasm filter gradient (implicit-im2col GEMM, filter-grad.wat)', () => {
  it('the committed src/kernels/wat/assembled.ts is what the .wat assembles to (else run `npm run kernels`)', async () => {
    const dir = fileURLToPath(new URL('../src/kernels/wat', import.meta.url));
    const binaries = await assembleKernels(dir);
    expect(Object.keys(binaries)).toEqual(['filter-grad.wat']);
    expect(readFileSync(`${dir}/assembled.ts`, 'utf8')).toBe(renderModule(binaries, 'packages/backends'));
  });

  // the register blocks are 4 rows × 8 (then 4) columns, over chunks of images that fit in cache:
  // these shapes reach every edge (rows not a multiple of 4, 8 + 4 columns, columns padded to 4,
  // several chunks, strided windows that read no padding, padding below/right only)
  it.each([
    { x: [3, 40, 40, 16], k: [3, 3], s: 1, pad: 'same' as Pad, co: 12 }, // 144 rows, 8 + 4 columns, 3 chunks of 1 image
    { x: [9, 6, 6, 5], k: [3, 3], s: 1, pad: 'same' as Pad, co: 16 }, // 45 rows (last block of 1), 9 images in one chunk
    { x: [4, 28, 28, 1], k: [5, 5], s: 1, pad: 'same' as Pad, co: 6 }, // LeNet conv1: 25 rows, 6 columns padded to 8
    { x: [4, 14, 14, 6], k: [5, 5], s: 1, pad: 'valid' as Pad, co: 16 }, // LeNet conv2: no padding, no copy
    { x: [2, 16, 16, 16], k: [1, 1], s: 2, pad: 'same' as Pad, co: 32 }, // strided 1×1 shortcut: reads no padding
    { x: [2, 16, 16, 8], k: [3, 3], s: 2, pad: 'same' as Pad, co: 8 }, // TF 'same' stride 2: zeros below and right only
  ])('%j agrees with the cpu backend', async ({ x, k, s, pad, co }) => {
    const fShape = [k[0]!, k[1]!, x[3]!, co];
    const info = tf.backend_util.computeConv2DInfo(x as [number, number, number, number], fShape as [number, number, number, number], s, 1, pad);
    const dyShape = [x[0]!, info.outHeight, info.outWidth, co];
    const xv = values(size(x), 41);
    const dyv = values(size(dyShape), 42);
    const dw = await onBoth(
      () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(xv, x), dy: tf.tensor(dyv, dyShape) }, {
          strides: s,
          pad,
          dataFormat: 'NHWC',
          filterShape: fShape,
        } as never) as tf.Tensor,
    );
    expect(dw.shape).toEqual(fShape);
    expect(relMaxDiff(dw.cpu, dw.wasm)).toBeLessThan(1e-5);
  });

  it('runs on the wasm heap (null elsewhere, where the registered kernel falls back)', async () => {
    const xShape = [2, 6, 6, 4];
    const fShape = [3, 3, 4, 8];
    const attrs = { strides: 1, pad: 'same' as const, filterShape: fShape as [number, number, number, number] };
    await tf.setBackend('cpu');
    const xc = tf.tensor(values(size(xShape), 43), xShape);
    const dyc = tf.tensor(values(2 * 36 * 8, 44), [2, 6, 6, 8]);
    expect(conv2dBackpropFilterGemm(tf.backend(), xc, dyc, attrs)).toBeNull();
    tf.dispose([xc, dyc]);
    await tf.setBackend('wasm');
    const x = tf.tensor(values(size(xShape), 43), xShape);
    const dy = tf.tensor(values(2 * 36 * 8, 44), [2, 6, 6, 8]);
    const info = conv2dBackpropFilterGemm(tf.backend(), x, dy, attrs);
    expect(info).not.toBeNull();
    const got = tf.engine().makeTensorFromTensorInfo(info!);
    const want = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, dataFormat: 'NHWC' } as never) as tf.Tensor;
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync())); // the registered kernel is this one
    tf.dispose([x, dy, got, want]);
  });

  it('copies the input only when the convolution reads padding', () => {
    const g = (x: number[], k: number[], s: number, pad: 'same' | 'valid') => paddedInput(convGradGeometry(x, k, { strides: s, pad }));
    expect(g([1, 16, 16, 8], [1, 1, 8, 8], 2, 'same')).toEqual({ hp: 16, wp: 16, copy: false });
    expect(g([1, 14, 14, 6], [5, 5, 6, 16], 1, 'valid')).toEqual({ hp: 14, wp: 14, copy: false });
    expect(g([1, 32, 32, 16], [3, 3, 16, 16], 1, 'same')).toEqual({ hp: 34, wp: 34, copy: true });
    expect(g([1, 32, 32, 16], [3, 3, 16, 32], 2, 'same')).toEqual({ hp: 33, wp: 33, copy: true }); // TF pads 0 above, 1 below
  });
});

describe('dilation (not a TF.js kernel attribute; tensorslim kernels accept it)', () => {
  // <conv(x, W), dy> = <x, dX(dy, W)> = <W, dW(x, dy)>: both gradients are the adjoints of the
  // forward dilated convolution, which wasm runs natively.
  it.each([
    { hw: [9, 9], k: [3, 3], d: 2, pad: 'same' as const },
    { hw: [11, 8], k: [3, 2], d: [2, 3] as [number, number], pad: 'valid' as const },
    { hw: [7, 10], k: [2, 3], d: 3, pad: 'same' as const },
  ])('%j', async ({ hw, k, d, pad }) => {
    await tf.setBackend('wasm');
    const ci = 3;
    const co = 4;
    const xShape = [2, hw[0]!, hw[1]!, ci];
    const fShape = [k[0]!, k[1]!, ci, co];
    const x = tf.tensor4d(values(size(xShape), 11), xShape as [number, number, number, number]);
    const w = tf.tensor4d(values(size(fShape), 12), fShape as [number, number, number, number]);
    const y = tf.conv2d(x, w, 1, pad, 'NHWC', d);
    const dy = tf.tensor(values(y.size, 13), y.shape);
    const attrs = { strides: 1, pad, dataFormat: 'NHWC', dilations: d };
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: fShape } as never) as tf.Tensor;
    const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xShape } as never) as tf.Tensor;
    const lhs = dot(y.dataSync(), dy.dataSync());
    expect(Math.abs(dot(x.dataSync(), dx.dataSync()) - lhs)).toBeLessThan(1e-4 * Math.abs(lhs) + 1e-3);
    expect(Math.abs(dot(w.dataSync(), dw.dataSync()) - lhs)).toBeLessThan(1e-4 * Math.abs(lhs) + 1e-3);
    // and the same identity fails for a wrong dilation (the check can fail)
    const dw1 = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, dilations: 1, filterShape: fShape } as never) as tf.Tensor;
    expect(Math.abs(dot(w.dataSync(), dw1.dataSync()) - lhs)).toBeGreaterThan(1e-2 * Math.abs(lhs));
    tf.dispose([x, w, y, dy, dw, dx, dw1]);
  });
});

describe('Tile, Sum, Mean, UnsortedSegmentSum, Identity, Cast agree with the cpu backend', () => {
  it.each([
    [
      [1, 1, 1, 5],
      [2, 3, 4, 1],
    ],
    [
      [2, 3, 1],
      [1, 2, 3],
    ],
    [[3], [4]],
    [
      [2, 1, 3, 1],
      [1, 3, 1, 2],
    ],
    [
      [4, 5],
      [1, 1],
    ],
    [
      [2, 3, 4],
      [2, 1, 3],
    ],
  ])('Tile %j × %j', async (shape, reps) => {
    const r = await onBoth(() => tf.tile(tf.tensor(values(size(shape), 21), shape), reps));
    expect(r.shape).toEqual(r.cpuShape);
    expect(relMaxDiff(r.cpu, r.wasm)).toBe(0);
  });

  it('Tile of int32 and bool', async () => {
    const i = await onBoth(() =>
      tf.tile(
        tf.tensor(
          [
            [1, 2],
            [3, 4],
          ],
          undefined,
          'int32',
        ),
        [2, 3],
      ),
    );
    expect(Array.from(i.wasm)).toEqual(Array.from(i.cpu));
    const b = await onBoth(() => tf.tile(tf.tensor([true, false], undefined, 'bool'), [3]));
    expect(Array.from(b.wasm)).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it('simplifyTile merges axes that tile alike', () => {
    expect(simplifyTile([1, 1, 1, 16], [64, 32, 32, 1])).toEqual({ shape: [1, 16], reps: [65536, 1] });
    expect(simplifyTile([4, 5, 6], [1, 1, 2])).toEqual({ shape: [20, 6], reps: [1, 2] });
  });

  it.each([
    [[4, 5, 6, 7], [0, 1, 2], false],
    [[4, 5, 6, 7], [1, 2], true],
    [[4, 5, 6, 7], [0], false],
    [[4, 5, 6, 7], [3], false],
    [[4, 5, 6, 7], [0, 2], false],
    [[6, 7], [0], true],
  ] as [number[], number[], boolean][])('Sum and Mean of %j over %j (keepDims %s)', async (shape, axes, keepDims) => {
    const s = await onBoth(() => tf.sum(tf.tensor(values(size(shape), 31), shape), axes, keepDims));
    expect(s.shape).toEqual(s.cpuShape);
    expect(relMaxDiff(s.cpu, s.wasm)).toBeLessThan(1e-5);
    const m = await onBoth(() => tf.mean(tf.tensor(values(size(shape), 32), shape), axes, keepDims));
    expect(m.shape).toEqual(m.cpuShape);
    expect(relMaxDiff(m.cpu, m.wasm)).toBeLessThan(1e-5);
  });

  it('Sum/Mean over outer axes with every column width (16-, 4- and 1-wide paths)', async () => {
    for (const c of [1, 3, 4, 5, 16, 17, 21, 64]) {
      const shape = [3, 5, c];
      const s = await onBoth(() => tf.sum(tf.tensor(values(size(shape), 33 + c), shape), [0, 1]));
      expect(relMaxDiff(s.cpu, s.wasm)).toBeLessThan(1e-5);
    }
  });

  it.each([
    { shape: [2, 3, 4, 5], scale: true, offset: true },
    { shape: [2, 3, 4, 5], scale: false, offset: true },
    { shape: [3, 1, 2, 7], scale: true, offset: false },
    { shape: [2, 3, 2, 32], scale: true, offset: true },
  ])('FusedBatchNorm with per-channel statistics %j', async ({ shape, scale, offset }) => {
    const c = shape[3]!;
    const r = await onBoth(() =>
      tf.batchNorm(
        tf.tensor(values(size(shape), 61), shape),
        tf.tensor1d(values(c, 62)),
        tf.add(tf.tensor1d(values(c, 63)), 1.5),
        offset ? tf.tensor1d(values(c, 64)) : undefined,
        scale ? tf.tensor1d(values(c, 65)) : undefined,
        1e-3,
      ),
    );
    expect(r.shape).toEqual(shape);
    expect(relMaxDiff(r.cpu, r.wasm)).toBeLessThan(1e-5);
  });

  it('FusedBatchNorm with full-shape statistics falls back to the backend kernel', async () => {
    const t = (seed: number, shift = 0) => tf.add(tf.tensor(values(24, seed), [2, 3, 4]), shift);
    const r = await onBoth(() => tf.batchNorm(t(66), t(67), t(68, 1.5), t(69), t(70)));
    expect(relMaxDiff(r.cpu, r.wasm)).toBeLessThan(1e-5);
  });

  it.each([
    [
      [4, 5, 6],
      [1, 0, 2],
      [2, 5, 3],
    ],
    [
      [4, 5, 6],
      [2, 1, 0],
      [1, 3, 6],
    ],
    [
      [4, 5, 6],
      [0, 0, 0],
      [-1, 2, -1],
    ],
    [
      [3, 2, 2, 3, 2],
      [1, 0, 1, 1, 0],
      [2, 2, 1, 2, 1],
    ],
    [[7], [2], [4]],
    [
      [2, 3, 4, 5, 6, 2],
      [1, 1, 1, 1, 1, 1],
      [1, 2, 3, 4, 5, 1],
    ],
  ])('Slice of %j at %j size %j', async (shape, begin, sz) => {
    const r = await onBoth(() => tf.slice(tf.tensor(values(size(shape), 81), shape), begin, sz));
    expect(r.shape).toEqual(r.cpuShape);
    expect(relMaxDiff(r.cpu, r.wasm)).toBe(0);
  });

  it('Slice of int32 and bool', async () => {
    const i = await onBoth(() =>
      tf.slice(
        tf.tensor(
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
          undefined,
          'int32',
        ),
        [0, 1],
        [2, 2],
      ),
    );
    expect(Array.from(i.wasm)).toEqual([2, 3, 5, 6]);
    const b = await onBoth(() => tf.slice(tf.tensor([true, false, true, true], undefined, 'bool'), [1], [2]));
    expect(Array.from(b.wasm)).toEqual([0, 1]);
  });

  it.each([
    [[4, 6, 5], [2, 3, 1], 1],
    [[4, 6, 5], 5, 2],
    [[6, 4], [1, -1, 2], 0],
    [[2, 8], 4, -1],
  ] as [number[], number | number[], number][])('SplitV of %j into %j on axis %i', async (shape, splits, axis) => {
    await tf.setBackend('cpu');
    const want = tf.split(tf.tensor(values(size(shape), 91), shape), splits, axis).map((t) => ({ shape: t.shape, data: t.dataSync() }));
    await tf.setBackend('wasm');
    const got = tf.split(tf.tensor(values(size(shape), 91), shape), splits, axis).map((t) => ({ shape: t.shape, data: t.dataSync() }));
    expect(got.map((g) => g.shape)).toEqual(want.map((w) => w.shape));
    got.forEach((g, i) => expect(Array.from(g.data)).toEqual(Array.from(want[i]!.data)));
  });

  it.each([
    [[3, 4, 5], 0],
    [[3, 4, 5], 1],
    [[3, 4, 5], 2],
    [[2, 3, 2, 2], -2],
  ] as [number[], number][])('Unpack of %j on axis %i', async (shape, axis) => {
    await tf.setBackend('cpu');
    const want = tf.unstack(tf.tensor(values(size(shape), 95), shape), axis).map((t) => ({ shape: t.shape, data: t.dataSync() }));
    await tf.setBackend('wasm');
    const be = tf.engine().backend;
    const x = tf.tensor(values(size(shape), 95), shape);
    const before = be.numDataIds();
    const parts = tf.unstack(x, axis);
    expect(be.numDataIds()).toBe(before + parts.length); // outputs only
    const got = parts.map((t) => ({ shape: t.shape, data: t.dataSync() }));
    expect(got.map((g) => g.shape)).toEqual(want.map((w) => w.shape));
    got.forEach((g, i) => expect(Array.from(g.data)).toEqual(Array.from(want[i]!.data)));
    tf.dispose([x, ...parts]);
  });

  it.each([
    [[5, 7], [3, 7], false, true],
    [[7, 5], [7, 3], true, false],
    [[7, 5], [3, 7], true, true],
    [[2, 5, 4], [2, 3, 4], false, true],
    [[2, 4, 5], [2, 4, 3], true, false],
  ] as [number[], number[], boolean, boolean][])('BatchMatMul %j × %j (transposeA %s, transposeB %s)', async (sa, sb, ta, tb) => {
    const r = await onBoth(() => tf.matMul(tf.tensor(values(size(sa), 101), sa), tf.tensor(values(size(sb), 102), sb), ta, tb));
    expect(r.shape).toEqual(r.cpuShape);
    expect(relMaxDiff(r.cpu, r.wasm)).toBeLessThan(1e-5);
  });

  it('_FusedMatMul with a transposed operand, bias and activation', async () => {
    const r = await onBoth(() =>
      tf.fused.matMul({
        a: tf.tensor2d(values(35, 103), [7, 5]),
        b: tf.tensor2d(values(21, 104), [3, 7]),
        transposeA: true,
        transposeB: true,
        bias: tf.tensor1d(values(3, 105)),
        activation: 'relu',
      }),
    );
    expect(r.shape).toEqual([5, 3]);
    expect(relMaxDiff(r.cpu, r.wasm)).toBeLessThan(1e-5);
  });

  it('UnsortedSegmentSum drops out-of-range ids, accepts multi-axis ids', async () => {
    const r = await onBoth(() => tf.unsortedSegmentSum(tf.tensor(values(18, 41), [6, 3]), tf.tensor1d([0, 2, 2, -1, 5, 1], 'int32'), 4));
    expect(r.shape).toEqual([4, 3]);
    expect(relMaxDiff(r.cpu, r.wasm)).toBe(0);
    const x = values(24, 42);
    await tf.setBackend('wasm');
    const out = tf.engine().runKernel(
      'UnsortedSegmentSum',
      {
        x: tf.tensor(x, [2, 3, 4]),
        segmentIds: tf.tensor(
          [
            [1, 0, 1],
            [2, 1, 0],
          ],
          [2, 3],
          'int32',
        ),
      },
      { numSegments: 3 },
    ) as tf.Tensor;
    const want = new Float32Array(12);
    const ids = [1, 0, 1, 2, 1, 0];
    ids.forEach((s, i) => {
      for (let j = 0; j < 4; j++) want[s * 4 + j]! += x[i * 4 + j]!;
    });
    expect(out.shape).toEqual([3, 4]);
    expect(relMaxDiff(want, out.dataSync())).toBeLessThan(1e-6);
  });

  it('Identity and same-dtype Cast share data and survive the input being disposed', async () => {
    await tf.setBackend('wasm');
    const be = tf.engine().backend;
    const x = tf.tensor([1, 2, 3]);
    const before = be.numDataIds();
    const y = tf.clone(x);
    const z = tf.cast(x, 'float32');
    expect(be.numDataIds()).toBe(before); // no copies
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(Array.from(z.dataSync())).toEqual([1, 2, 3]);
    z.dispose();
    expect(be.numDataIds()).toBe(before - 1);
    const c = tf.cast(tf.tensor([1.7, -2.2]), 'int32');
    expect(c.dtype).toBe('int32');
    expect(Array.from(c.dataSync())).toEqual([1, -2]);
  });
});

describe('memory', () => {
  it('the composite kernels free every intermediate', async () => {
    await tf.setBackend('wasm');
    const be = tf.engine().backend;
    const x = tf.tensor(values(2 * 7 * 7 * 3, 51), [2, 7, 7, 3]);
    const dy = tf.tensor(values(2 * 4 * 4 * 4, 52), [2, 4, 4, 4]);
    const w = tf.tensor(values(3 * 3 * 3 * 4, 53), [3, 3, 3, 4]);
    const before = be.numDataIds();
    for (let i = 0; i < 3; i++) {
      const a = tf
        .engine()
        .runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] }) as tf.Tensor;
      const b = tf
        .engine()
        .runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 7, 7, 3] }) as tf.Tensor;
      const c = tf.tidy(() => tf.tile(tf.ones([1, 3]), [4, 1]));
      const d = tf.sum(x, [0, 1, 2]);
      tf.dispose([a, b, c, d]);
    }
    expect(be.numDataIds()).toBe(before);
  });
});
