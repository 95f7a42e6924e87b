/**
 * `tensorslim train`: baseline (dense) training of a built-in model on a dataset, saved with a report.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Command } from 'commander';
import { join } from 'node:path';
import { z } from 'zod';
import { trainDense, trainOptionsSchema } from '@tensorslim/admm';
import { compareEarlyDecomposition, earlyDecomposeOptionsSchema, earlyReportMarkdown } from '@tensorslim/early';
import { linePlotSvg, markdownTable } from '@tensorslim/report';
import { opt, type DataSource } from '@tensorslim/core';
import { saveModel, writeFileAtomic } from '@tensorslim/io';
import { MODEL_NAMES } from '@tensorslim/models';
import { makeMomentumOptimizer } from '@tensorslim/backends';
import { ensureDir, FLAGS, readEveryOf, resolveDataset, resolveModel, resolvePlan, startBackend } from '../context.js';
import { ADVERSARIAL_FIELDS, adversarialTransform, evaluationAttack, trainingAttack } from '@tensorslim/robust';
import { addRobustSection, robustSection } from '../robust-report.js';
import { createProgress, progressEnabled, progressListener, type Progress } from '../progress.js';
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
    decomposeAtEpoch: opt(earlyDecomposeOptionsSchema.shape.decomposeAtEpoch.optional(), {
      description:
        'early decomposition (Elhoushi et al. 2019): train dense for K epochs, decompose the planned layers (--format/--ratio or --plan) in place, train the factorized model to --epochs; full dense training from the same initial weights runs first in the same process, and the report sets the two side by side',
    }),
    format: opt(FLAGS.format, { description: 'with --decompose-at-epoch: the format of every planned layer when no --plan is given' }),
    ratio: opt(FLAGS.ratio, { description: 'with --decompose-at-epoch: target compression ratio of the planned layers when no --plan is given' }),
    plan: opt(FLAGS.plan, { description: 'with --decompose-at-epoch: a compression plan (see docs/concepts.md)' }),
    ...ADVERSARIAL_FIELDS,
    threads: threadsFlag,
    out: opt(FLAGS.out, { description: 'where to write model.json, weights-<hash>.bin, report.json and report.md' }),
    json: opt(FLAGS.json, { description: 'print the result as one JSON line, no progress bars' }),
  }),
  { epochs: { default: 3 }, lr: { default: 0.05 }, batch: { default: 64 } },
);

/** Flags of `train` (typed values, or the strings of a command line). */
export type TrainFlags = FlagsInput<typeof trainFlagsSchema>;

/** `train --decompose-at-epoch K`: dense training and early decomposition from the same initial weights, with one report. */
async function trainEarly(f: z.output<typeof trainFlagsSchema>, data: DataSource, progress: Progress): Promise<void> {
  const source = await resolveModel(f.model, data, f.seed);
  const plan = await resolvePlan(f, source);
  const training = trainingAttack(f);
  let first: tfl.LayersModel | null = source.model;
  const r = await compareEarlyDecomposition(
    async () => {
      const m = first ?? (await resolveModel(f.model, data, f.seed)).model; // built again from the same seed, or loaded again
      first = null;
      return m;
    },
    data,
    plan,
    {
      decomposeAtEpoch: f.decomposeAtEpoch!,
      epochs: f.epochs,
      lr: f.lr,
      momentum: f.momentum,
      batchSize: f.batch,
      seed: f.seed,
      ...(training ? { batchTransform: adversarialTransform(training) } : {}),
      onEvent: progressListener(progress),
    },
  );
  progress.stop();
  ensureDir(f.out);
  await saveModel(r.models.early, f.out);
  const { models: _models, ...report } = r;
  await writeFileAtomic(
    join(f.out, 'report.json'),
    JSON.stringify(
      {
        command: 'train',
        model: f.model,
        dataset: data.name,
        trainSize: data.trainSize,
        valSize: data.valSize,
        seed: f.seed,
        backend: tf.getBackend(),
        plan,
        ...report,
      },
      null,
      2,
    ) + '\n',
  );
  await writeFileAtomic(
    join(f.out, 'report.md'),
    earlyReportMarkdown(report, `Early decomposition: ${f.model} on ${data.name} (${data.trainSize} training examples, backend ${tf.getBackend()})`),
  );
  const attack = evaluationAttack(f);
  if (attack) await addRobustSection(f.out, await robustSection({ dense: r.models.dense, early: r.models.early }, data, training, attack));
  const pct = (a: number | null) => (a === null ? '—' : (100 * a).toFixed(2) + '%');
  if (f.json)
    process.stdout.write(
      JSON.stringify({ out: f.out, speedup: r.speedup, dense: r.dense.evaluation, early: r.early.evaluation, denseMs: r.dense.ms, earlyMs: r.early.ms }) + '\n',
    );
  else
    process.stdout.write(
      `saved to ${f.out}: dense ${(r.dense.ms / 1000).toFixed(1)} s, ${pct(r.dense.evaluation.accuracy)}; early (K=${r.decomposeAtEpoch}) ${(r.early.ms / 1000).toFixed(1)} s, ${pct(r.early.evaluation.accuracy)}; speed-up ${r.speedup.toFixed(2)}×\n`,
    );
}

/** Adds `train` to the program. */
export function trainCommand(program: Command): void {
  const cmd = program
    .command('train')
    .description('Train a built-in model (or continue training a saved one) on a dataset with SGD + momentum, and save it with a report.');
  addFlags(cmd, trainFlagsSchema).action(async (flags: TrainFlags) => {
    const f = parseFlags(trainFlagsSchema, flags);
    const progress = createProgress(progressEnabled(f.json), f.json);
    const backend = await startBackend(f.backend, progress);
    const seed = f.seed;
    const data = await resolveDataset(f);
    if (f.decomposeAtEpoch !== undefined) return trainEarly(f, data, progress);
    const training = trainingAttack(f);
    const { model } = await resolveModel(f.model, data, seed);
    const { threads, stepper } = resolveThreads(f.threads, backend, progress, model);
    const r = await trainDense(model, data, {
      epochs: f.epochs,
      lr: f.lr,
      momentum: f.momentum,
      batchSize: f.batch,
      seed,
      ...(training ? { batchTransform: adversarialTransform(training) } : {}),
      onEvent: progressListener(progress),
      ...(stepper ? { stepper } : {}),
      readEvery: readEveryOf(backend),
      optimizer: makeMomentumOptimizer,
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
    const attack = evaluationAttack(f);
    if (attack) await addRobustSection(f.out, await robustSection({ trained: model }, data, training, attack));
    if (f.json) process.stdout.write(JSON.stringify({ out: f.out, ...r.evaluation, ms: r.ms, backend, threads }) + '\n');
    else
      process.stdout.write(`saved to ${f.out}: validation accuracy ${r.evaluation.accuracy === null ? '—' : (100 * r.evaluation.accuracy).toFixed(2) + '%'}\n`);
  });
}
