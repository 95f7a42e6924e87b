/**
 * Options of the ADMM solver, the training loop and the compress pipeline, with the paper's
 * defaults (Yin et al., CVPR 2021, and its reference code): ρ = 1e-3 constant, Z/U updated once
 * per epoch, SGD with momentum 0.9, ADMM at lr 0.1 then fine-tuning at lr 0.005, batch 128.
 *
 * @module
 */
import { ErrorCodes, fail } from '@tensorslim/core';

/** How ρ grows: multiplied by `factor` after every `every` ADMM updates, never above `max`. */
export interface RhoSchedule {
  /** Multiplier (≥ 1). */
  readonly factor: number;
  /** Number of Z/U updates between two multiplications (≥ 1). */
  readonly every: number;
  /** Upper bound on ρ. */
  readonly max: number;
}

/** When ADMM updates Z and U: at the end of every epoch (the paper), or every N training steps. */
export type UpdateEvery = 'epoch' | number;

/** Options of {@link AdmmSolver}. */
export interface AdmmOptions {
  /** Penalty parameter ρ. Paper default: 1e-3. */
  readonly rho: number;
  /** ρ schedule; `null` keeps ρ constant (paper default). */
  readonly rhoSchedule: RhoSchedule | null;
  /** Z/U update frequency. Paper default: `'epoch'`. */
  readonly updateEvery: UpdateEvery;
  /** Stop early when every layer's primal residual ‖W−Z‖/‖W‖ is below this (and the dual is below `dualTol`); `null` never stops early (default). */
  readonly primalTol: number | null;
  /** Stop early when every layer's dual residual ρ‖Z−Z_prev‖ is below this (and the primal is below `primalTol`); `null` never stops early (default). */
  readonly dualTol: number | null;
}

/** The paper's ADMM defaults: ρ = 1e-3 constant, update once per epoch, no early stop. */
export const ADMM_DEFAULTS: AdmmOptions = Object.freeze({
  rho: 1e-3,
  rhoSchedule: null,
  updateEvery: 'epoch',
  primalTol: null,
  dualTol: null,
});

/** The loss the training loop minimises. */
export type LossKind = 'crossentropy' | 'mse';

/** Options of one training phase (SGD with momentum). */
export interface TrainOptions {
  /** Epochs to train. */
  readonly epochs: number;
  /** Learning rate. */
  readonly lr: number;
  /** SGD momentum. Paper default: 0.9. */
  readonly momentum: number;
  /** Batch size. Reference default: 128. */
  readonly batchSize: number;
  /** Label smoothing ε (targets become (1−ε)·y + ε/K); 0 = off (default; the reference code uses 0.1 on CIFAR). */
  readonly labelSmoothing: number;
  /** L2 weight decay added to every trainable weight's gradient (0 = off, default). */
  readonly weightDecay: number;
  /** Run seed: fixes the batch order (through the data source) and every random choice. */
  readonly seed: number;
  /** `'crossentropy'` (classification, default) or `'mse'` (regression). */
  readonly loss: LossKind;
  /** Batch size for evaluation (default 256). */
  readonly evalBatchSize: number;
}

/** Training defaults: momentum 0.9 (paper), batch 128, lr 0.1 (the paper's ADMM phase), no smoothing, no decay. */
export const TRAIN_DEFAULTS: TrainOptions = Object.freeze({
  epochs: 1,
  lr: 0.1,
  momentum: 0.9,
  batchSize: 128,
  labelSmoothing: 0,
  weightDecay: 0,
  seed: 1,
  loss: 'crossentropy',
  evalBatchSize: 256,
});

/** The serializable options of the compress pipeline (what a checkpoint and a report store). */
export interface CompressSettings {
  /** Run seed. Default 1. */
  readonly seed: number;
  /** Batch size of every phase. Default 128 (reference code, CIFAR). */
  readonly batchSize: number;
  /** Evaluation batch size. Default 256. */
  readonly evalBatchSize: number;
  /** SGD momentum of every phase. Default 0.9 (paper). */
  readonly momentum: number;
  /** Label smoothing of every phase. Default 0 (the reference code uses 0.1 on CIFAR). */
  readonly labelSmoothing: number;
  /** Weight decay of every phase. Default 0. */
  readonly weightDecay: number;
  /** Loss. Default 'crossentropy'. */
  readonly loss: LossKind;
  /** Dense (pre)training epochs before ADMM; 0 = the model comes trained (default). */
  readonly pretrainEpochs: number;
  /** Learning rate of pretraining. Default 0.1. */
  readonly pretrainLr: number;
  /** ADMM training epochs. Default 200 (paper, CIFAR). */
  readonly admmEpochs: number;
  /** Learning rate of ADMM training. Default 0.1 (paper, CIFAR). */
  readonly admmLr: number;
  /** ρ. Default 1e-3 (paper). */
  readonly rho: number;
  /** ρ schedule; null = constant (paper). */
  readonly rhoSchedule: RhoSchedule | null;
  /** Z/U update frequency. Default 'epoch' (paper). */
  readonly updateEvery: UpdateEvery;
  /** Early-stop primal tolerance (null = off, default). */
  readonly primalTol: number | null;
  /** Early-stop dual tolerance (null = off, default). */
  readonly dualTol: number | null;
  /** Fine-tuning epochs of the factorized model (the baseline gets the same). Default 200 (paper, CIFAR). */
  readonly finetuneEpochs: number;
  /** Fine-tuning learning rate. Default 0.005 (paper, CIFAR). */
  readonly finetuneLr: number;
  /**
   * Also run the direct arm: decompose the dense model as it is and fine-tune it for
   * `finetuneEpochs` (it trains `admmEpochs` epochs fewer than ADMM). Default false.
   */
  readonly baseline: boolean;
  /**
   * Also run the direct arm with the same total epochs: continue dense training for `admmEpochs`
   * (ADMM's lr, batch and batch order, no penalty), then decompose and fine-tune for
   * `finetuneEpochs`. Default false.
   */
  readonly continuedBaseline: boolean;
  /** Write a checkpoint every this many training steps (0 = only at phase ends). Default 0. */
  readonly checkpointEvery: number;
}

/** The pipeline defaults (the paper's CIFAR recipe; scale the epochs to your data). */
export const COMPRESS_DEFAULTS: CompressSettings = Object.freeze({
  seed: 1,
  batchSize: 128,
  evalBatchSize: 256,
  momentum: 0.9,
  labelSmoothing: 0,
  weightDecay: 0,
  loss: 'crossentropy',
  pretrainEpochs: 0,
  pretrainLr: 0.1,
  admmEpochs: 200,
  admmLr: 0.1,
  rho: 1e-3,
  rhoSchedule: null,
  updateEvery: 'epoch',
  primalTol: null,
  dualTol: null,
  finetuneEpochs: 200,
  finetuneLr: 0.005,
  baseline: false,
  continuedBaseline: false,
  checkpointEvery: 0,
});

/** One line of help per pipeline option, for command-line `--help` texts and docs. */
export interface OptionDoc {
  /** Key in {@link CompressSettings}. */
  readonly key: keyof CompressSettings;
  /** Default, as printed. */
  readonly default: string;
  /** What it does (and where the default comes from). */
  readonly help: string;
}

/** Help lines of every pipeline option; the defaults are the paper's. */
export const COMPRESS_OPTION_DOCS: readonly OptionDoc[] = [
  { key: 'rho', default: '1e-3', help: 'ADMM penalty ρ (paper: 1e-3, constant)' },
  { key: 'rhoSchedule', default: 'constant', help: 'multiply ρ by a factor every K updates, capped ({factor, every, max})' },
  { key: 'updateEvery', default: 'epoch', help: "Z/U update frequency: 'epoch' (paper) or every N steps" },
  { key: 'admmEpochs', default: '200', help: 'ADMM training epochs (paper, CIFAR: 200)' },
  { key: 'admmLr', default: '0.1', help: 'learning rate during ADMM (paper, CIFAR: 0.1)' },
  { key: 'finetuneEpochs', default: '200', help: 'fine-tuning epochs after decomposition (paper, CIFAR: 200)' },
  { key: 'finetuneLr', default: '0.005', help: 'fine-tuning learning rate (paper, CIFAR: 0.005)' },
  { key: 'momentum', default: '0.9', help: 'SGD momentum (paper: 0.9)' },
  { key: 'batchSize', default: '128', help: 'batch size (reference code, CIFAR: 128)' },
  { key: 'labelSmoothing', default: '0', help: 'label smoothing (reference code, CIFAR: 0.1)' },
  { key: 'weightDecay', default: '0', help: 'L2 weight decay on every trainable weight' },
  { key: 'pretrainEpochs', default: '0', help: 'dense training before ADMM (0: the model comes trained)' },
  { key: 'pretrainLr', default: '0.1', help: 'learning rate of dense pretraining' },
  { key: 'primalTol', default: 'off', help: 'stop ADMM early when every primal ‖W−Z‖/‖W‖ is below this and every dual is below dualTol' },
  { key: 'dualTol', default: 'off', help: 'stop ADMM early when every dual ρ‖Z−Z_prev‖ is below this and every primal is below primalTol' },
  { key: 'baseline', default: 'false', help: 'also decompose the dense model directly and fine-tune it for finetuneEpochs (admmEpochs fewer training epochs than ADMM)' },
  {
    key: 'continuedBaseline',
    default: 'false',
    help: 'also continue dense training for admmEpochs (ADMM lr, batch and batch order, no penalty), then decompose and fine-tune for finetuneEpochs: the direct arm with the same total epochs as ADMM',
  },
  { key: 'checkpointEvery', default: '0', help: 'checkpoint every N steps (0: at phase ends only)' },
  { key: 'seed', default: '1', help: 'run seed (batch order, random choices)' },
  { key: 'loss', default: 'crossentropy', help: "'crossentropy' or 'mse'" },
  { key: 'evalBatchSize', default: '256', help: 'evaluation batch size' },
];

function check(ok: boolean, what: string, value: unknown, want: string): void {
  if (!ok) fail(ErrorCodes.OPTION, `option ${what} = ${JSON.stringify(value)} is invalid`, `it must be ${want}`);
}

const isInt = (v: unknown, min: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Validates ADMM options (throws `TS_OPTION` naming the bad one). */
export function validateAdmmOptions(o: AdmmOptions): AdmmOptions {
  check(isNum(o.rho) && o.rho > 0, 'rho', o.rho, 'a positive number');
  check(o.updateEvery === 'epoch' || isInt(o.updateEvery, 1), 'updateEvery', o.updateEvery, "'epoch' or a positive integer (steps)");
  if (o.rhoSchedule !== null) {
    const s = o.rhoSchedule;
    check(typeof s === 'object' && s !== null, 'rhoSchedule', s, 'null or {factor, every, max}');
    check(isNum(s.factor) && s.factor >= 1, 'rhoSchedule.factor', s.factor, 'a number ≥ 1');
    check(isInt(s.every, 1), 'rhoSchedule.every', s.every, 'a positive integer (updates)');
    check(isNum(s.max) && s.max >= o.rho, 'rhoSchedule.max', s.max, `a number ≥ rho (${o.rho})`);
  }
  for (const k of ['primalTol', 'dualTol'] as const) {
    const v = o[k];
    check(v === null || (isNum(v) && v >= 0), k, v, 'null or a number ≥ 0');
  }
  return o;
}

/** Validates one phase's training options (throws `TS_OPTION`). */
export function validateTrainOptions(o: TrainOptions, phase = 'training'): TrainOptions {
  check(isInt(o.epochs, 0), `${phase}.epochs`, o.epochs, 'an integer ≥ 0');
  check(isNum(o.lr) && o.lr > 0, `${phase}.lr`, o.lr, 'a positive number');
  check(isNum(o.momentum) && o.momentum >= 0 && o.momentum < 1, 'momentum', o.momentum, 'a number in [0, 1)');
  check(isInt(o.batchSize, 1), 'batchSize', o.batchSize, 'a positive integer');
  check(isInt(o.evalBatchSize, 1), 'evalBatchSize', o.evalBatchSize, 'a positive integer');
  check(isNum(o.labelSmoothing) && o.labelSmoothing >= 0 && o.labelSmoothing < 1, 'labelSmoothing', o.labelSmoothing, 'a number in [0, 1)');
  check(isNum(o.weightDecay) && o.weightDecay >= 0, 'weightDecay', o.weightDecay, 'a number ≥ 0');
  check(isInt(o.seed, 0), 'seed', o.seed, 'an integer ≥ 0');
  check(o.loss === 'crossentropy' || o.loss === 'mse', 'loss', o.loss, "'crossentropy' or 'mse'");
  return o;
}

/** Fills pipeline defaults and validates everything (throws `TS_OPTION`). Unknown keys are an error too. */
export function resolveCompressSettings(partial: Partial<CompressSettings> = {}): CompressSettings {
  for (const k of Object.keys(partial)) {
    if (!(k in COMPRESS_DEFAULTS)) {
      fail(ErrorCodes.OPTION, `unknown option "${k}"`, `known options: ${Object.keys(COMPRESS_DEFAULTS).join(', ')}`);
    }
  }
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const s: CompressSettings = { ...COMPRESS_DEFAULTS, ...defined };
  validateAdmmOptions(admmOptionsOf(s));
  for (const [phase, epochs, lr] of [
    ['pretrain', s.pretrainEpochs, s.pretrainLr],
    ['admm', s.admmEpochs, s.admmLr],
    ['finetune', s.finetuneEpochs, s.finetuneLr],
  ] as const) {
    validateTrainOptions(trainOptionsOf(s, epochs, lr), phase);
  }
  for (const k of ['baseline', 'continuedBaseline'] as const) check(typeof s[k] === 'boolean', k, s[k], 'true or false');
  check(isInt(s.checkpointEvery, 0), 'checkpointEvery', s.checkpointEvery, 'an integer ≥ 0 (steps; 0 = phase ends only)');
  return Object.freeze(s);
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
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  return validateTrainOptions({ ...TRAIN_DEFAULTS, ...defined });
}

/** Fills ADMM defaults and validates (throws `TS_OPTION`). */
export function resolveAdmmOptions(partial: Partial<AdmmOptions> = {}): AdmmOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  return validateAdmmOptions({ ...ADMM_DEFAULTS, ...defined });
}
