/**
 * `tensorslim evaluate`: accuracy and loss of a saved (dense or factorized) model on a dataset.
 *
 * @module
 */
import type { Command } from 'commander';
import { evaluate } from '@tensorslim/admm';
import { ErrorCodes, fail } from '@tensorslim/core';
import { defaultDatasetOf, num, resolveDataset, resolveModel, startBackend } from '../context.js';
import { createProgress, progressEnabled } from '../progress.js';

/** Flags of `evaluate`. */
export interface EvaluateFlags {
  /** Model path. */
  model: string;
  /** Dataset name. */
  dataset?: string;
  /** Dataset directory. */
  dataDir?: string;
  /** Subset size. */
  limit?: string;
  /** Validation subset. */
  evalLimit?: string;
  /** Batch size. */
  batch?: string;
  /** Backend. */
  backend?: string;
  /** JSON output. */
  json?: boolean;
}

/** Adds `evaluate` to the program. */
export function evaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description('Accuracy and loss of a saved model (dense or factorized) on the validation split of a dataset.')
    .requiredOption('--model <model.json>', 'the model to evaluate (a model.json path or its directory)')
    .option('--dataset <name>', 'mnist, fashion-mnist, cifar10, cifar100 or synthetic (default mnist)')
    .option('--data-dir <dir>', 'directory of the dataset files (required for cifar10/cifar100/fashion-mnist)')
    .option('--limit <N>', 'use only the first N examples (quick checks)')
    .option('--eval-limit <N>', 'use only the first N validation examples')
    .option('--batch <B>', 'evaluation batch size (default 256)')
    .option('--backend <name>', 'TF.js backend: auto, tensorflow, webgpu, wasm or cpu (default auto)')
    .option('--json', 'print {loss, accuracy, examples} as one JSON line')
    .action(async (flags: EvaluateFlags) => {
      const progress = createProgress(progressEnabled(flags.json), flags.json);
      await startBackend(flags.backend, progress);
      const source = await resolveModel(flags.model);
      if (source.builtin) fail(ErrorCodes.OPTION, 'evaluate needs a saved model (model.json), not a built-in name', 'train one with tensorslim train --out DIR');
      const data = await resolveDataset({ name: flags.dataset ?? defaultDatasetOf(flags.model) ?? 'mnist', dir: flags.dataDir, limit: flags.limit, evalLimit: flags.evalLimit, seed: 1, model: flags.model });
      const ev = evaluate(source.model, data, { batchSize: num(flags.batch, '--batch', 256, { int: true, min: 1 }) });
      const out = { model: flags.model, dataset: data.name, examples: data.valSize, loss: ev.loss, accuracy: ev.accuracy };
      if (flags.json) process.stdout.write(JSON.stringify(out) + '\n');
      else
        process.stdout.write(
          `${flags.model} on ${data.name} (${data.valSize} validation examples): loss ${ev.loss.toFixed(4)}` +
            (ev.accuracy !== null ? `, accuracy ${(100 * ev.accuracy).toFixed(2)}%` : '') +
            '\n',
        );
    });
}
