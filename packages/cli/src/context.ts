/**
 * What several subcommands share: the flags naming the backend, the model (built-in name or
 * model.json), the dataset, the plan and the output (each a schema field the commands compose
 * their flags from), and resolving them.
 *
 * @module
 */
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { ErrorCodes, fail, opt, parsePlan, plannableLayers, resolvePlugin, suggestPlan, type CompressionPlan, type DataSource } from '@tensorslim/core';
import { budgetPlan, budgetSchema, hasBudget, type BudgetPlanResult, type BudgetTarget } from '@tensorslim/surgery';
import { loadModel } from '@tensorslim/io';
import { trainOptionsSchema } from '@tensorslim/admm';
import { BACKEND_ORDER, LOSS_READ_EVERY, selectBackend, type BackendName } from '@tensorslim/backends';
import { buildModel, DATASET_NAMES, DATASETS, defaultPlan, FOLDER_PREFIX, loadDataset, MODEL_NAMES, modelInfo } from '@tensorslim/models';
import type { Progress } from './progress.js';

const positiveInt = z.number().int().min(1);

/**
 * The flags several commands share. A command takes the ones it has, with its own description
 * where the meaning differs (`opt(FLAGS.model, { description })`).
 */
export const FLAGS = {
  /** `--model`: a built-in name or a model.json (a command gives the description). */
  model: opt(z.string().min(1), { arg: 'name|model.json' }),
  /** `--dataset`: a built-in dataset. */
  dataset: opt(z.union([z.enum(DATASET_NAMES as [string, ...string[]]), z.string().regex(/^folder:.+/, 'folder:DIR')]).optional(), {
    description:
      "dataset: a built-in one, or folder:DIR — one sub-folder per class of PNG/JPEG images, resized to the model's input, 20% held out for validation",
    defaultText: "the model's own",
    allowed: `${DATASET_NAMES.join(', ')} or folder:DIR`,
    arg: 'name|folder:DIR',
    code: ErrorCodes.UNKNOWN_NAME,
  }),
  /** `--scale`: image folders' normalization. */
  scale: opt(z.number().optional(), {
    description: 'image folders: x = pixel·scale + offset, pixel in 0..255',
    defaultText: '1/255, or "scale" of DIR/normalization.json',
    arg: 'S',
  }),
  /** `--offset`. */
  offset: opt(z.number().optional(), { description: 'image folders: see --scale', defaultText: '0, or "offset" of DIR/normalization.json', arg: 'O' }),
  /** `--data-dir`. */
  dataDir: opt(z.string().min(1).optional(), {
    description: 'directory of the dataset files',
    note: `required for ${DATASET_NAMES.filter((n) => DATASETS[n]!.needsDir).join('/')}`,
    arg: 'dir',
  }),
  /** `--limit`. */
  limit: opt(positiveInt.optional(), { description: 'use only the first N training examples', arg: 'N' }),
  /** `--eval-limit`. */
  evalLimit: opt(positiveInt.optional(), { description: 'use only the first N validation examples', arg: 'N' }),
  /** `--format` of a suggested plan (a command gives the description). */
  format: opt(z.string().min(1).default('tt'), { arg: 'id' }), // lint-allow-format: the documented default of --format
  /** `--ratio` of a suggested plan (a command gives the description). */
  ratio: opt(z.number().gt(1).default(5), { arg: 'C' }),
  /** `--target-params F`: keep at most this fraction of the whole model's parameters (surgery's budget schema). */
  targetParams: budgetSchema.shape.targetParams,
  /** `--target-flops F`: keep at most this fraction of the whole model's multiply-adds. */
  targetFlops: budgetSchema.shape.targetFlops,
  /** `--plan`. */
  plan: opt(z.string().min(1).optional(), { description: 'compression plan (layers, formats, modes, ranks)', arg: 'plan.json' }),
  /** `--seed` (the API's run seed). */
  seed: trainOptionsSchema.shape.seed,
  /** `--backend`. */
  backend: opt(z.enum(['auto', ...BACKEND_ORDER]).default('auto'), { description: 'TF.js backend', arg: 'name', code: ErrorCodes.UNKNOWN_NAME }),
  /** `--out`: a directory (a command gives the description). */
  out: opt(z.string().min(1), { arg: 'dir' }),
  /** `--json` (a command gives the description). */
  json: z.boolean().optional(),
};

/** Starts the backend named by `--backend` and logs the choice and the reasons. */
export async function startBackend(name: string | undefined, progress: Progress): Promise<string> {
  const choice = await selectBackend(name ?? 'auto');
  const skipped = choice.skipped.map((s) => `${s.name}: ${s.why}`).join('; ');
  progress.log(`backend: ${choice.name} (${choice.reason})${skipped ? ` — skipped ${skipped}` : ''}`);
  return choice.name;
}

/** Steps between reads of the training loss on the backend `startBackend` chose ({@link LOSS_READ_EVERY}; 1 for an unknown name). */
export function readEveryOf(backend: string): number {
  return LOSS_READ_EVERY[backend as BackendName] ?? 1;
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

/** A loaded model's input shape (without the batch axis) and class count (its output's last axis), for {@link resolveDataset}. */
export function modelDataShape(model: tfl.LayersModel): { inputShape: number[]; numClasses: number } {
  return { inputShape: model.inputs[0]!.shape.slice(1) as number[], numClasses: model.outputs[0]!.shape[model.outputs[0]!.shape.length - 1] as number };
}

/** What `--dataset` and its companion flags select. */
export interface DatasetFlags {
  /** Dataset name (default: the model's own, else mnist). */
  readonly dataset?: string;
  /** Directory of the files. */
  readonly dataDir?: string;
  /** First N training examples only. */
  readonly limit?: number;
  /** First N validation examples only. */
  readonly evalLimit?: number;
  /** Seed of the shuffles. */
  readonly seed: number;
  /** Built-in model the data is for: its default dataset, and its input shape when it holds the same number of values. */
  readonly model: string;
  /** Image folders and synthetic data: the model's input shape [H, W, C] (default: the built-in model's). */
  readonly inputShape?: readonly number[];
  /** Synthetic data for a loaded model: its number of classes (with `inputShape`). */
  readonly numClasses?: number;
  /** Image folders: normalization scale. */
  readonly scale?: number | undefined;
  /** Image folders: normalization offset. */
  readonly offset?: number | undefined;
}

/**
 * `--dataset` with its directory, subsets and seed. When a built-in model expects the same
 * number of values per example in another shape (the LSTM reads MNIST as 28 steps of 28), the
 * examples are reshaped to the model's input.
 */
export async function resolveDataset(f: DatasetFlags): Promise<DataSource> {
  const name = f.dataset ?? defaultDatasetOf(f.model) ?? 'mnist';
  const builtin = MODEL_NAMES.includes(f.model) ? modelInfo(f.model) : null;
  const shapeOf = builtin ?? (f.inputShape && f.numClasses ? { inputShape: f.inputShape, numClasses: f.numClasses } : null);
  const opts = {
    ...(f.dataDir ? { dir: f.dataDir } : {}),
    ...(f.limit ? { limit: f.limit } : {}),
    ...(f.evalLimit ? { evalLimit: f.evalLimit } : {}),
    // synthetic data takes the model's input shape and classes: a built-in's (generated at the
    // sizes --limit / --eval-limit), or a loaded model's when the caller passes them (generated at
    // the default sizes, then cut by the limits: a loaded model of the default shape, [8] → 3,
    // sees the same examples as when no shape is passed)
    ...(shapeOf
      ? {
          synthetic: {
            inputShape: shapeOf.inputShape,
            numClasses: shapeOf.numClasses,
            ...(builtin && f.limit ? { trainSize: f.limit } : {}),
            ...(builtin && f.evalLimit ? { testSize: f.evalLimit } : {}),
          },
        }
      : {}),
    seed: f.seed,
  };
  if (name.startsWith(FOLDER_PREFIX)) {
    const inputShape = f.inputShape ?? (MODEL_NAMES.includes(f.model) ? modelInfo(f.model).inputShape : undefined);
    return loadDataset(name, {
      ...opts,
      ...(inputShape ? { inputShape } : {}),
      ...(f.scale !== undefined ? { scale: f.scale } : {}),
      ...(f.offset !== undefined ? { offset: f.offset } : {}),
    });
  }
  const data = await loadDataset(name, opts);
  if (builtin) {
    const want = builtin.inputShape;
    const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    if (size(want) === size(data.inputShape) && want.join('x') !== data.inputShape.join('x')) {
      return loadDataset(name, { ...opts, inputShape: want });
    }
  }
  return data;
}

/** The default dataset of a built-in model (MNIST for LeNet-5/LSTM, CIFAR-10 for ResNets). */
export function defaultDatasetOf(modelName: string): string | undefined {
  return MODEL_NAMES.includes(modelName) ? modelInfo(modelName).defaultDataset : undefined;
}

/** What the plan flags select: `--plan`, `--format`/`--ratio`, and the budget `--target-params`/`--target-flops`. */
export interface PlanFlags extends BudgetTarget {
  /** A plan file. */
  readonly plan?: string | undefined;
  /** Format of a suggested plan. */
  readonly format: string;
  /** Ratio of a suggested plan. */
  readonly ratio: number;
}

/**
 * The plan, and the budget allocation when a budget was asked for:
 * - `--target-params F` / `--target-flops F`: ranks allocated across the model to meet the budget
 *   (surgery's `budgetPlan`), over the layers of `--plan` when one is given (their formats, modes and
 *   options), else of a built-in model's default plan, else every factorizable layer in `--format`;
 * - else `--plan file.json`, or a suggestion from `--format` and `--ratio`.
 */
export async function resolvePlanAndBudget(flags: PlanFlags, source: ModelSource): Promise<{ plan: CompressionPlan; budget?: BudgetPlanResult }> {
  const filePlan = flags.plan ? readPlanFile(flags.plan) : undefined;
  if (hasBudget(flags)) {
    const target = {
      ...(flags.targetParams !== undefined ? { targetParams: flags.targetParams } : {}),
      ...(flags.targetFlops !== undefined ? { targetFlops: flags.targetFlops } : {}),
    };
    const base = filePlan ?? (source.builtin ? defaultPlan(source.name, flags.format, flags.ratio) : undefined);
    if (!base) resolvePlugin(flags.format);
    const budget = await budgetPlan(source.model, { target, ...(base ? { base } : { format: flags.format }) });
    return { plan: budget.plan, budget };
  }
  if (filePlan) return { plan: filePlan };
  const { format, ratio } = flags;
  if (source.builtin) return { plan: defaultPlan(source.name, format, ratio) };
  const plan = suggestPlan(plannableLayers(source.model), format, ratio, { plugin: resolvePlugin(format) });
  if (Object.keys(plan.layers).length === 0) {
    fail(
      ErrorCodes.PLAN,
      `no layer of ${source.name} is big enough to compress by default`,
      'write a plan (tensorslim inspect --json shows the layers) and pass --plan',
    );
  }
  return { plan };
}

/** The plan of {@link resolvePlanAndBudget}. */
export async function resolvePlan(flags: PlanFlags, source: ModelSource): Promise<CompressionPlan> {
  return (await resolvePlanAndBudget(flags, source)).plan;
}

function readPlanFile(path: string): CompressionPlan {
  if (!existsSync(path)) fail(ErrorCodes.PLAN, `plan file ${path} does not exist`);
  return parsePlan(readFileSync(path, 'utf8'), path);
}

/** Creates the output directory (never deletes anything in it). */
export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}
