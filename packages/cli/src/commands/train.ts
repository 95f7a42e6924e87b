/**
 * `tensorslim train`: baseline (dense) training of a built-in model on a dataset, saved with a report.
 *
 * @module
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import { z } from 'zod';
import { linePlotSvg, markdownTable, trainDense, trainOptionsSchema } from '@tensorslim/admm';
import { opt, saveModel, writeFileAtomic } from '@tensorslim/core';
import { MODEL_NAMES } from '@tensorslim/models';
import { ensureDir, FLAGS, resolveDataset, resolveModel, startBackend } from '../context.js';
import { createProgress, progressEnabled, progressListener } from '../progress.js';
import { addFlags, parseFlags, withDefaults, type FlagsInput } from '../schema-flags.js';
import { resolveThreads, threadsFlag } from '../threads.js';

const api = trainOptionsSchema.shape;

/** The flags of `train`: the API's training options, with laptop-size defaults, and what the model and data come from. */
export const trainFlagsSchema = withDefaults(
  z.strictObject({
    model: opt(FLAGS.model, { description: `${MODEL_NAMES.join(', ')}, or a model.json path` }),
    dataset: opt(FLAGS.dataset, { defaultText: "the model's own, e.g. mnist for lenet5" }),
    dataDir: FLAGS.dataDir,
    limit: FLAGS.limit,
    evalLimit: FLAGS.evalLimit,
    epochs: api.epochs,
    lr: api.lr,
    momentum: api.momentum,
    batch: api.batchSize,
    seed: opt(FLAGS.seed, { description: 'run seed: batch order and initialization' }),
    backend: FLAGS.backend,
    threads: threadsFlag,
    out: opt(FLAGS.out, { description: 'where to write model.json, weights-<hash>.bin, report.json and report.md' }),
    json: opt(FLAGS.json, { description: 'print the result as one JSON line, no progress bars' }),
  }),
  { epochs: { default: 3 }, lr: { default: 0.05 }, batch: { default: 64 } },
);

/** Flags of `train` (typed values, or the strings of a command line). */
export type TrainFlags = FlagsInput<typeof trainFlagsSchema>;

/** Adds `train` to the program. */
export function trainCommand(program: Command): void {
  const cmd = program
    .command('train')
    .description('Train a built-in model (or continue training a saved one) on a dataset with SGD + momentum, and save it with a report.');
  addFlags(cmd, trainFlagsSchema).action(async (flags: TrainFlags) => {
    const f = parseFlags(trainFlagsSchema, flags);
    const progress = createProgress(progressEnabled(f.json), f.json);
    const backend = await startBackend(f.backend, progress);
    const { threads, stepper } = resolveThreads(f.threads, backend, progress);
    const seed = f.seed;
    const data = await resolveDataset(f);
    const { model } = await resolveModel(f.model, data, seed);
    const r = await trainDense(model, data, {
      epochs: f.epochs,
      lr: f.lr,
      momentum: f.momentum,
      batchSize: f.batch,
      seed,
      onEvent: progressListener(progress),
      ...(stepper ? { stepper } : {}),
    });
    progress.stop();
    ensureDir(f.out);
    await saveModel(model, f.out);
    const report = { command: 'train', model: f.model, dataset: data.name, seed, backend, threads, history: r.history, evaluation: r.evaluation, ms: r.ms };
    await writeFileAtomic(join(f.out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    const epochs = r.history.map((h) => h.epoch + 1);
    await writeFileAtomic(
      join(f.out, 'loss.svg'),
      linePlotSvg({
        title: 'Training loss',
        xLabel: 'epoch',
        yLabel: 'loss',
        series: [
          { name: 'train', x: epochs, y: r.history.map((h) => h.trainLoss) },
          { name: 'validation', x: epochs, y: r.history.map((h) => h.valLoss) },
        ],
      }),
    );
    await writeFileAtomic(
      join(f.out, 'accuracy.svg'),
      linePlotSvg({
        title: 'Accuracy',
        xLabel: 'epoch',
        yLabel: 'accuracy',
        series: [
          { name: 'train', x: epochs, y: r.history.map((h) => h.trainAccuracy) },
          { name: 'validation', x: epochs, y: r.history.map((h) => h.valAccuracy) },
        ],
      }),
    );
    const md = [
      `# Training report: ${f.model} on ${data.name}`,
      '',
      `Validation accuracy ${r.evaluation.accuracy === null ? '—' : (100 * r.evaluation.accuracy).toFixed(2) + '%'}, loss ${r.evaluation.loss.toFixed(4)}, ${(r.ms / 1000).toFixed(1)} s on ${backend}, ${threads} thread${threads > 1 ? 's' : ''}.`,
      '',
      markdownTable(
        ['epoch', 'train loss', 'train acc.', 'val loss', 'val acc.', 's'],
        r.history.map((h) => [h.epoch + 1, h.trainLoss, h.trainAccuracy, h.valLoss, h.valAccuracy, h.ms / 1000]),
      ),
      '',
      '![loss](loss.svg)',
      '',
      '![accuracy](accuracy.svg)',
      '',
    ].join('\n');
    await writeFileAtomic(join(f.out, 'report.md'), md);
    if (f.json) process.stdout.write(JSON.stringify({ out: f.out, ...r.evaluation, ms: r.ms, backend, threads }) + '\n');
    else
      process.stdout.write(`saved to ${f.out}: validation accuracy ${r.evaluation.accuracy === null ? '—' : (100 * r.evaluation.accuracy).toFixed(2) + '%'}\n`);
  });
}
