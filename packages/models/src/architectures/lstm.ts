/**
 * The LSTM classifier (the paper's RNN case) on MNIST read as 28 steps of 28 features.
 *
 * Why this layout: the paper compresses an LSTM's input-to-hidden matrix W_x (input features →
 * 4·hidden, the four gates stacked), the large one when the input is a video frame. TF.js's LSTM
 * layer keeps W_x inside its cell, where no other layer can replace it. So the model computes
 * exactly an LSTM, split in two layers:
 *
 * - `lstm_input`: a Dense layer F → 4H without bias, applied at every time step: W_x, the four
 *   gates stacked (order i, f, c, o as in Keras). This is the layer plans compress, with the
 *   gate axis as its own output mode ([4, …], like the paper's "hidden 256 = 4·8·8 with ×4 for
 *   the gates").
 * - `lstm`: {@link LSTMRecurrence}, the recurrence: gates = x_t·W_x (from lstm_input) +
 *   h_{t−1}·U + b, with the recurrent matrix U [H, 4H] (orthogonal rows at init) and the bias b
 *   (forget-gate slice 1 at init); it returns the last hidden state.
 *
 * followed by the classifier `fc`. A `rows` Reshape turns [28, 28, 1] images into [28, 28].
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ErrorCodes, fail } from '@tensorslim/core';
import { Rng, matrix, qr } from '@tensorslim/linalg';
import { compressible, scaled, SeedSequence, type CompressibleLayer, type ResolvedModelOptions } from './common.js';

type Shape = tfl.Shape;

/** Config of {@link LSTMRecurrence}. */
export interface LSTMRecurrenceArgs {
  /** Hidden units H; the input's last axis must be 4H. */
  units: number;
  /** Return every step's hidden state [B, T, H] instead of the last one [B, H]. */
  returnSequences?: boolean;
  /** Seed of the recurrent kernel's initial value (orthogonal rows). */
  seed?: number;
  /** Layer name. */
  name?: string;
  /** Whether the recurrent kernel trains. */
  trainable?: boolean;
  /** Input shape of a first layer. */
  inputShape?: (number | null)[];
  /** Batch input shape of a first layer. */
  batchInputShape?: (number | null)[];
}

/**
 * The recurrence of an LSTM whose input-to-hidden product was already computed by another layer:
 * input [B, T, 4H] = x_t·W_x for the gates (order i, f, c, o); weights U [H, 4H] and b [4H].
 * i, f, o = σ(·), c̃ = tanh(·), c_t = f·c_{t−1} + i·c̃, h_t = o·tanh(c_t); h_0 = c_0 = 0.
 */
export class LSTMRecurrence extends tfl.layers.Layer {
  /** TF.js class name (registered at import of @tensorslim/models). */
  static className = 'LSTMRecurrence';
  /** Hidden units. */
  readonly units: number;
  /** Whether all hidden states are returned. */
  readonly returnSequences: boolean;
  /** Initializer seed. */
  readonly seed: number;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;
  private steps = 1;

  constructor(args: LSTMRecurrenceArgs) {
    super(args as unknown as ConstructorParameters<typeof tfl.layers.Layer>[0]);
    if (!Number.isInteger(args.units) || args.units < 1) fail(ErrorCodes.OPTION, `LSTMRecurrence: units ${args.units} must be a positive integer`);
    this.units = args.units;
    this.returnSequences = args.returnSequences ?? false;
    this.seed = args.seed ?? 1;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    if (s.length !== 3 || s[2] !== 4 * this.units) {
      fail(ErrorCodes.SHAPE, `${this.name}: expects [batch, steps, ${4 * this.units}] (x_t·W_x for the gates i, f, c, o), got [${s.join(', ')}]`);
    }
    this.steps = s[1] ?? 1;
    const H = this.units;
    this.kernel = this.addWeight('recurrent_kernel', [H, 4 * H], 'float32', tfl.initializers.zeros());
    this.bias = this.addWeight('bias', [4 * H], 'float32', tfl.initializers.zeros());
    const u = tf.tensor2d(orthogonalRows(H, 4 * H, this.seed), [H, 4 * H]);
    const b = tf.tensor1d(new Float32Array(4 * H).fill(1, H, 2 * H)); // unit forget bias
    this.kernel.write(u);
    this.bias.write(b);
    tf.dispose([u, b]);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return this.returnSequences ? [s[0] ?? null, s[1] ?? null, this.units] : [s[0] ?? null, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor3D;
      const H = this.units;
      const b = x.shape[0];
      // The recurrence runs transposed ([features, batch]) so that slicing the time steps and
      // the four gates cuts contiguous rows: on the cpu and wasm backends that is a copy-free
      // fast path, while slicing columns is a strided copy in the forward and the backward pass.
      const u = this.kernel!.read() as tf.Tensor2D; // [H, 4H]
      const bias = tf.reshape(this.bias!.read(), [1, 4 * H, 1]);
      const xt = tf.add(tf.transpose(x, [1, 2, 0]), bias) as tf.Tensor3D; // [T, 4H, B], bias added once
      let h: tf.Tensor2D = tf.zeros([H, b]);
      let c: tf.Tensor2D = tf.zeros([H, b]);
      const hs: tf.Tensor2D[] = [];
      for (const step of tf.unstack(xt, 0) as tf.Tensor2D[]) {
        const z = tf.add(step, tf.matMul(u, h, true, false)); // [4H, B]
        const [zi, zf, zc, zo] = tf.split(z, 4, 0) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zc)));
        h = tf.mul(tf.sigmoid(zo), tf.tanh(c));
        if (this.returnSequences) hs.push(h);
      }
      return this.returnSequences ? tf.transpose(tf.stack(hs, 0), [2, 0, 1]) : tf.transpose(h);
    });
  }

  /** Multiply-adds per example: steps · H · 4H (the input-to-hidden product is lstm_input's). */
  countFlops(): number {
    return this.steps * this.units * 4 * this.units;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, returnSequences: this.returnSequences, seed: this.seed };
  }
}

/** A seeded r×c matrix with orthonormal rows (r ≤ c) or columns (r > c), from the QR of a Gaussian matrix. */
export function orthogonalRows(r: number, c: number, seed: number): Float32Array {
  const tall = Math.max(r, c);
  const wide = Math.min(r, c);
  const { q } = qr(matrix(tall, wide, new Rng(seed).normalArray(tall * wide)));
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = r >= c ? q.data[i * wide + j]! : q.data[j * wide + i]!;
  return out;
}

tf.serialization.registerClass(LSTMRecurrence);

const HIDDEN = 128;

/** Builds the LSTM classifier. Layer names: rows (Reshape, for 3-D inputs), lstm_input, lstm, fc. */
export function buildLstm(o: ResolvedModelOptions): tfl.LayersModel {
  const s = new SeedSequence(o.seed);
  const H = scaled(HIDDEN, o.width);
  const shape = o.inputShape;
  if (shape.length !== 2 && shape.length !== 3)
    fail(ErrorCodes.OPTION, `lstm: inputShape [${shape.join(', ')}] must be [steps, features] or [height, width, channels]`);
  const input = tfl.input({ shape: [...shape], name: 'input' });
  const [steps, feats] = [shape[0]!, shape.slice(1).reduce((a, b) => a * b, 1)];
  let x: tfl.SymbolicTensor = input;
  if (shape.length === 3) x = tfl.layers.reshape({ name: 'rows', targetShape: [steps, feats] }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ name: 'lstm_input', units: 4 * H, useBias: false, kernelInitializer: s.glorot() }).apply(x) as tfl.SymbolicTensor;
  x = new LSTMRecurrence({ name: 'lstm', units: H, seed: s.next() }).apply(x) as tfl.SymbolicTensor;
  const y = tfl.layers.dense({ name: 'fc', units: o.numClasses, activation: 'softmax', kernelInitializer: s.glorot() }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: y, name: 'lstm' });
}

/** The LSTM's compressible layer: lstm_input (W_x), its gate axis a mode of its own. */
export function lstmCompressible(o: ResolvedModelOptions): CompressibleLayer[] {
  const H = scaled(HIDDEN, o.width);
  const feats = o.inputShape.slice(1).reduce((a, b) => a * b, 1);
  const base = compressible('lstm_input', 'dense', feats, 4 * H);
  const hModes = compressible('h', 'dense', feats, H).outModes;
  return [{ ...base, outModes: [4, ...hModes] }];
}
