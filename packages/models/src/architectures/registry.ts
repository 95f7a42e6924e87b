/**
 * The built-in architectures as data: one entry per name (builder, defaults, compressible
 * layers), looked up in a map, and the generic default plan built from an entry.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { ErrorCodes, fail, type CompressionPlan, type LayerPlan } from '@tensorslim/core';
import { resolveOptions, type CompressibleLayer, type ModelOptions, type ResolvedModelOptions } from './common.js';
import { buildLenet5, lenet5Compressible } from './lenet.js';
import { buildLstm, lstmCompressible } from './lstm.js';
import { buildResnet, resnetCompressible, RESNETS } from './resnet.js';

/** One built-in architecture. */
export interface ModelEntry {
  /** Registry name, e.g. "resnet20". */
  readonly name: string;
  /** One line for help texts. */
  readonly description: string;
  /** Input shape when none is given. */
  readonly inputShape: readonly number[];
  /** Classes when none are given. */
  readonly numClasses: number;
  /** The dataset it is meant for (a `loadDataset` name). */
  readonly defaultDataset: string;
  /** Compression ratio of {@link defaultPlan} when none is given. */
  readonly defaultRatio: number;
  /** Builds the model (options resolved). */
  build(opts: ResolvedModelOptions): tfl.LayersModel;
  /** The layers its default plan compresses, with suggested modes. */
  compressible(opts: ResolvedModelOptions): CompressibleLayer[];
}

const resnet = (name: string, description: string, inputShape: number[], numClasses: number, defaultDataset: string): ModelEntry => ({
  name,
  description,
  inputShape,
  numClasses,
  defaultDataset,
  defaultRatio: 3,
  build: (o) => buildResnet(RESNETS[name]!, o),
  compressible: (o) => resnetCompressible(RESNETS[name]!, o),
});

/** The built-in architectures by name. */
export const MODELS: Readonly<Record<string, ModelEntry>> = {
  lenet5: {
    name: 'lenet5',
    description: 'LeNet-5 for 28×28×1 images (conv 6@5×5, pool, conv 16@5×5, pool, dense 120, 84, classifier)',
    inputShape: [28, 28, 1],
    numClasses: 10,
    defaultDataset: 'mnist',
    defaultRatio: 5,
    build: buildLenet5,
    compressible: lenet5Compressible,
  },
  resnet20: resnet('resnet20', 'ResNet-20 for CIFAR (He et al. 2016: 3 stages × 3 basic blocks, 16/32/64 channels)', [32, 32, 3], 10, 'cifar10'),
  resnet32: resnet('resnet32', 'ResNet-32 for CIFAR (3 stages × 5 basic blocks, 16/32/64 channels)', [32, 32, 3], 10, 'cifar10'),
  resnet56: resnet('resnet56', 'ResNet-56 for CIFAR (3 stages × 9 basic blocks, 16/32/64 channels)', [32, 32, 3], 10, 'cifar10'),
  resnet18: resnet(
    'resnet18',
    'ResNet-18, ImageNet style (7×7/2 stem, 4 stages × 2 basic blocks, 64..512 channels); input size configurable',
    [224, 224, 3],
    1000,
    'cifar10',
  ),
  lstm: {
    name: 'lstm',
    description: 'LSTM classifier (128 hidden) on MNIST read as 28 steps of 28 features; W_x is the Dense lstm_input',
    inputShape: [28, 28, 1],
    numClasses: 10,
    defaultDataset: 'mnist',
    defaultRatio: 5,
    build: buildLstm,
    compressible: lstmCompressible,
  },
};

/** The names of the built-in architectures. */
export const MODEL_NAMES: readonly string[] = Object.keys(MODELS);

/**
 * What the registry knows about a built-in architecture (defaults, default dataset and ratio,
 * builder); `TS_UNKNOWN_NAME` lists the known names otherwise.
 */
export function modelInfo(name: string): ModelEntry {
  const e = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (!e) fail(ErrorCodes.UNKNOWN_NAME, `unknown model "${name}"`, `known models: ${MODEL_NAMES.join(', ')}`, { known: [...MODEL_NAMES] });
  return e;
}

/** Builds a built-in architecture with TF.js layers (uncompiled). */
export function buildModel(name: string, opts: ModelOptions = {}): tfl.LayersModel {
  const e = modelInfo(name);
  return e.build(resolveOptions(name, opts, e));
}

/** The layers a built-in model's default plan compresses, with their channel counts and suggested modes. */
export function compressibleLayers(name: string, opts: ModelOptions = {}): CompressibleLayer[] {
  const e = modelInfo(name);
  return e.compressible(resolveOptions(name, opts, e));
}

/**
 * The default compression plan of a built-in model for a format: every compressible layer with
 * its suggested modes and the rank spec `{ ratio }` (default: the model's `defaultRatio`). The
 * plan is the same for every format; each plugin resolves the ratio to ranks in its own
 * convention. Pass the same `opts` (width, input shape) the model was built with.
 */
export function defaultPlan(name: string, format: string, ratio?: number, opts: ModelOptions = {}): CompressionPlan {
  const e = modelInfo(name);
  const r = ratio ?? e.defaultRatio;
  if (!(r > 0) || !Number.isFinite(r)) fail(ErrorCodes.OPTION, `compression ratio ${ratio} must be a positive number`);
  if (typeof format !== 'string' || !format) fail(ErrorCodes.OPTION, 'a plan needs a format id');
  const layers: Record<string, LayerPlan> = {};
  for (const l of e.compressible(resolveOptions(name, opts, e))) {
    layers[l.name] = { format, outModes: [...l.outModes], inModes: [...l.inModes], ranks: { ratio: r } };
  }
  return { version: 1, layers };
}
