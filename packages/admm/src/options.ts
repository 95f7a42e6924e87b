/**
 * Options of the ADMM solver, the training loop and the compress pipeline: one zod schema per
 * settings object, which states each option's type, range, default and help text once. The API
 * validates its input with these schemas; the command line derives its flags and `--help` from
 * them. Defaults are the paper's (Yin et al., CVPR 2021, and its reference code): ρ = 1e-3
 * constant, Z/U updated once per epoch, SGD with momentum 0.9, ADMM at lr 0.1 then fine-tuning at
 * lr 0.005, batch 128.
 *
 * @module
 */
import { z } from 'zod';
import type { PluginRegistry } from '@tensorslim/core';
import { opt, optionDocs, parseOptions, type OptionDoc } from '@tensorslim/core';
import type { ProgressListener } from './events.js';
import type { BatchTransform } from './trainer.js';
import type { GradientStepper } from './gradient-source.js';
import type { ModelSurgery } from './surgery.js';
import type { OptimizerFactory } from './trainer.js';

export type { OptionDoc } from '@tensorslim/core';

// ------------------------------------------------------------------ fields, each stated once

const epochs = z.number().int().min(0);
const positive = z.number().positive();
const tolerance = z.number().min(0).nullable().default(null);

/** The loss the training loop minimises: `'crossentropy'` (classification) or `'mse'` (regression). */
export const lossSchema = opt(z.union([z.literal('crossentropy'), z.literal('mse')]).default('crossentropy'), {
  description: 'the loss (crossentropy for classification, mse for regression)',
});

/** How ρ grows: multiplied by `factor` after every `every` ADMM updates, never above `max` (≥ rho). */
export const rhoScheduleSchema = z.strictObject({
  factor: opt(z.number().min(1), { description: 'ρ schedule: the multiplier', arg: 'F' }),
  every: opt(z.number().int().min(1), { description: 'ρ schedule: Z/U updates between two multiplications', arg: 'K' }),
  max: opt(z.number(), { description: 'ρ schedule: the upper bound on ρ (≥ rho)', arg: 'M' }),
});

/** Evaluation batch size (what {@link evaluate} and the pipeline's evaluations use). */
export const evalBatchSizeSchema = opt(z.number().int().min(1).default(256), { description: 'evaluation batch size', arg: 'B' });

/** The options every training phase shares. */
const PHASE_FIELDS = {
  seed: opt(z.number().int().min(0).default(1), { description: 'run seed: batch order and every random choice (randomized SVDs)', arg: 'S' }),
  batchSize: opt(z.number().int().min(1).default(128), { description: 'batch size', note: "the reference code's, CIFAR", arg: 'B' }),
  evalBatchSize: evalBatchSizeSchema,
  momentum: opt(z.number().min(0).lt(1).default(0.9), { description: 'SGD momentum', note: "the paper's", arg: 'M' }),
  labelSmoothing: opt(z.number().min(0).lt(1).default(0), { description: 'label smoothing', note: 'the reference code uses 0.1 on CIFAR', arg: 'E' }),
  weightDecay: opt(z.number().min(0).default(0), { description: "L2 weight decay added to every trainable weight's gradient" }),
  loss: lossSchema,
};

/** The options of the ADMM solver. */
const ADMM_FIELDS = {
  rho: opt(positive.default(1e-3), { description: 'ADMM penalty ρ', note: "the paper's", arg: 'R' }),
  rhoSchedule: opt(rhoScheduleSchema.nullable().default(null), {
    description: 'ρ schedule {factor, every, max}: ρ multiplied by factor after every `every` Z/U updates, never above max; null keeps ρ constant',
    defaultText: "constant, the paper's",
  }),
  updateEvery: opt(z.union([z.literal('epoch'), z.number().int().min(1)]).default('epoch'), {
    description: 'Z/U update after every epoch or every N training steps',
    note: "the paper's",
    arg: 'epoch|N',
  }),
  primalTol: opt(tolerance, { description: 'stop ADMM early when every primal residual ‖W−Z‖/‖W‖ is below this and every dual is below {dualTol}' }),
  dualTol: opt(tolerance, { description: 'stop ADMM early when every dual residual ρ‖Z−Z_prev‖ is below this and every primal is below {primalTol}' }),
};

/** Requires rhoSchedule.max ≥ rho (a check across two options). */
function scheduleWithinRho(v: { rho: number; rhoSchedule: { max: number } | null }, ctx: z.RefinementCtx): void {
  if (v.rhoSchedule && !(v.rhoSchedule.max >= v.rho)) ctx.addIssue({ code: 'custom', path: ['rhoSchedule', 'max'], message: `a number ≥ rho (${v.rho})` });
}

// ------------------------------------------------------------------ the settings objects

/** Options of {@link AdmmSolver}: ρ, its schedule, the Z/U update frequency, early-stop tolerances. */
export const admmOptionsSchema = z.strictObject(ADMM_FIELDS).superRefine(scheduleWithinRho);

/** Options of one training phase (SGD with momentum); the default lr 0.1 is the paper's ADMM rate. */
export const trainOptionsSchema = z.strictObject({
  epochs: opt(epochs.default(1), { description: 'training epochs', arg: 'N' }),
  lr: opt(positive.default(0.1), { description: 'learning rate', arg: 'LR' }),
  ...PHASE_FIELDS,
});

/** The serializable settings of the compress pipeline (what a checkpoint and a report store). */
export const compressSettingsSchema = z.strictObject({
  ...PHASE_FIELDS,
  pretrainEpochs: opt(epochs.default(0), { description: 'dense training epochs before ADMM', note: '0: the model comes trained', arg: 'N' }),
  pretrainLr: opt(positive.default(0.1), { description: 'learning rate of dense pretraining', arg: 'LR' }),
  admmEpochs: opt(epochs.default(200), { description: 'ADMM training epochs', note: "the paper's, CIFAR", arg: 'N' }),
  admmLr: opt(positive.default(0.1), { description: 'learning rate of the ADMM phase', note: "the paper's, CIFAR", arg: 'LR' }),
  ...ADMM_FIELDS,
  finetuneEpochs: opt(epochs.default(200), {
    description: 'fine-tuning epochs after decomposition, the same for every arm',
    note: "the paper's, CIFAR",
    arg: 'N',
  }),
  finetuneLr: opt(positive.default(0.005), { description: 'fine-tuning learning rate', note: "the paper's", arg: 'LR' }),
  baseline: opt(z.boolean().default(false), {
    description:
      'also run the direct arm: decompose the dense model as it is, then {finetuneEpochs} of fine-tuning (it trains {admmEpochs} fewer epochs than ADMM); reported beside ADMM, saved in baseline/',
  }),
  continuedBaseline: opt(z.boolean().default(false), {
    description:
      "also run the direct arm with the same total epochs as ADMM: continue dense training for {admmEpochs} (ADMM's lr, batch and batch order, no penalty), then decompose and fine-tune for {finetuneEpochs}; saved in continued/",
  }),
  checkpointEvery: opt(epochs.default(0), { description: 'steps between checkpoints', note: 'phase ends only', arg: 'N' }),
});

/** Runtime hooks of the pipeline (not serialized into checkpoints or reports). */
export const compressRuntimeSchema = z.strictObject({
  checkpointDir: opt(z.string().min(1).optional(), {
    description: 'write checkpoints here (atomically) at every phase end and every {checkpointEvery} steps',
    arg: 'dir',
  }),
  resume: opt(z.boolean().optional(), { description: 'continue from the newest complete checkpoint in {checkpointDir}' }),
  outDir: opt(z.string().min(1).optional(), {
    description: 'where to write the compressed model (model.json + weights-<hash>.bin), baseline/, continued/, report.json, report.md and plots',
    arg: 'dir',
  }),
  container: z
    .custom<PluginRegistry>((v) => typeof v === 'object' && v !== null, 'a registry (PluginRegistry)')
    .optional()
    .describe("registry of formats (default: core's default registry)"),
  surgery: z
    .custom<Partial<ModelSurgery>>((v) => typeof v === 'object' && v !== null, 'an object of model surgery functions')
    .optional()
    .describe("model surgery / IO overrides (default: surgery's factorizeModel and io's saveModel)"),
  onEvent: z
    .custom<ProgressListener>((v) => typeof v === 'function', 'a function')
    .optional()
    .describe('progress events'),
  batchTransform: z
    .custom<BatchTransform>((v) => typeof v === 'function', 'a function (batch, model, context) => batch')
    .optional()
    .describe('transforms every training batch of every phase before its gradient step (e.g. adversarial examples)'),
  stepper: z
    .custom<GradientStepper>(
      (v) => typeof v === 'object' && v !== null && typeof (v as { start?: unknown }).start === 'function',
      'a GradientStepper ({ threads, start })',
    )
    .optional()
    .describe('where the training gradients come from (default: computed on the calling thread); the command line passes worker threads (--threads)'),
  optimizer: z
    .custom<OptimizerFactory>((v) => typeof v === 'function', 'a function ({ lr, momentum }) => tf.Optimizer')
    .optional()
    .describe(
      "makes each training phase's momentum-SGD optimizer (default: tf.train.momentum); the command line passes @tensorslim/backends' makeMomentumOptimizer, fused on webgpu",
    ),
  readEvery: opt(z.number().int().min(1).optional(), {
    description:
      'steps between reads of the training loss (default 1: each loss is checked before its update); more lets a GPU run ahead, with the same results, but finds a divergence up to N−1 steps late',
    arg: 'N',
  }),
});

/** {@link compressSettingsSchema} with its check across options (rhoSchedule.max ≥ rho). */
const compressSettingsChecked = compressSettingsSchema.superRefine(scheduleWithinRho);

/** Options of {@link compress}: the settings (defaults: the paper's) plus the runtime hooks. */
export const compressOptionsSchema = compressSettingsSchema.extend(compressRuntimeSchema.shape).superRefine(scheduleWithinRho);

const { onEvent, batchTransform, stepper, readEvery, optimizer } = compressRuntimeSchema.shape;

/** Options of {@link trainDense}: one training phase plus a listener, a batch transform, a gradient stepper and the loss-read interval. */
export const trainRunOptionsSchema = trainOptionsSchema.extend({ onEvent, batchTransform, stepper, readEvery, optimizer });

/** Options of {@link fineTune}: as {@link trainRunOptionsSchema}, with the paper's fine-tuning lr 0.005. */
export const fineTuneOptionsSchema = trainRunOptionsSchema.extend({ lr: compressSettingsSchema.shape.finetuneLr });

/** Options of {@link admmTrain}: training and solver options, the registry, a listener, a gradient stepper and the loss-read interval. */
export const admmTrainOptionsSchema = trainOptionsSchema
  .extend(ADMM_FIELDS)
  .extend({ container: compressRuntimeSchema.shape.container, onEvent, stepper, readEvery, optimizer })
  .superRefine(scheduleWithinRho);

// ------------------------------------------------------------------ types and defaults

/** How ρ grows: multiplied by `factor` after every `every` ADMM updates, never above `max`. */
export type RhoSchedule = Readonly<z.output<typeof rhoScheduleSchema>>;

/** When ADMM updates Z and U: at the end of every epoch (the paper), or every N training steps. */
export type UpdateEvery = 'epoch' | number;

/** Options of {@link AdmmSolver} (see {@link admmOptionsSchema}). */
export type AdmmOptions = Readonly<z.output<typeof admmOptionsSchema>>;

/** The loss the training loop minimises. */
export type LossKind = z.output<typeof lossSchema>;

/** Options of one training phase (see {@link trainOptionsSchema}). */
export type TrainOptions = Readonly<z.output<typeof trainOptionsSchema>>;

/** Runtime hooks of the compress pipeline (see {@link compressRuntimeSchema}). */
export type CompressRuntime = Readonly<z.output<typeof compressRuntimeSchema>>;

/** The serializable options of the compress pipeline (see {@link compressSettingsSchema}). */
export type CompressSettings = Readonly<z.output<typeof compressSettingsSchema>>;

/** The paper's ADMM defaults: ρ = 1e-3 constant, update once per epoch, no early stop. */
export const ADMM_DEFAULTS: AdmmOptions = Object.freeze(admmOptionsSchema.parse({}));

/** Training defaults: momentum 0.9 (paper), batch 128, lr 0.1 (the paper's ADMM phase), no smoothing, no decay. */
export const TRAIN_DEFAULTS: TrainOptions = Object.freeze(trainOptionsSchema.parse({}));

/** The pipeline defaults (the paper's CIFAR recipe; scale the epochs to your data). */
export const COMPRESS_DEFAULTS: CompressSettings = Object.freeze(compressSettingsSchema.parse({}));

/** Help lines of every pipeline option with its default, generated from {@link compressSettingsSchema}. */
export const COMPRESS_OPTION_DOCS: readonly OptionDoc[] = Object.freeze(optionDocs(compressSettingsSchema));

// ------------------------------------------------------------------ validation

/** `o` without its keys whose value is `undefined` (an option given as undefined takes its default). */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Validates ADMM options (throws `TS_OPTION` naming the bad one, its value and what is allowed). */
export function validateAdmmOptions(o: AdmmOptions): AdmmOptions {
  return parseOptions(admmOptionsSchema, o);
}

/** Validates one phase's training options (throws `TS_OPTION`; `phase` prefixes the message). */
export function validateTrainOptions(o: TrainOptions, phase = 'training'): TrainOptions {
  return parseOptions(trainOptionsSchema, o, { source: phase });
}

/** Fills pipeline defaults and validates everything (throws `TS_OPTION`). Unknown keys are an error too. */
export function resolveCompressSettings(partial: Partial<CompressSettings> = {}): CompressSettings {
  return Object.freeze(parseOptions(compressSettingsChecked, definedOnly(partial)));
}

/** The solver options contained in pipeline settings. */
export function admmOptionsOf(s: CompressSettings): AdmmOptions {
  return { rho: s.rho, rhoSchedule: s.rhoSchedule, updateEvery: s.updateEvery, primalTol: s.primalTol, dualTol: s.dualTol };
}

/** The training options of one phase contained in pipeline settings. */
export function trainOptionsOf(s: CompressSettings, epochs: number, lr: number): TrainOptions {
  return {
    epochs,
    lr,
    momentum: s.momentum,
    batchSize: s.batchSize,
    labelSmoothing: s.labelSmoothing,
    weightDecay: s.weightDecay,
    seed: s.seed,
    loss: s.loss,
    evalBatchSize: s.evalBatchSize,
  };
}

/** Fills training defaults and validates (throws `TS_OPTION`). */
export function resolveTrainOptions(partial: Partial<TrainOptions> = {}): TrainOptions {
  return parseOptions(trainOptionsSchema, definedOnly(partial));
}

/** Fills ADMM defaults and validates (throws `TS_OPTION`). */
export function resolveAdmmOptions(partial: Partial<AdmmOptions> = {}): AdmmOptions {
  return parseOptions(admmOptionsSchema, definedOnly(partial));
}
