/**
 * A faster Conv2DBackpropFilter for TF.js's webgpu backend, built from kernels the backend
 * already has (no new shader), and the registration that swaps it in.
 *
 * Why: on an H200, the webgpu backend's own filter-gradient shader took ~95% of a ResNet-20
 * training step (401 of 547 ms at batch 128; see the measurements beside the issue). The filter
 * gradient is a GEMM with a huge inner dimension and small outer ones,
 *
 *     dW[(a, b, ci), co] = Σ_{m = (n, i, j)} cols[m, (a, b, ci)] · dy[m, co],
 *     cols[(n, i, j), (a, b, ci)] = x[n, i·sh + a·dh − top, j·sw + b·dw − left, ci]   (im2col)
 *
 * of shape [kh·kw·Cin, N·Ho·Wo] × [N·Ho·Wo, Cout]. A plain matmul of that shape gets a handful of
 * 32×32 output tiles, each looping over ~10⁵ products: the GPU idles. So the inner dimension is
 * split (split-K): cols and dy are viewed as S batches of N·Ho·Wo/S rows, one BatchMatMul makes
 * S partial products [S, kh·kw·Cin, Cout] (S times as many tiles), and a Sum over S adds them.
 * im2col itself is kh·kw strided slices of the zero-padded input, concatenated on the channel
 * axis (one extra pass over kh·kw copies of the input; reshapes are free).
 *
 * The same function runs on any backend with StridedSlice, Slice, PadV2, Concat, BatchMatMul,
 * Sum, Reshape and Transpose, which is how it is tested (on cpu, against the cpu backend's own
 * kernel). The older formulation, one Conv2D with the batch as the contracted axis
 * ({@link conv2dBackpropFilterKernel}), is registrable here too for comparison.
 *
 * @module
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { convGradGeometry, type ConvGradGeometry } from './kernels/conv-geometry.js';
import { conv2dBackpropFilterKernel, type Conv2DBackpropFilterAttrs } from './kernels/conv2d-backprop-filter.js';
import { KernelScope, type CompositeBackend } from './kernels/scope.js';
import { momentumUpdateWebgpuConfig } from './webgpu-momentum.js';
import { batchNormGradWebgpuConfig, installFusedBatchNormLayer, uninstallFusedBatchNormLayer } from './webgpu-batch-norm.js';

/** How the filter gradient is computed: im2col + split-K BatchMatMul, or one transposed Conv2D. */
export type FilterGradMethod = 'im2col' | 'transposed-conv';

/** Options of the im2col formulation. */
export interface Im2colOptions {
  /**
   * Number of K-splits S (must divide N·Ho·Wo; other values are rounded to a divisor), or
   * 'auto' ({@link chooseSplitK}). Default 'auto'.
   */
  readonly splitK?: number | 'auto';
  /** With 'auto': multiplies the automatic choice (then rounded down to a divisor). Default 1. */
  readonly splitScale?: number;
  /** Output tiles (32×32, summed over the splits) to aim for with 'auto'. Default 1024. */
  readonly targetTiles?: number;
  /** Shortest inner dimension of one split with 'auto'. Default 256. */
  readonly minInner?: number;
  /**
   * Above this size of the im2col matrix (bytes), the kernel hands over to `fallback` instead
   * (default 512 MiB: below the storage-buffer binding limits GPUs report).
   */
  readonly maxColsBytes?: number;
  /**
   * How the product is formed: 'transposeA' (default) multiplies colsᵀ·dy with BatchMatMul's
   * transposeA; 'transposeDy' transposes dy explicitly to [S, Cout, N·Ho·Wo/S], multiplies
   * dyᵀ·cols untransposed and transposes the [Cout, kh·kw·Cin] sum back (for backends whose
   * transposed matmul is slow).
   */
  readonly product?: 'transposeA' | 'transposeDy';
}

/** The sizes of the GEMM a filter gradient is: [k × m] · [m × n]. */
export interface FilterGradGemm {
  /** Inner dimension N·Ho·Wo. */
  readonly m: number;
  /** Rows of the result kh·kw·Cin. */
  readonly k: number;
  /** Columns of the result Cout. */
  readonly n: number;
}

/** The GEMM of a filter gradient for a forward geometry. */
export function filterGradGemm(g: ConvGradGeometry): FilterGradGemm {
  return { m: g.n * g.outH * g.outW, k: g.kh * g.kw * g.inC, n: g.outC };
}

function divisors(m: number): number[] {
  const lo: number[] = [];
  const hi: number[] = [];
  for (let d = 1; d * d <= m; d++) {
    if (m % d === 0) {
      lo.push(d);
      if (d * d !== m) hi.unshift(m / d);
    }
  }
  return [...lo, ...hi];
}

/**
 * The number of K-splits for a [k × m]·[m × n] product: the smallest divisor S of m that gives at
 * least `targetTiles` 32×32 output tiles over all splits while each split keeps at least
 * `minInner` rows; when no divisor reaches the target, the largest that keeps `minInner` rows;
 * 1 when m < 2·minInner. Always a divisor of m.
 */
export function chooseSplitK(gemm: FilterGradGemm, opts: { targetTiles?: number; minInner?: number } = {}): number {
  const targetTiles = opts.targetTiles ?? 1024;
  const minInner = Math.max(1, opts.minInner ?? 256);
  const tiles = Math.ceil(gemm.k / 32) * Math.ceil(gemm.n / 32);
  const need = Math.ceil(targetTiles / tiles);
  const ok = divisors(gemm.m).filter((s) => gemm.m / s >= minInner);
  if (ok.length === 0) return 1;
  return ok.find((s) => s >= need) ?? ok[ok.length - 1]!;
}

/** A divisor of m close to `s` (the largest divisor ≤ s; at least 1). */
function divisorAtMost(m: number, s: number): number {
  const ds = divisors(m).filter((d) => d <= Math.max(1, Math.floor(s)));
  return ds[ds.length - 1] ?? 1;
}

/** The split count the im2col kernel uses for this geometry and these options. */
export function resolveSplitK(g: ConvGradGeometry, opts: Im2colOptions = {}): number {
  const gemm = filterGradGemm(g);
  const s = opts.splitK ?? 'auto';
  if (s !== 'auto') return divisorAtMost(gemm.m, s);
  const auto = chooseSplitK(gemm, opts);
  return opts.splitScale === undefined || opts.splitScale === 1 ? auto : divisorAtMost(gemm.m, auto * opts.splitScale);
}

/**
 * The filter gradient (NHWC) as im2col + split-K BatchMatMul, with the kernels of `scope`'s
 * backend. Returns [kh, kw, Cin, Cout].
 */
export function conv2dBackpropFilterIm2col(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: Conv2DBackpropFilterAttrs,
  opts: Im2colOptions = {},
): TensorInfo {
  const g = convGradGeometry(x.shape, attrs.filterShape, attrs);
  const { m, k, n } = filterGradGemm(g);
  // The rows (columns) of x the convolution reads run from −top to (kh−1)·dh + (Ho−1)·sh − top:
  // pad with zeros (or crop rows never read) so that they are exactly the rows of xp.
  const bottom = (g.kh - 1) * g.dh + (g.outH - 1) * g.sh + 1 - g.inH - g.top;
  const right = (g.kw - 1) * g.dw + (g.outW - 1) * g.sw + 1 - g.inW - g.left;
  const xp = scope.padOrCrop(x, [
    [0, 0],
    [g.top, bottom],
    [g.left, right],
    [0, 0],
  ]);
  const patches: TensorInfo[] = [];
  for (let a = 0; a < g.kh; a++) {
    for (let b = 0; b < g.kw; b++) {
      const begin = [0, a * g.dh, b * g.dw, 0];
      const size = [g.n, g.outH, g.outW, g.inC];
      if (g.sh === 1 && g.sw === 1) {
        patches.push(g.kh === 1 && g.kw === 1 && xp.shape[1] === g.outH && xp.shape[2] === g.outW ? xp : scope.run('Slice', { x: xp }, { begin, size }));
      } else {
        const end = [g.n, a * g.dh + (g.outH - 1) * g.sh + 1, b * g.dw + (g.outW - 1) * g.sw + 1, g.inC];
        patches.push(
          scope.run('StridedSlice', { x: xp }, {
            begin,
            end,
            strides: [1, g.sh, g.sw, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          } as unknown as NamedAttrMap),
        );
      }
    }
  }
  // [N, Ho, Wo, kh·kw·Cin], column (a·kw + b)·Cin + ci: the kernel layout's row order
  const cols = patches.length === 1 ? patches[0]! : scope.run('Concat', patches as unknown as Record<string, TensorInfo>, { axis: 3 });
  const s = resolveSplitK(g, opts);
  const cols3 = scope.reshape(cols, [s, m / s, k]);
  const dy3 = scope.reshape(dy, [s, m / s, n]);
  let summed: TensorInfo;
  if ((opts.product ?? 'transposeA') === 'transposeA') {
    const prod = scope.run('BatchMatMul', { a: cols3, b: dy3 }, { transposeA: true, transposeB: false }); // [S, k, n]
    summed = s === 1 ? prod : scope.run('Sum', { x: prod }, { axis: [0], keepDims: false });
  } else {
    const dyT = scope.transpose(dy3, [0, 2, 1]); // [S, n, m/S]
    const prod = scope.run('BatchMatMul', { a: dyT, b: cols3 }, { transposeA: false, transposeB: false }); // [S, n, k]
    const sumT = s === 1 ? scope.reshape(prod, [n, k]) : scope.run('Sum', { x: prod }, { axis: [0], keepDims: false });
    summed = scope.transpose(sumT, [1, 0]);
  }
  return scope.reshape(summed, [g.kh, g.kw, g.inC, g.outC]);
}

/**
 * Kernel function of Conv2DBackpropFilter by im2col + split-K BatchMatMul for `backendName`;
 * `fallback` (the backend's own kernel, when there is one) takes the cases whose im2col matrix
 * would exceed `opts.maxColsBytes`, and non-float32 inputs.
 */
export function conv2dBackpropFilterIm2colKernel(backendName: string, opts: Im2colOptions = {}, fallback?: KernelFunc): KernelFunc {
  const maxColsBytes = opts.maxColsBytes ?? 512 * 2 ** 20;
  return (args) => {
    const { inputs, attrs, backend } = args;
    const a = attrs as unknown as Conv2DBackpropFilterAttrs;
    let x = inputs['x']!;
    let dy = inputs['dy']!;
    const nchw = a.dataFormat === 'NCHW';
    const xShape = nchw ? [x.shape[0]!, x.shape[2]!, x.shape[3]!, x.shape[1]!] : x.shape;
    const g = convGradGeometry(xShape, a.filterShape, { ...a, dataFormat: 'NHWC' });
    const { m, k } = filterGradGemm(g);
    if (fallback && (m * k * 4 > maxColsBytes || x.dtype !== 'float32' || dy.dtype !== 'float32')) return fallback(args);
    const scope = new KernelScope(backend as CompositeBackend, backendName);
    try {
      if (nchw) {
        x = scope.transpose(x, [0, 2, 3, 1]);
        dy = scope.transpose(dy, [0, 2, 3, 1]);
      }
      return scope.finish(conv2dBackpropFilterIm2col(scope, x, dy, { ...a, dataFormat: 'NHWC' }, opts));
    } catch (e) {
      scope.dispose();
      throw e;
    }
  };
}

/** Options of {@link registerWebgpuTrainingKernels}. */
export interface WebgpuKernelOptions extends Im2colOptions {
  /** The filter-gradient formulation (default 'im2col'). */
  readonly filterGrad?: FilterGradMethod;
  /**
   * The backend to register for (default 'webgpu'). Tests register the same kernel functions
   * for 'cpu'; benchmarks may compare them on 'wasm'.
   */
  readonly backendName?: string;
  /**
   * Also register the fused momentum update (`TensorslimMomentumUpdate`: two shader programs
   * per variable instead of four elementwise kernels; default true). Only for 'webgpu'.
   */
  readonly fusedMomentum?: boolean;
  /**
   * Also register the batch-norm backward pass in four shader programs (`TensorslimBatchNormGrad`,
   * run by tfjs-layers' BatchNormalization in training on webgpu: `installFusedBatchNormLayer`)
   * instead of TF.js's gradients of FusedBatchNorm and the moments (default true). Only for 'webgpu'.
   */
  readonly fusedBatchNorm?: boolean;
}

/** What {@link registerWebgpuTrainingKernels} put in place. */
export interface WebgpuKernelRegistration {
  /** The backend registered for. */
  readonly backendName: string;
  /** Kernel names replaced (or added). */
  readonly kernels: string[];
  /** The filter-gradient formulation. */
  readonly filterGrad: FilterGradMethod;
  /** The split count ('auto' or a number) of the im2col formulation. */
  readonly splitK: number | 'auto';
  /** The product form of the im2col formulation. */
  readonly product: 'transposeA' | 'transposeDy';
  /** Whether tfjs-layers' BatchNormalization runs the fused backward pass (webgpu only). */
  readonly fusedBatchNorm: boolean;
}

const replaced = new Map<string, { backendName: string; original: KernelConfig | undefined }>();
let current: WebgpuKernelRegistration | null = null;

/** The registration in effect, or null. */
export function webgpuTrainingKernelsRegistered(): WebgpuKernelRegistration | null {
  return current;
}

/** The kernel config of the filter gradient for the chosen formulation. */
export function filterGradKernelConfig(opts: WebgpuKernelOptions = {}, original?: KernelFunc): KernelConfig {
  const backendName = opts.backendName ?? 'webgpu';
  const method = opts.filterGrad ?? 'im2col';
  const kernelFunc = method === 'im2col' ? conv2dBackpropFilterIm2colKernel(backendName, opts, original) : conv2dBackpropFilterKernel(backendName);
  return { kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc };
}

/**
 * Replaces the Conv2DBackpropFilter kernel of the webgpu backend (or `opts.backendName`) with
 * tensorslim's ({@link conv2dBackpropFilterIm2colKernel} by default). The backend's own kernel
 * is kept as the fallback and restored by {@link unregisterWebgpuTrainingKernels}. Calling it
 * again with other options first restores the original. Call after importing
 * '@tensorflow/tfjs-backend-webgpu' (selectBackend('webgpu') does). On webgpu it also adds
 * `TensorslimMomentumUpdate` (what `FusedMomentumOptimizer` runs) and `TensorslimBatchNormGrad`
 * (with tfjs-layers' BatchNormalization running it in training on webgpu). Note: a gradient override
 * on Conv2D would not be enough: tfjs-layers runs FusedConv2D, whose gradient calls this
 * kernel directly.
 */
export function registerWebgpuTrainingKernels(opts: WebgpuKernelOptions = {}): WebgpuKernelRegistration {
  const backendName = opts.backendName ?? 'webgpu';
  if (current) unregisterWebgpuTrainingKernels();
  if (!getKernel('Conv2D', backendName)) {
    throw new Error(`tensorslim: the ${backendName} backend's kernels are not registered; import its package first (selectBackend('${backendName}') does)`);
  }
  const original = getKernel('Conv2DBackpropFilter', backendName);
  const configs = [filterGradKernelConfig({ ...opts, backendName }, original?.kernelFunc)];
  if (backendName === 'webgpu' && (opts.fusedMomentum ?? true)) configs.push(momentumUpdateWebgpuConfig);
  const fusedBatchNorm = backendName === 'webgpu' && (opts.fusedBatchNorm ?? true);
  if (fusedBatchNorm) configs.push(batchNormGradWebgpuConfig);
  for (const config of configs) {
    const own = getKernel(config.kernelName, backendName);
    if (own) unregisterKernel(config.kernelName, backendName);
    registerKernel(config);
    replaced.set(config.kernelName, { backendName, original: own });
  }
  current = {
    backendName,
    kernels: configs.map((c) => c.kernelName),
    filterGrad: opts.filterGrad ?? 'im2col',
    splitK: opts.splitK ?? 'auto',
    product: opts.product ?? 'transposeA',
    fusedBatchNorm,
  };
  if (fusedBatchNorm) installFusedBatchNormLayer();
  return current;
}

/** Restores the backend's own kernels. */
export function unregisterWebgpuTrainingKernels(): void {
  for (const [name, { backendName, original }] of replaced) {
    unregisterKernel(name, backendName);
    if (original) registerKernel(original);
  }
  replaced.clear();
  uninstallFusedBatchNormLayer();
  current = null;
}
