/**
 * LeNet-5 (LeCun et al. 1998) in its common modern form for 28×28×1 MNIST: conv 6@5×5 (same
 * padding, so the 28×28 input plays the role of the original 32×32), 2×2 max pooling, conv
 * 16@5×5, 2×2 max pooling, dense 120, 84, and the classifier; ReLU activations.
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { compressible, scaled, SeedSequence, type CompressibleLayer, type ResolvedModelOptions } from './common.js';

/** Builds LeNet-5. Layer names: conv1, pool1, conv2, pool2, flatten, fc1, fc2, fc3. */
export function buildLenet5(o: ResolvedModelOptions): tfl.LayersModel {
  const s = new SeedSequence(o.seed);
  const [c1, c2, f1, f2] = [6, 16, 120, 84].map((c) => scaled(c, o.width)) as [number, number, number, number];
  return tfl.sequential({
    name: 'lenet5',
    layers: [
      tfl.layers.conv2d({
        name: 'conv1',
        inputShape: [...o.inputShape],
        filters: c1,
        kernelSize: 5,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: s.he(),
      }),
      tfl.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }),
      tfl.layers.conv2d({ name: 'conv2', filters: c2, kernelSize: 5, padding: 'valid', activation: 'relu', kernelInitializer: s.he() }),
      tfl.layers.maxPooling2d({ name: 'pool2', poolSize: 2, strides: 2 }),
      tfl.layers.flatten({ name: 'flatten' }),
      tfl.layers.dense({ name: 'fc1', units: f1, activation: 'relu', kernelInitializer: s.he() }),
      tfl.layers.dense({ name: 'fc2', units: f2, activation: 'relu', kernelInitializer: s.he() }),
      tfl.layers.dense({ name: 'fc3', units: o.numClasses, activation: 'softmax', kernelInitializer: s.glorot() }),
    ],
  });
}

/** LeNet-5's compressible layers: conv2, fc1, fc2 (not the 1-channel stem conv1 or the classifier fc3). */
export function lenet5Compressible(o: ResolvedModelOptions): CompressibleLayer[] {
  const [c1, c2, f1, f2] = [6, 16, 120, 84].map((c) => scaled(c, o.width)) as [number, number, number, number];
  const [h, w] = o.inputShape as [number, number];
  const flat = Math.floor((Math.floor(h / 2) - 4) / 2) * Math.floor((Math.floor(w / 2) - 4) / 2) * c2;
  return [compressible('conv2', 'conv2d', c1, c2), compressible('fc1', 'dense', flat, f1), compressible('fc2', 'dense', f1, f2)];
}
