/**
 * `tensorslim compress`: the whole pipeline — (pretraining) → ADMM → decompose → fine-tune →
 * evaluate → save + report, optionally with the decompose-then-fine-tune baseline beside it.
 *
 * @module
 */
import type { Command } from 'commander';
import { ARM_LABELS, budgetText, compress, COMPRESS_DEFAULTS, CONVERGED_PRIMAL, finalPrimal, reportArms, type CompressReport, type CompressSettings } from '@tensorslim/admm';
import { ErrorCodes, fail } from '@tensorslim/core';
import { defaultDatasetOf, ensureDir, num, resolveDataset, resolveModel, resolvePlan, startBackend } from '../context.js';
import { createProgress, progressEnabled, progressListener } from '../progress.js';

/** Flags of `compress`. */
export interface CompressFlags {
  /** Built-in model or model.json. */
  model: string;
  /** Dataset. */
  dataset?: string;
  /** Dataset directory. */
  dataDir?: string;
  /** Subset. */
  limit?: string;
  /** Validation subset. */
  evalLimit?: string;
  /** Format (with --ratio). */
  format?: string;
  /** Ratio. */
  ratio?: string;
  /** Plan file. */
  plan?: string;
  /** ρ. */
  rho?: string;
  /** ρ multiplier. */
  rhoFactor?: string;
  /** ρ multiplied every K updates. */
  rhoEvery?: string;
  /** ρ cap. */
  rhoMax?: string;
  /** Z/U update frequency. */
  updateEvery?: string;
  /** Pretraining epochs. */
  pretrainEpochs?: string;
  /** ADMM epochs. */
  admmEpochs?: string;
  /** Fine-tuning epochs. */
  finetuneEpochs?: string;
  /** Pretraining (and, unless --admm-lr, ADMM) lr. */
  lr?: string;
  /** ADMM lr. */
  admmLr?: string;
  /** Fine-tuning lr. */
  finetuneLr?: string;
  /** Momentum. */
  momentum?: string;
  /** Label smoothing. */
  labelSmoothing?: string;
  /** Batch size. */
  batch?: string;
  /** Seed. */
  seed?: string;
  /** Backend. */
  backend?: string;
  /** Checkpoint directory. */
  checkpointDir?: string;
  /** Steps between checkpoints. */
  checkpointEvery?: string;
  /** Resume. */
  resume?: boolean;
  /** Also run the direct arm. */
  baseline?: boolean;
  /** Also run the direct arm with the same total epochs. */
  continuedBaseline?: boolean;
  /** Output directory. */
  out: string;
  /** JSON. */
  json?: boolean;
}

/** The epochs and rates the command uses when not told (small enough for a laptop; the paper's are in --help). */
export const CLI_DEFAULTS = { pretrainEpochsBuiltin: 2, admmEpochs: 10, finetuneEpochs: 5, lr: 0.01, finetuneLr: 0.005, batch: 64 } as const;

/** Turns flags into pipeline settings. */
export function compressSettings(flags: CompressFlags, builtin: boolean): Partial<CompressSettings> {
  const lr = num(flags.lr, '--lr', CLI_DEFAULTS.lr, { min: 0 });
  let updateEvery: CompressSettings['updateEvery'] = 'epoch';
  if (flags.updateEvery !== undefined && flags.updateEvery !== 'epoch') updateEvery = num(flags.updateEvery, '--update-every', 1, { int: true, min: 1 });
  const sched = [flags.rhoFactor, flags.rhoEvery, flags.rhoMax];
  if (sched.some((s) => s !== undefined) && sched.some((s) => s === undefined)) {
    fail(ErrorCodes.OPTION, 'a ρ schedule needs --rho-factor, --rho-every and --rho-max together');
  }
  return {
    seed: num(flags.seed, '--seed', 1, { int: true }),
    batchSize: num(flags.batch, '--batch', CLI_DEFAULTS.batch, { int: true, min: 1 }),
    momentum: num(flags.momentum, '--momentum', COMPRESS_DEFAULTS.momentum, { min: 0 }),
    labelSmoothing: num(flags.labelSmoothing, '--label-smoothing', 0, { min: 0 }),
    pretrainEpochs: num(flags.pretrainEpochs, '--pretrain-epochs', builtin ? CLI_DEFAULTS.pretrainEpochsBuiltin : 0, { int: true, min: 0 }),
    pretrainLr: lr,
    admmEpochs: num(flags.admmEpochs, '--admm-epochs', CLI_DEFAULTS.admmEpochs, { int: true, min: 0 }),
    admmLr: num(flags.admmLr, '--admm-lr', lr, { min: 0 }),
    rho: num(flags.rho, '--rho', COMPRESS_DEFAULTS.rho, { min: 0 }),
    rhoSchedule:
      flags.rhoFactor !== undefined
        ? { factor: num(flags.rhoFactor, '--rho-factor', 1, { min: 1 }), every: num(flags.rhoEvery, '--rho-every', 1, { int: true, min: 1 }), max: num(flags.rhoMax, '--rho-max', 1, { min: 0 }) }
        : null,
    updateEvery,
    finetuneEpochs: num(flags.finetuneEpochs, '--finetune-epochs', CLI_DEFAULTS.finetuneEpochs, { int: true, min: 0 }),
    finetuneLr: num(flags.finetuneLr, '--finetune-lr', CLI_DEFAULTS.finetuneLr, { min: 0 }),
    baseline: Boolean(flags.baseline),
    continuedBaseline: Boolean(flags.continuedBaseline),
    checkpointEvery: num(flags.checkpointEvery, '--checkpoint-every', 0, { int: true, min: 0 }),
  };
}

/** Runs `compress` and returns the report. */
export async function runCompress(flags: CompressFlags): Promise<CompressReport> {
  const progress = createProgress(progressEnabled(flags.json), flags.json);
  await startBackend(flags.backend, progress);
  const seed = num(flags.seed, '--seed', 1, { int: true });
  const data = await resolveDataset({ name: flags.dataset ?? defaultDatasetOf(flags.model) ?? 'mnist', dir: flags.dataDir, limit: flags.limit, evalLimit: flags.evalLimit, seed: seed, model: flags.model });
  const source = await resolveModel(flags.model, data, seed);
  const plan = resolvePlan(flags, source);
  if (flags.resume && !flags.checkpointDir) fail(ErrorCodes.OPTION, '--resume needs --checkpoint-dir');
  ensureDir(flags.out);
  const { report } = await compress(source.model, data, plan, {
    ...compressSettings(flags, source.builtin),
    outDir: flags.out,
    ...(flags.checkpointDir ? { checkpointDir: flags.checkpointDir } : {}),
    resume: Boolean(flags.resume),
    onEvent: progressListener(progress),
  });
  progress.stop();
  return report;
}

/** A short human summary of a report. */
export function summarizeReport(r: CompressReport): string {
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(2)}%`);
  const primal = finalPrimal(r.admmHistory);
  const lines = [
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
  program
    .command('compress')
    .description(
      'Compress a model: (pretrain) → ADMM training towards the planned low-rank formats → decompose → fine-tune → evaluate → save model + report. ' +
        'Defaults follow the paper (Yin et al., CVPR 2021): rho 1e-3 constant, SGD momentum 0.9, one Z/U update per epoch; its CIFAR recipe is 200 ADMM epochs at lr 0.1 then 200 fine-tuning epochs at lr 0.005.',
    )
    .requiredOption('--model <name|model.json>', 'lenet5, resnet20, resnet32, resnet56, resnet18, lstm (built fresh and pretrained), or a trained model.json')
    .option('--dataset <name>', 'mnist, fashion-mnist, cifar10, cifar100 or synthetic (default: the model\'s own)')
    .option('--data-dir <dir>', 'directory of the dataset files (required for cifar10/cifar100/fashion-mnist)')
    .option('--limit <N>', 'use only the first N training examples')
    .option('--eval-limit <N>', 'use only the first N validation examples')
    .option('--format <id>', 'format of every planned layer when no --plan is given: tt, tr, tucker or a plugin\'s (default tt)')
    .option('--ratio <C>', 'target compression ratio of the planned layers when no --plan is given (default 5)')
    .option('--plan <plan.json>', 'a compression plan: layers, formats, modes, ranks (see docs/concepts.md)')
    .option('--rho <R>', 'ADMM penalty rho (default 1e-3, the paper\'s)')
    .option('--rho-factor <F>', 'rho schedule: multiply rho by F ... (with --rho-every and --rho-max)')
    .option('--rho-every <K>', '... every K Z/U updates ...')
    .option('--rho-max <M>', '... never above M (default: constant rho, as the paper)')
    .option('--update-every <epoch|N>', 'Z/U update after every epoch (default, the paper\'s) or every N steps')
    .option('--pretrain-epochs <N>', `dense training before ADMM (default ${CLI_DEFAULTS.pretrainEpochsBuiltin} for a built-in model, 0 for a loaded one)`)
    .option('--admm-epochs <N>', `ADMM training epochs (default ${CLI_DEFAULTS.admmEpochs}; paper: 200 on CIFAR)`)
    .option('--finetune-epochs <N>', `fine-tuning epochs after decomposition, the same for every arm (default ${CLI_DEFAULTS.finetuneEpochs}; paper: 200)`)
    .option('--lr <LR>', `learning rate of pretraining and of ADMM unless --admm-lr (default ${CLI_DEFAULTS.lr}; paper: 0.1 on CIFAR)`)
    .option('--admm-lr <LR>', 'learning rate of the ADMM phase (default: --lr)')
    .option('--finetune-lr <LR>', `fine-tuning learning rate (default ${CLI_DEFAULTS.finetuneLr}, the paper's)`)
    .option('--momentum <M>', 'SGD momentum (default 0.9, the paper\'s)')
    .option('--label-smoothing <E>', 'label smoothing (default 0; the reference code uses 0.1 on CIFAR)')
    .option('--batch <B>', `batch size (default ${CLI_DEFAULTS.batch}; paper: 128)`)
    .option('--seed <S>', 'run seed: initialization, batch order, randomized SVDs (default 1)')
    .option('--backend <name>', 'TF.js backend: auto, tensorflow, webgpu, wasm or cpu (default auto)')
    .option('--checkpoint-dir <dir>', 'write checkpoints here (atomically) at every phase end and every --checkpoint-every steps')
    .option('--checkpoint-every <N>', 'steps between checkpoints (default 0: phase ends only)')
    .option('--resume', 'continue from the newest complete checkpoint in --checkpoint-dir')
    .option('--baseline', 'also run the direct arm: decompose the dense model as it is, then --finetune-epochs of fine-tuning (it trains --admm-epochs fewer epochs than ADMM); reported beside ADMM, saved in baseline/')
    .option(
      '--continued-baseline',
      'also run the direct arm with the same total epochs as ADMM: continue dense training for --admm-epochs (ADMM\'s lr, batch and batch order, no penalty), then decompose and fine-tune for --finetune-epochs; saved in continued/',
    )
    .requiredOption('--out <dir>', 'where to write the compressed model (model.json + weights-<hash>.bin), baseline/, continued/, report.json, report.md and plots')
    .option('--json', 'print the report as one JSON line, no progress bars')
    .action(async (flags: CompressFlags) => {
      const report = await runCompress(flags);
      if (flags.json) process.stdout.write(JSON.stringify(report) + '\n');
      else process.stdout.write(summarizeReport(report) + `report: ${flags.out}/report.md\n`);
    });
}
