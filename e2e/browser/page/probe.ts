/**
 * Runs a loaded model on a batch and reads every layer's output: the same function runs in the
 * web page (bundled) and in Node (the test), so the two sides differ only in the platform and in
 * how the model was loaded.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** One layer's output on the batch. */
export interface LayerOutput {
  /** The layer's name. */
  name: string;
  /** The layer's class name (e.g. `TTConv2D`). */
  className: string;
  /** Shape of the output, batch first. */
  shape: number[];
  /** The output values, row-major. */
  values: number[];
}

/** What {@link probeModel} reads off a model. */
export interface Probe {
  /** The TF.js backend the model ran on. */
  backend: string;
  /** `model.predict(x)`: the prediction a user gets. */
  prediction: LayerOutput;
  /** Every layer's output, in the model's layer order. */
  layers: LayerOutput[];
}

function read(t: tf.Tensor, name: string, className: string): LayerOutput {
  return { name, className, shape: t.shape.slice(), values: Array.from(t.dataSync()) };
}

/** Predicts the batch `data` (shape `shape`) with `model` and reads each layer's output too. */
export function probeModel(model: tfl.LayersModel, data: ArrayLike<number>, shape: number[]): Probe {
  const x = tf.tensor(Float32Array.from(data), shape);
  const y = model.predict(x) as tf.Tensor;
  const last = model.layers[model.layers.length - 1]!;
  const prediction = read(y, last.name, last.getClassName());
  // A functional view of the same layers (shared weights) with every layer's output as an output.
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const view = tfl.model({ inputs: model.inputs, outputs: layers.map((l) => l.output as tfl.SymbolicTensor) });
  const outs = view.predict(x) as tf.Tensor[];
  const result = { backend: tf.getBackend(), prediction, layers: layers.map((l, i) => read(outs[i]!, l.name, l.getClassName())) };
  tf.dispose([x, y, ...outs]);
  return result;
}
