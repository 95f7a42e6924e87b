/**
 * What several subcommands share: the backend, the model (built-in name or model.json), the
 * dataset, the plan, and the run directory.
 *
 * @module
 */
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  ErrorCodes,
  denseLayers,
  fail,
  loadModel,
  parsePlan,
  suggestPlan,
  type CompressionPlan,
  type DataSource,
} from '@tensorslim/core';
import { selectBackend, type BackendName } from '@tensorslim/backends';
import { buildModel, defaultPlan, loadDataset, MODEL_NAMES, modelInfo } from '@tensorslim/models';
import type { Progress } from './progress.js';

/** Starts the backend named by `--backend` and logs the choice and the reasons. */
export async function startBackend(name: string | undefined, progress: Progress): Promise<string> {
  const choice = await selectBackend((name ?? 'auto') as BackendName);
  const skipped = choice.skipped.map((s) => `${s.name}: ${s.why}`).join('; ');
  progress.log(`backend: ${choice.name} (${choice.reason})${skipped ? ` — skipped ${skipped}` : ''}`);
  return choice.name;
}

/** A model to work on, and where it came from. */
export interface ModelSource {
  /** The model. */
  readonly model: tfl.LayersModel;
  /** Built-in name, or the path it was loaded from. */
  readonly name: string;
  /** Whether it is a freshly built (untrained) built-in architecture. */
  readonly builtin: boolean;
}

/** Whether `--model` names a file or directory rather than a built-in architecture. */
export function isModelPath(spec: string): boolean {
  return spec.endsWith('.json') || spec.includes('/') || spec.includes('\\') || existsSync(spec);
}

/** `--model`: a built-in name (built fresh for the dataset's input) or a model.json / its directory. */
export async function resolveModel(spec: string, data?: DataSource, seed = 1): Promise<ModelSource> {
  if (isModelPath(spec)) return { model: await loadModel(spec), name: spec, builtin: false };
  if (!MODEL_NAMES.includes(spec)) {
    fail(ErrorCodes.UNKNOWN_NAME, `unknown model "${spec}"`, `built-in models: ${MODEL_NAMES.join(', ')}; or pass a path to a model.json`);
  }
  const model = buildModel(spec, {
    ...(data ? { inputShape: [...data.inputShape], numClasses: data.numClasses } : {}),
    seed,
  });
  return { model, name: spec, builtin: true };
}

/** What `--dataset` and its companion flags select. */
export interface DatasetFlags {
  /** Dataset name. */
  readonly name: string;
  /** Directory of the files. */
  readonly dir?: string;
  /** First N training examples only. */
  readonly limit?: string;
  /** First N validation examples only. */
  readonly evalLimit?: string;
  /** Seed of the shuffles. */
  readonly seed: number;
  /** Built-in model the data is for: its input shape is used when it holds the same number of values. */
  readonly model?: string;
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(ErrorCodes.OPTION, `${flag} ${v} must be a positive integer`);
  return n;
}

/**
 * `--dataset` with its directory, subsets and seed. When a built-in model expects the same
 * number of values per example in another shape (the LSTM reads MNIST as 28 steps of 28), the
 * examples are reshaped to the model's input.
 */
export async function resolveDataset(f: DatasetFlags): Promise<DataSource> {
  const limit = positiveInt(f.limit, '--limit');
  const evalLimit = positiveInt(f.evalLimit, '--eval-limit');
  const opts = { ...(f.dir ? { dir: f.dir } : {}), ...(limit ? { limit } : {}), ...(evalLimit ? { evalLimit } : {}), seed: f.seed };
  const data = await loadDataset(f.name, opts);
  if (f.model && MODEL_NAMES.includes(f.model)) {
    const want = modelInfo(f.model).inputShape;
    const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    if (size(want) === size(data.inputShape) && want.join('x') !== data.inputShape.join('x')) {
      return loadDataset(f.name, { ...opts, inputShape: want });
    }
  }
  return data;
}

/** The default dataset of a built-in model (MNIST for LeNet-5/LSTM, CIFAR-10 for ResNets). */
export function defaultDatasetOf(modelName: string): string | undefined {
  return MODEL_NAMES.includes(modelName) ? modelInfo(modelName).defaultDataset : undefined;
}

/** The plan: `--plan file.json`, or a suggestion from `--format` and `--ratio`. */
export function resolvePlan(
  flags: { plan?: string; format?: string; ratio?: string },
  source: ModelSource,
): CompressionPlan {
  if (flags.plan) {
    if (!existsSync(flags.plan)) fail(ErrorCodes.PLAN, `plan file ${flags.plan} does not exist`);
    return parsePlan(readFileSync(flags.plan, 'utf8'), flags.plan);
  }
  const format = flags.format ?? 'tt'; // lint-allow-format: the documented default of --format
  const ratio = flags.ratio === undefined ? 5 : Number(flags.ratio);
  if (!(ratio > 1)) fail(ErrorCodes.OPTION, `--ratio ${flags.ratio} must be a number > 1`);
  if (source.builtin) return defaultPlan(source.name, format, ratio);
  const plan = suggestPlan(
    denseLayers(source.model).map((l) => ({ name: l.name, kind: l.kind, kernelShape: l.kernel.shape })),
    format,
    ratio,
  );
  if (Object.keys(plan.layers).length === 0) {
    fail(ErrorCodes.PLAN, `no layer of ${source.name} is big enough to compress by default`, 'write a plan (tensorslim inspect --json shows the layers) and pass --plan');
  }
  return plan;
}

/** Creates the output directory (never deletes anything in it). */
export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/** Parses a number flag, with a clear error. */
export function num(v: string | undefined, flag: string, dflt: number, opts: { int?: boolean; min?: number } = {}): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    fail(ErrorCodes.OPTION, `${flag} ${v} must be ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}`);
  }
  return n;
}
