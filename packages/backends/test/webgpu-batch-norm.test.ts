/**
 * The fused batch-norm backward pass on webgpu (webgpu-batch-norm.ts) against the cpu backend:
 * the kernel against the closed form in float64, and tfjs-layers' BatchNormalization in training
 * (fused on webgpu) against the same layer on cpu (TF.js's gradients), with the dispatches the
 * fusion saves. Without a GPU this runs on lavapipe; skipped without an adapter unless
 * REQUIRE_WEBGPU=1.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  BATCH_NORM_GRAD_KERNEL,
  batchNormGradPlan,
  countWebgpuDispatches,
  fusedBatchNormLayerInstalled,
  registerWebgpuTrainingKernels,
  selectBackend,
  unregisterWebgpuTrainingKernels,
} from '../src/index.js';
import { relMaxDiff, values } from './helpers.js';

const started = await selectBackend('webgpu').then(
  () => ({ ok: true as const, why: '' }),
  (e: unknown) => ({ ok: false as const, why: e instanceof Error ? e.message : String(e) }),
);

afterAll(async () => {
  unregisterWebgpuTrainingKernels();
  await tf.setBackend('cpu');
});

/** dx, dγ, dβ of training-mode batch norm in float64 (x, dy as [M, C] row-major). */
function closedForm(x: Float32Array, dy: Float32Array, gamma: Float32Array, c: number, eps: number) {
  const m = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c] += x[i]! / m;
  for (let i = 0; i < x.length; i++) variance[i % c] += (x[i]! - mean[i % c]!) ** 2 / m;
  const r = Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
  const dBeta = new Float64Array(c);
  const dGamma = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    dBeta[k] += dy[i]!;
    dGamma[k] += dy[i]! * (x[i]! - mean[k]!) * r[k]!;
  }
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    const xhat = (x[i]! - mean[k]!) * r[k]!;
    dx[i] = gamma[k]! * r[k]! * (dy[i]! - (dBeta[k]! + xhat * dGamma[k]!) / m);
  }
  return { mean: Float32Array.from(mean), variance: Float32Array.from(variance), dx, dGamma, dBeta };
}

describe('batchNormGradPlan', () => {
  it('splits rows into chunks of whole row lanes and channels into blocks of at most 32', () => {
    expect(batchNormGradPlan(131072, 16)).toEqual({ lanes: 16, rowLanes: 16, blocks: 1, chunk: 512, chunks: 256 });
    expect(batchNormGradPlan(512, 33)).toEqual({ lanes: 32, rowLanes: 8, blocks: 2, chunk: 256, chunks: 2 });
    expect(batchNormGradPlan(6000, 3)).toEqual({ lanes: 3, rowLanes: 85, blocks: 1, chunk: 2720, chunks: 3 });
    expect(batchNormGradPlan(10, 1)).toEqual({ lanes: 1, rowLanes: 256, blocks: 1, chunk: 8192, chunks: 1 });
    expect(batchNormGradPlan(10_000_000, 64).chunks).toBeLessThanOrEqual(256);
    expect(() => batchNormGradPlan(0, 4)).toThrow(/positive integers/);
  });
});

describe.skipIf(!started.ok)(`the fused batch-norm backward pass on webgpu${started.ok ? '' : ` (skipped: ${started.why})`}`, () => {
  // channel counts below, at and above the 32 lanes of a workgroup, not multiples of it; row counts
  // giving one and several chunks
  const shapes = [
    [2, 5, 5, 16],
    [2, 16, 16, 33],
    [6000, 3],
    [3, 7, 70],
    [1, 1, 9, 1],
  ];

  it(`${BATCH_NORM_GRAD_KERNEL} matches the closed form (float64 on the cpu)`, async () => {
    registerWebgpuTrainingKernels();
    await tf.setBackend('webgpu');
    for (const [i, shape] of shapes.entries()) {
      const c = shape[shape.length - 1]!;
      const n = tf.util.sizeFromShape(shape);
      const xv = values(n, 100 + i).map((v, j) => 3 * v + (j % c)); // per-channel offsets: the mean matters
      const dyv = values(n, 200 + i);
      const gv = values(c, 300 + i).map((v) => 1 + 0.5 * v);
      const eps = 1e-3;
      const ref = closedForm(xv, dyv, gv, c, eps);
      const x = tf.tensor(xv, shape);
      const dy = tf.tensor(dyv, shape);
      const [mean, variance, scale] = [ref.mean, ref.variance, gv].map((v) => tf.tensor1d(v));
      const out = tf
        .engine()
        .runKernel(BATCH_NORM_GRAD_KERNEL, { x, dy, mean: mean!, variance: variance!, scale: scale! }, { varianceEpsilon: eps }) as tf.Tensor[];
      expect(out.map((t) => t.shape)).toEqual([shape, [c], [c]]);
      const [dx, dGamma, dBeta] = await Promise.all(out.map(async (t) => (await t.data()) as Float32Array));
      const errors = { dx: relMaxDiff(ref.dx, dx!), dGamma: relMaxDiff(ref.dGamma, dGamma!), dBeta: relMaxDiff(ref.dBeta, dBeta!) };
      console.log(`${BATCH_NORM_GRAD_KERNEL} ${JSON.stringify(shape)} vs float64: ${JSON.stringify(errors)}`);
      for (const [k, e] of Object.entries(errors)) expect(e, `${JSON.stringify(shape)} ${k}`).toBeLessThan(2e-5);
      tf.dispose([x, dy, mean!, variance!, scale!, ...out]);
    }
  });

  it("BatchNormalization in training: webgpu's fused gradients and moving statistics match cpu's, its backward pass in 4 dispatches instead of TF.js's 36; cpu's unchanged", async () => {
    const eps = 1e-5;
    for (const [i, shape] of shapes.filter((s) => s.length >= 2 && s.length <= 4).entries()) {
      const c = shape[shape.length - 1]!;
      const n = tf.util.sizeFromShape(shape);
      await tf.setBackend('cpu');
      const layer = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: eps });
      layer.build(shape);
      const initial = [values(c, 400 + i).map((v) => 1 + 0.5 * v), values(c, 500 + i), new Float32Array(c), new Float32Array(c).fill(1)];
      const xv = values(n, 600 + i).map((v, j) => 2 * v + 0.1 * (j % c));
      const w = tf.tensor(values(n, 700 + i), shape); // loss Σ w ⊙ BN(x): dy = w
      let runs = 0;
      const run = async (backend: string, fused: boolean) => {
        await tf.setBackend(backend);
        registerWebgpuTrainingKernels({ fusedBatchNorm: fused }); // on cpu too: the layer's replacement is process-wide
        const tensorsBefore = tf.memory().numTensors;
        const start = initial.map((v) => tf.tensor1d(v));
        layer.setWeights(start);
        tf.dispose(start);
        const x0 = tf.tensor(xv, shape);
        const x = tf.variable(x0, true, `bn_test_x_${i}_${runs++}`);
        x0.dispose();
        const vars = [x, ...layer.trainableWeights.map((v) => v.read() as tf.Variable)];
        const step = () => tf.variableGrads(() => tf.sum(tf.mul(w, layer.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
        const counted = backend === 'webgpu' ? await countWebgpuDispatches(step) : null;
        const { value, grads } = counted?.result ?? step();
        const out = new Map<string, Float32Array>([['loss', (await value.data()) as Float32Array]]);
        for (const [k, g] of Object.entries(grads))
          out.set(k === x.name ? 'dx' : k.replace(/^.*\//, '').replace(/_\d+$/, ''), (await g.data()) as Float32Array);
        const [, , movingMean, movingVariance] = layer.getWeights();
        out.set('movingMean', (await movingMean!.data()) as Float32Array);
        out.set('movingVariance', (await movingVariance!.data()) as Float32Array);
        tf.dispose([value, x, ...Object.values(grads)]);
        expect(tf.memory().numTensors, `${backend}, ${fused ? 'fused' : "TF.js's"} gradients: tensors left`).toBe(tensorsBefore);
        return { out, dispatches: counted?.dispatches ?? 0, byProgram: Object.fromEntries((counted?.byProgram ?? []).map((p) => [p.program, p.dispatches])) };
      };
      const ref = await run('cpu', false);
      const cpuWhileInstalled = await run('cpu', true);
      for (const [k, r] of ref.out) expect(cpuWhileInstalled.out.get(k), `cpu ${k} is TF.js's own with the replacement installed`).toEqual(r);
      const unfused = await run('webgpu', false);
      expect(fusedBatchNormLayerInstalled()).toBe(false);
      const fused = await run('webgpu', true);
      expect(fusedBatchNormLayerInstalled()).toBe(true);
      expect([...fused.out.keys()].sort()).toEqual(['beta', 'dx', 'gamma', 'loss', 'movingMean', 'movingVariance']);
      const errors = Object.fromEntries([...ref.out].map(([k, r]) => [k, relMaxDiff(r, fused.out.get(k)!)]));
      console.log(
        `BatchNormalization ${JSON.stringify(shape)}: forward + backward ${unfused.dispatches} dispatches (TF.js) → ${fused.dispatches} (fused); webgpu vs cpu ${JSON.stringify(errors)}`,
      );
      for (const [k, e] of Object.entries(errors)) expect(e, `${JSON.stringify(shape)} ${k}`).toBeLessThan(k === 'dx' ? 1e-4 : 1e-5);
      // the fused backward pass is 4 programs; TF.js's gradients of FusedBatchNorm and the moments were 36 (lavapipe, tfjs 4.22)
      expect(fused.byProgram).toMatchObject({ BatchNormGradSumsProgram: 1, BatchNormGradFinishProgram: 2, BatchNormGradDxProgram: 1 });
      expect(unfused.byProgram['BatchNormGradSumsProgram']).toBeUndefined();
      expect(unfused.dispatches - fused.dispatches).toBeGreaterThanOrEqual(30);
      layer.weights.forEach((v) => v.dispose());
      w.dispose();
    }
  });
});
