import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '@tensorslim/backends';
import { loadDataset } from '@tensorslim/models';
import { lastJson, runCli } from './helpers.js';

/**
 * Writes a trained model the way the Keras converter (tensorflowjs_converter) lays it out:
 * `model_config` inside `modelTopology` next to `keras_version`/`backend`, weights in two groups,
 * the first split over three shards at byte boundaries that cut through weights. The model is
 * trained first (2 epochs over 1024 MNIST images on wasm, ~3 s) so that accuracies mean something.
 */
async function writeConverterLayout(dir: string): Promise<void> {
  await selectBackend('wasm');
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const m = tfl.sequential({
    name: 'user_cnn',
    layers: [
      tfl.layers.conv2d({
        name: 'conv_a',
        inputShape: [28, 28, 1],
        filters: 16,
        kernelSize: 3,
        activation: 'relu',
        padding: 'same',
        kernelInitializer: init(1),
      }),
      tfl.layers.maxPooling2d({ name: 'pool_a', poolSize: 2 }),
      tfl.layers.conv2d({ name: 'conv_b', filters: 32, kernelSize: 3, activation: 'relu', padding: 'same', kernelInitializer: init(2) }),
      tfl.layers.maxPooling2d({ name: 'pool_b', poolSize: 2 }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dense({ name: 'hidden', units: 64, activation: 'relu', kernelInitializer: init(3) }),
      tfl.layers.dense({ name: 'logits', units: 10, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
  m.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy' });
  const data = await loadDataset('mnist', { limit: 1024, seed: 1 });
  for (let epoch = 0; epoch < 2; epoch++) {
    for (const b of data.trainBatches(32, { epoch, seed: 1 })) {
      await m.trainOnBatch(b.xs, b.ys);
      tf.dispose([b.xs, b.ys]);
    }
  }
  const config = m.toJSON(null, false) as unknown as Record<string, unknown>;
  const weights = m.weights.map((w) => ({ name: w.name, shape: w.shape, data: w.read().dataSync() as Float32Array }));
  const groups = [weights.slice(0, 4), weights.slice(4)];
  mkdirSync(dir, { recursive: true });
  const manifest = groups.map((g, gi) => {
    const bytes = new Uint8Array(g.reduce((a, w) => a + w.data.byteLength, 0));
    let o = 0;
    for (const w of g) {
      bytes.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), o);
      o += w.data.byteLength;
    }
    const cuts = gi === 0 ? [0, 1001, 2690, bytes.length] : [0, bytes.length];
    const paths = cuts.slice(1).map((_, i) => `group${gi + 1}-shard${i + 1}of${cuts.length - 1}.bin`);
    paths.forEach((p, i) => writeFileSync(join(dir, p), bytes.subarray(cuts[i]!, cuts[i + 1]!)));
    return { paths, weights: g.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) };
  });
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({
      format: 'layers-model',
      generatedBy: 'keras v2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: config },
      weightsManifest: manifest,
    }),
  );
  m.dispose();
}

interface Evaluation {
  loss: number;
  accuracy: number;
  examples: number;
}

/** Validation examples every accuracy here is measured on (the first 128 MNIST test images). */
const EVAL = '128';
/**
 * Accuracy the Tucker-factorized model (ratio 4, no fine-tuning) must keep. Measured: the trained
 * dense model 0.906, factorized 0.688, compressed and fine-tuned 0.891; chance is 0.1.
 */
const FAC_FLOOR = 0.5;

describe("a user's model.json in the Keras converter layout", () => {
  it('inspects, factorizes and compresses; the results load again in a fresh process and compute what compress measured', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'keras-'));
    const src = join(tmp, 'user');
    await writeConverterLayout(src);
    const model = join(src, 'model.json');

    // the three commands only read the model: run them side by side
    const [ins, fac, comp] = await Promise.all([
      runCli(['inspect', '--model', model, '--ratio', '4', '--backend', 'cpu', '--json']),
      runCli(['factorize', '--model', model, '--format', 'tucker', '--ratio', '4', '--out', join(tmp, 'fac'), '--backend', 'cpu', '--json']),
      runCli([
        'compress',
        '--model',
        model,
        '--dataset',
        'mnist',
        '--limit',
        '256',
        '--eval-limit',
        EVAL,
        '--batch',
        '32',
        '--admm-epochs',
        '1',
        '--finetune-epochs',
        '1',
        '--format',
        'tt',
        '--ratio',
        '4',
        '--out',
        join(tmp, 'comp'),
        '--backend',
        'wasm',
        '--threads',
        '1',
        '--json',
      ]),
    ]);
    expect(ins.code).toBe(0);
    const { summary, plan } = lastJson<{ summary: { layers: { name: string; factorizable: boolean }[] }; plan: { layers: Record<string, unknown> } }>(ins.out);
    expect(summary.layers.filter((l) => l.factorizable).map((l) => l.name)).toEqual(['conv_a', 'conv_b', 'hidden', 'logits']);
    expect(Object.keys(plan.layers)).toEqual(['conv_b', 'hidden']); // stem conv and classifier stay dense

    expect(fac.code).toBe(0);
    const f = lastJson<{ layers: { name: string; paramsBefore: number; paramsAfter: number }[]; outputDrift: number }>(fac.out);
    expect(f.layers.map((l) => l.name)).toEqual(['conv_b', 'hidden']);
    for (const l of f.layers) expect(l.paramsBefore / l.paramsAfter).toBeGreaterThan(3);
    expect(f.outputDrift).toBeGreaterThan(0);

    expect(comp.code).toBe(0);
    expect(existsSync(join(tmp, 'comp', 'model.json'))).toBe(true);
    const rep = lastJson<{ dense: { evaluation: Evaluation }; admm: { final: Evaluation; layers: { name: string }[] } }>(comp.out);
    expect(rep.admm.layers.map((l) => l.name)).toEqual(['conv_b', 'hidden']);
    // compress read the trained weights through all the shards (a loader that misplaces a shard
    // gives chance, 0.1), and the compressed, fine-tuned model stays within 0.1 of it
    expect(rep.dense.evaluation.accuracy).toBeGreaterThan(0.7);
    expect(rep.admm.final.accuracy).toBeGreaterThanOrEqual(rep.dense.evaluation.accuracy - 0.1);

    // fresh processes load what was saved (the plugin layers register at import) and compute what
    // compress measured; the factorized model without fine-tuning still classifies
    const evaluate = async (dir: string) => {
      const ev = await runCli(['evaluate', '--model', join(dir, 'model.json'), '--dataset', 'mnist', '--eval-limit', EVAL, '--backend', 'cpu', '--json']);
      expect(ev.code, ev.err).toBe(0);
      const e = lastJson<Evaluation>(ev.out);
      expect(e.examples).toBe(Number(EVAL));
      return e;
    };
    const [fac2, comp2] = await Promise.all([evaluate(join(tmp, 'fac')), evaluate(join(tmp, 'comp'))]);
    expect(comp2.accuracy).toBeCloseTo(rep.admm.final.accuracy, 10);
    expect(comp2.loss).toBeCloseTo(rep.admm.final.loss, 4);
    expect(fac2.accuracy).toBeGreaterThan(FAC_FLOOR);
  });
});
