import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { factorizeModel, denseLayerInfo } from '@tensorslim/core';
import { register } from './out/plugin.js';
await tf.setBackend('cpu');
register();
for (const [strides, dil, pad, mode] of [[1,1,'same','factorized'],[2,1,'valid','factorized'],[1,2,'same','factorized'],[2,1,'same','reconstructed'],[1,1,'same','auto']]) {
  const model = tfl.sequential({ layers: [tfl.layers.conv2d({ name: 'conv', filters: 16, kernelSize: 3, strides, dilationRate: dil, padding: pad, activation: 'relu', inputShape: [9, 9, 8] })] });
  const plan = { version: 1, layers: { conv: { format: 'cp', outModes: [4, 4], inModes: [2, 4], ranks: [6], options: { forwardMode: mode, sweeps: 30 } } } };
  const { model: small, layers } = await factorizeModel(model, plan);
  const l = small.getLayer('conv');
  const x = tf.randomNormal([3, 9, 9, 8], 0, 1, 'float32', 7);
  const y1 = small.predict(x);
  // dense conv with the reconstructed kernel
  const k = l.reconstructKernel();
  const bias = l.getWeights().at(-1);
  const y2 = tf.relu(tf.add(tf.conv2d(x, k, strides, pad, 'NHWC', dil), bias));
  const diff = tf.max(tf.abs(tf.sub(y1, y2))).dataSync()[0];
  const spec = (await import('./out/factory.js')).cpLayerFromFactors; console.log(strides, dil, pad, mode, l.forwardMode, layers[0].ranks, layers[0].paramsAfter, layers[0].flopsAfter, 'maxdiff', diff.toExponential(2), 'relErr', layers[0].relError.toFixed(3));
}
