import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { TTConv2D, TTDense } from '../src/index.js';

let dir = '';
const inputShape = [3, 8, 8, 6];
let expected: Float32Array;
let json: tf.io.ModelArtifacts;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'tt-save-'));
  const model = tfl.sequential({
    layers: [
      new TTConv2D({
        units: 8,
        inputChannels: 6,
        kernelSize: [3, 3],
        strides: [2, 2],
        padding: 'same',
        outModes: [4, 2],
        inModes: [2, 3],
        ranks: [1, 3, 5, 4, 2, 1],
        activation: 'relu',
        mode: 'factorized',
        inputShape: [8, 8, 6],
        name: 'ttc',
      }),
      tfl.layers.flatten(),
      new TTDense({ units: 10, inputChannels: 128, outModes: [5, 2], inModes: [8, 4, 4], ranks: [1, 3, 4, 4, 2, 1], mode: 'reconstructed', name: 'ttd' }),
    ],
  });
  // train one step so the weights are not the initializer's
  const x = tf.randomNormal(inputShape, 0, 1, 'float32', 7);
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
  await model.fit(x, tf.randomNormal([3, 10], 0, 1, 'float32', 8), { epochs: 1, verbose: 0 });
  expected = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      json = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: json.modelTopology, weightSpecs: json.weightSpecs, inputShape }));
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(json.weightData as ArrayBuffer));
  writeFileSync(join(dir, 'input.bin'), new Uint8Array((x.dataSync() as Float32Array).buffer));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runFresh(mode: string): { ok: boolean; classes?: string[]; y?: number[]; error?: string } {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, 'fixtures', 'load-model.mjs'), dir, mode], { encoding: 'utf8', timeout: 60_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(line);
}

describe('save → load in a fresh process', () => {
  it('the saved config names the TT classes and their TT config', () => {
    const layers = (json.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers;
    const names = layers.map((l) => l.class_name);
    expect(names).toContain('TTConv2D');
    expect(names).toContain('TTDense');
    const c = layers.find((l) => l.class_name === 'TTConv2D')!.config;
    expect(c).toMatchObject({ ranks: [1, 3, 5, 4, 2, 1], out_modes: [4, 2], in_modes: [2, 3], strides: [2, 2], padding: 'same', mode: 'factorized' });
    expect(json.weightSpecs!.map((w) => w.name)).toEqual([
      ...[0, 1, 2, 3, 4].map((k) => `ttc/core_${k}`),
      'ttc/bias',
      ...[0, 1, 2, 3, 4].map((k) => `ttd/core_${k}`),
      'ttd/bias',
    ]);
  });
  it('gives identical outputs after importing @tensorslim/decomp-tt', () => {
    const r = runFresh('plugin');
    expect(r.error).toBeUndefined();
    expect(r.classes).toEqual(['TTConv2D', 'Flatten', 'TTDense']);
    expect(r.y!.length).toBe(expected.length);
    expect(r.y).toEqual(Array.from(expected));
  });
  it('and fails to load without it (the import is what registers the layers)', () => {
    const r = runFresh('no-plugin');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/TTConv2D/);
  });
});
