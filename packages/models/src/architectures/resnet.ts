/**
 * Residual networks (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016):
 * the CIFAR family (ResNet-20/32/56: a 3×3 stem of 16 channels, three stages of n basic blocks
 * with 16/32/64 channels, global average pooling, the classifier) and the ImageNet ResNet-18
 * (7×7/2 stem of 64 channels, 3×3/2 max pooling, four stages of two basic blocks with
 * 64/128/256/512 channels). A basic block is conv3×3-BN-ReLU-conv3×3-BN plus the shortcut, then
 * ReLU; the shortcut is a 1×1 convolution + BN (projection) where the shape changes, the
 * identity elsewhere. Convolutions carry no bias (BN follows each).
 *
 * Layer names: conv1, bn1, relu1, (pool1), stage{s}_block{b}_{conv1,bn1,relu1,conv2,bn2,
 * shortcut_conv,shortcut_bn,add,relu2}, avgpool, fc.
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { compressible, scaled, SeedSequence, type CompressibleLayer, type ResolvedModelOptions } from './common.js';

type T = tfl.SymbolicTensor;

/** The shape of a residual network. */
export interface ResnetSpec {
  /** Model name. */
  readonly name: string;
  /** Channels per stage (before the width multiplier). */
  readonly channels: readonly number[];
  /** Basic blocks per stage. */
  readonly blocks: readonly number[];
  /** ImageNet stem (7×7/2 conv + 3×3/2 max pool) or CIFAR stem (3×3 conv). */
  readonly stem: 'imagenet' | 'cifar';
}

/** ResNet-20/32/56 for CIFAR (n = 3, 5, 9) and ResNet-18 for ImageNet. */
export const RESNETS: Readonly<Record<string, ResnetSpec>> = {
  resnet20: { name: 'resnet20', channels: [16, 32, 64], blocks: [3, 3, 3], stem: 'cifar' },
  resnet32: { name: 'resnet32', channels: [16, 32, 64], blocks: [5, 5, 5], stem: 'cifar' },
  resnet56: { name: 'resnet56', channels: [16, 32, 64], blocks: [9, 9, 9], stem: 'cifar' },
  resnet18: { name: 'resnet18', channels: [64, 128, 256, 512], blocks: [2, 2, 2, 2], stem: 'imagenet' },
};

const BN = { momentum: 0.9, epsilon: 1e-5 }; // PyTorch's BatchNorm2d defaults, as in the reference code

function conv(s: SeedSequence, name: string, filters: number, k: number, strides: number, x: T): T {
  return tfl.layers.conv2d({ name, filters, kernelSize: k, strides, padding: 'same', useBias: false, kernelInitializer: s.he() }).apply(x) as T;
}

function bn(name: string, x: T): T {
  return tfl.layers.batchNormalization({ name, ...BN }).apply(x) as T;
}

function relu(name: string, x: T): T {
  return tfl.layers.activation({ name, activation: 'relu' }).apply(x) as T;
}

function basicBlock(s: SeedSequence, p: string, x: T, cin: number, cout: number, stride: number): T {
  let h = relu(`${p}_relu1`, bn(`${p}_bn1`, conv(s, `${p}_conv1`, cout, 3, stride, x)));
  h = bn(`${p}_bn2`, conv(s, `${p}_conv2`, cout, 3, 1, h));
  const short = stride !== 1 || cin !== cout ? bn(`${p}_shortcut_bn`, conv(s, `${p}_shortcut_conv`, cout, 1, stride, x)) : x;
  return relu(`${p}_relu2`, tfl.layers.add({ name: `${p}_add` }).apply([h, short]) as T);
}

/** Builds a residual network of the given spec. */
export function buildResnet(spec: ResnetSpec, o: ResolvedModelOptions): tfl.LayersModel {
  const s = new SeedSequence(o.seed);
  const ch = spec.channels.map((c) => scaled(c, o.width));
  const input = tfl.input({ shape: [...o.inputShape], name: 'input' });
  let x: T;
  if (spec.stem === 'imagenet') {
    x = relu('relu1', bn('bn1', conv(s, 'conv1', ch[0]!, 7, 2, input)));
    x = tfl.layers.maxPooling2d({ name: 'pool1', poolSize: 3, strides: 2, padding: 'same' }).apply(x) as T;
  } else {
    x = relu('relu1', bn('bn1', conv(s, 'conv1', ch[0]!, 3, 1, input)));
  }
  let cin = ch[0]!;
  spec.blocks.forEach((n, si) => {
    for (let b = 0; b < n; b++) {
      const stride = si > 0 && b === 0 ? 2 : 1;
      x = basicBlock(s, `stage${si + 1}_block${b + 1}`, x, cin, ch[si]!, stride);
      cin = ch[si]!;
    }
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as T;
  const y = tfl.layers.dense({ name: 'fc', units: o.numClasses, activation: 'softmax', kernelInitializer: s.glorot() }).apply(x) as T;
  return tfl.model({ inputs: input, outputs: y, name: spec.name });
}

/** The 3×3 convolutions of the residual blocks (the paper's choice: not the stem, the 1×1 shortcuts or the classifier). */
export function resnetCompressible(spec: ResnetSpec, o: ResolvedModelOptions): CompressibleLayer[] {
  const ch = spec.channels.map((c) => scaled(c, o.width));
  const out: CompressibleLayer[] = [];
  let cin = ch[0]!;
  spec.blocks.forEach((n, si) => {
    for (let b = 0; b < n; b++) {
      const p = `stage${si + 1}_block${b + 1}`;
      out.push(compressible(`${p}_conv1`, 'conv2d', cin, ch[si]!), compressible(`${p}_conv2`, 'conv2d', ch[si]!, ch[si]!));
      cin = ch[si]!;
    }
  });
  return out;
}
