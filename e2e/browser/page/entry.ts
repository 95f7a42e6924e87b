/**
 * The web page's script: TF.js (core, layers, cpu backend) and the three tensorslim format
 * plugins, bundled by esbuild for the browser. Importing a plugin registers its layer classes
 * with TF.js serialization, so `tf.loadLayersModel` can rebuild a compressed model.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as tt from '@tensorslim/decomp-tt';
import * as tr from '@tensorslim/decomp-tr';
import * as tucker from '@tensorslim/decomp-tucker';

/** What {@link predict} hands back to the test. */
export interface PagePrediction {
  /** The backend the prediction ran on. */
  backend: string;
  /** Class names of the loaded model's layers, in order. */
  classNames: string[];
  /** Shape of the output. */
  shape: number[];
  /** The output values, row-major. */
  values: number[];
}

/** Loads the model at `url` on the cpu backend and predicts the batch `data` of shape `shape`. */
async function predict(url: string, data: number[], shape: number[]): Promise<PagePrediction> {
  await tf.setBackend('cpu');
  await tf.ready();
  const model = await tfl.loadLayersModel(url);
  const x = tf.tensor(Float32Array.from(data), shape);
  const y = model.predict(x) as tf.Tensor;
  const values = Array.from(await y.data());
  const out = { backend: tf.getBackend(), classNames: model.layers.map((l) => l.getClassName()), shape: y.shape, values };
  tf.dispose([x, y]);
  model.dispose();
  return out;
}

declare global {
  interface Window {
    /** The page's API, called by the test through playwright. */
    tensorslimPage: { predict: typeof predict; formats: string[] };
  }
}

window.tensorslimPage = { predict, formats: [tt.plugin.id, tr.plugin.id, tucker.plugin.id] };
