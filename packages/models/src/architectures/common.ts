/**
 * What every architecture shares: its options, seeded initializers, width scaling, and the
 * description of the layers its default compression plan targets.
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ErrorCodes, fail } from '@tensorslim/core';

/** A TF.js weight initializer. */
export type Initializer = ReturnType<typeof tfl.initializers.heNormal>;

/** Options of {@link buildModel} (every field optional; each model has its defaults). */
export interface ModelOptions {
  /** One example's shape, without the batch (e.g. [28, 28, 1], [32, 32, 3], [64, 64, 3]). */
  readonly inputShape?: readonly number[];
  /** Classes of the softmax classifier. */
  readonly numClasses?: number;
  /** Seed of the weight initializers (same seed, same initial weights). */
  readonly seed?: number;
  /** Multiplies every channel count / hidden size (rounded, at least 1); 1 is the published network. */
  readonly width?: number;
}

/** {@link ModelOptions} with every default filled in. */
export interface ResolvedModelOptions {
  /** One example's shape. */
  readonly inputShape: readonly number[];
  /** Classes. */
  readonly numClasses: number;
  /** Initializer seed. */
  readonly seed: number;
  /** Width multiplier. */
  readonly width: number;
}

/** One layer a default plan compresses, with the mode split the plan suggests. */
export interface CompressibleLayer {
  /** Layer name in the built model. */
  readonly name: string;
  /** conv2d or dense. */
  readonly kind: 'conv2d' | 'dense';
  /** Input channels (conv) or features (dense). */
  readonly cin: number;
  /** Output channels or units. */
  readonly cout: number;
  /** Suggested factors of `cout` (the tensorized weight's output modes). */
  readonly outModes: readonly number[];
  /** Suggested factors of `cin`. */
  readonly inModes: readonly number[];
}

/** Hands out distinct, reproducible initializer seeds, one per weight. */
export class SeedSequence {
  private n = 0;
  /** Starts at `seed`. */
  constructor(private readonly seed: number) {}
  /** The next seed. */
  next(): number {
    this.n += 1;
    return (this.seed * 1000003 + this.n * 7919) % 2147483647;
  }
  /** He-normal (fan-in, scale 2) initializer: convolutions followed by ReLU. */
  he(): Initializer {
    return tfl.initializers.heNormal({ seed: this.next() });
  }
  /** Glorot-uniform initializer: dense layers. */
  glorot(): Initializer {
    return tfl.initializers.glorotUniform({ seed: this.next() });
  }
}

/** A channel count scaled by the width multiplier (at least 1). */
export function scaled(channels: number, width: number): number {
  return Math.max(1, Math.round(channels * width));
}

/** Validates and fills in options against a model's defaults. */
export function resolveOptions(model: string, opts: ModelOptions, defaults: { inputShape: readonly number[]; numClasses: number }): ResolvedModelOptions {
  const inputShape = opts.inputShape ?? defaults.inputShape;
  const numClasses = opts.numClasses ?? defaults.numClasses;
  const seed = opts.seed ?? 1;
  const width = opts.width ?? 1;
  if (!inputShape.length || inputShape.some((s) => !Number.isInteger(s) || s < 1)) {
    fail(ErrorCodes.OPTION, `${model}: inputShape [${inputShape.join(', ')}] must be positive integers`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 2) fail(ErrorCodes.OPTION, `${model}: numClasses ${numClasses} must be an integer ≥ 2`);
  if (!Number.isInteger(seed)) fail(ErrorCodes.OPTION, `${model}: seed ${seed} must be an integer`);
  if (!(width > 0) || !Number.isFinite(width)) fail(ErrorCodes.OPTION, `${model}: width ${width} must be a positive number`);
  return { inputShape: [...inputShape], numClasses, seed, width };
}

/** The output and input mode split of a layer. */
export interface LayerModes {
  /** Factors of the output channels. */
  readonly outModes: number[];
  /** Factors of the input channels. */
  readonly inModes: number[];
}

function balancedPair(n: number): number[] {
  // the two most balanced factors a·b = n with a ≥ b (just [n] for primes)
  let b = Math.floor(Math.sqrt(n));
  while (b > 1 && n % b !== 0) b--;
  return b > 1 ? [n / b, b] : [n];
}

/**
 * The mode split the default plans use, following the reference implementation's ResNet
 * tensorizations: when both channel counts are ≤ 16 each stays one mode (16→16: [16 | 9 | 16]);
 * otherwise each splits into its two most balanced factors, the output's descending and the
 * input's ascending (32→32: [8, 4 | 9 | 4, 8]; 16→32: [8, 4 | 9 | 4, 4]; 64→64: [8, 8 | 9 | 8, 8]).
 */
export function suggestLayerModes(cin: number, cout: number): LayerModes {
  if (cin <= 16 && cout <= 16) return { outModes: [cout], inModes: [cin] };
  return { outModes: balancedPair(cout), inModes: balancedPair(cin).reverse() };
}

/** A {@link CompressibleLayer} with the suggested modes. */
export function compressible(name: string, kind: 'conv2d' | 'dense', cin: number, cout: number): CompressibleLayer {
  return { name, kind, cin, cout, ...suggestLayerModes(cin, cout) };
}
