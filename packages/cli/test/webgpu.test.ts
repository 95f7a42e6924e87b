/**
 * The pipeline on the webgpu backend for real (Dawn through the `webgpu` package; without a GPU,
 * Mesa's software Vulkan, lavapipe, which .ci/run installs): `tensorslim compress --backend
 * webgpu` end to end on a tiny model against the same run on cpu, and an ADMM slice (training
 * steps with the ADMM term, one Z/U update) on webgpu against cpu. Tiny models only: every new
 * shader compiles on the CPU under lavapipe. Skipped when no adapter starts, except under
 * REQUIRE_WEBGPU=1 (CI), where that is a failure.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { admmTrain, evaluate } from '@tensorslim/admm';
import { selectBackend } from '@tensorslim/backends';
import { createRegistry } from '@tensorslim/core';
import { loadModel, saveModel } from '@tensorslim/io';
import { registerTt } from '@tensorslim/decomp-tt';
import { relError } from '@tensorslim/linalg';
import { loadDataset, syntheticDataset } from '@tensorslim/models';
import { lastJson, runCli } from './helpers.js';
import { resolvePlanAndBudget } from '../src/context.js';

const required = process.env['REQUIRE_WEBGPU'] === '1';
const started = await selectBackend('webgpu').then(
  () => ({ ok: true as const, why: '' }),
  (e: unknown) => ({ ok: false as const, why: e instanceof Error ? e.message : String(e) }),
);
await tf.setBackend('cpu');
const skipWhy = started.ok ? '' : ` (skipped: ${started.why})`;

const dirs: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), `webgpu-${p}-`));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  await tf.setBackend('cpu');
});

/** ‖a − b‖ / ‖a‖ of two arrays of the same length (linalg's relError). */
const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  relError({ shape: [a.length], data: Float64Array.from(a) }, { shape: [b.length], data: Float64Array.from(b) });

/** |a − b| / |a|. */
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), 1e-30);

/**
 * `tensorslim compress` on a small saved model and synthetic data (32 training, 16 validation
 * examples, batch 8, lr 0.05), with `epochs` = [pretrain, ADMM, fine-tune], `--json`.
 */
const tinyCompressArgs = (o: { model: string; plan: string; backend: string; out: string; epochs: [number, number, number] }) => [
  'compress',
  ...['--model', o.model, '--dataset', 'synthetic', '--limit', '32', '--eval-limit', '16', '--plan', o.plan, '--batch', '8', '--lr', '0.05'],
  ...['--pretrain-epochs', String(o.epochs[0]), '--admm-epochs', String(o.epochs[1]), '--finetune-epochs', String(o.epochs[2])],
  ...['--backend', o.backend, '--out', o.out, '--json'],
];

it.skipIf(!required)('REQUIRE_WEBGPU=1: the webgpu backend starts', () => {
  expect(started.why).toBe('');
});

describe.skipIf(!started.ok)(`the pipeline on webgpu${skipWhy}`, () => {
  interface Evaluation {
    loss: number;
    accuracy: number;
    examples: number;
  }
  interface Report {
    backend: string;
    dense: { evaluation: Evaluation };
    admm: { layers: { name: string; format: string; className: string }[]; trained: Evaluation; afterDecompose: Evaluation; final: Evaluation };
    admmHistory: { primal: number }[];
  }

  it('compress --backend webgpu runs end to end on a tiny model: the report matches cpu, the factorized model loads and scores as reported', async () => {
    const dir = tmp('model');
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [8], units: 12, activation: 'relu', name: 'fc1', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
        tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    await saveModel(model, dir);
    const plan = join(dir, 'plan.json');
    writeFileSync(plan, JSON.stringify({ version: 1, layers: { fc1: { format: 'tt', outModes: [3, 4], inModes: [2, 4], ranks: { ratio: 2 } } } }));
    const args = (backend: string, out: string) => tinyCompressArgs({ model: join(dir, 'model.json'), plan, backend, out, epochs: [2, 2, 1] });
    const [outGpu, outCpu] = [tmp('gpu'), tmp('cpu')];
    const [gpu, cpu] = await Promise.all([runCli(args('webgpu', outGpu)), runCli(args('cpu', outCpu))]);
    expect(gpu.err).not.toMatch(/error/i);
    expect(gpu.code).toBe(0);
    expect(cpu.code).toBe(0);
    const [g, c] = [lastJson<Report>(gpu.out), lastJson<Report>(cpu.out)];
    expect(g.backend).toBe('webgpu');
    expect(c.backend).toBe('cpu');
    expect(g.admm.layers.map((l) => [l.name, l.format, l.className])).toEqual([['fc1', 'tt', 'TTDense']]);
    expect(g.admmHistory).toHaveLength(2); // one Z/U update per ADMM epoch
    // the same run on cpu, up to float32 rounding in a different order
    const pairs = {
      dense: [c.dense.evaluation.loss, g.dense.evaluation.loss],
      trained: [c.admm.trained.loss, g.admm.trained.loss],
      afterDecompose: [c.admm.afterDecompose.loss, g.admm.afterDecompose.loss],
      final: [c.admm.final.loss, g.admm.final.loss],
      primal: [c.admmHistory[1]!.primal, g.admmHistory[1]!.primal],
    };
    console.log('compress, webgpu vs cpu, relative error:', Object.fromEntries(Object.entries(pairs).map(([k, [a, b]]) => [k, rel(a!, b!)])));
    for (const [k, [a, b]] of Object.entries(pairs)) expect(rel(a!, b!), `${k}: cpu ${a}, webgpu ${b}`).toBeLessThan(1e-4);
    expect(g.admm.final.accuracy).toBe(c.admm.final.accuracy);
    // the saved factorized model loads (here on cpu) and scores what the webgpu run reported
    const registry = createRegistry();
    registerTt(registry);
    const loaded = await loadModel(join(outGpu, 'model.json'), { container: registry });
    expect(loaded.getLayer('fc1').getClassName()).toBe('TTDense');
    const data = await loadDataset('synthetic', { limit: 32, evalLimit: 16, seed: 1 });
    const ev = await evaluate(loaded, data);
    expect(ev.examples).toBe(16);
    expect(rel(g.admm.final.loss, ev.loss)).toBeLessThan(1e-5);
    expect(ev.accuracy).toBe(g.admm.final.accuracy);
  }, 240_000);

  it('the suggested plan and the budget plan (--target-params) of a model whose weights live on the GPU are those of cpu', async () => {
    // before: the suggested plan read every kernel (for its shape) and the budget plan read them
    // synchronously — fine while the weights are still the CPU copies a load leaves, an error once
    // a GPU op has written them (after training)
    registerTt(); // the CLI's plans resolve formats in the default registry
    const plans = async (backend: string) => {
      await tf.setBackend(backend);
      const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
      const model = tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [8], units: 64, activation: 'relu', name: 'fc1', kernelInitializer: init(1) }),
          tfl.layers.dense({ units: 64, activation: 'relu', name: 'fc2', kernelInitializer: init(2) }),
          tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: init(3) }),
        ],
      });
      for (const w of model.weights) w.write(tf.tidy(() => tf.mul(w.read(), 1))); // written by a backend op
      const source = { model, name: 'm', builtin: false };
      const flags = { format: 'tt', ratio: 5 };
      const suggested = await resolvePlanAndBudget(flags, source);
      const budget = await resolvePlanAndBudget({ ...flags, targetParams: 0.6 }, source);
      model.dispose();
      return { suggested, budget };
    };
    const c = await plans('cpu');
    const g = await plans('webgpu');
    await tf.setBackend('cpu');
    expect(Object.keys(g.suggested.plan.layers)).toEqual(['fc2']);
    expect(g.suggested).toEqual(c.suggested);
    expect(g.budget.budget!.fractions.params).toBeLessThanOrEqual(0.6);
    expect(g.budget).toEqual(c.budget);
  }, 240_000);

  it.each(['reweighted', 'collaborative'])(
    'compress --method %s --backend webgpu runs end to end on a small conv model: the same pruning as on cpu',
    async (method) => {
      const dir = tmp(`${method}-model`);
      const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [6, 6, 2], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: init(7) }),
          tfl.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', name: 'c2', kernelInitializer: init(8) }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: init(9) }),
        ],
      });
      await saveModel(model, dir);
      const plan = join(dir, 'plan.json');
      writeFileSync(plan, JSON.stringify({ version: 1, layers: { c1: { format: 'tucker', ranks: [4, 2] }, c2: { format: 'tucker', ranks: [4, 4] } } }));
      const methodFlags = method === 'reweighted' ? ['--sparsity', '0.5', '--granularity', 'filter'] : ['--target-flops', '0.5'];
      const args = (backend: string) => [
        ...tinyCompressArgs({ model: join(dir, 'model.json'), plan, backend, out: tmp(`${method}-${backend}`), epochs: [1, 1, 1] }),
        '--method',
        method,
        ...methodFlags,
      ];
      const [gpu, cpu] = await Promise.all([runCli(args('webgpu')), runCli(args('cpu'))]);
      expect(gpu.err).not.toMatch(/error/i);
      expect(gpu.code).toBe(0);
      expect(cpu.code).toBe(0);
      interface Arm {
        arm: string;
        final: Evaluation;
        afterPrune: Evaluation;
        sparsity: number;
        params: number;
        flops: number;
        removed: Record<string, number>;
      }
      interface PruneReport {
        dense: { evaluation: Evaluation; params: number };
        arms: Arm[];
        layers: { pruned: string[] };
        allocation?: { choices: unknown };
      }
      const [g, c] = [lastJson<PruneReport>(gpu.out), lastJson<PruneReport>(cpu.out)];
      expect(g.arms.map((a) => a.arm)).toEqual(method === 'reweighted' ? ['reweighted', 'magnitude'] : ['collaborative', 'direct']);
      expect(g.layers.pruned.length).toBeGreaterThan(0);
      // the same decisions: what was pruned, removed and kept, and the allocation
      const shape = (r: PruneReport) => ({
        pruned: r.layers.pruned,
        allocation: r.allocation,
        arms: r.arms.map((a) => [a.sparsity, a.params, a.flops, a.removed]),
      });
      expect(shape(g)).toEqual(shape(c));
      expect(g.arms.some((a) => a.params < g.dense.params)).toBe(true);
      // and the same losses up to float32 rounding in another order
      const errors = Object.fromEntries([
        ['dense', rel(c.dense.evaluation.loss, g.dense.evaluation.loss)],
        ...c.arms.flatMap((a, i) => [
          [`${a.arm} after pruning`, rel(a.afterPrune.loss, g.arms[i]!.afterPrune.loss)],
          [`${a.arm} final`, rel(a.final.loss, g.arms[i]!.final.loss)],
        ]),
      ]) as Record<string, number>;
      console.log(`compress --method ${method}, webgpu vs cpu, relative error:`, errors);
      for (const [k, e] of Object.entries(errors)) expect(e, k).toBeLessThan(1e-4);
    },
    240_000,
  );

  it('an ADMM slice (4 steps with the ADMM term on a conv and a dense layer, one Z/U update) matches cpu', async () => {
    const registry = createRegistry();
    registerTt(registry);
    const data = syntheticDataset({ inputShape: [6, 6, 2], numClasses: 3, trainSize: 32, testSize: 8, seed: 3 });
    const plan = {
      version: 1,
      layers: {
        conv: { format: 'tt', outModes: [4], inModes: [2], ranks: { ratio: 2 } },
        fc: { format: 'tt', outModes: [2, 4], inModes: [4, 4], ranks: { ratio: 2 } },
      },
    };
    const slice = async (backend: string) => {
      await tf.setBackend(backend);
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({
            inputShape: [6, 6, 2],
            filters: 4,
            kernelSize: 3,
            padding: 'same',
            activation: 'relu',
            name: 'conv',
            kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }),
          }),
          tfl.layers.maxPooling2d({ poolSize: 3 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 8, activation: 'relu', name: 'fc', kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }),
          tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: tfl.initializers.glorotUniform({ seed: 6 }) }),
        ],
      });
      const r = await admmTrain(model, data, plan, { container: registry, epochs: 1, batchSize: 8, lr: 0.05, rho: 0.01, readEvery: 4 });
      const out = {
        z: ['conv', 'fc'].map((n) => r.solver.getZ(n).data),
        u: ['conv', 'fc'].map((n) => r.solver.getU(n).data),
        record: r.solver.history[0]!,
        loss: r.history[0]!.trainLoss,
        weights: await Promise.all(model.weights.map(async (w) => (await w.read().data()) as Float32Array)),
      };
      r.solver.dispose();
      model.dispose();
      return out;
    };
    const c = await slice('cpu');
    const g = await slice('webgpu');
    await tf.setBackend('cpu');
    expect(g.record.update).toBe(1);
    expect(g.record.step).toBe(4);
    const errors: Record<string, number> = {
      trainLoss: rel(c.loss, g.loss),
      primal: rel(c.record.primal, g.record.primal),
      dual: rel(c.record.dual, g.record.dual),
      ...Object.fromEntries(c.z.map((z, i) => [`Z ${i}`, relDiff(z, g.z[i]!)])),
      ...Object.fromEntries(c.u.map((u, i) => [`U ${i}`, relDiff(u, g.u[i]!)])),
      ...Object.fromEntries(c.weights.map((w, i) => [`weight ${i}`, relDiff(w, g.weights[i]!)])),
    };
    console.log('webgpu vs cpu, ADMM slice, relative error:', errors);
    for (const [k, e] of Object.entries(errors)) expect(e, k).toBeLessThan(1e-4);
    expect(c.record.primal).toBeGreaterThan(0.01); // the update did something to compare
  }, 240_000);
});
