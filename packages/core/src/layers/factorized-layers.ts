/**
 * Base classes of the factorized TF.js layers. Core's `defineLayers` builds every format's
 * layers on them from plain data; a plugin may also subclass {@link FactorizedConv2D} or
 * {@link FactorizedDense} itself, declare its cores ({@link FactorizedConv2D.coreShapes}) and say
 * how they become the three stages ({@link FactorizedConv2D.maps}). The base handles the
 * convolution geometry, bias, activation, the forward mode, serialization config and FLOPs.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ErrorCodes, fail } from '@tensorslim/linalg';
import { applyActivation } from './activations.js';
import { convPair, resolveForwardMode } from './layer-config.js';
import type { ThreeStageMaps, ThreeStageSizes } from './three-stage.js';
import { denseFlops, reconstructConvKernel, reconstructDenseKernel, threeStageConv2d, threeStageDense, threeStageFlops } from './three-stage.js';

/**
 * Keyword arguments TF.js passes to `call` (unused by the factorized layers).
 *
 * @inline
 */
type Kwargs = Record<string, unknown>;
/**
 * A TF.js layer shape: one entry per axis, `null` for the batch axis.
 *
 * @inline
 */
type Shape = (number | null)[];

/**
 * How a factorized layer runs its forward: through the factors, through the reconstructed
 * dense kernel, or `auto` (whichever costs fewer multiply-adds for the layer's input size).
 */
export type ForwardMode = 'factorized' | 'reconstructed' | 'auto';

/** A core's declaration: weight name and shape. */
export interface CoreShape {
  /** Weight name, unique within the layer (e.g. "core_0"). */
  readonly name: string;
  /** Shape. */
  readonly shape: readonly number[];
}

/** Config shared by every factorized layer (serialized with the model). */
export interface FactorizedLayerArgs {
  /** Layer name. */
  name?: string;
  /** Whether the weights train. */
  trainable?: boolean;
  /** Output channels (conv) or units (dense). */
  units: number;
  /** Input channels / features. */
  inputChannels: number;
  /** Bias on or off. */
  useBias?: boolean;
  /** Keras activation name. */
  activation?: string | null;
  /** Forward mode (default 'auto'). */
  mode?: ForwardMode;
  /** Standard deviation of the random normal initializer of the cores when built fresh. */
  initStddev?: number;
  /** The input shape of a first layer. */
  inputShape?: Shape;
  /** The batch input shape of a first layer. */
  batchInputShape?: Shape;
  /** Data type. */
  dtype?: tf.DataType;
}

/** Extra config of factorized convolutions. */
export interface FactorizedConv2DArgs extends FactorizedLayerArgs {
  /** [kh, kw]. */
  kernelSize: [number, number];
  /** [sh, sw] (default [1, 1]). */
  strides?: [number, number];
  /** 'same' or 'valid' (default 'valid'). */
  padding?: 'same' | 'valid';
  /** [dh, dw] (default [1, 1]). */
  dilationRate?: [number, number];
}

/** Shared machinery of both bases (weights, bias, mode, config). */
abstract class FactorizedBase extends tfl.layers.Layer {
  /** Output channels / units. */
  readonly units: number;
  /** Input channels / features. */
  readonly inputChannels: number;
  /** Whether a bias is added. */
  readonly useBias: boolean;
  /** Activation name. */
  readonly activationName: string | null;
  /** Requested forward mode. */
  readonly mode: ForwardMode;
  /** Init stddev for fresh cores. */
  readonly initStddev: number;
  /** The mode chosen at build time (`auto` resolved). */
  protected resolvedMode: 'factorized' | 'reconstructed' = 'factorized';
  private coreVars: tfl.LayerVariable[] = [];
  private biasVar: tfl.LayerVariable | null = null;

  constructor(args: FactorizedLayerArgs) {
    super(args as unknown as ConstructorParameters<typeof tfl.layers.Layer>[0]);
    if (!Number.isInteger(args.units) || args.units < 1) fail(ErrorCodes.OPTION, `${this.constructor.name}: units must be a positive integer`);
    this.units = args.units;
    this.inputChannels = args.inputChannels;
    this.useBias = args.useBias ?? true;
    this.activationName = args.activation ?? null;
    this.mode = args.mode ?? 'auto';
    this.initStddev = args.initStddev ?? 0.1;
    if (!['factorized', 'reconstructed', 'auto'].includes(this.mode)) {
      fail(ErrorCodes.OPTION, `forward mode "${this.mode}" is not one of factorized, reconstructed, auto`);
    }
  }

  /** The cores this layer stores, in weight order (before the bias). */
  abstract coreShapes(): CoreShape[];

  /** The three stages computed from the cores (differentiable TF.js ops). */
  abstract maps(cores: tf.Tensor[]): ThreeStageMaps;

  /** The stage sizes (for FLOPs); computed from the core shapes. */
  abstract stageSizes(): ThreeStageSizes;

  /** Plugin-specific config entries (ranks, modes, ...). */
  abstract pluginConfig(): Record<string, unknown>;

  protected addCoreWeights(): void {
    if (this.coreVars.length) return;
    const init = tfl.initializers.randomNormal({ mean: 0, stddev: this.initStddev, seed: 1 });
    this.coreVars = this.coreShapes().map((c) => this.addWeight(c.name, [...c.shape], 'float32', init));
    if (this.useBias) this.biasVar = this.addWeight('bias', [this.units], 'float32', tfl.initializers.zeros());
  }

  /** Current core values (read handles into the variables). */
  protected coreValues(): tf.Tensor[] {
    return this.coreVars.map((v) => v.read());
  }

  protected finish(y: tf.Tensor): tf.Tensor {
    let out = y;
    if (this.biasVar) out = tf.add(out, this.biasVar.read());
    return applyActivation(this.activationName, out);
  }

  /** The forward mode actually used ('auto' resolved at build time). */
  get forwardMode(): 'factorized' | 'reconstructed' {
    return this.resolvedMode;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      inputChannels: this.inputChannels,
      useBias: this.useBias,
      activation: this.activationName,
      mode: this.mode,
      initStddev: this.initStddev,
      ...this.pluginConfig(),
    } as tf.serialization.ConfigDict;
  }
}

/** Base class of factorized convolutions (NHWC). */
export abstract class FactorizedConv2D extends FactorizedBase {
  /** [kh, kw]. */
  readonly kernelSize: [number, number];
  /** [sh, sw]. */
  readonly strides: [number, number];
  /** Padding. */
  readonly padding: 'same' | 'valid';
  /** [dh, dw]. */
  readonly dilationRate: [number, number];
  private inPixels = 0;
  private outPixels = 0;

  constructor(args: FactorizedConv2DArgs) {
    super(args);
    this.kernelSize = convPair(args.kernelSize, 1, 'kernelSize', this.name);
    this.strides = convPair(args.strides, 1, 'strides', this.name);
    this.padding = args.padding ?? 'valid';
    this.dilationRate = convPair(args.dilationRate, 1, 'dilationRate', this.name);
    if (this.padding !== 'same' && this.padding !== 'valid') fail(ErrorCodes.OPTION, `padding "${String(this.padding)}" must be same or valid`);
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const cin = s[s.length - 1];
    if (cin !== this.inputChannels) {
      fail(ErrorCodes.SHAPE, `${this.name}: built for ${this.inputChannels} input channels, got input shape [${s.join(', ')}]`);
    }
    this.addCoreWeights();
    const out = this.computeOutputShape(s) as Shape;
    this.inPixels = (s[1] ?? 1) * (s[2] ?? 1);
    this.outPixels = (out[1] ?? 1) * (out[2] ?? 1);
    this.resolvedMode = resolveForwardMode(this.mode, this.factorizedFlops(), this.denseFlops());
    this.built = true;
  }

  /** Multiply-adds per example of the factorized forward (valid after build). */
  factorizedFlops(): number {
    return threeStageFlops(this.stageSizes(), this.inPixels, this.outPixels);
  }

  /** Multiply-adds per example of the equivalent dense convolution (valid after build). */
  denseFlops(): number {
    const [kh, kw] = this.kernelSize;
    return denseFlops(kh, kw, this.inputChannels, this.units, this.outPixels);
  }

  /** The dense kernel [kh, kw, Cin, Cout] these cores represent. */
  reconstructKernel(): tf.Tensor4D {
    return tf.tidy(() => reconstructConvKernel(this.maps(this.coreValues()), this.inputChannels, this.units));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const maps = this.maps(this.coreValues());
      const geom = { strides: this.strides, padding: this.padding, dilationRate: this.dilationRate };
      const y =
        this.resolvedMode === 'factorized'
          ? threeStageConv2d(x, maps, geom)
          : tf.conv2d(x, reconstructConvKernel(maps, this.inputChannels, this.units), this.strides, this.padding, 'NHWC', this.dilationRate);
      return this.finish(y);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const size = (n: number | null, i: 0 | 1): number | null => {
      if (n === null) return null;
      const k = (this.kernelSize[i] - 1) * this.dilationRate[i] + 1;
      return this.padding === 'same' ? Math.ceil(n / this.strides[i]) : Math.ceil((n - k + 1) / this.strides[i]);
    };
    return [s[0] ?? null, size(s[1] ?? null, 0), size(s[2] ?? null, 1), this.units];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
    } as tf.serialization.ConfigDict;
  }
}

/** Base class of factorized dense layers (applied on the last axis). */
export abstract class FactorizedDense extends FactorizedBase {
  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    if (s[s.length - 1] !== this.inputChannels) {
      fail(ErrorCodes.SHAPE, `${this.name}: built for ${this.inputChannels} input features, got input shape [${s.join(', ')}]`);
    }
    this.addCoreWeights();
    this.resolvedMode = resolveForwardMode(this.mode, this.factorizedFlops(), this.denseFlops());
    this.built = true;
  }

  /** Multiply-adds per example of the factorized forward. */
  factorizedFlops(): number {
    return threeStageFlops(this.stageSizes(), 1, 1);
  }

  /** Multiply-adds per example of the equivalent dense layer. */
  denseFlops(): number {
    return this.inputChannels * this.units;
  }

  /** The dense kernel [In, Out] these cores represent. */
  reconstructKernel(): tf.Tensor2D {
    return tf.tidy(() => reconstructDenseKernel(this.maps(this.coreValues()), this.inputChannels));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const maps = this.maps(this.coreValues());
      const y =
        this.resolvedMode === 'factorized'
          ? threeStageDense(x, maps)
          : threeStageDense(x, { inMap: reconstructDenseKernel(maps, this.inputChannels), middle: null, outMap: null });
      return this.finish(y);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [...s.slice(0, -1), this.units];
  }
}

/** Registers layer classes with TF.js serialization (safe to call repeatedly). */
export function registerLayerClasses(classes: readonly tf.serialization.SerializableConstructor<tf.serialization.Serializable>[]): void {
  for (const c of classes) tf.serialization.registerClass(c);
}
