/**
 * Save → load. Nothing in this file calls register(): the layer classes must be known to TF.js
 * serialization because importing the package registered them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { Rng } from '@tensorslim/linalg';
import { CPConv2D, CPDense } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function model(mode: 'factorized' | 'reconstructed'): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [
      new CPConv2D({
        name: 'cpconv',
        units: 8,
        inputChannels: 6,
        kernelSize: [3, 3],
        strides: [2, 2],
        padding: 'same',
        dilationRate: [1, 1],
        activation: 'relu',
        rank: 5,
        outModes: [4, 2],
        inModes: [6],
        mode,
        inputShape: [8, 8, 6],
      }),
      tfl.layers.flatten(),
      new CPDense({ name: 'cpdense', units: 3, inputChannels: 128, rank: 2, outModes: [3], inModes: [16, 8], activation: 'softmax', mode }),
    ],
  });
  const rng = new Rng(9);
  const ws = m.getWeights().map((w) =>
    tf.tensor(
      Float32Array.from(rng.normalArray(w.size), (v) => 0.5 * v),
      w.shape,
      'float32',
    ),
  );
  m.setWeights(ws);
  return m;
}

describe('save → load', () => {
  it('the layer classes are registered with TF.js at import', () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map[CPConv2D.className]?.[0]).toBe(CPConv2D);
    expect(map[CPDense.className]?.[0]).toBe(CPDense);
  });

  it.each(['factorized', 'reconstructed'] as const)('model.toJSON + weights → tf.models.modelFromJSON gives identical outputs (%s)', async (mode) => {
    const m = model(mode);
    const x = tf.randomNormal([7, 8, 8, 6], 0, 1, 'float32', 3);
    const want = (m.predict(x) as tf.Tensor).dataSync();
    const json = JSON.parse(m.toJSON(null, true) as string) as tf.io.ModelJSON['modelTopology'];
    const weights = m.getWeights();
    const loaded = await tfl.models.modelFromJSON({ modelTopology: json } as never);
    loaded.setWeights(weights);
    const got = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(got)).toEqual(Array.from(want));
    const conv = loaded.getLayer('cpconv') as CPConv2D;
    expect(conv).toBeInstanceOf(CPConv2D);
    expect([conv.rank, conv.outModes, conv.inModes, conv.strides, conv.padding, conv.mode]).toEqual([5, [4, 2], [6], [2, 2], 'same', mode]);
    const dense = loaded.getLayer('cpdense') as CPDense;
    expect([dense.rank, dense.outModes, dense.inModes, dense.activationName]).toEqual([2, [3], [16, 8], 'softmax']);
  });

  it('through tf.io save/load handlers (model.json + binary weights) too', async () => {
    const m = model('factorized');
    const x = tf.randomNormal([1, 8, 8, 6], 0, 1, 'float32', 4);
    const want = (m.predict(x) as tf.Tensor).dataSync();
    let artifacts: tf.io.ModelArtifacts | null = null;
    await m.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(want));
  });
});
