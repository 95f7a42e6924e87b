/**
 * `tensorslim compress`: the whole pipeline — (pretraining) → ADMM → decompose → fine-tune →
 * evaluate → save + report, optionally with the decompose-then-fine-tune baseline beside it.
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import {
  compress,
  COMPRESS_DEFAULTS,
  compressRuntimeSchema,
  compressSettingsSchema,
  rhoScheduleSchema,
  type CompressReport,
  type CompressSettings,
} from '@tensorslim/admm';
import { ARM_LABELS, budgetText, CONVERGED_PRIMAL, finalPrimal, reportArms } from '@tensorslim/report';
import { ErrorCodes, defaultRegistry, fail, opt } from '@tensorslim/core';
import { MODEL_NAMES } from '@tensorslim/models';
import { ADVERSARIAL_FIELDS, ATMC_FIELDS, adversarialTransform, evaluationAttack, registerAtmc, trainingAttack } from '@tensorslim/robust';
import type * as tfl from '@tensorflow/tfjs-layers';
import { makeMomentumOptimizer } from '@tensorslim/backends';
import { ensureDir, FLAGS, isModelPath, modelDataShape, readEveryOf, resolveDataset, resolveModel, resolvePlan, startBackend } from '../context.js';
import { addRobustSection, robustSection, type RobustSection } from '../robust-report.js';
import { createProgress, progressEnabled, progressListener } from '../progress.js';
import { addFlags, optionalOf, parseFlags, withDefaults, type FlagsInput } from '../schema-flags.js';
import { pruneReportMarkdown, runPruneMethod } from './compress-prune.js';
import { resolveThreads, threadsFlag } from '../threads.js';

const api = compressSettingsSchema.shape;
const runtime = compressRuntimeSchema.shape;

/** Dense epochs before ADMM when `--model` is a built-in architecture (built fresh, untrained). */
export const PRETRAIN_EPOCHS_BUILTIN = 2;

/**
 * The flags of `compress`: the pipeline's settings and runtime hooks (the API's schema fields),
 * what the model, data and plan come from, and `--lr` (pretraining and, unless `--admm-lr`,
 * ADMM). The command's defaults are the API's except for those in the overlay: laptop-size runs,
 * with the paper's values in the help.
 */
export const compressFlagsSchema = withDefaults(
  z.strictObject({
    model: opt(FLAGS.model, { description: `${MODEL_NAMES.join(', ')} (built fresh and pretrained), or a trained model.json` }),
    dataset: FLAGS.dataset,
    scale: FLAGS.scale,
    offset: FLAGS.offset,
    dataDir: FLAGS.dataDir,
    limit: FLAGS.limit,
    evalLimit: FLAGS.evalLimit,
    format: opt(FLAGS.format, { description: "format of every planned layer when no --plan is given: tt, tr, tucker, cp or a plugin's" }),
    ratio: opt(FLAGS.ratio, { description: 'target compression ratio of the planned layers when no --plan is given' }),
    plan: opt(FLAGS.plan, {
      description: 'a compression plan: layers, formats, modes, ranks (see docs/concepts.md); with a budget, its layers, formats and modes are the candidates',
    }),
    targetParams: FLAGS.targetParams,
    targetFlops: FLAGS.targetFlops,
    method: opt(z.enum(['admm', 'reweighted', 'collaborative']).default('admm'), {
      description:
        'admm: ADMM towards the planned low-rank formats (the paper); reweighted: reweighted group pruning (Zhang et al.) beside magnitude pruning; collaborative: channel pruning × Tucker-2 under --target-flops (default 0.5; Li et al.) beside its direct arm (docs/pruning.md)',
      arg: 'name',
    }),
    granularity: opt(z.enum(['weight', 'filter', 'channel']).default('filter'), {
      description: 'reweighted: what a group is (weight, filter = output channel, channel = input channel)',
      arg: 'G',
    }),
    rho: api.rho,
    rhoFactor: opt(rhoScheduleSchema.shape.factor.optional(), { description: 'ρ schedule: multiply ρ by F ... (with --rho-every and --rho-max)' }),
    rhoEvery: opt(rhoScheduleSchema.shape.every.optional(), { description: '... every K Z/U updates ...' }),
    rhoMax: opt(rhoScheduleSchema.shape.max.optional(), { description: '... never above M', defaultText: "constant ρ, the paper's" }),
    updateEvery: api.updateEvery,
    pretrainEpochs: optionalOf(api.pretrainEpochs, {
      defaultText: `${PRETRAIN_EPOCHS_BUILTIN} for a built-in model, ${COMPRESS_DEFAULTS.pretrainEpochs} for a loaded one`,
    }),
    admmEpochs: api.admmEpochs,
    finetuneEpochs: api.finetuneEpochs,
    lr: opt(api.pretrainLr, { description: 'learning rate of pretraining and of ADMM unless --admm-lr' }),
    admmLr: optionalOf(api.admmLr, { defaultText: '--lr' }),
    finetuneLr: api.finetuneLr,
    momentum: api.momentum,
    labelSmoothing: api.labelSmoothing,
    batch: api.batchSize,
    seed: opt(FLAGS.seed, { description: 'run seed: initialization, batch order, randomized SVDs' }),
    backend: FLAGS.backend,
    threads: threadsFlag,
    checkpointDir: runtime.checkpointDir,
    checkpointEvery: api.checkpointEvery,
    resume: runtime.resume,
    baseline: api.baseline,
    continuedBaseline: api.continuedBaseline,
    ...ADVERSARIAL_FIELDS,
    ...ATMC_FIELDS,
    out: opt(FLAGS.out, { description: runtime.outDir.meta()?.description }),
    json: opt(FLAGS.json, { description: 'print the report as one JSON line, no progress bars' }),
  }),
  {
    admmEpochs: { default: 10, note: 'paper: 200 on CIFAR' },
    finetuneEpochs: { default: 5, note: 'paper: 200' },
    lr: { default: 0.01, note: 'paper: 0.1 on CIFAR' },
    batch: { default: 64, note: 'paper: 128' },
  },
);

/** Flags of `compress` (typed values, or the strings of a command line). */
export type CompressFlags = FlagsInput<typeof compressFlagsSchema>;

/** The command's settings, parsed. */
type CompressCommand = z.output<typeof compressFlagsSchema>;

/** Turns the parsed flags into pipeline settings. */
export function compressSettings(f: CompressCommand, builtin: boolean): CompressSettings {
  const sched = [f.rhoFactor, f.rhoEvery, f.rhoMax];
  if (sched.some((s) => s !== undefined) && sched.some((s) => s === undefined)) {
    fail(ErrorCodes.OPTION, 'a ρ schedule needs --rho-factor, --rho-every and --rho-max together');
  }
  return {
    ...COMPRESS_DEFAULTS,
    seed: f.seed,
    batchSize: f.batch,
    momentum: f.momentum,
    labelSmoothing: f.labelSmoothing,
    pretrainEpochs: f.pretrainEpochs ?? (builtin ? PRETRAIN_EPOCHS_BUILTIN : COMPRESS_DEFAULTS.pretrainEpochs),
    pretrainLr: f.lr,
    admmEpochs: f.admmEpochs,
    admmLr: f.admmLr ?? f.lr,
    rho: f.rho,
    rhoSchedule: f.rhoFactor !== undefined ? { factor: f.rhoFactor, every: f.rhoEvery!, max: f.rhoMax! } : null,
    updateEvery: f.updateEvery,
    finetuneEpochs: f.finetuneEpochs,
    finetuneLr: f.finetuneLr,
    baseline: f.baseline,
    continuedBaseline: f.continuedBaseline,
    checkpointEvery: f.checkpointEvery,
  };
}

/** Runs `compress` and returns the report. */
export async function runCompress(flags: CompressFlags): Promise<CompressReport> {
  const f = parseFlags(compressFlagsSchema, flags);
  if (f.resume && !f.checkpointDir) fail(ErrorCodes.OPTION, '--resume needs --checkpoint-dir');
  const progress = createProgress(progressEnabled(f.json), f.json);
  const backend = await startBackend(f.backend, progress);
  // an image folder is resized to a loaded model's input, synthetic data takes its shape and classes: load the model first
  const loaded = isModelPath(f.model) ? await resolveModel(f.model) : undefined;
  const data = await resolveDataset({ ...f, ...(loaded ? modelDataShape(loaded.model) : {}) });
  const source = loaded ?? (await resolveModel(f.model, data, f.seed));
  const { stepper } = resolveThreads(f.threads, backend, progress, source.model);
  const skipped = (data as { skipped?: { corrupt: string[]; notImages: string[]; emptyClasses: string[] } }).skipped;
  if (skipped) {
    progress.log(
      `${data.name}: ${data.trainSize} training + ${data.valSize} validation images, ${data.numClasses} classes; skipped ${skipped.corrupt.length} corrupt image(s), ` +
        `${skipped.notImages.length} non-image file(s), ${skipped.emptyClasses.length} empty class(es)`,
    );
  }
  const lowRank = await resolvePlan(f, source);
  // ATMC: the Z-step projects onto sparsity ∩ low rank ∩ k-bit grid (formats atmc-<format>)
  const plan = f.quantize !== undefined || f.sparsity ? registerAtmc(lowRank, { sparsity: f.sparsity, bits: f.quantize }, defaultRegistry) : lowRank;
  const settings = compressSettings(f, source.builtin);
  ensureDir(f.out);
  const training = trainingAttack(f);
  const attack = evaluationAttack(f);
  const listener = progressListener(progress);
  let dense = null as RobustSection['models'][string] | null; // set by the listener
  const result = await compress(source.model, data, plan, {
    ...settings,
    outDir: f.out,
    ...(f.checkpointDir ? { checkpointDir: f.checkpointDir } : {}),
    resume: Boolean(f.resume),
    ...(training ? { batchTransform: adversarialTransform(training) } : {}),
    onEvent: async (e) => {
      // the dense model's robust accuracy, while the model still holds the dense weights
      if (attack && e.type === 'phase-end' && e.phase === 'pretrain')
        dense = (await robustSection({ dense: source.model }, data, training, attack)).models.dense!;
      await listener(e);
    },
    ...(stepper ? { stepper } : {}),
    readEvery: readEveryOf(backend),
    optimizer: makeMomentumOptimizer,
  });
  progress.stop();
  if (attack) {
    const arms: Record<string, tfl.LayersModel | null> = { compressed: result.model, baseline: result.baselineModel, continued: result.continuedModel };
    const s = await robustSection(arms, data, training, attack);
    const section: RobustSection = { ...s, models: { ...(dense ? { dense } : {}), ...s.models } };
    await addRobustSection(f.out, section);
    return { ...result.report, robust: section } as CompressReport;
  }
  return result.report;
}

/** A short human summary of a report. */
export function summarizeReport(r: CompressReport): string {
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(2)}%`);
  const primal = finalPrimal(r.admmHistory);
  const lines = [
    `trained on:         ${r.backend}, ${r.threads} thread${r.threads > 1 ? 's' : ''}; ${(r.totalMs / 1000).toFixed(1)} s`,
    `dense model:        accuracy ${pct(r.dense.evaluation.accuracy)}, ${r.dense.params} parameters`,
    `compressed layers:  ${r.admm.layers.map((l) => `${l.name} (${l.paramsBefore} → ${l.paramsAfter})`).join(', ')}; ` +
      `${r.admm.compressionRatio.toFixed(2)}× smaller, whole model ${r.admm.modelCompressionRatio.toFixed(2)}×`,
    `ADMM final primal residual ${primal === null ? '—' : primal.toFixed(3)}${primal !== null && primal > CONVERGED_PRIMAL ? ` (> ${CONVERGED_PRIMAL}: not converged)` : ''}`,
  ];
  for (const m of reportArms(r)) {
    lines.push(
      `${ARM_LABELS[m.method]}: accuracy ${pct(m.final.accuracy)}` +
        `${m.trained ? `, before decomposition ${pct(m.trained.accuracy)}` : ''}, right after decomposition ${pct(m.afterDecompose.accuracy)}; epochs ${budgetText(m.budget)}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Adds `compress` to the program. */
export function compressCommand(program: Command): void {
  const cmd = program
    .command('compress')
    .description(
      'Compress a model: (pretrain) → ADMM training towards the planned low-rank formats → decompose → fine-tune → evaluate → save model + report. ' +
        'Defaults follow the paper (Yin et al., CVPR 2021): rho 1e-3 constant, SGD momentum 0.9, one Z/U update per epoch; its CIFAR recipe is 200 ADMM epochs at lr 0.1 then 200 fine-tuning epochs at lr 0.005.',
    );
  addFlags(cmd, compressFlagsSchema).action(async (flags: CompressFlags) => {
    const parsed = parseFlags(compressFlagsSchema, flags);
    if (parsed.method !== 'admm') {
      const r = await runPruneMethod(parsed);
      process.stdout.write(flags.json ? JSON.stringify(r) + '\n' : pruneReportMarkdown(r) + (parsed.out ? `report: ${parsed.out}/report.md\n` : ''));
      return;
    }
    const report = await runCompress(flags);
    if (flags.json) process.stdout.write(JSON.stringify(report) + '\n');
    else process.stdout.write(summarizeReport(report) + `report: ${flags.out}/report.md\n`);
  });
}
