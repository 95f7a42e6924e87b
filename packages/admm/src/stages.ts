/**
 * The compress pipeline's stages as data: their order, which arm each belongs to, which stages
 * train, and each training stage's epochs, learning rate and batch-order seed. The phase machine
 * (phase-machine.ts) walks these; checkpoints store the stage a run stands at.
 *
 * @module
 */
import type { PhaseName } from './events.js';
import type { CompressSettings } from './options.js';
import type { Arm } from './report.js';

/** A stage of a run: a phase, or the end. */
export type Stage = PhaseName | 'done';

/** Every stage in the order a run passes them (arms that do not run are skipped). */
export const STAGES: readonly Stage[] = [
  'pretrain',
  'admm',
  'decompose',
  'finetune',
  'baseline-decompose',
  'baseline-finetune',
  'continued-train',
  'continued-decompose',
  'continued-finetune',
  'report',
  'done',
];

/** Where each arm starts, its last stage and the tag of the checkpoint at its end. */
export const ARM_STAGES: Readonly<Record<Arm, { first: Stage; last: Stage; endTag: string }>> = {
  admm: { first: 'admm', last: 'finetune', endTag: 'finetune-end' },
  baseline: { first: 'baseline-decompose', last: 'baseline-finetune', endTag: 'baseline-finetune-end' },
  continued: { first: 'continued-train', last: 'continued-finetune', endTag: 'continued-finetune-end' },
};

/** The phase-end snapshots of dense weights a run keeps (in memory, and as tagged checkpoints). */
export type DenseTag = 'pretrain-end' | 'admm-end' | 'continued-train-end';

/** The dense weights each direct arm decomposes: the phase-end snapshot of its own training. */
export const DIRECT_SOURCE: Readonly<Record<Exclude<Arm, 'admm'>, DenseTag>> = {
  baseline: 'pretrain-end',
  continued: 'continued-train-end',
};

/** The stages that train (and so have a loop position, an optimizer and periodic checkpoints). */
export const TRAINING: Partial<Record<Stage, true>> = {
  pretrain: true,
  admm: true,
  finetune: true,
  'baseline-finetune': true,
  'continued-train': true,
  'continued-finetune': true,
};

/** Whether an arm runs under these settings. */
export function armRuns(settings: CompressSettings, arm: Arm): boolean {
  return arm === 'admm' || (arm === 'baseline' ? settings.baseline : settings.continuedBaseline);
}

/** The stage after an arm's last one: the next arm that runs, or the report. */
export function stageAfter(settings: CompressSettings, arm: Arm): Stage {
  const order = Object.keys(ARM_STAGES) as Arm[];
  const next = order.slice(order.indexOf(arm) + 1).find((a) => armRuns(settings, a));
  return next ? ARM_STAGES[next].first : 'report';
}

/** Which training a stage is: dense pretraining, ADMM-length training (ADMM, or the continued arm's dense epochs) or fine-tuning. */
function phaseKind(stage: Stage): 0 | 1 | 2 {
  return stage === 'pretrain' ? 0 : stage === 'admm' || stage === 'continued-train' ? 1 : 2;
}

/** The learning rate of a training stage. */
export function phaseLr(settings: CompressSettings, stage: Stage): number {
  return [settings.pretrainLr, settings.admmLr, settings.finetuneLr][phaseKind(stage)]!;
}

/** The epochs of a training stage. */
export function phaseEpochs(settings: CompressSettings, stage: Stage): number {
  return [settings.pretrainEpochs, settings.admmEpochs, settings.finetuneEpochs][phaseKind(stage)]!;
}

/**
 * The batch-order seed of a training stage: the continued arm's dense epochs see ADMM's batches,
 * every fine-tuning sees the ADMM fine-tuning's (same epochs, same data order).
 */
export function phaseSeed(settings: CompressSettings, stage: Stage): number {
  return (settings.seed + 7919 * phaseKind(stage)) >>> 0;
}
