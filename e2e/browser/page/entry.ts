/**
 * The web page's script, bundled by esbuild for the browser: TF.js (core, layers, the cpu
 * backend) and the three tensorslim format plugins. Importing a plugin registers its layer
 * classes with TF.js serialization, so `tf.loadLayersModel(url)` rebuilds a compressed model.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as tt from '@tensorslim/decomp-tt';
import * as tr from '@tensorslim/decomp-tr';
import * as tucker from '@tensorslim/decomp-tucker';
import { probeModel, type Probe } from './probe.js';

/** Loads the model at `url` on the cpu backend and probes it with the batch `data` of shape `shape`. */
async function predict(url: string, data: number[], shape: number[]): Promise<Probe> {
  await tf.setBackend('cpu');
  await tf.ready();
  const model = await tfl.loadLayersModel(url);
  try {
    return probeModel(model, data, shape);
  } finally {
    model.dispose();
  }
}

/** The page's API, called by the test through playwright. */
export interface PageApi {
  /** See {@link predict}. */
  predict: typeof predict;
  /** Ids of the format plugins bundled into the page. */
  formats: string[];
}

declare global {
  interface Window {
    /** Set once the bundle has run. */
    tensorslimPage?: PageApi;
  }
}

window.tensorslimPage = { predict, formats: [tt.ttPlugin.id, tr.trPlugin.id, tucker.tuckerPlugin.id] };
