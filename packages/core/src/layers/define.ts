/**
 * Factorized layers for any format, built from what the format supplies as plain data and pure
 * functions (a {@link LayerFormat}): its cores' shapes for a layer, how the cores make the three
 * stages, the stage sizes for FLOP counts, and the initial cores from a {@link Factors} object.
 * {@link defineLayers} turns that into a Conv2D class, a Dense class (each registered with TF.js
 * serialization under the format's class names) and the {@link LayerFactory} model surgery
 * calls — as TensorLy-Torch's one `FactorizedConv` serves every factorization.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, fail, sizeOf, type DenseTensor } from '@tensorslim/linalg';
import type { DenseLayerInfo, Factors, FactorizedLayerSpec, LayerFactory } from '../contracts.js';
import type { LayerTarget } from '../plan.js';
import { layoutDims, layoutModes, validateLayout, type LayerKind, type TensorLayout } from '../tensorize.js';
import {
  FactorizedConv2D,
  FactorizedDense,
  registerLayerClasses,
  type CoreShape,
  type FactorizedConv2DArgs,
  type FactorizedLayerArgs,
} from './factorized-layers.js';
import { factorizedBias, factorizedLayerArgs, flopsForMode } from './layer-config.js';
import { denseFlops, threeStageFlops, type ThreeStageMaps, type ThreeStageSizes } from './three-stage.js';

/**
 * What a format supplies for its factorized layers. Every function receives the layer's
 * {@link TensorLayout} (kind, kernel shape `[kh, kw, Cin, Cout]` or `[In, Out]`, and the
 * `outModes`/`inModes` split of the channels, which core reads, checks and serializes) and the
 * format's own config `C` (ranks, decomposed modes, ...: JSON-safe, serialized with the layer).
 *
 * @typeParam C - The format's config entries, as {@link LayerFormat.readConfig} returns them.
 */
export interface LayerFormat<C extends object> {
  /**
   * The TF.js class names of the two layers. Saved models name them: keep them once a model has
   * been saved with them.
   */
  readonly classNames: { readonly conv2d: string; readonly dense: string };
  /**
   * The format's config entries from a layer's config (constructor arguments, or a saved
   * config being reloaded), checked against `layout`: throw `TS_RANK` / `TS_FACTOR` /
   * `TS_SHAPE` naming `layerName` for a bad value. The keys must not be layer properties
   * (`name`, `units`, `outModes`, ...): each becomes a read-only property of the layer.
   */
  readConfig(config: Readonly<Record<string, unknown>>, layout: TensorLayout, layerName: string): C;
  /** The cores the layer stores, in weight order (weight names unique in the layer). */
  coreShapes(layout: TensorLayout, config: C): CoreShape[];
  /** The three stages from the cores' current values, with differentiable TF.js ops. */
  maps(cores: tf.Tensor[], layout: TensorLayout, config: C): ThreeStageMaps;
  /** The stage sizes, for FLOP counts (they must describe what {@link LayerFormat.maps} computes). */
  stageSizes(layout: TensorLayout, config: C): ThreeStageSizes;
  /**
   * The config and the initial cores (in {@link LayerFormat.coreShapes} order) of a layer whose
   * kernel, tensorized with `layout`, has these factors. Check them (format, shapes) and throw
   * with `layerName` in the message when they do not fit.
   */
  fromFactors(factors: Factors, layout: TensorLayout, layerName: string): { config: C; cores: DenseTensor[] };
}

/** The channel split every generic layer's config carries (default: one mode per side). */
export interface LayoutArgs {
  /** Factors of the output channels (∏ = units), outermost first; default `[units]`. */
  outModes?: readonly number[];
  /** Factors of the input channels (∏ = inputChannels); default `[inputChannels]`. */
  inModes?: readonly number[];
}

/** What a layer built by {@link defineLayers} adds to its base class. */
export interface FormatLayerMembers<C extends object> {
  /** The layer's tensor layout (kind, kernel shape, channel split). */
  readonly layout: TensorLayout;
  /** Factors of the output channels. */
  readonly outModes: readonly number[];
  /** Factors of the input channels. */
  readonly inModes: readonly number[];
  /** The format's config entries (also readable as properties of the layer). */
  readonly formatConfig: C;
}

/** A convolution of a format: core's {@link FactorizedConv2D} driven by the format's functions. */
export type FormatConv2D<C extends object> = FactorizedConv2D & FormatLayerMembers<C> & Readonly<C>;
/** A dense layer of a format: core's {@link FactorizedDense} driven by the format's functions. */
export type FormatDense<C extends object> = FactorizedDense & FormatLayerMembers<C> & Readonly<C>;

/** The constructor of {@link FormatConv2D} (`A`: the format's constructor arguments). */
export type FormatConv2DClass<C extends object, A = C> = (new (args: FactorizedConv2DArgs & LayoutArgs & A) => FormatConv2D<C>) & {
  /** The TF.js serialization name. */
  readonly className: string;
};
/** The constructor of {@link FormatDense} (`A`: the format's constructor arguments). */
export type FormatDenseClass<C extends object, A = C> = (new (args: FactorizedLayerArgs & LayoutArgs & A) => FormatDense<C>) & {
  /** The TF.js serialization name. */
  readonly className: string;
};

/** What {@link defineLayers} returns: the layer factory, plus the two classes. */
export interface FormatLayers<C extends object, A = C> extends LayerFactory {
  /** The format's convolution class. */
  readonly Conv2D: FormatConv2DClass<C, A>;
  /** The format's dense class. */
  readonly Dense: FormatDenseClass<C, A>;
  /** The format's functions the classes were built from. */
  readonly format: LayerFormat<C>;
}

/** Checks the channel split of a layer's config; returns it (one mode per side by default). */
function modesOf(v: unknown, n: number, what: 'outModes' | 'inModes', layerName: string): number[] {
  const ms = v ?? [n];
  if (!Array.isArray(ms) || ms.length === 0 || ms.some((m) => !Number.isInteger(m) || m < 1) || sizeOf(ms as number[]) !== n) {
    fail(
      ErrorCodes.FACTOR,
      `${layerName}: ${what} ${Array.isArray(ms) ? `[${ms.join(', ')}]` : JSON.stringify(ms)} must be positive integers multiplying to the layer's ${n} ${what === 'outModes' ? 'output' : 'input'} channels`,
      `e.g. ${what}: [${n}], or a factorization of ${n}`,
    );
  }
  return [...(ms as number[])];
}

/** The layout of a layer of `kind` whose kernel has `kernelShape`, from its config's channel split. */
function layoutOf(kind: LayerKind, kernelShape: number[], args: LayoutArgs, layerName: string): TensorLayout {
  const { cin, cout } = layoutDims({ kind, kernelShape, outModes: [], inModes: [] });
  return {
    kind,
    kernelShape,
    outModes: modesOf(args.outModes, cout, 'outModes', layerName),
    inModes: modesOf(args.inModes, cin, 'inModes', layerName),
  };
}

/** Makes the format's config entries read-only properties of the layer. */
function exposeConfig(layer: object, config: object, layerName: string): void {
  for (const [k, v] of Object.entries(config)) {
    if (k in layer)
      fail(ErrorCodes.PLUGIN, `${layerName}: the format's config key "${k}" is a layer property already`, 'name the format config entries differently');
    Object.defineProperty(layer, k, { value: v, enumerable: true });
  }
}

/** A JSON-safe copy (the config is serialized with the model). */
const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/**
 * Builds a format's factorized Conv2D and Dense classes and its {@link LayerFactory}, and
 * registers the classes with TF.js serialization (so importing the module that calls this is
 * enough for a saved model to load). The factory's `fromFactors` checks the layer and the plan
 * entry (core's {@link factorizedLayerArgs}), the factors against the layout, builds the config
 * (geometry, bias, activation, forward mode, `outModes`/`inModes`, the format's entries), the
 * weights (cores, then the bias) and counts parameters and the multiply-adds of the forward that
 * will run ({@link flopsForMode}; a dense layer on `[.., In]` inputs runs once per row).
 */
export function defineLayers<C extends object, A = C>(format: LayerFormat<C>): FormatLayers<C, A> {
  const names = format.classNames;

  /** A class of the format on core's base `Base` (how its kernel shape is read differs). */
  function formatClass<B extends typeof FactorizedConv2D | typeof FactorizedDense>(
    Base: B,
    kind: LayerKind,
    className: string,
    kernelShape: (l: InstanceType<B>) => number[],
  ) {
    return class extends (Base as typeof FactorizedDense) {
      static readonly className = className;

      readonly layout: TensorLayout;
      readonly outModes: readonly number[];
      readonly inModes: readonly number[];
      readonly formatConfig: C;

      constructor(args: FactorizedConv2DArgs & LayoutArgs) {
        super(args);
        this.layout = layoutOf(kind, kernelShape(this as unknown as InstanceType<B>), args, this.name);
        this.outModes = this.layout.outModes;
        this.inModes = this.layout.inModes;
        this.formatConfig = format.readConfig(args as unknown as Record<string, unknown>, this.layout, this.name);
        exposeConfig(this, this.formatConfig, this.name);
      }

      override coreShapes(): CoreShape[] {
        return format.coreShapes(this.layout, this.formatConfig);
      }

      override maps(cores: tf.Tensor[]): ThreeStageMaps {
        return format.maps(cores, this.layout, this.formatConfig);
      }

      override stageSizes(): ThreeStageSizes {
        return format.stageSizes(this.layout, this.formatConfig);
      }

      override pluginConfig(): Record<string, unknown> {
        return { outModes: [...this.outModes], inModes: [...this.inModes], ...copy(this.formatConfig) };
      }
    };
  }

  const Conv = formatClass(FactorizedConv2D, 'conv2d', names.conv2d, (l) => [...l.kernelSize, l.inputChannels, l.units]) as unknown as FormatConv2DClass<C, A>;
  const Dense = formatClass(FactorizedDense, 'dense', names.dense, (l) => [l.inputChannels, l.units]) as unknown as FormatDenseClass<C, A>;
  const classes = [Conv, Dense] as unknown as Parameters<typeof registerLayerClasses>[0];
  registerLayerClasses(classes);

  function fromFactors(layer: DenseLayerInfo, factors: Factors, target: LayerTarget): FactorizedLayerSpec {
    const layout = target.layout;
    validateLayout(layout, layer.name);
    const args = factorizedLayerArgs(layer, target); // checks that the layout describes the layer
    const want = layoutModes(layout);
    if (factors.shape.length !== want.length || factors.shape.some((s, i) => s !== want[i])) {
      fail(
        ErrorCodes.SHAPE,
        `${layer.name}: the ${factors.format} factors decompose a tensor of shape [${factors.shape.join(', ')}], the plan's layout gives [${want.join(', ')}]`,
        'decompose the kernel tensorized with the same layout (core tensorize(kernel, target.layout))',
      );
    }
    const made = format.fromFactors(factors, layout, layer.name);
    const config: Record<string, unknown> = { ...args, outModes: [...layout.outModes], inModes: [...layout.inModes], ...made.config };
    const probe = layer.kind === 'conv2d' ? new Conv(config as never) : new Dense(config as never); // a bad config fails here
    const shapes = probe.coreShapes();
    if (
      made.cores.length !== shapes.length ||
      made.cores.some((c, i) => c.shape.length !== shapes[i]!.shape.length || c.shape.some((s, j) => s !== shapes[i]!.shape[j]))
    ) {
      fail(
        ErrorCodes.SHAPE,
        `${layer.name}: the format made cores [${made.cores.map((c) => `[${c.shape.join(', ')}]`).join(', ')}], the layer stores [${shapes.map((c) => `[${c.shape.join(', ')}]`).join(', ')}]`,
      );
    }
    const weights: DenseTensor[] = [...made.cores];
    const bias = factorizedBias(layer, args);
    if (bias) weights.push(bias);
    const params = weights.reduce((s, w) => s + w.data.length, 0);
    const className = layer.kind === 'conv2d' ? Conv.className : Dense.className;
    return { className, config, weights, params, flops: forwardFlops(layer, layout, probe, args) };
  }

  /** Multiply-adds per example of `probe`'s forward as it will run ({@link flopsForMode}). */
  function forwardFlops(layer: DenseLayerInfo, layout: TensorLayout, probe: FactorizedConv2D | FactorizedDense, args: FactorizedLayerArgs): number {
    const { cin, cout, kh, kw } = layoutDims(layout);
    const sizes = probe.stageSizes();
    let fact: number;
    let dense: number;
    if (layer.kind === 'conv2d') {
      const inPixels = (layer.inputShape[0] ?? 1) * (layer.inputShape[1] ?? 1);
      const outPixels = (layer.outputShape[0] ?? 1) * (layer.outputShape[1] ?? 1);
      fact = threeStageFlops(sizes, inPixels, outPixels);
      dense = denseFlops(kh, kw, cin, cout, outPixels);
    } else {
      const rows = sizeOf(layer.inputShape.slice(0, -1)); // a Dense layer on [.., In] runs per row
      fact = rows * threeStageFlops(sizes, 1, 1);
      dense = rows * cin * cout;
    }
    return flopsForMode(args.mode ?? 'auto', fact, dense);
  }

  function costAt(layer: DenseLayerInfo, target: LayerTarget, ranks: readonly number[]): { params: number; flops: number } {
    const layout = target.layout;
    validateLayout(layout, layer.name);
    const args = factorizedLayerArgs(layer, target);
    const config = { ...target.options, ...args, outModes: [...layout.outModes], inModes: [...layout.inModes], ranks: [...ranks] };
    const probe = layer.kind === 'conv2d' ? new Conv(config as never) : new Dense(config as never);
    const cores = probe.coreShapes().reduce((s, c) => s + sizeOf(c.shape), 0);
    return { params: cores + (args.useBias ? args.units : 0), flops: forwardFlops(layer, layout, probe, args) };
  }

  return {
    kinds: ['conv2d', 'dense'],
    classNames: [names.conv2d, names.dense],
    register: () => registerLayerClasses(classes),
    fromFactors,
    costAt,
    Conv2D: Conv,
    Dense,
    format,
  };
}
