/**
 * `tensorslim factorize`: data-free decomposition of a saved model's planned layers.
 *
 * @module
 */
import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { factorizeModel, planToJson, saveModel, writeFileAtomic, type FactorizedLayerReport } from '@tensorslim/core';
import { markdownTable } from '@tensorslim/admm';
import { Rng } from '@tensorslim/linalg';
import { ensureDir, num, resolveModel, resolvePlan, startBackend } from '../context.js';
import { createProgress, progressEnabled } from '../progress.js';

/** Flags of `factorize`. */
export interface FactorizeFlags {
  /** Model path or built-in name. */
  model: string;
  /** Plan file. */
  plan?: string;
  /** Format (with --ratio). */
  format?: string;
  /** Ratio (with --format). */
  ratio?: string;
  /** Output directory. */
  out: string;
  /** Examples in the probe batch. */
  probe?: string;
  /** Seed of the probe batch. */
  seed?: string;
  /** Backend. */
  backend?: string;
  /** JSON output. */
  json?: boolean;
}

/** The result of `factorize`. */
export interface FactorizeSummary {
  /** Per-layer reports. */
  layers: FactorizedLayerReport[];
  /** ‖f(x) − f̂(x)‖ / ‖f(x)‖ on a random probe batch. */
  outputDrift: number;
  /** Largest absolute output difference on the probe batch. */
  maxAbsDiff: number;
  /** Where the model went. */
  out: string;
}

/** Runs `factorize`. */
export async function runFactorize(flags: FactorizeFlags): Promise<FactorizeSummary> {
  const progress = createProgress(progressEnabled(flags.json), flags.json);
  await startBackend(flags.backend, progress);
  const source = await resolveModel(flags.model);
  const plan = resolvePlan(flags, source);
  const { model, layers } = await factorizeModel(source.model, plan);
  // output drift on a seeded random probe batch
  const n = num(flags.probe, '--probe', 8, { int: true, min: 1 });
  const rng = new Rng(num(flags.seed, '--seed', 1, { int: true }));
  const shape = (source.model.inputs[0]!.shape.slice(1) as number[]).map((s) => s ?? 1);
  const size = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(Float32Array.from(rng.normalArray(n * size)), [n, ...shape]);
  const [y0, y1] = [source.model.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor];
  const drift = tf.tidy(() => tf.div(tf.norm(tf.sub(y0, y1)), tf.add(tf.norm(y0), 1e-30)).dataSync()[0]!);
  const maxAbs = tf.tidy(() => tf.max(tf.abs(tf.sub(y0, y1))).dataSync()[0]!);
  tf.dispose([x, y0, y1]);
  ensureDir(flags.out);
  await saveModel(model, flags.out);
  await writeFileAtomic(join(flags.out, 'plan.json'), planToJson(plan));
  const summary: FactorizeSummary = { layers: [...layers], outputDrift: drift, maxAbsDiff: maxAbs, out: flags.out };
  await writeFileAtomic(join(flags.out, 'factorize.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

/** Adds `factorize` to the program. */
export function factorizeCommand(program: Command): void {
  program
    .command('factorize')
    .description('Decompose the planned layers of a saved model without data, save the factorized model, and report each layer\'s error and the output drift.')
    .requiredOption('--model <model.json|name>', 'the model to factorize (a model.json path, or a built-in name for an untrained one)')
    .option('--plan <plan.json>', 'compression plan (layers, formats, modes, ranks)')
    .option('--format <id>', 'format for a suggested plan when no --plan is given (default tt)')
    .option('--ratio <C>', 'target compression ratio for a suggested plan (default 5)')
    .requiredOption('--out <dir>', 'where to write model.json, weights-<hash>.bin, plan.json and factorize.json')
    .option('--probe <N>', 'examples in the random probe batch used to measure the output drift (default 8)')
    .option('--seed <S>', 'seed of the probe batch (default 1)')
    .option('--backend <name>', 'TF.js backend: auto, tensorflow, webgpu, wasm or cpu (default auto)')
    .option('--json', 'print the summary as one JSON line')
    .action(async (flags: FactorizeFlags) => {
      const s = await runFactorize(flags);
      if (flags.json) {
        process.stdout.write(JSON.stringify(s) + '\n');
        return;
      }
      process.stdout.write(
        markdownTable(
          ['layer', 'format', 'ranks', 'params before', 'params after', 'MACs before', 'MACs after', 'rel. error'],
          s.layers.map((l) => [l.name, l.format, l.ranks.join(','), l.paramsBefore, l.paramsAfter, l.flopsBefore, l.flopsAfter, l.relError]),
        ) + `\n\noutput drift on the probe batch: ${s.outputDrift.toExponential(3)} (max abs ${s.maxAbsDiff.toExponential(3)})\nsaved to ${s.out}\n`,
      );
    });
}
