/**
 * The contracts every format plugin implements: a decomposition, a projector and (optionally) a
 * factorized-layer factory, bundled in one {@link FormatPlugin} object.
 *
 * @module
 */
import type { DenseTensor, Rng } from '@tensorslim/linalg';
import type { LayerTarget } from './plan.js';
import type { RankSpec } from './ranks.js';
import type { LayerKind, TensorLayout } from './tensorize.js';

/** The result of a decomposition: plain data, JSON-serializable through {@link factorsToJson}. */
export interface Factors {
  /** Plugin id that produced these factors. */
  readonly format: string;
  /** Shape of the decomposed tensor. */
  readonly shape: readonly number[];
  /** Resolved ranks, in the format's convention. */
  readonly ranks: readonly number[];
  /** The factor tensors (TT/TR cores, Tucker core + factor matrices, ...), in the format's order. */
  readonly cores: readonly DenseTensor[];
  /** Format-specific extras (decomposed modes, ALS sweeps run, ...). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** Options every decomposition accepts; plugins may read more keys. */
export interface DecomposeOptions {
  /** The modes to decompose (Tucker: partial decomposition); default all. */
  readonly modes?: readonly number[];
  /** Random generator for randomized algorithms (reproducible runs). */
  readonly rng?: Rng;
  /** SVD algorithm choice: 'auto' (default), 'exact' or 'randomized'. */
  readonly svd?: 'auto' | 'exact' | 'randomized';
  /** Plugin-specific options. */
  readonly [key: string]: unknown;
}

/** A decomposition algorithm over linalg's dense tensor type (`DenseTensor` from `@tensorslim/linalg`). */
export interface Decomposition {
  /** Decomposes `tensor` at the ranks `spec` resolves to (clamping ranks the data cannot support). */
  decompose(tensor: DenseTensor, spec: RankSpec, opts?: DecomposeOptions): Factors;
  /** Rebuilds the dense tensor from factors. */
  reconstruct(factors: Factors): DenseTensor;
  /** Number of stored parameters for a tensor of `shape` at `ranks`. */
  paramCount(shape: readonly number[], ranks: readonly number[], opts?: DecomposeOptions): number;
  /**
   * The ranks `spec` resolves to for a tensor of `shape`, clamped to what the shape allows.
   * Data-dependent specs (`eps`, `auto`) need `tensor`.
   */
  resolveRanks(shape: readonly number[], spec: RankSpec, opts?: DecomposeOptions & { tensor?: DenseTensor }): number[];
  /** One line describing the rank convention, shown in help and errors. */
  readonly rankConvention: string;
  /**
   * Optional: the rank choices of `tensor` (a layer's kernel tensorized with `opts.layout`) from
   * the largest to the smallest worth considering, each with the squared Frobenius error its
   * decomposition makes (exact, or the format's standard bound). Whole-model budgets
   * (`allocateBudget` of `@tensorslim/surgery`) trade these off across layers; a format without it is measured by
   * decomposing at a few `maxRank` values.
   */
  rankLadder?(tensor: DenseTensor, opts: DecomposeOptions & { readonly layout: TensorLayout }): RankStep[];
  /**
   * Names of the plugin-specific options this decomposition reads (e.g. ATD's `epochs`,
   * `augment`); the command line refuses such a flag for a format that does not list it.
   */
  readonly optionKeys?: readonly string[];
  /**
   * For decompositions of data tensors (samples first): the per-sample representations
   * (N × R) held in the factors, which `decompose --npy` writes beside the factors.
   */
  representations?(factors: Factors): DenseTensor;
}

/** One rank choice of {@link Decomposition.rankLadder}. */
export interface RankStep {
  /** Ranks in the format's convention (what a plan entry's `{ ranks }` takes). */
  readonly ranks: readonly number[];
  /** ‖X − X̂‖²_F of the decomposition at these ranks (exact or the format's bound). */
  readonly err2: number;
}

/** A channel split of a layer: factors of its output and input channels. */
export interface ModeSplit {
  /** Factors of Cout (or Out). */
  readonly outModes: readonly number[];
  /** Factors of Cin (or In). */
  readonly inModes: readonly number[];
}

/**
 * A projector onto a constraint set: ADMM's Z-step. It receives the weight in the layer's own
 * TF.js kernel shape and returns a tensor of the same shape. Nothing here assumes low rank: a
 * sparsity mask or a composition of projectors is a projector too.
 */
export interface Projector {
  /** Id under which the projector is registered. */
  readonly id: string;
  /** The nearest point (or a good approximation) of the constraint set to `weight`. */
  project(weight: DenseTensor, target: LayerTarget): DenseTensor;
}

/**
 * A penalty that pulls a weight towards a structure by regularization instead of projection (e.g.
 * the reweighted group penalty of Zhang et al., arXiv 2004.05531: α_g‖W_g‖² with
 * α_g = 1/(‖W_g‖² + ε)). It is the quadratic form ½ Σ_i c_i·w_i² whose coefficients the trainer
 * re-estimates from the current weight every K steps; between re-estimates the trainer adds the
 * gradient c ⊙ W to the loss gradient on the device, so no weight leaves it on a step.
 * A regularizer is registered and resolved by id, like a projector.
 */
export interface Regularizer {
  /** Id under which the regularizer is registered. */
  readonly id: string;
  /**
   * The coefficients c (the layer's kernel shape, all finite and ≥ 0) of the penalty
   * ½ Σ c_i·w_i² at the current weight; `target.options` carries the regularizer's settings
   * (granularity, ε, strength, ...).
   */
  coefficients(weight: DenseTensor, target: LayerTarget): DenseTensor;
}

/** What a layer factory needs to know about the dense layer it replaces. */
export interface DenseLayerInfo {
  /** Layer name. */
  readonly name: string;
  /** conv2d or dense. */
  readonly kind: LayerKind;
  /** The original layer's Keras-style config (strides, padding, dilationRate, activation, useBias, ...). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Input shape without the batch dimension. */
  readonly inputShape: readonly number[];
  /** Output shape without the batch dimension. */
  readonly outputShape: readonly number[];
  /** The kernel in TF.js layout. */
  readonly kernel: DenseTensor;
  /** The bias, if the layer has one. */
  readonly bias?: DenseTensor;
}

/** A factorized layer ready to be placed into a model by surgery. */
export interface FactorizedLayerSpec {
  /** The TF.js class name (registered with serialization). */
  readonly className: string;
  /** The layer's serializable config (includes `name`). */
  readonly config: Record<string, unknown>;
  /** Initial weights, in the order the layer's `getWeights()` returns them. */
  readonly weights: readonly DenseTensor[];
  /** Parameters of the factorized layer (cores + bias). */
  readonly params: number;
  /** Multiply-adds per example of the forward pass as it will run. */
  readonly flops: number;
}

/** Builds TF.js layers that compute with a format's factors. */
export interface LayerFactory {
  /** The layer kinds this factory can replace. */
  readonly kinds: readonly LayerKind[];
  /** The TF.js class names this factory's layers register under. */
  readonly classNames: readonly string[];
  /** Registers the layer classes with TF.js serialization (idempotent). */
  register(): void;
  /** A factorized layer equivalent to `layer` with the given factors (of `layer`'s tensorized kernel). */
  fromFactors(layer: DenseLayerInfo, factors: Factors, target: LayerTarget): FactorizedLayerSpec;
  /**
   * Optional: the parameters (cores + bias) and multiply-adds per example of the forward that
   * would run (see {@link FactorizedLayerSpec}) of the layer replacing `layer` at `ranks` (the
   * format's convention, as a plan entry's `{ ranks }`), without decomposing anything.
   * Whole-model budgets cost each rank choice with it; layers built by core's `defineLayers` have it.
   */
  costAt?(layer: DenseLayerInfo, target: LayerTarget, ranks: readonly number[]): { params: number; flops: number };
}

/** A format plugin: everything tensorslim needs to use a format, in one plain object. */
export interface FormatPlugin {
  /** Registry id, e.g. "tt". Lowercase letters, digits and dashes. */
  readonly id: string;
  /** Human name, e.g. "tensor train". */
  readonly name: string;
  /** One sentence for help texts. */
  readonly description: string;
  /** The decomposition. */
  readonly decomposition: Decomposition;
  /** The projector for ADMM's Z-step. */
  readonly projector: Projector;
  /** The factorized layers; absent for projector-only plugins. */
  readonly layers?: LayerFactory;
  /**
   * Optional: the channel split this format prefers for a layer whose plan entry gives none
   * (e.g. Tucker: one mode per side for a matrix, the two-factor low-rank form); `undefined`
   * (or no hook) falls back to core's `suggestModes` on both sides.
   */
  preferredModes?(kind: LayerKind, kernelShape: readonly number[]): ModeSplit | undefined;
}

/** JSON form of {@link Factors} (numbers as plain arrays). */
export interface FactorsJson {
  /** Plugin id. */
  format: string;
  /** Decomposed tensor's shape. */
  shape: number[];
  /** Resolved ranks. */
  ranks: number[];
  /** Factor tensors. */
  cores: { shape: number[]; data: number[] }[];
  /** Extras. */
  meta?: Record<string, unknown>;
}

/** Serializes factors to plain JSON. */
export function factorsToJson(f: Factors): FactorsJson {
  return {
    format: f.format,
    shape: [...f.shape],
    ranks: [...f.ranks],
    cores: f.cores.map((c) => ({ shape: [...c.shape], data: Array.from(c.data) })),
    ...(f.meta ? { meta: { ...f.meta } } : {}),
  };
}

/** Reads factors back from {@link factorsToJson}'s output. */
export function factorsFromJson(j: FactorsJson): Factors {
  return {
    format: j.format,
    shape: j.shape,
    ranks: j.ranks,
    cores: j.cores.map((c) => ({ shape: c.shape, data: Float64Array.from(c.data) })),
    ...(j.meta ? { meta: j.meta } : {}),
  };
}
