/**
 * The training benchmark (`tensorslim bench train`): images per second of a full training step
 * per backend; on wasm also data-parallel on N worker threads, beside PyTorch on CPU at 1 and N
 * threads.
 *
 * @module
 */
import { z } from 'zod';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ErrorCodes, opt, parseOptions } from '@tensorslim/core';
import { BACKEND_ORDER, describeBackend, selectBackend, type BackendSelection } from '@tensorslim/backends';
import { buildModel as buildBuiltinModel, MODEL_NAMES } from '@tensorslim/models';
import { median } from './median.js';
import { timeParallelSteps, timeTrainingSteps, type EngineStarter, type StepTimes } from './steps.js';
import { detectTorch, runTorchReference, type ProcessRunner, type TorchDetection } from './torch.js';

/** Builds a model by name (default: @tensorslim/models' `buildModel`). */
export type ModelBuilder = (name: string, opts: { inputShape?: number[]; numClasses?: number; seed?: number }) => tfl.LayersModel;

/** Starts a backend by name (default: @tensorslim/backends' `selectBackend`). */
export type BackendStarter = (name: string) => Promise<BackendSelection>;

const positiveInt = z.number().int().min(1);

/** The options of {@link runBenchTrain} (the command line's `bench train` flags, less `--json`). */
export const benchTrainOptionsSchema = z.strictObject({
  model: opt(z.string().min(1), { description: MODEL_NAMES.join(', '), arg: 'name' }),
  batch: opt(positiveInt.default(64), { description: 'batch size', arg: 'B' }),
  steps: opt(positiveInt.default(5), { description: 'timed steps per backend', arg: 'N' }),
  backends: opt(
    z
      .array(z.enum(BACKEND_ORDER as readonly string[] as [string, ...string[]]))
      .min(1)
      .default(['cpu', 'wasm']),
    {
      description: 'comma-separated backends to measure',
      arg: 'list',
      list: 'comma',
      code: ErrorCodes.UNKNOWN_NAME,
    },
  ),
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
});

/** Options of {@link runBenchTrain}, before defaults. */
export type BenchTrainOptions = z.input<typeof benchTrainOptionsSchema>;

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
export async function runBenchTrain(options: BenchTrainOptions, deps: BenchTrainDeps = {}): Promise<BenchTrainResult[]> {
  const f = parseOptions(benchTrainOptionsSchema, options);
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
