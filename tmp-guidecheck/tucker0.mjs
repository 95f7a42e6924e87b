import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { factorizeModel } from '@tensorslim/core';
import { register } from '@tensorslim/decomp-tucker';

register(); // format "tucker" in the default registry; the Tucker layers registered with TF.js at import
const model = tfl.sequential({ layers: [tfl.layers.conv2d({ name: 'conv', filters: 64, kernelSize: 3, padding: 'same', inputShape: [16, 16, 64] })] });
const plan = { version: 1, layers: { conv: { format: 'tucker', outModes: [64], inModes: [64], ranks: [16, 16] } } };
const { model: small, layers: [conv] } = await factorizeModel(model, plan); // Tucker-2 (HOOI) of the kernel, layer swapped
console.log(conv.className, conv.ranks.join(','), `${conv.paramsBefore} -> ${conv.paramsAfter} params`, `${conv.flopsBefore} -> ${conv.flopsAfter} MACs`, `error ${conv.relError.toFixed(3)}`);
console.log(small.predict(tf.ones([1, 16, 16, 64])).shape.join('x'));
