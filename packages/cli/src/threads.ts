/**
 * `--threads N`: training on several cores. The training loop (@tensorslim/admm) takes an
 * injected gradient stepper; this module supplies @tensorslim/parallel's data-parallel engine
 * (worker threads, one TF.js backend each, gradients averaged in worker order, so a run is
 * bit-identical for a given thread count). One thread supplies nothing: the loop differentiates
 * in process, exactly as it always has.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { GradientStepper, LossSpec } from '@tensorslim/admm';
import { opt } from '@tensorslim/core';
import { modelSummary } from '@tensorslim/surgery';
import type * as tfl from '@tensorflow/tfjs-layers';
import { startGradientEngine, type GradientEngineOptions } from '@tensorslim/parallel';
import { BUILTIN_PLUGINS, loadedPluginModules } from './plugins.js';
import type { Progress } from './progress.js';

/** `--threads`: the flag every training command has. */
export const threadsFlag = opt(z.number().int().min(1).optional(), {
  description: 'training threads: data-parallel worker threads, one wasm (or cpu) backend each, gradients averaged in a fixed order; 1 trains in process',
  defaultText: 'all cores when the model has ≥ 5M multiply-adds per example, else 1',
  note: 'wasm and cpu backends only; a GPU backend trains in process',
  arg: 'N',
});

/** Backends whose training the workers can share (each worker starts its own of the same name). */
const WORKER_BACKENDS = ['wasm', 'cpu'] as const;

/** Modules a worker imports so that every layer class a model may hold is registered there (core's, the models', every plugin's). */
export function workerPreload(): string[] {
  return [...new Set(['@tensorslim/core', '@tensorslim/models', ...BUILTIN_PLUGINS, ...loadedPluginModules()])];
}

/** Starts gradient engines (default: @tensorslim/parallel's `startGradientEngine`; tests pass their own). */
export type EngineStart = (opts: GradientEngineOptions) => ReturnType<typeof startGradientEngine>;

/** What a worker stepper's workers load, and how the engine starts. */
export interface WorkerStepperOptions {
  /** Modules each worker imports first (default {@link workerPreload}). */
  readonly preload?: readonly string[];
  /** The module whose `makeLoss(kind, output, labelSmoothing)` builds the loss in a worker (default '@tensorslim/admm'). */
  readonly lossModule?: string;
  /** Starts the engine (default @tensorslim/parallel's `startGradientEngine`). */
  readonly start?: EngineStart;
}

/** The stepper for `threads` worker threads on `backend` ('wasm' or 'cpu'). */
export function workerStepper(threads: number, backend: (typeof WORKER_BACKENDS)[number], o: WorkerStepperOptions = {}): GradientStepper {
  const start = o.start ?? startGradientEngine;
  const preload = o.preload ?? workerPreload();
  const module = o.lossModule ?? '@tensorslim/admm';
  return {
    threads,
    start: (model, loss: LossSpec) =>
      start({
        model,
        workers: threads,
        backend,
        loss: { module, export: 'makeLoss', args: [loss.kind, loss.output, loss.labelSmoothing] },
        preload,
      }),
  };
}

/** What `--threads` resolves to on the backend in use. */
export interface ThreadChoice {
  /** Threads the training steps run on. */
  readonly threads: number;
  /** The stepper to hand the training loop (absent for one thread: in process). */
  readonly stepper?: GradientStepper;
}

/**
 * Multiply-adds per example below which worker threads do not pay when `--threads` is not given:
 * each step's exchange with the workers costs more than half a small model's step saves (the
 * demo's LeNet-5, 0.4M MACs: 17–19 s on one thread, 27–28 s on two, on this project's 2-core
 * machine; ResNet-20, 41M MACs: 1.57× the images per second on two).
 */
export const WORKER_MIN_MACS = 5e6;

/**
 * `--threads` on the backend the command started: worker threads when more than one and the
 * backend is wasm or cpu; otherwise one thread in process. Without the flag: every core when
 * `model` has at least {@link WORKER_MIN_MACS} multiply-adds per example, one thread otherwise.
 * Logs the choice.
 */
export function resolveThreads(flag: number | undefined, backend: string, progress: Pick<Progress, 'log'>, model?: tfl.LayersModel): ThreadChoice {
  const macs = flag === undefined && model ? modelSummary(model).totalFlops : Infinity;
  if (macs < WORKER_MIN_MACS) {
    progress.log(`threads: 1, in process (${(macs / 1e6).toFixed(2)}M multiply-adds per example: too few for worker threads to pay; --threads N forces N)`);
    return { threads: 1 };
  }
  const wanted = flag ?? availableParallelism();
  const workerBackend = WORKER_BACKENDS.find((b) => b === backend);
  if (wanted <= 1 || !workerBackend) {
    const why = wanted <= 1 ? '' : ` (--threads ${wanted} ignored: the ${backend} backend trains in process; worker threads run wasm or cpu)`;
    progress.log(`threads: 1, in process${why}`);
    return { threads: 1 };
  }
  progress.log(`threads: ${wanted} data-parallel workers (${workerBackend} in each)`);
  return { threads: wanted, stepper: workerStepper(wanted, workerBackend) };
}
