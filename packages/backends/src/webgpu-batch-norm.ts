/**
 * The backward pass of training-mode batch normalization as tensorslim's own webgpu shaders.
 *
 * In training, tfjs-layers' BatchNormalization normalizes with the batch's statistics: μ and σ²
 * come from `tf.moments(x)` (Mean, Sub, Square, Mean), then FusedBatchNorm. The tape then
 * differentiates every one of those ops: FusedBatchNorm's gradient (13 full-size passes in TF.js),
 * the moments' gradients (Mean's, Square's, Sub's, Mean's again) and the additions that merge the
 * three paths into dx: ~60 compute dispatches per layer on webgpu. With x̂ = (x − μ)·r,
 * r = 1/√(σ² + ε) and M the number of rows (all axes but the channel axis), the whole of it is
 *
 *     dβ = Σ dy,   dγ = Σ dy·x̂,   dx = γ·r·(dy − (dβ + x̂·dγ)/M)
 *
 * (per channel; the sums over the M rows). {@link BATCH_NORM_GRAD_KERNEL} computes it in four
 * programs: one reduction pass over x and dy that writes per-chunk partial sums of dy and
 * dy·(x − μ) for every channel, two tiny passes that add the chunks into dβ and dγ, and one
 * elementwise pass for dx. {@link trainingBatchNorm} is the forward pass TF.js runs (the same
 * kernels, the same values) with that backward pass attached (`tf.customGrad`), and
 * {@link installFusedBatchNormLayer} makes tfjs-layers' BatchNormalization use it in training on
 * webgpu. On every other backend, and for layers it does not cover, the layer is TF.js's own, so
 * cpu and wasm results do not change.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers BatchNormalization, whose training call this module replaces on webgpu
import { FlatProgram, type WebgpuRunner } from './webgpu-program.js';

/**
 * The kernel's name: inputs x ([..., C]), dy (x's shape), mean, variance, scale (each [C]);
 * attr varianceEpsilon; outputs [dx, dScale, dOffset].
 */
export const BATCH_NORM_GRAD_KERNEL = 'TensorslimBatchNormGrad';

/** The attributes of {@link BATCH_NORM_GRAD_KERNEL}. */
export interface BatchNormGradAttrs {
  /** ε of the forward pass. */
  readonly varianceEpsilon: number;
}

/** Threads per workgroup of the reduction pass. */
const REDUCE_THREADS = 256;
/** Channels one reduction workgroup covers (adjacent threads read adjacent channels of a row). */
const MAX_LANES = 32;
/** At most this many row chunks (partial sums per channel) in the reduction pass. */
const MAX_CHUNKS = 256;
/** Each thread of the reduction pass adds at least this many rows. */
const MIN_ROWS_PER_THREAD = 32;

/** How the reduction pass splits an [M, C] problem over workgroups. */
export interface BatchNormGradPlan {
  /** Channels per workgroup (L ≤ 32; the last block may be partly idle). */
  readonly lanes: number;
  /** Rows a workgroup reads at once (R = ⌊256 / L⌋: the workgroup is R × L threads, the rest idle). */
  readonly rowLanes: number;
  /** Channel blocks: ⌈C / L⌉. */
  readonly blocks: number;
  /** Rows per chunk (a multiple of R). */
  readonly chunk: number;
  /** Row chunks G = ⌈M / chunk⌉ (≤ 256): the partial sums per channel. */
  readonly chunks: number;
}

/** The reduction pass's split of M rows of C channels. */
export function batchNormGradPlan(rows: number, channels: number): BatchNormGradPlan {
  if (!(Number.isInteger(rows) && rows > 0 && Number.isInteger(channels) && channels > 0)) {
    throw new Error(`${BATCH_NORM_GRAD_KERNEL}: rows and channels must be positive integers, got ${rows} and ${channels}`);
  }
  const lanes = Math.min(channels, MAX_LANES);
  const rowLanes = Math.floor(REDUCE_THREADS / lanes);
  const atLeast = Math.max(rowLanes * MIN_ROWS_PER_THREAD, Math.ceil(rows / MAX_CHUNKS));
  const chunk = Math.ceil(atLeast / rowLanes) * rowLanes;
  return { lanes, rowLanes, blocks: Math.ceil(channels / lanes), chunk, chunks: Math.ceil(rows / chunk) };
}

/**
 * Pass 1: partial sums [G, 2, C] (row 0 of each chunk Σ dy, row 1 Σ dy·(x − μ)). Workgroup
 * (chunk g, channel block b) has thread t on channel b·L + t mod L and rows g·chunk + ⌊t / L⌋,
 * + R, …; the R row lanes are then added in workgroup memory (a tree: R need not be a power of 2).
 */
class BatchNormGradSumsProgram {
  readonly variableNames = ['x', 'dy', 'mean'];
  readonly uniforms = 'rows : i32, channels : i32, chunk : i32, chunks : i32, blocks : i32,';
  readonly workgroupSize: [number, number, number] = [REDUCE_THREADS, 1, 1];
  readonly outputShape: number[];
  readonly dispatchLayout = { x: [0, 1, 2] };
  dispatch: [number, number, number];
  readonly shaderKey: string;

  constructor(
    channels: number,
    private readonly plan: BatchNormGradPlan,
  ) {
    this.outputShape = [plan.chunks, 2, channels];
    this.dispatch = [plan.chunks * plan.blocks, 1, 1];
    this.shaderKey = `tensorslimBnGradSums_${plan.lanes}`;
  }

  getUserCode(): string {
    const { lanes: L, rowLanes: R } = this.plan;
    return `
      var<workgroup> sumDy : array<f32, ${REDUCE_THREADS}>;
      var<workgroup> sumDyXc : array<f32, ${REDUCE_THREADS}>;
      fn main(index : i32) {
        let t = i32(localIndex);
        let wg = index / ${REDUCE_THREADS};
        let blk = wg % uniforms.blocks;
        let g = wg / uniforms.blocks;
        let lane = t % ${L};
        let rowLane = t / ${L};
        let c = blk * ${L} + lane;
        let live = rowLane < ${R} && c < uniforms.channels && g < uniforms.chunks;
        var a = 0.0;
        var b = 0.0;
        if (live) {
          let mu = mean[c];
          let r0 = g * uniforms.chunk;
          let r1 = min(r0 + uniforms.chunk, uniforms.rows);
          for (var r = r0 + rowLane; r < r1; r = r + ${R}) {
            let i = r * uniforms.channels + c;
            let d = dy[i];
            a = a + d;
            b = b + d * (x[i] - mu);
          }
        }
        sumDy[t] = a;
        sumDyXc[t] = b;
        workgroupBarrier();
        for (var n = ${R}; n > 1; n = (n + 1) / 2) {
          let upper = (n + 1) / 2;
          if (rowLane < n / 2) {
            sumDy[t] = sumDy[t] + sumDy[t + upper * ${L}];
            sumDyXc[t] = sumDyXc[t] + sumDyXc[t + upper * ${L}];
          }
          workgroupBarrier();
        }
        if (rowLane == 0 && live) {
          setOutputAtIndex((g * 2) * uniforms.channels + c, sumDy[t]);
          setOutputAtIndex((g * 2 + 1) * uniforms.channels + c, sumDyXc[t]);
        }
      }`;
  }
}

/** Passes 2 and 3: dβ[c] = Σ_g partials[g, 0, c]; dγ[c] = r_c · Σ_g partials[g, 1, c]. */
class BatchNormGradFinishProgram extends FlatProgram {
  readonly variableNames: string[];
  readonly uniforms = 'chunks : i32, eps : f32,';
  readonly shaderKey: string;

  constructor(
    channels: number,
    private readonly which: 'offset' | 'scale',
  ) {
    super(channels);
    this.variableNames = which === 'offset' ? ['partials'] : ['partials', 'variance'];
    this.shaderKey = `tensorslimBnGradFinish_${which}`;
  }

  getUserCode(): string {
    const row = this.which === 'offset' ? 0 : 1;
    const result = this.which === 'offset' ? 's' : 's * inverseSqrt(variance[index] + uniforms.eps)';
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var s = 0.0;
          for (var g = 0; g < uniforms.chunks; g = g + 1) {
            s = s + partials[(g * 2 + ${row}) * uniforms.size + index];
          }
          setOutputAtIndex(index, ${result});
        }
      }`;
  }
}

/** Pass 4: dx = γ·r·(dy − (dβ + x̂·dγ)/M), elementwise over the flattened x. */
class BatchNormGradDxProgram extends FlatProgram {
  readonly variableNames = ['x', 'dy', 'mean', 'variance', 'scale', 'dOffset', 'dScale'];
  readonly uniforms = 'channels : i32, eps : f32, invRows : f32,';
  readonly shaderKey = 'tensorslimBnGradDx';

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = index % uniforms.channels;
          let r = inverseSqrt(variance[c] + uniforms.eps);
          let xhat = (x[index] - mean[c]) * r;
          let d = dy[index] - (dOffset[c] + xhat * dScale[c]) * uniforms.invRows;
          setOutputAtIndex(index, scale[c] * r * d);
        }
      }`;
  }
}

/** The kernel function of {@link BATCH_NORM_GRAD_KERNEL} on webgpu: four shader programs. */
export const batchNormGradWebgpu: KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, dy, mean, variance, scale } = inputs as Record<'x' | 'dy' | 'mean' | 'variance' | 'scale', TensorInfo>;
  const { varianceEpsilon } = attrs as unknown as BatchNormGradAttrs;
  for (const [name, t] of Object.entries({ x, dy, mean, variance, scale })) {
    if (!t) throw new Error(`${BATCH_NORM_GRAD_KERNEL}: input ${name} is missing`);
    if (t.dtype !== 'float32') throw new Error(`${BATCH_NORM_GRAD_KERNEL}: float32 tensors only, got ${t.dtype} for ${name}`);
  }
  const c = x!.shape[x!.shape.length - 1] ?? 0;
  const n = tf.util.sizeFromShape(x!.shape);
  if (c === 0 || tf.util.sizeFromShape(dy!.shape) !== n || [mean, variance, scale].some((t) => t!.shape.length !== 1 || t!.shape[0] !== c)) {
    throw new Error(
      `${BATCH_NORM_GRAD_KERNEL}: x [..., C] and dy of its size with mean, variance and scale of shape [C], got x ${JSON.stringify(x!.shape)}, dy ${JSON.stringify(dy!.shape)}, ` +
        `mean ${JSON.stringify(mean!.shape)}, variance ${JSON.stringify(variance!.shape)}, scale ${JSON.stringify(scale!.shape)}`,
    );
  }
  const rows = n / c;
  const plan = batchNormGradPlan(rows, c);
  const runner = backend as unknown as WebgpuRunner;
  const flat = (t: TensorInfo) => ({ ...t, shape: [n] });
  const eps = { type: 'float32', data: [varianceEpsilon] };
  const partials = runner.runWebGPUProgram(new BatchNormGradSumsProgram(c, plan), [flat(x!), flat(dy!), mean!], 'float32', [
    { type: 'int32', data: [rows] },
    { type: 'int32', data: [c] },
    { type: 'int32', data: [plan.chunk] },
    { type: 'int32', data: [plan.chunks] },
    { type: 'int32', data: [plan.blocks] },
  ]);
  const chunks = { type: 'int32', data: [plan.chunks] };
  const dOffset = runner.runWebGPUProgram(new BatchNormGradFinishProgram(c, 'offset'), [partials], 'float32', [chunks, eps]);
  const dScale = runner.runWebGPUProgram(new BatchNormGradFinishProgram(c, 'scale'), [partials, variance!], 'float32', [chunks, eps]);
  runner.disposeData(partials.dataId);
  const dx = runner.runWebGPUProgram(new BatchNormGradDxProgram(n), [flat(x!), flat(dy!), mean!, variance!, scale!, dOffset, dScale], 'float32', [
    { type: 'int32', data: [c] },
    eps,
    { type: 'float32', data: [1 / rows] },
  ]);
  return [{ ...dx, shape: [...x!.shape] }, dScale, dOffset];
};

/** The kernel config of {@link BATCH_NORM_GRAD_KERNEL} for the webgpu backend. */
export const batchNormGradWebgpuConfig: KernelConfig = { kernelName: BATCH_NORM_GRAD_KERNEL, backendName: 'webgpu', kernelFunc: batchNormGradWebgpu };

/** What {@link trainingBatchNorm} returns. */
export interface TrainingBatchNorm {
  /** The normalized output, γ·(x − μ)·r + β. */
  readonly y: Tensor;
  /** The batch mean μ per channel (not on the gradient tape). */
  readonly mean: Tensor;
  /** The batch variance σ² per channel (not on the gradient tape). */
  readonly variance: Tensor;
}

/**
 * Training-mode batch normalization over every axis but the last, as tfjs-layers computes it
 * (`tf.moments`, then `tf.batchNorm`: the same kernels, the same values), whose gradient with
 * respect to x, γ and β is {@link BATCH_NORM_GRAD_KERNEL} on the active backend (which must have
 * it). Returns the output and the batch statistics (for the moving averages; the caller disposes
 * them).
 */
export function trainingBatchNorm(x: Tensor, gamma: Tensor, beta: Tensor, epsilon: number): TrainingBatchNorm {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  let stats: [Tensor, Tensor] | null = null;
  const op = tf.customGrad((...args: unknown[]) => {
    const [xs, g, b, save] = args as [Tensor, Tensor, Tensor, (ts: Tensor[]) => void];
    const { mean, variance } = tf.moments(xs, axes);
    const y = tf.batchNorm(xs, mean, variance, b, g, epsilon);
    save([xs, mean, variance, g]);
    stats = [tf.keep(mean), tf.keep(variance)];
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, smean, svariance, sgamma] = saved as [Tensor, Tensor, Tensor, Tensor];
        const attrs: BatchNormGradAttrs = { varianceEpsilon: epsilon };
        const [dx, dScale, dOffset] = tf
          .engine()
          .runKernel(BATCH_NORM_GRAD_KERNEL, { x: sx, dy, mean: smean, variance: svariance, scale: sgamma }, attrs as unknown as NamedAttrMap) as Tensor[];
        return [dx!, dScale!, dOffset!];
      },
    };
  });
  const y = op(x, gamma, beta) as Tensor;
  const [mean, variance] = stats as unknown as [Tensor, Tensor];
  return { y, mean, variance };
}

/** The BatchNormalization fields the replacement reads (tfjs-layers' own, private in its typings). */
interface BatchNormLayer {
  axis: number;
  epsilon: number;
  momentum: number;
  gamma: { read(): Tensor } | null;
  beta: { read(): Tensor } | null;
  movingMean: { read(): Tensor; write(t: Tensor): void };
  movingVariance: { read(): Tensor; write(t: Tensor): void };
}

type LayerCall = (this: BatchNormLayer, inputs: Tensor | Tensor[], kwargs: Record<string, unknown>) => Tensor | Tensor[];

let originalCall: LayerCall | null = null;

/** tfjs-layers' BatchNormalization class (from the serialization registry: no layer is constructed, so no layer name is used up). */
function batchNormalizationPrototype(): { call: LayerCall } {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization'];
  if (!entry) throw new Error('tensorslim: tfjs-layers registered no BatchNormalization class');
  return (entry[0] as unknown as { prototype: { call: LayerCall } }).prototype;
}

/**
 * Whether the fused backward pass covers this call: training, the active backend has
 * {@link BATCH_NORM_GRAD_KERNEL}, one float32 input of rank 2–4 normalized over all axes but the
 * last, with both γ and β.
 */
function fusedInput(layer: BatchNormLayer, inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor | null {
  if (!kwargs?.['training'] || !tf.getKernel(BATCH_NORM_GRAD_KERNEL, tf.getBackend())) return null;
  const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0]! : null) : inputs;
  if (!x || x.dtype !== 'float32' || x.rank < 2 || x.rank > 4) return null;
  if (layer.axis !== -1 && layer.axis !== x.rank - 1) return null;
  return layer.gamma && layer.beta ? x : null;
}

/** BatchNormalization's call with {@link trainingBatchNorm} in training where it applies, tfjs-layers' own otherwise. */
function fusedCall(this: BatchNormLayer, inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor | Tensor[] {
  const x = fusedInput(this, inputs, kwargs);
  if (!x) return originalCall!.call(this, inputs, kwargs);
  return tf.tidy(() => {
    const { y, mean, variance } = trainingBatchNorm(x, this.gamma!.read(), this.beta!.read(), this.epsilon);
    // the moving averages, as tfjs-layers updates them
    for (const [variable, value] of [
      [this.movingMean, mean],
      [this.movingVariance, variance],
    ] as const) {
      tf.tidy(() => {
        const orig = variable.read();
        variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - this.momentum)));
      });
    }
    tf.dispose([mean, variance]);
    return y;
  });
}

/** True when {@link installFusedBatchNormLayer} is in effect. */
export function fusedBatchNormLayerInstalled(): boolean {
  return originalCall !== null;
}

/**
 * Makes tfjs-layers' BatchNormalization run {@link trainingBatchNorm} in training where the
 * active backend has {@link BATCH_NORM_GRAD_KERNEL} (webgpu, registered by
 * `registerWebgpuTrainingKernels`): its `call` is replaced by one that hands every other case
 * (inference, other backends, other axes, a layer without γ or β) to tfjs-layers' own. The
 * forward values are the same either way. Idempotent; {@link uninstallFusedBatchNormLayer}
 * restores the original.
 */
export function installFusedBatchNormLayer(): void {
  if (originalCall) return;
  const proto = batchNormalizationPrototype();
  originalCall = proto.call;
  proto.call = fusedCall;
}

/** Restores tfjs-layers' own BatchNormalization call. */
export function uninstallFusedBatchNormLayer(): void {
  if (!originalCall) return;
  batchNormalizationPrototype().call = originalCall;
  originalCall = null;
}
