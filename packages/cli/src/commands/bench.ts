/**
 * `tensorslim bench train` (images per second of a full training step per backend; on wasm also
 * data-parallel on N worker threads, beside PyTorch on CPU at 1 and N threads) and
 * `tensorslim bench layers` (each registered format's factorized convolution against the dense
 * one it replaces: FLOP ratio and measured time ratio side by side).
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  ErrorCodes,
  fail,
  listPlugins,
  mapChannels,
  opt,
  resolveLayerTarget,
  tensorize,
  defaultRegistry,
  type DenseLayerInfo,
  type PluginRegistry,
  type FormatPlugin,
  type ThreeStageMaps,
} from '@tensorslim/core';
import { Rng, tensor } from '@tensorslim/linalg';
import { BACKEND_ORDER, describeBackend, selectBackend, type BackendSelection } from '@tensorslim/backends';
import { buildModel as buildBuiltinModel, MODEL_NAMES } from '@tensorslim/models';
import { FLAGS } from '../context.js';
import { availableParallelism } from 'node:os';
import { median } from '../output.js';
import { addFlags, parseFlags, withDefaults, type FlagsInput } from '../schema-flags.js';
import { timeParallelSteps, timeTrainingSteps, type EngineStarter, type StepTimes } from './bench-steps.js';
import { detectTorch, runTorchReference, type ProcessRunner, type TorchDetection } from './bench-torch.js';

export { timeTrainingSteps, timeParallelSteps, type StepTimes } from './bench-steps.js';

/** Builds a model by name (default: @tensorslim/models' `buildModel`). */
export type ModelBuilder = (name: string, opts: { inputShape?: number[]; numClasses?: number; seed?: number }) => tfl.LayersModel;

/** Starts a backend by name (default: @tensorslim/backends' `selectBackend`). */
export type BackendStarter = (name: string) => Promise<BackendSelection>;

const positiveInt = z.number().int().min(1);

/** The flags of `bench train`. */
export const benchTrainFlagsSchema = z.strictObject({
  model: opt(FLAGS.model, { description: MODEL_NAMES.join(', '), arg: 'name' }),
  batch: opt(positiveInt.default(64), { description: 'batch size', arg: 'B' }),
  steps: opt(positiveInt.default(5), { description: 'timed steps per backend', arg: 'N' }),
  backends: opt(z.array(z.enum(BACKEND_ORDER)).min(1).default(['cpu', 'wasm']), {
    description: 'comma-separated backends to measure',
    arg: 'list',
    list: 'comma',
    code: ErrorCodes.UNKNOWN_NAME,
  }),
  cpuBatch: opt(positiveInt.optional(), { description: 'batch on the cpu backend', defaultText: 'min(batch, 8)', note: 'it is ~100× slower', arg: 'B' }),
  cpuSteps: opt(positiveInt.optional(), { description: 'timed steps on the cpu backend', defaultText: 'min(steps, 2)', arg: 'N' }),
  warmup: opt(z.number().int().min(0).default(1), { description: 'untimed steps first', arg: 'N' }),
  inputShape: opt(z.array(positiveInt).optional(), {
    description: "one example's shape",
    defaultText: "the model's, e.g. 224,224,3 for resnet18",
    arg: 'H,W,C',
    list: 'comma',
  }),
  classes: opt(positiveInt.optional(), { description: 'number of classes', defaultText: "the model's", arg: 'K' }),
  threads: opt(positiveInt.optional(), {
    description: 'also measure wasm data-parallel on N worker threads, and PyTorch on 1 and N threads',
    defaultText: 'every core on the command line, 1 (in process only) through the API',
    arg: 'N',
  }),
  torch: opt(z.boolean().default(false), { description: 'run the PyTorch CPU reference when a python3 that imports torch is found' }),
  json: opt(FLAGS.json, { description: 'one JSON line per backend {model, backend, batch, imgPerSec, ...}' }),
});

/** Flags of `bench train` (typed values, or the strings of a command line). */
export type BenchTrainFlags = FlagsInput<typeof benchTrainFlagsSchema>;

/** The command line's `bench train`: the PyTorch reference runs unless `--no-torch`. */
export const benchTrainCliSchema = withDefaults(benchTrainFlagsSchema, { torch: { default: true } });

/** One line of `bench train --json`. */
export interface BenchTrainResult {
  /** Model name. */
  model: string;
  /** Backend name. */
  backend: string;
  /** Batch size measured. */
  batch: number;
  /** Images per second of forward + backward + SGD-momentum update (null when the backend could not run). */
  imgPerSec: number | null;
  /** Timed steps. */
  steps: number;
  /** Median wall time of one step, ms. */
  msPerStep: number | null;
  /** Median process CPU time of one step, ms (Node.js; on a shared machine a steadier figure than wall time). */
  cpuMsPerStep?: number;
  /** How the backend started (threads, why others were skipped). */
  backendInfo?: string;
  /** Worker threads of a data-parallel measurement (absent: in process, one thread). */
  workers?: number;
  /** Threads of a PyTorch line (backend 'pytorch'). */
  threads?: number;
  /** Anything the reader must know (smaller batch on cpu, failure). */
  note?: string;
}

/** What `runBenchTrain` may be given instead of the real thing (tests). */
export interface BenchTrainDeps {
  /** Builds the model. */
  buildModel?: ModelBuilder;
  /** Starts a backend. */
  startBackend?: BackendStarter;
  /** Starts the data-parallel engine. */
  startEngine?: EngineStarter;
  /** Finds torch (default: {@link detectTorch}). */
  detectTorch?: () => TorchDetection;
  /** Runs python (default: spawnSync). */
  runProcess?: ProcessRunner;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Images per second and medians of timed steps. */
function figures(batch: number, t: StepTimes): Pick<BenchTrainResult, 'imgPerSec' | 'msPerStep' | 'cpuMsPerStep'> {
  const total = t.wall.reduce((s, v) => s + v, 0);
  return { imgPerSec: (batch * t.wall.length * 1000) / total, msPerStep: median(t.wall), ...(t.cpu.length ? { cpuMsPerStep: median(t.cpu) } : {}) };
}

/**
 * Runs `bench train`: for each backend, start it, build the model, time full training steps
 * (forward, backward, SGD momentum), and report images per second; with `threads` N > 1, wasm
 * again on N worker threads; with `torch`, PyTorch's figures at 1 and N threads (or why none).
 */
export async function runBenchTrain(flags: BenchTrainFlags, deps: BenchTrainDeps = {}): Promise<BenchTrainResult[]> {
  const f = parseFlags(benchTrainFlagsSchema, flags);
  const build = deps.buildModel ?? (buildBuiltinModel as ModelBuilder);
  const start = deps.startBackend ?? ((n: string) => selectBackend(n));
  const log = deps.log ?? (() => {});
  const { batch, steps, warmup, inputShape, classes: numClasses } = f;
  const cpuBatch = f.cpuBatch ?? Math.min(batch, 8);
  const cpuSteps = f.cpuSteps ?? Math.min(steps, 2);
  const threads = f.threads ?? 1;
  const results: BenchTrainResult[] = [];
  for (const backend of f.backends) {
    const b = backend === 'cpu' ? cpuBatch : batch;
    const n = backend === 'cpu' ? cpuSteps : steps;
    const base = { model: f.model, backend, batch: b, steps: n };
    let sel: BackendSelection;
    try {
      sel = await start(backend);
    } catch (e) {
      results.push({ ...base, imgPerSec: null, msPerStep: null, note: `not measured: ${(e as Error).message}` });
      continue;
    }
    log(`${describeBackend(sel)}`);
    const model = build(f.model, { ...(inputShape ? { inputShape } : {}), ...(numClasses ? { numClasses } : {}), seed: 1 });
    try {
      log(`${f.model} on ${backend}: batch ${b}, ${warmup} warm-up + ${n} timed steps`);
      const r: BenchTrainResult = { ...base, ...figures(b, await timeTrainingSteps(model, b, n, warmup)), backendInfo: describeBackend(sel) };
      if (backend === 'cpu' && (b !== batch || n !== steps)) {
        const what = b !== batch ? `batch ${b} and ${n} step${n === 1 ? '' : 's'}` : `${n} step${n === 1 ? '' : 's'}`;
        const why =
          b !== batch
            ? `the pure-JS backend is too slow for batch ${batch}; images per second barely depends on the batch there`
            : 'the pure-JS backend is slow';
        r.note = `cpu measured at ${what} (${why})`;
      }
      results.push(r);
    } finally {
      model.dispose();
    }
    if (backend === 'wasm' && threads > 1)
      results.push(
        await benchWorkers(
          f.model,
          { ...base, batch: b, steps: n },
          threads,
          warmup,
          build,
          { ...(inputShape ? { inputShape } : {}), ...(numClasses ? { numClasses } : {}), seed: 1 },
          deps,
        ),
      );
  }
  if (f.torch)
    results.push(
      ...benchTorch(f.model, { batch, steps, warmup, threads, ...(inputShape ? { inputShape } : {}), ...(numClasses ? { classes: numClasses } : {}) }, deps),
    );
  return results;
}

/** The wasm line measured data-parallel on `workers` worker threads. */
async function benchWorkers(
  name: string,
  base: { model: string; backend: string; batch: number; steps: number },
  workers: number,
  warmup: number,
  build: ModelBuilder,
  buildOpts: { inputShape?: number[]; numClasses?: number; seed: number },
  deps: BenchTrainDeps,
): Promise<BenchTrainResult> {
  const model = build(name, buildOpts);
  try {
    deps.log?.(
      `${name} on wasm, ${workers} worker threads: batch ${base.batch} (${Math.ceil(base.batch / workers)} per worker), ${warmup} warm-up + ${base.steps} timed steps`,
    );
    const t = await timeParallelSteps(model, base.batch, base.steps, warmup, workers, deps.startEngine);
    return { ...base, ...figures(base.batch, t), workers };
  } catch (e) {
    return { ...base, workers, imgPerSec: null, msPerStep: null, note: `not measured on ${workers} workers: ${(e as Error).message}` };
  } finally {
    model.dispose();
  }
}

/** The PyTorch lines (1 and N threads), or one line saying why there are none. */
function benchTorch(
  model: string,
  o: { batch: number; steps: number; warmup: number; threads: number; inputShape?: number[]; classes?: number },
  deps: BenchTrainDeps,
): BenchTrainResult[] {
  const base = { model, backend: 'pytorch', batch: o.batch, steps: o.steps };
  const found = (deps.detectTorch ?? detectTorch)();
  if (!found.found) {
    return [{ ...base, imgPerSec: null, msPerStep: null, note: `PyTorch not found, tensorslim's figures alone (tried ${found.tried.join('; ')})` }];
  }
  const counts = [...new Set([1, o.threads])];
  deps.log?.(`PyTorch ${found.version} (${found.python}), CPU, NCHW: ${model} batch ${o.batch} on ${counts.join(' and ')} thread${o.threads > 1 ? 's' : ''}`);
  try {
    const rep = runTorchReference(
      found.python,
      {
        model,
        batch: o.batch,
        steps: o.steps,
        warmup: o.warmup,
        threads: counts,
        ...(o.inputShape ? { inputShape: o.inputShape } : {}),
        ...(o.classes ? { classes: o.classes } : {}),
      },
      deps.runProcess,
    );
    return rep.runs.map((r) => ({
      ...base,
      threads: r.threads,
      imgPerSec: r.imgPerSec,
      msPerStep: r.msPerStep,
      cpuMsPerStep: r.cpuMsPerStep,
      backendInfo: `PyTorch ${rep.torch} (${found.python}), CPU, ${r.threads} thread${r.threads > 1 ? 's' : ''}, NCHW`,
    }));
  } catch (e) {
    return [{ ...base, imgPerSec: null, msPerStep: null, note: `PyTorch ${found.version} did not run: ${(e as Error).message}` }];
  }
}

/**
 * tensorslim's wasm images per second over PyTorch's at the same thread count (tensorslim in
 * process for 1, on N worker threads for N): one line per thread count measured on both sides.
 */
export function torchRatios(results: readonly BenchTrainResult[]): string[] {
  const lines: string[] = [];
  for (const t of results) {
    if (t.backend !== 'pytorch' || !t.imgPerSec || t.threads === undefined) continue;
    const ours = results.find((r) => r.backend === 'wasm' && (r.workers ?? 1) === t.threads && r.imgPerSec);
    if (ours)
      lines.push(
        `tensorslim wasm / PyTorch at ${t.threads} thread${t.threads > 1 ? 's' : ''}: ${(ours.imgPerSec! / t.imgPerSec).toFixed(2)}× the images per second (${ours.imgPerSec!.toFixed(1)} vs ${t.imgPerSec.toFixed(1)})`,
      );
  }
  return lines;
}

/** The flags of `bench layers`. */
export const benchLayersFlagsSchema = withDefaults(
  z.strictObject({
    backend: FLAGS.backend,
    batch: opt(positiveInt.default(64), { description: 'batch', arg: 'B' }),
    size: opt(positiveInt.default(32), { description: 'input height and width', arg: 'S' }),
    channels: opt(positiveInt.default(64), { description: 'input and output channels', arg: 'C' }),
    ratio: opt(FLAGS.ratio, { description: 'parameter reduction to aim for', arg: 'R' }),
    repeat: opt(positiveInt.default(5), { description: 'timed repetitions, median reported', arg: 'N' }),
    formats: opt(z.array(z.string().min(1)).optional(), {
      description: 'only these plugin ids',
      defaultText: 'every plugin with conv layers',
      arg: 'ids',
      list: 'comma',
    }),
    json: opt(FLAGS.json, { description: 'one JSON line per format' }),
  }),
  { backend: { default: 'wasm' }, ratio: { default: 3 } },
);

/** Flags of `bench layers` (typed values, or the strings of a command line). */
export type BenchLayersFlags = FlagsInput<typeof benchLayersFlagsSchema>;

/** Per-stage times of a factorized layer (what explains a shortfall). */
export interface StageTimes {
  /** Input map Cin → R1 (1×1, a matmul), ms; null when the stage is the identity. */
  inMapMs: number | null;
  /** The kh×kw convolution R1 → R2, ms. */
  middleMs: number;
  /** Output map R2 → Cout, ms; null when the identity. */
  outMapMs: number | null;
  /** [R1, R2]. */
  ranks: [number, number];
}

/** One line of `bench layers --json`. */
export interface BenchLayersResult {
  /** Plugin id. */
  format: string;
  /** The ranks the plugin resolved for the target ratio. */
  ranks: number[];
  /** Parameters of the factorized layer. */
  params: number;
  /** Parameters of the dense kernel. */
  denseParams: number;
  /** denseParams / params. */
  paramRatio: number;
  /** Dense multiply-adds / factorized multiply-adds (per example). */
  flopRatio: number;
  /** Median time of the dense Conv2D, ms. */
  denseMs: number;
  /** Median time of the factorized layer's forward, ms. */
  factorizedMs: number;
  /** denseMs / factorizedMs. */
  timeRatio: number;
  /** timeRatio / flopRatio (the issue asks ≥ 0.8). */
  efficiency: number;
  /** Median process CPU time of the dense conv, ms (Node.js). */
  denseCpuMs?: number;
  /** Median process CPU time of the factorized layer, ms (Node.js). */
  factorizedCpuMs?: number;
  /** The efficiency from CPU times (steadier on a shared machine for single-threaded backends). */
  cpuEfficiency?: number;
  /** Per-stage times, when the layer is one of core's three-stage layers. */
  stages?: StageTimes;
  /** Backend used. */
  backend: string;
  /** Why the efficiency is below 0.8, when it is. */
  note?: string;
}

/** Wall and process-CPU time (ms) of one run of `f`; the result is summed and read back so async backends finish. */
async function timeOnce(f: () => tf.Tensor): Promise<{ wall: number; cpu: number | null }> {
  const proc = (globalThis as { process?: { cpuUsage?: (prev?: unknown) => { user: number; system: number } } }).process;
  const c0 = proc?.cpuUsage?.();
  const t0 = performance.now();
  const s = tf.tidy(() => tf.sum(f()));
  await s.data();
  const wall = performance.now() - t0;
  const d = c0 ? proc!.cpuUsage!(c0) : null;
  s.dispose();
  return { wall, cpu: d ? (d.user + d.system) / 1000 : null };
}

/** Median wall (and CPU) times of `fs`, run in turn `repeat` times after one warm-up each, so that a busy machine slows all alike. */
async function timeInTurn(fs: (() => tf.Tensor)[], repeat: number): Promise<{ wall: number; cpu: number | null }[]> {
  for (const f of fs) await timeOnce(f);
  const wall: number[][] = fs.map(() => []);
  const cpu: number[][] = fs.map(() => []);
  for (let i = 0; i < repeat; i++) {
    for (let j = 0; j < fs.length; j++) {
      const t = await timeOnce(fs[j]!);
      wall[j]!.push(t.wall);
      if (t.cpu !== null) cpu[j]!.push(t.cpu);
    }
  }
  return fs.map((_, j) => ({ wall: median(wall[j]!), cpu: cpu[j]!.length ? median(cpu[j]!) : null }));
}

/** The class registered under `className` with TF.js serialization. */
function layerClass(
  className: string,
): { fromConfig: (cls: unknown, config: Record<string, unknown>) => tfl.layers.Layer } & (new (...a: unknown[]) => unknown) {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry)
    fail(
      ErrorCodes.PLUGIN,
      `layer class ${className} is not registered with TF.js serialization`,
      'the plugin must register its layers (plugin.layers.register())',
    );
  return entry[0] as never;
}

type ThreeStageLayer = tfl.layers.Layer & {
  coreShapes(): { name: string }[];
  maps(cores: tf.Tensor[]): ThreeStageMaps;
  factorizedFlops?(): number;
  denseFlops?(): number;
};

function isThreeStage(l: tfl.layers.Layer): l is ThreeStageLayer {
  const o = l as Partial<ThreeStageLayer>;
  return typeof o.coreShapes === 'function' && typeof o.maps === 'function';
}

/** Measures one plugin's factorized conv against the dense conv on the active backend. */
export async function benchFactorizedConv(
  plugin: FormatPlugin,
  opts: { batch: number; size: number; channels: number; ratio: number; repeat: number; backend: string; seed?: number },
): Promise<BenchLayersResult> {
  const { batch, size, channels: c, ratio, repeat } = opts;
  const kernelShape = [3, 3, c, c];
  const rng = new Rng(opts.seed ?? 1);
  const scale = 1 / Math.sqrt(9 * c);
  const kernel = tensor(
    kernelShape,
    rng.normalArray(9 * c * c).map((v) => v * scale),
  );
  const target = resolveLayerTarget('bench_conv', { format: plugin.id, ranks: { ratio } }, 'conv2d', kernelShape);
  const factors = plugin.decomposition.decompose(tensorize(kernel, target.layout), target.ranks, { ...target.options, layout: target.layout });
  const info: DenseLayerInfo = {
    name: 'bench_conv',
    kind: 'conv2d',
    config: { filters: c, kernelSize: [3, 3], strides: [1, 1], padding: 'same', dilationRate: [1, 1], useBias: false, activation: 'linear' },
    inputShape: [size, size, c],
    outputShape: [size, size, c],
    kernel,
  };
  const spec = plugin.layers!.fromFactors(info, factors, target);
  const cls = layerClass(spec.className);
  const layer = cls.fromConfig(cls, { ...spec.config, mode: 'factorized' });
  const x = tf.randomNormal([batch, size, size, c], 0, 1, 'float32', 3) as tf.Tensor4D;
  const w = tf.tensor4d(Float32Array.from(kernel.data), kernelShape as [number, number, number, number]);
  try {
    tf.tidy(() => layer.apply(tf.slice(x, [0, 0, 0, 0], [1, size, size, c])) as tf.Tensor); // builds it
    layer.setWeights(spec.weights.map((t) => tf.tensor(Float32Array.from(t.data), [...t.shape])));
    const denseFlops = size * size * 9 * c * c;
    const factFlops = isThreeStage(layer) && layer.factorizedFlops ? layer.factorizedFlops() : spec.flops;
    const [dense, fact] = await timeInTurn([() => tf.conv2d(x, w, 1, 'same'), () => layer.apply(x) as tf.Tensor], repeat);
    const denseMs = dense!.wall;
    const factorizedMs = fact!.wall;
    const flopRatio = denseFlops / factFlops;
    const timeRatio = denseMs / factorizedMs;
    const denseParams = 9 * c * c;
    const r: BenchLayersResult = {
      format: plugin.id,
      ranks: [...factors.ranks],
      params: spec.params,
      denseParams,
      paramRatio: denseParams / spec.params,
      flopRatio,
      denseMs,
      factorizedMs,
      timeRatio,
      efficiency: timeRatio / flopRatio,
      ...(dense!.cpu !== null && fact!.cpu !== null
        ? { denseCpuMs: dense!.cpu, factorizedCpuMs: fact!.cpu, cpuEfficiency: dense!.cpu / fact!.cpu / flopRatio }
        : {}),
      backend: opts.backend,
    };
    if (isThreeStage(layer)) {
      // clones: the maps may be the layer's own variables, which must survive the disposal below
      const kept: Record<string, tf.Tensor> = tf.tidy(() => {
        const m = layer.maps(layer.getWeights().slice(0, layer.coreShapes().length));
        const out: Record<string, tf.Tensor> = { middle: tf.clone(m.middle!) };
        if (m.inMap) out['inMap'] = tf.clone(m.inMap);
        if (m.outMap) out['outMap'] = tf.clone(m.outMap);
        return out;
      });
      const maps = { inMap: (kept['inMap'] ?? null) as tf.Tensor2D | null, middle: kept['middle']!, outMap: (kept['outMap'] ?? null) as tf.Tensor2D | null };
      const mid = maps.middle as tf.Tensor4D;
      const [r1, r2] = [mid.shape[2], mid.shape[3]];
      const h1 = maps.inMap ? tf.tidy(() => mapChannels(x, maps.inMap!)) : x;
      const h2 = tf.tidy(() => tf.conv2d(h1 as tf.Tensor4D, mid, 1, 'same'));
      const stageFns: (() => tf.Tensor)[] = [() => tf.conv2d(h1 as tf.Tensor4D, mid, 1, 'same')];
      if (maps.inMap) stageFns.push(() => mapChannels(x, maps.inMap!));
      if (maps.outMap) stageFns.push(() => mapChannels(h2, maps.outMap!));
      const st = await timeInTurn(stageFns, repeat);
      const middleMs = st[0]!.wall;
      const inMapMs = maps.inMap ? st[1]!.wall : null;
      const outMapMs = maps.outMap ? st[maps.inMap ? 2 : 1]!.wall : null;
      r.stages = { inMapMs, middleMs, outMapMs, ranks: [r1, r2] };
      if (r.efficiency < 0.8) r.note = explainShortfall(r, { size, batch, c, r1, r2 });
      tf.dispose([h2, ...(maps.inMap ? [h1] : [])]);
      tf.dispose([maps.inMap, maps.middle, maps.outMap].filter((t): t is tf.Tensor => t !== null));
    } else if (r.efficiency < 0.8) {
      r.note = `efficiency ${r.efficiency.toFixed(2)} < 0.8 (layer ${spec.className} is not a three-stage layer; no per-stage breakdown)`;
    }
    return r;
  } finally {
    tf.dispose([x, w]);
    layer.dispose();
  }
}

/** Says which stage runs far below the dense convolution's rate, and why that shape is slow. */
function explainShortfall(r: BenchLayersResult, g: { size: number; batch: number; c: number; r1: number; r2: number }): string {
  const px = g.size * g.size * g.batch;
  const denseRate = (px * 9 * g.c * g.c) / r.denseMs; // multiply-adds per ms
  const parts: { name: string; ms: number; rate: number }[] = [];
  const s = r.stages!;
  if (s.inMapMs !== null) parts.push({ name: `input map ${g.c}→${g.r1} (1×1)`, ms: s.inMapMs, rate: (px * g.c * g.r1) / s.inMapMs });
  parts.push({ name: `3×3 conv ${g.r1}→${g.r2}`, ms: s.middleMs, rate: (px * 9 * g.r1 * g.r2) / s.middleMs });
  if (s.outMapMs !== null) parts.push({ name: `output map ${g.r2}→${g.c} (1×1)`, ms: s.outMapMs, rate: (px * g.r2 * g.c) / s.outMapMs });
  // time a stage spends beyond what its FLOPs would take at the dense convolution's rate
  const excess = (p: { ms: number; rate: number }) => p.ms * (1 - p.rate / denseRate);
  const worst = parts.reduce((a, b) => (excess(b) > excess(a) ? b : a));
  const list = parts.map((p) => `${p.name} ${p.ms.toFixed(1)} ms at ${(p.rate / denseRate).toFixed(2)}× the dense rate`).join('; ');
  return (
    `efficiency ${r.efficiency.toFixed(2)} < 0.8: ${list}. The ${worst.name} stage is the shortfall: ` +
    `a stage with few channels (or a 1×1 map, which only streams memory) does too little work per byte to run at the dense convolution's rate, ` +
    `and three passes over the activations cost more than the FLOP count says`
  );
}

/** Runs `bench layers` for every registered plugin with conv layers (or the ones named). */
export async function runBenchLayers(
  flags: BenchLayersFlags,
  deps: { container?: PluginRegistry; startBackend?: BackendStarter; log?: (line: string) => void } = {},
): Promise<BenchLayersResult[]> {
  const f = parseFlags(benchLayersFlagsSchema, flags);
  const start = deps.startBackend ?? ((n: string) => selectBackend(n));
  const sel = await start(f.backend);
  deps.log?.(describeBackend(sel));
  const only = f.formats;
  const plugins = listPlugins(deps.container ?? defaultRegistry).filter((p) => p.layers?.kinds.includes('conv2d') && (!only || only.includes(p.id)));
  if (plugins.length === 0) {
    fail(
      ErrorCodes.UNKNOWN_FORMAT,
      `no registered format plugin${only ? ` among ${only.join(', ')}` : ''} provides conv2d layers`,
      'load one with --plugin, or check --formats',
    );
  }
  const opts = { batch: f.batch, size: f.size, channels: f.channels, ratio: f.ratio, repeat: f.repeat, backend: sel.name };
  const out: BenchLayersResult[] = [];
  for (const p of plugins) {
    deps.log?.(`${p.id}: ${opts.channels}→${opts.channels} 3×3 conv, ${opts.size}×${opts.size}, batch ${opts.batch}, ~${opts.ratio}× fewer parameters`);
    out.push(await benchFactorizedConv(p, opts));
  }
  return out;
}

const f2 = (v: number | null) => (v === null ? '—' : v.toFixed(2));

/** Adds `bench train` and `bench layers` to the program. */
export function benchCommand(program: Command): void {
  const bench = program.command('bench').description('Measure training throughput per backend, and factorized layers against dense ones.');
  addFlags(
    bench.command('train').description('Images per second of a full training step (forward, backward, SGD momentum) of a built-in model, per backend.'),
    benchTrainCliSchema,
  ).action(async (flags: BenchTrainFlags) => {
    const results = await runBenchTrain(
      { ...flags, threads: flags.threads ?? availableParallelism() },
      { log: (l) => process.stderr.write(`tensorslim: ${l}\n`) },
    );
    if (flags.json) {
      for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    const lines = [`model ${flags.model}`, 'backend                 batch  steps   ms/step  cpu ms/step    img/s'];
    const label = (r: BenchTrainResult) =>
      r.threads !== undefined ? `${r.backend} ${r.threads} thread${r.threads > 1 ? 's' : ''}` : r.workers ? `${r.backend} ${r.workers} workers` : r.backend;
    for (const r of results) {
      lines.push(
        `${label(r).padEnd(21)} ${String(r.batch).padStart(7)} ${String(r.steps).padStart(6)} ${f2(r.msPerStep).padStart(9)} ${f2(r.cpuMsPerStep ?? null).padStart(12)} ${f2(r.imgPerSec).padStart(8)}`,
      );
    }
    const cpu = results.find((r) => r.backend === 'cpu' && r.imgPerSec);
    for (const r of results)
      if (cpu && r !== cpu && r.imgPerSec && r.backend !== 'pytorch')
        lines.push(`${label(r)} / cpu: ${(r.imgPerSec / cpu.imgPerSec!).toFixed(1)}× the images per second`);
    const one = results.find((r) => r.backend === 'wasm' && !r.workers && r.imgPerSec);
    for (const r of results)
      if (one && r.workers && r.imgPerSec) lines.push(`wasm ${r.workers} workers / 1: ${(r.imgPerSec / one.imgPerSec!).toFixed(2)}× the images per second`);
    lines.push(...torchRatios(results));
    for (const r of results) if (r.note) lines.push(`note (${r.backend}): ${r.note}`);
    process.stdout.write(lines.join('\n') + '\n');
  });
  addFlags(
    bench
      .command('layers')
      .description("Each registered format's factorized conv (about 3× fewer parameters) against the dense Conv2D it replaces: FLOP ratio and time ratio."),
    benchLayersFlagsSchema,
  ).action(async (flags: BenchLayersFlags) => {
    const results = await runBenchLayers(flags, { log: (l) => process.stderr.write(`tensorslim: ${l}\n`) });
    if (flags.json) {
      for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    const lines = ['format   ranks                 params ratio  FLOP ratio  dense ms  fact. ms  time ratio  efficiency  (by CPU time)'];
    for (const r of results) {
      lines.push(
        `${r.format.padEnd(8)} ${`[${r.ranks.join(',')}]`.padEnd(20)} ${f2(r.paramRatio).padStart(12)} ${f2(r.flopRatio).padStart(11)} ${f2(r.denseMs).padStart(9)} ${f2(r.factorizedMs).padStart(9)} ${f2(r.timeRatio).padStart(11)} ${f2(r.efficiency).padStart(11)} ${f2(r.cpuEfficiency ?? null).padStart(14)}`,
      );
    }
    lines.push('efficiency = time ratio / FLOP ratio (the target is ≥ 0.8)');
    for (const r of results) if (r.note) lines.push(`note (${r.format}): ${r.note}`);
    process.stdout.write(lines.join('\n') + '\n');
  });
}
