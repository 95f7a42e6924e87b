/**
 * `tensorslim train`: baseline (dense) training of a built-in model on a dataset, saved with a report.
 *
 * @module
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import { linePlotSvg, markdownTable, trainDense } from '@tensorslim/admm';
import { saveModel, writeFileAtomic } from '@tensorslim/core';
import { defaultDatasetOf, ensureDir, num, resolveDataset, resolveModel, startBackend } from '../context.js';
import { createProgress, progressEnabled, progressListener } from '../progress.js';

/** Flags of `train`. */
export interface TrainFlags {
  /** Model name or path. */
  model: string;
  /** Dataset. */
  dataset?: string;
  /** Dataset directory. */
  dataDir?: string;
  /** Subset. */
  limit?: string;
  /** Validation subset. */
  evalLimit?: string;
  /** Epochs. */
  epochs?: string;
  /** Learning rate. */
  lr?: string;
  /** Momentum. */
  momentum?: string;
  /** Batch size. */
  batch?: string;
  /** Seed. */
  seed?: string;
  /** Backend. */
  backend?: string;
  /** Output directory. */
  out: string;
  /** JSON. */
  json?: boolean;
}

/** Adds `train` to the program. */
export function trainCommand(program: Command): void {
  program
    .command('train')
    .description('Train a built-in model (or continue training a saved one) on a dataset with SGD + momentum, and save it with a report.')
    .requiredOption('--model <name|model.json>', 'lenet5, resnet20, resnet32, resnet56, resnet18, lstm, or a model.json path')
    .option('--dataset <name>', 'mnist, fashion-mnist, cifar10, cifar100 or synthetic (default: the model\'s own, e.g. mnist for lenet5)')
    .option('--data-dir <dir>', 'directory of the dataset files (required for cifar10/cifar100/fashion-mnist)')
    .option('--limit <N>', 'use only the first N training examples')
    .option('--eval-limit <N>', 'use only the first N validation examples')
    .option('--epochs <N>', 'training epochs (default 3)')
    .option('--lr <LR>', 'learning rate (default 0.05)')
    .option('--momentum <M>', 'SGD momentum (default 0.9, as the paper)')
    .option('--batch <B>', 'batch size (default 64)')
    .option('--seed <S>', 'run seed: batch order and initialization (default 1)')
    .option('--backend <name>', 'TF.js backend: auto, tensorflow, webgpu, wasm or cpu (default auto)')
    .requiredOption('--out <dir>', 'where to write model.json, weights-<hash>.bin, report.json and report.md')
    .option('--json', 'print the result as one JSON line, no progress bars')
    .action(async (flags: TrainFlags) => {
      const progress = createProgress(progressEnabled(flags.json), flags.json);
      await startBackend(flags.backend, progress);
      const seed = num(flags.seed, '--seed', 1, { int: true });
      const data = await resolveDataset({ name: flags.dataset ?? defaultDatasetOf(flags.model) ?? 'mnist', dir: flags.dataDir, limit: flags.limit, evalLimit: flags.evalLimit, seed: seed, model: flags.model });
      const { model } = await resolveModel(flags.model, data, seed);
      const r = await trainDense(model, data, {
        epochs: num(flags.epochs, '--epochs', 3, { int: true, min: 1 }),
        lr: num(flags.lr, '--lr', 0.05, { min: 0 }),
        momentum: num(flags.momentum, '--momentum', 0.9, { min: 0 }),
        batchSize: num(flags.batch, '--batch', 64, { int: true, min: 1 }),
        seed,
        onEvent: progressListener(progress),
      });
      progress.stop();
      ensureDir(flags.out);
      await saveModel(model, flags.out);
      const report = { command: 'train', model: flags.model, dataset: data.name, seed, history: r.history, evaluation: r.evaluation, ms: r.ms };
      await writeFileAtomic(join(flags.out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
      const epochs = r.history.map((h) => h.epoch + 1);
      await writeFileAtomic(
        join(flags.out, 'loss.svg'),
        linePlotSvg({ title: 'Training loss', xLabel: 'epoch', yLabel: 'loss', series: [{ name: 'train', x: epochs, y: r.history.map((h) => h.trainLoss) }, { name: 'validation', x: epochs, y: r.history.map((h) => h.valLoss) }] }),
      );
      await writeFileAtomic(
        join(flags.out, 'accuracy.svg'),
        linePlotSvg({ title: 'Accuracy', xLabel: 'epoch', yLabel: 'accuracy', series: [{ name: 'train', x: epochs, y: r.history.map((h) => h.trainAccuracy) }, { name: 'validation', x: epochs, y: r.history.map((h) => h.valAccuracy) }] }),
      );
      const md = [
        `# Training report: ${flags.model} on ${data.name}`,
        '',
        `Validation accuracy ${r.evaluation.accuracy === null ? '—' : (100 * r.evaluation.accuracy).toFixed(2) + '%'}, loss ${r.evaluation.loss.toFixed(4)}, ${(r.ms / 1000).toFixed(1)} s.`,
        '',
        markdownTable(['epoch', 'train loss', 'train acc.', 'val loss', 'val acc.', 's'], r.history.map((h) => [h.epoch + 1, h.trainLoss, h.trainAccuracy, h.valLoss, h.valAccuracy, h.ms / 1000])),
        '',
        '![loss](loss.svg)',
        '',
        '![accuracy](accuracy.svg)',
        '',
      ].join('\n');
      await writeFileAtomic(join(flags.out, 'report.md'), md);
      if (flags.json) process.stdout.write(JSON.stringify({ out: flags.out, ...r.evaluation, ms: r.ms }) + '\n');
      else process.stdout.write(`saved to ${flags.out}: validation accuracy ${r.evaluation.accuracy === null ? '—' : (100 * r.evaluation.accuracy).toFixed(2) + '%'}\n`);
    });
}
