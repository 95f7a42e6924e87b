import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { createRegistry, isTensorslimError, registerPlugin, replaceLayers, type FormatPlugin, type PluginRegistry } from '@tensorslim/core';
import { modelSummary } from '@tensorslim/surgery';
import { loadModel, saveModel, writeFileAtomic } from '../src/index.js';
import { Rng, tensor } from '@tensorslim/linalg';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tensorslim-io-'));

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return isTensorslimError(e) ? `${e.code}: ${e.message}` : `not a TensorslimError: ${String(e)}`;
  }
  return 'no error';
}

const f32 = (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);

// ---------------------------------------------------------------------------------------------
// A model.json written the way the Keras converter (tensorflowjs_converter) lays it out: a
// `model_config` inside `modelTopology`, Keras 2 initializer dicts, and the weights in several
// groups, the first split across two shards in the middle of a weight.
// ---------------------------------------------------------------------------------------------

const K1 = [0.5, -1, 0.25, 2, 0, -0.5, 1, 1.5, -2, 0.75, -0.25, 0.125]; // dense/kernel [4, 3]
const B1 = [0.1, -0.2, 0.3]; // dense/bias
const Q2 = [0, 255, 128, 64, 200, 10]; // dense_1/kernel [3, 2], uint8: value = q * scale + min
const SCALE = 0.01;
const MIN = -1.2;
const B2 = [0.05, -0.05];

const init = (cls: string) => ({ module: 'keras.initializers', class_name: cls, config: cls === 'Zeros' ? {} : { seed: null }, registered_name: null });
const denseCfg = (name: string, units: number, activation: string) => ({
  name,
  trainable: true,
  dtype: 'float32',
  units,
  activation,
  use_bias: true,
  kernel_initializer: init('GlorotUniform'),
  bias_initializer: init('Zeros'),
  kernel_regularizer: null,
  bias_regularizer: null,
  activity_regularizer: null,
  kernel_constraint: null,
  bias_constraint: null,
});

function writeKerasSequential(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'keras v2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '2.15.0',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'sequential',
          layers: [
            { class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'dense_input' } },
            { class_name: 'Dense', config: denseCfg('dense', 3, 'relu') },
            { class_name: 'Dense', config: denseCfg('dense_1', 2, 'linear') },
          ],
        },
      },
      training_config: {
        loss: 'mse',
        metrics: null,
        weighted_metrics: null,
        loss_weights: null,
        optimizer_config: { class_name: 'SGD', config: { learning_rate: 0.01 } },
      },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
        weights: [
          { name: 'dense/kernel', shape: [4, 3], dtype: 'float32' },
          { name: 'dense/bias', shape: [3], dtype: 'float32' },
        ],
      },
      {
        paths: ['group2-shard1of1.bin'],
        weights: [
          { name: 'dense_1/kernel', shape: [3, 2], dtype: 'float32', quantization: { dtype: 'uint8', scale: SCALE, min: MIN, original_dtype: 'float32' } },
          { name: 'dense_1/bias', shape: [2], dtype: 'float32' },
        ],
      },
    ],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
  const g1 = new Uint8Array([...f32(K1), ...f32(B1)]); // 60 bytes, split 40 | 20
  writeFileSync(join(dir, 'group1-shard1of2.bin'), g1.subarray(0, 40));
  writeFileSync(join(dir, 'group1-shard2of2.bin'), g1.subarray(40));
  const g2 = new Uint8Array(6 + 8);
  g2.set(Q2, 0);
  g2.set(f32(B2), 6);
  writeFileSync(join(dir, 'group2-shard1of1.bin'), g2);
}

/** The Sequential model above computed in float64 by hand. */
function expected(x: number[]): number[] {
  const k1 = K1.map((v) => Math.fround(v));
  const h = [0, 1, 2].map((j) => Math.max(0, x.reduce((a, xi, i) => a + xi * k1[i * 3 + j]!, 0) + Math.fround(B1[j]!)));
  const k2 = Q2.map((q) => q * SCALE + MIN);
  return [0, 1].map((j) => h.reduce((a, hi, i) => a + hi * k2[i * 2 + j]!, 0) + Math.fround(B2[j]!));
}

/** A Keras-converter functional model: Conv2D with `groups`, an Add branch, Flatten, Dense. */
function writeKerasFunctional(dir: string, rng: Rng): { conv: number[]; convBias: number[]; fc: number[]; fcBias: number[] } {
  mkdirSync(dir, { recursive: true });
  const conv = Array.from(rng.normalArray(3 * 3 * 2 * 2));
  const convBias = Array.from(rng.normalArray(2));
  const fc = Array.from(rng.normalArray(32 * 3));
  const fcBias = Array.from(rng.normalArray(3));
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'keras v2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '2.15.0',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Functional',
        config: {
          name: 'model',
          layers: [
            {
              class_name: 'InputLayer',
              config: { batch_input_shape: [null, 4, 4, 2], dtype: 'float32', sparse: false, ragged: false, name: 'input_1' },
              name: 'input_1',
              inbound_nodes: [],
            },
            {
              class_name: 'Conv2D',
              config: {
                name: 'conv',
                trainable: true,
                dtype: 'float32',
                filters: 2,
                kernel_size: [3, 3],
                strides: [1, 1],
                padding: 'same',
                data_format: 'channels_last',
                dilation_rate: [1, 1],
                groups: 1,
                activation: 'linear',
                use_bias: true,
                kernel_initializer: init('GlorotUniform'),
                bias_initializer: init('Zeros'),
                kernel_regularizer: null,
                bias_regularizer: null,
                activity_regularizer: null,
                kernel_constraint: null,
                bias_constraint: null,
              },
              name: 'conv',
              inbound_nodes: [[['input_1', 0, 0, {}]]],
            },
            {
              class_name: 'Add',
              config: { name: 'add', trainable: true, dtype: 'float32' },
              name: 'add',
              inbound_nodes: [
                [
                  ['input_1', 0, 0, {}],
                  ['conv', 0, 0, {}],
                ],
              ],
            },
            {
              class_name: 'Flatten',
              config: { name: 'flatten', trainable: true, dtype: 'float32', data_format: 'channels_last' },
              name: 'flatten',
              inbound_nodes: [[['add', 0, 0, {}]]],
            },
            { class_name: 'Dense', config: denseCfg('out', 3, 'linear'), name: 'out', inbound_nodes: [[['flatten', 0, 0, {}]]] },
          ],
          input_layers: [['input_1', 0, 0]],
          output_layers: [['out', 0, 0]],
        },
      },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [
          { name: 'conv/kernel', shape: [3, 3, 2, 2], dtype: 'float32' },
          { name: 'conv/bias', shape: [2], dtype: 'float32' },
        ],
      },
      {
        paths: ['group2-shard1of2.bin', 'group2-shard2of2.bin'],
        weights: [
          { name: 'out/kernel', shape: [32, 3], dtype: 'float32' },
          { name: 'out/bias', shape: [3], dtype: 'float32' },
        ],
      },
    ],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
  writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array([...f32(conv), ...f32(convBias)]));
  const g2 = new Uint8Array([...f32(fc), ...f32(fcBias)]);
  writeFileSync(join(dir, 'group2-shard1of2.bin'), g2.subarray(0, 256));
  writeFileSync(join(dir, 'group2-shard2of2.bin'), g2.subarray(256));
  return { conv, convBias, fc, fcBias };
}

describe('loadModel: the Keras converter layout', () => {
  it('loads a Sequential model from several groups and shards, dequantizing uint8 weights', async () => {
    const dir = join(tmp, 'keras-seq');
    writeKerasSequential(dir);
    const m = await loadModel(dir);
    expect(m.layers.map((l) => l.name)).toEqual(['dense_input', 'dense', 'dense_1']);
    const [k1, b1] = m.getLayer('dense').getWeights();
    expect(Array.from(k1!.dataSync())).toEqual(Array.from(Float32Array.from(K1)));
    expect(Array.from(b1!.dataSync())).toEqual(Array.from(Float32Array.from(B1)));
    const k2 = m.getLayer('dense_1').getWeights()[0]!.dataSync();
    expect(k2).toHaveLength(Q2.length);
    Q2.forEach((q, i) => expect(k2[i]).toBeCloseTo(q * SCALE + MIN, 6));
    const xs = [
      [1, 2, 3, 4],
      [-1, 0.5, 0, 2],
    ];
    const y = (m.predict(tf.tensor2d(xs)) as tf.Tensor).arraySync() as number[][];
    expect(y.map((row) => row.length)).toEqual(xs.map((x) => expected(x).length));
    xs.forEach((x, r) => expected(x).forEach((v, j) => expect(y[r]![j]).toBeCloseTo(v, 5)));
    m.dispose();
  });

  it('loads a functional model (Conv2D, Add, Flatten, Dense) given model.json itself', async () => {
    const dir = join(tmp, 'keras-fn');
    const w = writeKerasFunctional(dir, new Rng(8));
    const m = await loadModel(join(dir, 'model.json'));
    expect(m.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Conv2D', 'Add', 'Flatten', 'Dense']);
    expect(Array.from(m.getLayer('out').getWeights()[0]!.dataSync())).toEqual(Array.from(Float32Array.from(w.fc)));
    // the same computation with TF.js ops
    const x = tf.tensor4d(Float32Array.from(new Rng(9).normalArray(2 * 32)), [2, 4, 4, 2]);
    const want = tf.tidy(() => {
      const c = tf.add(tf.conv2d(x, tf.tensor4d(w.conv, [3, 3, 2, 2]), 1, 'same'), tf.tensor1d(w.convBias));
      const flat = tf.reshape(tf.add(x, c), [2, 32]);
      return tf.add(tf.matMul(flat, tf.tensor2d(w.fc, [32, 3])), tf.tensor1d(w.fcBias));
    });
    const got = m.predict(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(want, got))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, want, got]);
    m.dispose();
  });
  it('a converter-layout model goes through modelSummary, surgery and save/load', async () => {
    const dir = join(tmp, 'keras-fn2');
    const w = writeKerasFunctional(dir, new Rng(10));
    const m = await loadModel(dir);
    const s = modelSummary(m);
    expect(s.layers.filter((r) => r.factorizable).map((r) => r.name)).toEqual(['conv', 'out']);
    expect(s.totalFlops).toBe(16 * 9 * 2 * 2 + 32 * 3);
    const k = tensor(
      [32, 3],
      w.fc.map((v) => 2 * v),
    );
    const r = await replaceLayers(m, { out: { className: 'Dense', config: { units: 3 }, weights: [k, tensor([3], w.fcBias)], params: 99, flops: 96 } });
    expect(Array.from(r.getLayer('conv').getWeights()[0]!.dataSync())).toEqual(Array.from(Float32Array.from(w.conv)));
    const x = tf.tensor4d(Float32Array.from(new Rng(11).normalArray(32)), [1, 4, 4, 2]);
    const y0 = m.predict(x) as tf.Tensor;
    const y1 = r.predict(x) as tf.Tensor;
    const b = tf.tensor1d(w.fcBias);
    const want = tf.tidy(() => tf.sub(tf.mul(2, tf.sub(y0, b)), tf.neg(b)));
    expect(tf.max(tf.abs(tf.sub(want, y1))).dataSync()[0]).toBeLessThan(1e-4);
    const out = join(tmp, 'keras-fn2-saved');
    await saveModel(r, out);
    const back = await loadModel(out);
    const y2 = back.predict(x) as tf.Tensor;
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y1.dataSync()));
    tf.dispose([x, y0, y1, y2, b, want]);
    [m, r, back].forEach((mm) => mm.dispose());
  });
});

describe('loadModel: errors name what is wrong', () => {
  const broken = (name: string) => {
    const dir = join(tmp, name);
    writeKerasSequential(dir);
    return dir;
  };
  it('no model.json', async () => {
    expect(await errorOf(loadModel(join(tmp, 'nowhere')))).toMatch(/^TS_MODEL: no model at .*nowhere: the path does not exist/);
    const empty = join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    expect(await errorOf(loadModel(empty))).toMatch(/^TS_MODEL: no model\.json in .*empty/);
  });
  it('a missing shard, by name', async () => {
    const dir = broken('missing-shard');
    unlinkSync(join(dir, 'group1-shard2of2.bin'));
    expect(await errorOf(loadModel(dir))).toMatch(/^TS_MODEL: weight shard missing next to .*model\.json: group1-shard2of2\.bin/);
  });
  it('a short shard: expected vs actual bytes', async () => {
    const dir = broken('short-shard');
    truncateSync(join(dir, 'group1-shard2of2.bin'), 12);
    expect(await errorOf(loadModel(dir))).toMatch(
      /^TS_MODEL: weight group 1 of .*model\.json \(group1-shard1of2\.bin, group1-shard2of2\.bin\) holds 52 bytes, its 2 weights need 60 — 8 bytes short; the last shard group1-shard2of2\.bin is probably truncated/,
    );
  });
  it('an unregistered layer class: which package to import', async () => {
    const dir = broken('unknown-class');
    const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    j.modelTopology.model_config.config.layers[2].class_name = 'MysteryDense';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(j));
    expect(await errorOf(loadModel(dir))).toMatch(
      /^TS_MODEL: .* uses layer class that TF\.js does not know: MysteryDense — MysteryDense: import the package that defines and registers it/,
    );
    j.tensorslim = { version: 1, layerClasses: { MysteryDense: { format: 'zz' } } };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(j));
    expect(await errorOf(loadModel(dir))).toMatch(
      /MysteryDense is a factorized layer of format "zz": import its plugin package first \(e\.g\. @tensorslim\/decomp-zz\)/,
    );
  });
  it('a plugin in the registry that defines the class is registered on the spot', async () => {
    const dir = broken('plugin-class');
    const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    j.modelTopology.model_config.config.layers[2].class_name = 'IoTestDense';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(j));
    class IoTestDense extends tfl.layers.Layer {
      static className = 'IoTestDense';
      units: number;
      constructor(args: { units: number; name?: string }) {
        super(args);
        this.units = args.units;
      }
      override build(s: tfl.Shape | tfl.Shape[]): void {
        const shape = s as tfl.Shape;
        this.addWeight('kernel', [shape[1]!, this.units], 'float32', tfl.initializers.zeros());
        this.addWeight('bias', [this.units], 'float32', tfl.initializers.zeros());
        this.built = true;
      }
      override computeOutputShape(s: tfl.Shape | tfl.Shape[]): tfl.Shape {
        return [(s as tfl.Shape)[0]!, this.units];
      }
      override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
        const w = this.weights.map((v) => v.read());
        return tf.add(tf.matMul(Array.isArray(x) ? x[0]! : x, w[0]!), w[1]!);
      }
      override getConfig() {
        return { ...super.getConfig(), units: this.units };
      }
    }
    const reg = createRegistry();
    const plugin = {
      id: 'iotest',
      name: 'io test',
      description: 'defines IoTestDense',
      decomposition: { decompose: () => null, reconstruct: () => null, paramCount: () => 0, resolveRanks: () => [], rankConvention: '' },
      projector: { id: 'iotest', project: (w: unknown) => w },
      layers: { kinds: ['dense'], classNames: ['IoTestDense'], register: () => tf.serialization.registerClass(IoTestDense), fromFactors: () => null },
    } as unknown as FormatPlugin;
    expect(await errorOf(loadModel(dir))).toMatch(/IoTestDense/); // not registered anywhere yet
    // a registry that lists the plugin, but whose registration has not run its layers' register()
    const listing: PluginRegistry = { ...reg, get: (id) => (id === plugin.id ? plugin : undefined), list: () => [plugin] };
    const m = await loadModel(dir, { container: listing });
    expect(m.getLayer('dense_1').getClassName()).toBe('IoTestDense');
    expect(Array.from(m.getLayer('dense_1').getWeights()[1]!.dataSync())).toEqual(Array.from(Float32Array.from(B2)));
    m.dispose();
    void registerPlugin;
  });
  it('invalid JSON, a graph model, and weights that do not match the topology', async () => {
    const dir = broken('bad-json');
    writeFileSync(join(dir, 'model.json'), '{"modelTopology": ');
    expect(await errorOf(loadModel(dir))).toMatch(/^TS_MODEL: .*model\.json is not valid JSON/);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: null, weightsManifest: [] }));
    expect(await errorOf(loadModel(dir))).toMatch(/has no layers-model topology — this looks like a TF\.js graph model/);
    const dir2 = broken('renamed-weight');
    const j = JSON.parse(readFileSync(join(dir2, 'model.json'), 'utf8'));
    j.weightsManifest[1].weights[1].name = 'dense_9/bias';
    writeFileSync(join(dir2, 'model.json'), JSON.stringify(j));
    expect(await errorOf(loadModel(dir2))).toMatch(/^TS_MODEL: cannot build the model of .*dense_9\/bias/);
  });
});

// ---------------------------------------------------------------------------------------------

function residualModel(): tfl.LayersModel {
  const x = tfl.input({ shape: [6, 6, 3], name: 'x' });
  let h = tfl.layers.conv2d({ name: 'c1', filters: 3, kernelSize: 3, padding: 'same', biasInitializer: 'randomNormal' }).apply(x) as tfl.SymbolicTensor;
  h = tfl.layers.batchNormalization({ name: 'bn' }).apply(h) as tfl.SymbolicTensor;
  const s = tfl.layers.add({ name: 'add' }).apply([x, h]) as tfl.SymbolicTensor;
  const p = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(s) as tfl.SymbolicTensor;
  const y = tfl.layers.dense({ name: 'fc', units: 4, activation: 'softmax' }).apply(p) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: x, outputs: y, name: 'res' });
  const bn = m.getLayer('bn');
  const rng = new Rng(5);
  bn.setWeights(
    bn.getWeights().map((w, i) =>
      tf.tensor(
        Float32Array.from(rng.normalArray(w.size), (v) => (i === 3 ? 1 + Math.abs(v) : v)),
        w.shape,
      ),
    ),
  );
  return m;
}

/**
 * Transpiles io's sources (no type check) into a folder whose ancestors hold node_modules, where
 * `@tensorslim/core` and `@tensorslim/linalg` resolve to their built packages.
 */
function transpileIo(): string {
  const src = join(root, 'packages', 'io', 'src');
  const out = join(root, 'node_modules', '.cache', `tensorslim-io-test-${process.pid}`, 'io');
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  for (const f of walk(src)) {
    const dest = join(out, relative(src, f)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(dest), { recursive: true });
    if (f.endsWith('.d.ts') || !f.endsWith('.ts'))
      copyFileSync(f, dest); // assets travel as they are
    else
      writeFileSync(
        dest,
        ts.transpileModule(readFileSync(f, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText,
      );
  }
  return out;
}

describe('saveModel', () => {
  it('round-trips a functional model exactly, and the saved model loads in a fresh Node process', async () => {
    const m = residualModel();
    const dir = join(tmp, 'saved');
    const info = await saveModel(m, dir);
    expect(readdirSync(dir).sort()).toEqual(['model.json', expect.stringMatching(/^weights-[0-9a-f]{16}\.bin$/)]);
    expect(info.weightDataBytes).toBe(4 * (81 + 3 + 12 + 12 + 4));
    const x = tf.tensor4d(Float32Array.from(new Rng(3).normalArray(2 * 108)), [2, 6, 6, 3]);
    const y0 = m.predict(x) as tf.Tensor;
    const back = await loadModel(dir);
    const y1 = back.predict(x) as tf.Tensor;
    expect(Array.from(y1.dataSync())).toEqual(Array.from(y0.dataSync()));
    for (const l of m.layers) {
      const a = l.getWeights();
      const b = back.getLayer(l.name).getWeights();
      expect(b).toHaveLength(a.length);
      a.forEach((w, i) => expect(Array.from(b[i]!.dataSync())).toEqual(Array.from(w.dataSync())));
    }
    // a fresh process: io (transpiled from source, no vitest) loads it and predicts the same
    const io = transpileIo();
    try {
      const script = join(io, '..', 'child.mjs');
      writeFileSync(
        script,
        [
          "import * as tf from '@tensorflow/tfjs-core';",
          "import '@tensorflow/tfjs-backend-cpu';",
          "import { loadModel } from './io/index.js';",
          "await tf.setBackend('cpu');",
          'const [dir, input] = process.argv.slice(2);',
          'const { shape, data } = JSON.parse(input);',
          'const m = await loadModel(dir);',
          'const y = m.predict(tf.tensor(data, shape));',
          'process.stdout.write(JSON.stringify({ classes: m.layers.map((l) => l.getClassName()), y: Array.from(y.dataSync()) }));',
        ].join('\n'),
      );
      const out = execFileSync(process.execPath, [script, dir, JSON.stringify({ shape: x.shape, data: Array.from(x.dataSync()) })], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
      const r = JSON.parse(out) as { classes: string[]; y: number[] };
      expect(r.classes).toEqual(['InputLayer', 'Conv2D', 'BatchNormalization', 'Add', 'GlobalAveragePooling2D', 'Dense']);
      expect(r.y).toHaveLength(y0.size);
      r.y.forEach((v, i) => expect(v).toBeCloseTo(y0.dataSync()[i]!, 6));
    } finally {
      rmSync(dirname(io), { recursive: true, force: true });
    }
    tf.dispose([x, y0, y1]);
    m.dispose();
    back.dispose();
  });

  it('a failed save leaves what was in the directory and no temporary files', async () => {
    const dir = join(tmp, 'keep');
    const m = residualModel();
    await saveModel(m, dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const before = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    // serialization fails (a layer whose config cannot be produced)
    const fcLayer = m.getLayer('fc') as unknown as { getConfig: () => unknown };
    fcLayer.getConfig = () => {
      throw new Error('boom');
    };
    expect(await errorOf(saveModel(m, dir))).toMatch(/^TS_MODEL: cannot save res to .*keep: boom — nothing already in the directory was changed/);
    // a write that fails (its directory does not exist) leaves no temporary file behind
    await expect(writeFileAtomic(join(dir, 'missing-dir', 'model.json'), '{}')).rejects.toThrow(/ENOENT/);
    const after = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const [f, b] of Object.entries(before)) expect(after[f]!.equals(b)).toBe(true);
    expect(existsSync(join(dir, 'missing-dir'))).toBe(false);
    m.dispose();
  });
});
