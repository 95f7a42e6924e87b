/**
 * A training step on wasm (with tensorslim's kernels) gives the loss and gradients of the cpu
 * backend, for the shapes of every model tensorslim ships (built inline here with tfjs-layers):
 * ResNet-20 CIFAR style (16/32/64 channels, batch norm, strided convs, 1×1 or padding
 * shortcuts), LeNet-5, a ResNet-18-style net (max pooling, global average pooling), an LSTM
 * classifier with an embedding, and a factorized (three-stage) convolution.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { threeStageConv2d } from '@tensorslim/core';
import { registerLeanGradients, selectBackend, unregisterLeanGradients } from '../src/index.js';

/** Channel padding shortcut (ResNet "option A"): subsample by 2, zero-pad the new channels. */
class PadShortcut extends tfl.layers.Layer {
  static className = 'TestPadShortcut';
  readonly extra: number;
  constructor(args: { extra: number; name?: string }) {
    super(args);
    this.extra = args.extra;
  }
  override computeOutputShape(s: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = s as tfl.Shape;
    return [shape[0]!, Math.ceil(shape[1]! / 2), Math.ceil(shape[2]! / 2), shape[3]! + this.extra];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const lo = Math.floor(this.extra / 2);
      return tf.pad(tf.avgPool(x, 1, 2, 'valid'), [
        [0, 0],
        [0, 0],
        [0, 0],
        [lo, this.extra - lo],
      ]);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), extra: this.extra };
  }
}
tf.serialization.registerClass(PadShortcut);

let seed = 1;
const init = () => tfl.initializers.glorotUniform({ seed: seed++ });

function resnetCifar(depth: number, shortcut: 'conv' | 'pad', hw: number): tfl.LayersModel {
  const n = (depth - 2) / 6;
  const widths = [16, 32, 64];
  const inp = tfl.input({ shape: [hw, hw, 3] });
  const conv = (x: tfl.SymbolicTensor, f: number, s: number, k = 3) =>
    tfl.layers.conv2d({ filters: f, kernelSize: k, strides: s, padding: 'same', useBias: false, kernelInitializer: init() }).apply(x) as tfl.SymbolicTensor;
  const bn = (x: tfl.SymbolicTensor) =>
    tfl.layers
      .batchNormalization({ gammaInitializer: tfl.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: seed++ }) })
      .apply(x) as tfl.SymbolicTensor;
  const relu = (x: tfl.SymbolicTensor) => tfl.layers.activation({ activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
  let x = relu(bn(conv(inp, 16, 1)));
  let c = 16;
  for (let stage = 0; stage < 3; stage++) {
    for (let b = 0; b < n; b++) {
      const s = stage > 0 && b === 0 ? 2 : 1;
      const f = widths[stage]!;
      const y = bn(conv(relu(bn(conv(x, f, s))), f, 1));
      let sc = x;
      if (s !== 1 || c !== f) sc = shortcut === 'conv' ? bn(conv(x, f, s, 1)) : (new PadShortcut({ extra: f - c }).apply(x) as tfl.SymbolicTensor);
      x = relu(tfl.layers.add().apply([y, sc]) as tfl.SymbolicTensor);
      c = f;
    }
  }
  const gap = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 10, kernelInitializer: init() }).apply(gap) as tfl.SymbolicTensor;
  return tfl.model({ inputs: inp, outputs: out });
}

function resnet18Like(): tfl.LayersModel {
  const inp = tfl.input({ shape: [16, 16, 3] });
  const conv = (x: tfl.SymbolicTensor, f: number, s: number, k = 3) =>
    tfl.layers.conv2d({ filters: f, kernelSize: k, strides: s, padding: 'same', useBias: false, kernelInitializer: init() }).apply(x) as tfl.SymbolicTensor;
  const bn = (x: tfl.SymbolicTensor) => tfl.layers.batchNormalization({}).apply(x) as tfl.SymbolicTensor;
  const relu = (x: tfl.SymbolicTensor) => tfl.layers.activation({ activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
  let x = relu(bn(conv(inp, 8, 2, 7)));
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tfl.SymbolicTensor;
  let c = 8;
  for (const [f, s] of [
    [8, 1],
    [16, 2],
  ] as const) {
    const y = bn(conv(relu(bn(conv(x, f, s))), f, 1));
    const sc = s !== 1 || c !== f ? bn(conv(x, f, s, 1)) : x;
    x = relu(tfl.layers.add().apply([y, sc]) as tfl.SymbolicTensor);
    c = f;
  }
  const gap = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: inp, outputs: tfl.layers.dense({ units: 5, kernelInitializer: init() }).apply(gap) as tfl.SymbolicTensor });
}

function lenet5(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init() }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: init() }));
  m.add(tfl.layers.averagePooling2d({ poolSize: 2 }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 120, activation: 'relu', kernelInitializer: init() }));
  m.add(tfl.layers.dense({ units: 84, activation: 'tanh', kernelInitializer: init() }));
  m.add(tfl.layers.dense({ units: 10, kernelInitializer: init() }));
  return m;
}

function lstmClassifier(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(
    tfl.layers.embedding({
      inputDim: 30,
      outputDim: 8,
      inputLength: 7,
      embeddingsInitializer: tfl.initializers.randomUniform({ minval: -1, maxval: 1, seed: seed++ }),
    }),
  );
  m.add(tfl.layers.lstm({ units: 12, returnSequences: true, kernelInitializer: init(), recurrentInitializer: init() }));
  m.add(tfl.layers.lstm({ units: 12, kernelInitializer: init(), recurrentInitializer: init() }));
  m.add(tfl.layers.dense({ units: 4, kernelInitializer: init() }));
  return m;
}

function values(n: number, s: number): Float32Array {
  const out = new Float32Array(n);
  let v = s * 7919;
  for (let i = 0; i < n; i++) {
    v = (v * 1103515245 + 12345) % 2147483648;
    out[i] = v / 1073741824 - 1;
  }
  return out;
}

/** Loss and gradients (by weight name) of one training-mode forward/backward pass on the active backend. */
function lossAndGrads(model: tfl.LayersModel, x: () => tf.Tensor, labels: number[], classes: number): { loss: number; grads: Map<string, Float32Array> } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const [value, ...grads] = tf.tidy(() => {
    const r = tf.variableGrads(() => {
      const logits = model.apply(x(), { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), logits) as tf.Scalar;
    }, vars);
    return [r.value, ...vars.map((v) => r.grads[v.name]!)];
  });
  const out = new Map<string, Float32Array>();
  model.trainableWeights.forEach((w, i) => out.set(w.name, grads[i]!.dataSync() as Float32Array));
  const loss = value!.dataSync()[0]!;
  tf.dispose([value!, ...grads]);
  return { loss, grads: out };
}

/**
 * The same step on cpu with TF.js's own gradients and on wasm as tensorslim runs it (its kernels
 * and its lean batch-norm/mean gradients); every gradient within 1e-3 relative (norm of the
 * difference / norm).
 */
async function compareStep(model: tfl.LayersModel, x: () => tf.Tensor, labels: number[], classes: number): Promise<number> {
  await tf.setBackend('cpu');
  unregisterLeanGradients();
  const ref = lossAndGrads(model, x, labels, classes);
  registerLeanGradients();
  await tf.setBackend('wasm');
  const got = lossAndGrads(model, x, labels, classes);
  expect(Math.abs(got.loss - ref.loss)).toBeLessThan(1e-3 * Math.abs(ref.loss));
  let worst = 0;
  for (const [name, g] of ref.grads) {
    const h = got.grads.get(name)!;
    let d = 0;
    let n = 0;
    for (let i = 0; i < g.length; i++) {
      d += (g[i]! - h[i]!) ** 2;
      n += g[i]! ** 2;
    }
    const rel = Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-12);
    worst = Math.max(worst, rel);
    expect(rel, name).toBeLessThan(1e-3);
  }
  return worst;
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('a training step on wasm matches cpu (loss and gradients, 1e-3 relative)', () => {
  it('ResNet-20, CIFAR layout, 1×1 conv shortcuts', async () => {
    const model = resnetCifar(20, 'conv', 8);
    const xs = values(2 * 8 * 8 * 3, 1);
    const worst = await compareStep(model, () => tf.tensor4d(xs, [2, 8, 8, 3]), [3, 7], 10);
    expect(worst).toBeGreaterThan(0); // really computed twice
  });

  it('ResNet-8, CIFAR layout, padding shortcuts', async () => {
    const model = resnetCifar(8, 'pad', 8);
    const xs = values(3 * 8 * 8 * 3, 2);
    await compareStep(model, () => tf.tensor4d(xs, [3, 8, 8, 3]), [1, 0, 9], 10);
  });

  it('LeNet-5', async () => {
    const xs = values(2 * 28 * 28, 3);
    await compareStep(lenet5(), () => tf.tensor4d(xs, [2, 28, 28, 1]), [4, 2], 10);
  });

  it('ResNet-18 style: 7×7/2 stem, max pooling, global average pooling', async () => {
    const xs = values(2 * 16 * 16 * 3, 4);
    await compareStep(resnet18Like(), () => tf.tensor4d(xs, [2, 16, 16, 3]), [0, 4], 5);
  });

  it('LSTM classifier with an embedding (gather gradient: UnsortedSegmentSum)', async () => {
    const ids = Array.from({ length: 3 * 7 }, (_, i) => (i * 7 + 3) % 30);
    await compareStep(lstmClassifier(), () => tf.tensor2d(ids, [3, 7]), [0, 3, 1], 4);
  });

  it('a factorized convolution: 1×1 maps (matMul), a strided 3×3 core conv, reshapes and transposes', async () => {
    const cores = [
      tf.variable(tf.tensor(values(12 * 4, 5), [12, 4])),
      tf.variable(tf.tensor(values(3 * 3 * 4 * 5, 6), [3, 3, 4, 5])),
      tf.variable(tf.tensor(values(5 * 2 * 6, 7), [5, 2, 6])),
    ];
    const x = values(2 * 9 * 9 * 12, 8);
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      const [value, ...g] = tf.tidy(() => {
        const r = tf.variableGrads(() => {
          // the output map is stored as a 3-way core, reshaped and transposed like a TT core
          const outMap = tf.reshape(tf.transpose(cores[2]!, [0, 2, 1]), [5, 12]) as tf.Tensor2D;
          const y = threeStageConv2d(
            tf.tensor4d(x, [2, 9, 9, 12]),
            { inMap: cores[0] as tf.Tensor2D, middle: cores[1]!, outMap },
            { strides: [2, 2], padding: 'same', dilationRate: [1, 1] },
          );
          const parts = tf.split(y, 2, 3);
          return tf.sum(tf.square(tf.concat([parts[1]!, parts[0]!], 3))) as tf.Scalar;
        }, cores);
        return [r.value, ...cores.map((c) => r.grads[c.name]!)];
      });
      const out = { loss: value!.dataSync()[0]!, g: g.map((t) => t.dataSync()) };
      tf.dispose([value!, ...g]);
      return out;
    };
    const ref = await grads('cpu');
    const got = await grads('wasm');
    expect(Math.abs(got.loss - ref.loss)).toBeLessThan(1e-4 * ref.loss);
    ref.g.forEach((g, i) => {
      let d = 0;
      let n = 0;
      g.forEach((v, j) => {
        d += (v - got.g[i]![j]!) ** 2;
        n += v * v;
      });
      expect(Math.sqrt(d / n)).toBeLessThan(1e-4);
    });
    tf.dispose(cores);
  });
});
