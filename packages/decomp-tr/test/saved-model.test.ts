// A model saved by this package's layer classes before core built them generically: it must still load
// (same TF.js class names, config keys and weight names) and predict what it predicted then.
import { beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

it('loads a model saved before the layers became generic, with the same outputs', async () => {
  const dir = new URL('./fixtures/saved-before-generic-layers/', import.meta.url);
  const saved = JSON.parse(readFileSync(new URL('model.json', dir), 'utf8'));
  const w = readFileSync(new URL('weights.bin', dir));
  const weightData = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength);
  const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: saved.modelTopology, weightSpecs: saved.weightSpecs, weightData }));
  expect(model.layers.map((l) => l.getClassName())).toEqual(saved.classes);
  const y = model.predict(tf.tensor(saved.input.data, saved.input.shape)) as tf.Tensor;
  expect(y.shape).toEqual(saved.output.shape);
  const got = y.dataSync();
  const err = Math.max(...saved.output.data.map((v: number, i: number) => Math.abs(v - got[i]!)));
  expect(err).toBeLessThan(1e-5);
});
