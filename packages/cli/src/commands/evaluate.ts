/**
 * `tensorslim evaluate`: accuracy and loss of a saved (dense or factorized) model on a dataset.
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { evaluate, evaluateOptionsSchema } from '@tensorslim/admm';
import { ErrorCodes, fail, opt } from '@tensorslim/core';
import { FLAGS, modelDataShape, resolveDataset, resolveModel, startBackend } from '../context.js';
import { createProgress, progressEnabled } from '../progress.js';
import { addFlags, parseFlags, withDefaults, type FlagsInput } from '../schema-flags.js';

/** The flags of `evaluate`: the saved model, the data, and the API's evaluation batch size. */
export const evaluateFlagsSchema = withDefaults(
  z.strictObject({
    model: opt(FLAGS.model, { description: 'the model to evaluate (a model.json path or its directory)', arg: 'model.json' }),
    dataset: FLAGS.dataset,
    dataDir: FLAGS.dataDir,
    limit: opt(FLAGS.limit, { description: 'use only the first N examples (quick checks)' }),
    evalLimit: FLAGS.evalLimit,
    batch: evaluateOptionsSchema.shape.batchSize,
    backend: FLAGS.backend,
    json: opt(FLAGS.json, { description: 'print {loss, accuracy, examples} as one JSON line' }),
  }),
  { dataset: { default: 'mnist' } }, // a saved model has no dataset of its own
);

/** Flags of `evaluate` (typed values, or the strings of a command line). */
export type EvaluateFlags = FlagsInput<typeof evaluateFlagsSchema>;

/** Adds `evaluate` to the program. */
export function evaluateCommand(program: Command): void {
  const cmd = program.command('evaluate').description('Accuracy and loss of a saved model (dense or factorized) on the validation split of a dataset.');
  addFlags(cmd, evaluateFlagsSchema).action(async (flags: EvaluateFlags) => {
    const f = parseFlags(evaluateFlagsSchema, flags);
    const progress = createProgress(progressEnabled(f.json), f.json);
    await startBackend(f.backend, progress);
    const source = await resolveModel(f.model);
    if (source.builtin) fail(ErrorCodes.OPTION, 'evaluate needs a saved model (model.json), not a built-in name', 'train one with tensorslim train --out DIR');
    const data = await resolveDataset({ ...f, ...modelDataShape(source.model), seed: 1 });
    const ev = await evaluate(source.model, data, { batchSize: f.batch });
    const out = { model: f.model, dataset: data.name, examples: data.valSize, loss: ev.loss, accuracy: ev.accuracy };
    if (f.json) process.stdout.write(JSON.stringify(out) + '\n');
    else
      process.stdout.write(
        `${f.model} on ${data.name} (${data.valSize} validation examples): loss ${ev.loss.toFixed(4)}` +
          (ev.accuracy !== null ? `, accuracy ${(100 * ev.accuracy).toFixed(2)}%` : '') +
          '\n',
      );
  });
}
