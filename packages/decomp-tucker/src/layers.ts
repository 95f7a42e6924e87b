/**
 * Tucker layers for TF.js: {@link Tucker2Conv2D} and {@link TuckerDense}.
 *
 * Both store the Tucker core of the layer's tensorized kernel (core's layout
 * [o_1..o_p, kh·kw, i_1..i_q] for a convolution, [o_1..o_p, i_1..i_q] for a dense layer) and one
 * n×r factor per decomposed mode, and run as core's three stages:
 * - input map [Cin, R_in] = U_{i_1} ⊗ … ⊗ U_{i_q} (identity for an in-mode left whole),
 * - middle = the core (times the spatial factor, if the kh·kw mode was decomposed too),
 *   a kh×kw convolution R_in → R_out with the original stride/padding/dilation, or an
 *   R_in × R_out matrix,
 * - output map [R_out, Cout] = (U_{o_1} ⊗ … ⊗ U_{o_p})ᵀ.
 * With the usual layout outModes = [Cout], inModes = [Cin] and modes [0, 2] this is Tucker-2
 * (Kim et al. 2016): a 1×1 conv Cin → r_in, a kh×kw conv r_in → r_out, a 1×1 conv r_out → Cout.
 * Layouts with several out or in modes map to the same three stages through the Kronecker
 * product of their factors.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  fail,
  FactorizedConv2D,
  FactorizedDense,
  layoutModes,
  registerLayerClasses,
  spatialMode,
  type CoreShape,
  type FactorizedConv2DArgs,
  type FactorizedLayerArgs,
  type TensorLayout,
  type ThreeStageMaps,
  type ThreeStageSizes,
} from '@tensorslim/core';
import { coreShape, defaultChannelModes, validateTuckerRanks } from './validate.js';

/** The Tucker part of a layer's config (serialized with the model). */
export interface TuckerLayerConfig {
  /** Factors of the output channels (the layout's out modes), outermost first. */
  outModes: number[];
  /** Factors of the input channels (the layout's in modes). */
  inModes: number[];
  /** Decomposed modes of the layout tensor (indices into [...outModes, (kh·kw), ...inModes]). */
  modes: number[];
  /** One rank per decomposed mode. */
  ranks: number[];
}

/** Constructor arguments of {@link Tucker2Conv2D}. */
export interface Tucker2Conv2DArgs extends FactorizedConv2DArgs, Partial<TuckerLayerConfig> {
  /** One rank per decomposed mode. */
  ranks: number[];
}

/** Constructor arguments of {@link TuckerDense}. */
export interface TuckerDenseArgs extends FactorizedLayerArgs, Partial<TuckerLayerConfig> {
  /** One rank per decomposed mode. */
  ranks: number[];
}

/** Everything a Tucker layer derives from its config. */
interface Geometry {
  layout: TensorLayout;
  shape: number[];
  modes: number[];
  ranks: number[];
  core: number[];
  spatial: number;
  rOut: number;
  rIn: number;
  outDecomposed: boolean;
  inDecomposed: boolean;
}

function geometry(
  kind: 'conv2d' | 'dense',
  kernelShape: number[],
  args: Partial<TuckerLayerConfig> & { ranks: number[] },
  name: string,
): Geometry {
  const cin = kind === 'conv2d' ? kernelShape[2]! : kernelShape[0]!;
  const cout = kind === 'conv2d' ? kernelShape[3]! : kernelShape[1]!;
  const outModes = args.outModes ?? [cout];
  const inModes = args.inModes ?? [cin];
  const prod = (a: number[]) => a.reduce((p, x) => p * x, 1);
  for (const [what, ms, n] of [['outModes', outModes, cout], ['inModes', inModes, cin]] as const) {
    if (!Array.isArray(ms) || ms.length === 0 || ms.some((m) => !Number.isInteger(m) || m < 1) || prod(ms) !== n) {
      fail(
        ErrorCodes.FACTOR,
        `${name}: ${what} [${Array.isArray(ms) ? ms.join(', ') : String(ms)}] must be positive integers multiplying to the layer's ${n} ${what === 'outModes' ? 'output' : 'input'} channels`,
        `e.g. ${what}: [${n}]`,
      );
    }
  }
  const layout: TensorLayout = { kind, kernelShape, outModes: [...outModes], inModes: [...inModes] };
  const shape = layoutModes(layout);
  const modes = args.modes ? [...args.modes] : defaultChannelModes(layout);
  const v = validateTuckerRanks(shape, args.ranks, modes);
  if (v.clamped) {
    fail(
      ErrorCodes.RANK,
      `${name}: ranks [${args.ranks.join(', ')}] on modes [${modes.join(', ')}] exceed what the layout [${shape.join(', ')}] allows`,
      `use ranks ≤ [${v.ranks.join(', ')}]`,
    );
  }
  const core = coreShape(shape, v.ranks, v.modes);
  const spatial = spatialMode(layout);
  const p = outModes.length;
  const inStart = kind === 'conv2d' ? p + 1 : p;
  return {
    layout,
    shape,
    modes: v.modes,
    ranks: v.ranks,
    core,
    spatial,
    rOut: prod(core.slice(0, p)),
    rIn: prod(core.slice(inStart)),
    outDecomposed: v.modes.some((m) => m < p),
    inDecomposed: v.modes.some((m) => m >= inStart),
  };
}

function coreShapesOf(g: Geometry): CoreShape[] {
  return [
    { name: 'core', shape: g.core },
    ...g.modes.map((m, i) => ({ name: `factor_${m}`, shape: [g.shape[m]!, g.ranks[i]!] })),
  ];
}

/** kron(a, b) of 2-D tensors, differentiable. */
function kron(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [p, q] = a.shape;
  const [r, s] = b.shape;
  return tf.reshape(tf.mul(tf.reshape(a, [p, 1, q, 1]), tf.reshape(b, [1, r, 1, s])), [p * r, q * s]);
}

/** Kronecker product of the factors of modes [from, to) (identity for undecomposed ones). */
function kronMap(g: Geometry, cores: tf.Tensor[], from: number, to: number): tf.Tensor2D {
  let acc: tf.Tensor2D | null = null;
  for (let m = from; m < to; m++) {
    const i = g.modes.indexOf(m);
    const f = i >= 0 ? (cores[i + 1] as tf.Tensor2D) : tf.eye(g.shape[m]!);
    acc = acc ? kron(acc, f) : f;
  }
  return acc!;
}

function mapsOf(g: Geometry, cores: tf.Tensor[]): ThreeStageMaps {
  const p = g.layout.outModes.length;
  const d = g.shape.length;
  const conv = g.layout.kind === 'conv2d';
  const inStart = conv ? p + 1 : p;
  const inMap = g.inDecomposed ? kronMap(g, cores, inStart, d) : null;
  const outMap = g.outDecomposed ? (tf.transpose(kronMap(g, cores, 0, p)) as tf.Tensor2D) : null;
  const core = cores[0]!;
  let middle: tf.Tensor;
  if (conv) {
    const [kh, kw] = g.layout.kernelShape as [number, number];
    const c = g.core[g.spatial]!;
    // [R_out, c, R_in] → [c, R_in, R_out]
    let m: tf.Tensor = tf.transpose(tf.reshape(core, [g.rOut, c, g.rIn]), [1, 2, 0]);
    const si = g.modes.indexOf(g.spatial);
    if (si >= 0) m = tf.matMul(cores[si + 1] as tf.Tensor2D, tf.reshape(m, [c, g.rIn * g.rOut]));
    middle = tf.reshape(m, [kh, kw, g.rIn, g.rOut]);
  } else {
    middle = tf.transpose(tf.reshape(core, [g.rOut, g.rIn]));
  }
  return { inMap, middle, outMap };
}

function sizesOf(g: Geometry, cin: number, cout: number): ThreeStageSizes {
  const k = g.layout.kernelShape;
  return {
    cin,
    r1: g.rIn,
    r2: g.rOut,
    cout,
    kh: g.layout.kind === 'conv2d' ? k[0]! : 1,
    kw: g.layout.kind === 'conv2d' ? k[1]! : 1,
    inIdentity: !g.inDecomposed,
    outIdentity: !g.outDecomposed,
  };
}

function configOf(g: Geometry): TuckerLayerConfig {
  return { outModes: [...g.layout.outModes], inModes: [...g.layout.inModes], modes: [...g.modes], ranks: [...g.ranks] };
}

/**
 * Tucker-2 convolution (NHWC): 1×1 Cin → r_in, a kh×kw convolution r_in → r_out with the
 * original stride, padding and dilation, 1×1 r_out → Cout, then bias and activation. Weights:
 * `core` (layout order, e.g. [r_out, kh·kw, r_in]), then `factor_<mode>` [n, r] per decomposed
 * mode, then `bias`. The forward runs factorized, reconstructed, or (`auto`) whichever needs
 * fewer multiply-adds.
 */
export class Tucker2Conv2D extends FactorizedConv2D {
  /** TF.js serialization name. */
  static readonly className = 'Tucker2Conv2D';
  /** Decomposition geometry derived from the config. */
  private readonly geom: Geometry;

  constructor(args: Tucker2Conv2DArgs) {
    super(args);
    const [kh, kw] = this.kernelSize;
    this.geom = geometry('conv2d', [kh, kw, this.inputChannels, this.units], args, this.name);
  }

  /** Ranks of the decomposed modes. */
  get ranks(): number[] {
    return [...this.geom.ranks];
  }

  /** Decomposed modes of the layout tensor. */
  get modes(): number[] {
    return [...this.geom.modes];
  }

  override coreShapes(): CoreShape[] {
    return coreShapesOf(this.geom);
  }

  override maps(cores: tf.Tensor[]): ThreeStageMaps {
    return mapsOf(this.geom, cores);
  }

  override stageSizes(): ThreeStageSizes {
    return sizesOf(this.geom, this.inputChannels, this.units);
  }

  override pluginConfig(): Record<string, unknown> {
    return { ...configOf(this.geom) };
  }
}

/**
 * Tucker dense layer: In → r_in (input factor), r_in → r_out (the core), r_out → Out (output
 * factor), then bias and activation. Same weights and forward modes as {@link Tucker2Conv2D}.
 */
export class TuckerDense extends FactorizedDense {
  /** TF.js serialization name. */
  static readonly className = 'TuckerDense';
  /** Decomposition geometry derived from the config. */
  private readonly geom: Geometry;

  constructor(args: TuckerDenseArgs) {
    super(args);
    this.geom = geometry('dense', [this.inputChannels, this.units], args, this.name);
  }

  /** Ranks of the decomposed modes. */
  get ranks(): number[] {
    return [...this.geom.ranks];
  }

  /** Decomposed modes of the layout tensor. */
  get modes(): number[] {
    return [...this.geom.modes];
  }

  override coreShapes(): CoreShape[] {
    return coreShapesOf(this.geom);
  }

  override maps(cores: tf.Tensor[]): ThreeStageMaps {
    return mapsOf(this.geom, cores);
  }

  override stageSizes(): ThreeStageSizes {
    return sizesOf(this.geom, this.inputChannels, this.units);
  }

  override pluginConfig(): Record<string, unknown> {
    return { ...configOf(this.geom) };
  }
}

/** The Tucker layer classes. */
export const tuckerLayerClasses = [Tucker2Conv2D, TuckerDense] as const;

/** Registers the Tucker layers with TF.js serialization (idempotent). */
export function registerTuckerLayers(): void {
  registerLayerClasses(tuckerLayerClasses as unknown as Parameters<typeof registerLayerClasses>[0]);
}
