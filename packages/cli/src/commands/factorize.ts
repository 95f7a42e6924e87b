/**
 * `tensorslim factorize`: data-free decomposition of a saved model's planned layers.
 *
 * @module
 */
import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { opt, planToJson } from '@tensorslim/core';
import { factorizeModel, modelSummary, type BudgetPlanResult, type FactorizedLayerReport, type ModelCost } from '@tensorslim/surgery';
import { saveModel, writeFileAtomic } from '@tensorslim/io';
import { markdownTable } from '@tensorslim/report';
import { readScalars } from '@tensorslim/admm';
import { Rng } from '@tensorslim/linalg';
import { z } from 'zod';
import { ensureDir, FLAGS, resolveModel, resolvePlanAndBudget, startBackend } from '../context.js';
import { costLine, modelBudgetText } from '../output.js';
import { createProgress, progressEnabled } from '../progress.js';
import { addFlags, parseFlags, type FlagsInput } from '../schema-flags.js';

/** The flags of `factorize`. */
export const factorizeFlagsSchema = z.strictObject({
  model: opt(FLAGS.model, { description: 'the model to factorize (a model.json path, or a built-in name for an untrained one)', arg: 'model.json|name' }),
  plan: opt(FLAGS.plan, { description: 'compression plan (layers, formats, modes, ranks); with a budget, its layers, formats and modes are the candidates' }),
  format: opt(FLAGS.format, { description: 'format for a suggested plan when no --plan is given' }),
  ratio: opt(FLAGS.ratio, { description: 'target compression ratio for a suggested plan' }),
  targetParams: FLAGS.targetParams,
  targetFlops: FLAGS.targetFlops,
  out: opt(FLAGS.out, { description: 'where to write model.json, weights-<hash>.bin, plan.json and factorize.json' }),
  probe: opt(z.number().int().min(1).default(8), { description: 'examples in the random probe batch used to measure the output drift', arg: 'N' }),
  seed: opt(FLAGS.seed, { description: 'seed of the probe batch' }),
  backend: FLAGS.backend,
  json: opt(FLAGS.json, { description: 'print the summary as one JSON line' }),
});

/** Flags of `factorize` (typed values, or the strings of a command line). */
export type FactorizeFlags = FlagsInput<typeof factorizeFlagsSchema>;

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
  /** The whole model before: parameters and multiply-adds per example. */
  before: ModelCost;
  /** The whole model after, as the factorized model counts them (the forward each layer runs). */
  after: ModelCost;
  /** The budget allocation, when --target-params / --target-flops was given. */
  budget?: BudgetPlanResult;
}

/** Runs `factorize`. */
export async function runFactorize(flags: FactorizeFlags): Promise<FactorizeSummary> {
  const f = parseFlags(factorizeFlagsSchema, flags);
  const progress = createProgress(progressEnabled(f.json), f.json);
  await startBackend(f.backend, progress);
  const source = await resolveModel(f.model);
  const { plan, budget } = await resolvePlanAndBudget(f, source);
  const { model, layers } = await factorizeModel(source.model, plan);
  const cost = (m: typeof model): ModelCost => {
    const s = modelSummary(m);
    return { params: s.totalParams, flops: s.totalFlops };
  };
  // output drift on a seeded random probe batch
  const n = f.probe;
  const rng = new Rng(f.seed);
  const shape = (source.model.inputs[0]!.shape.slice(1) as number[]).map((s) => s ?? 1);
  const size = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(Float32Array.from(rng.normalArray(n * size)), [n, ...shape]);
  const [y0, y1] = [source.model.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor];
  const measures = tf.tidy(() => [tf.div(tf.norm(tf.sub(y0, y1)), tf.add(tf.norm(y0), 1e-30)), tf.max(tf.abs(tf.sub(y0, y1)))]);
  const [drift, maxAbs] = await readScalars(measures);
  tf.dispose([x, y0, y1, ...measures]);
  ensureDir(f.out);
  await saveModel(model, f.out);
  await writeFileAtomic(join(f.out, 'plan.json'), planToJson(plan));
  const summary: FactorizeSummary = {
    layers: [...layers],
    outputDrift: drift!,
    maxAbsDiff: maxAbs!,
    out: f.out,
    before: cost(source.model),
    after: cost(model),
    ...(budget ? { budget } : {}),
  };
  await writeFileAtomic(join(f.out, 'factorize.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

/** Adds `factorize` to the program. */
export function factorizeCommand(program: Command): void {
  const cmd = program
    .command('factorize')
    .description("Decompose the planned layers of a saved model without data, save the factorized model, and report each layer's error and the output drift.");
  addFlags(cmd, factorizeFlagsSchema).action(async (flags: FactorizeFlags) => {
    const s = await runFactorize(flags);
    if (flags.json) {
      process.stdout.write(JSON.stringify(s) + '\n');
      return;
    }
    process.stdout.write(
      markdownTable(
        ['layer', 'format', 'ranks', 'params before', 'params after', 'MACs before', 'MACs after', 'rel. error'],
        s.layers.map((l) => [l.name, l.format, l.ranks.join(','), l.paramsBefore, l.paramsAfter, l.flopsBefore, l.flopsAfter, l.relError]),
      ) +
        `\n\n${s.budget ? modelBudgetText(s.budget) : ''}whole model: before ${costLine(s.before)}; after ${costLine(s.after, s.before)}\n` +
        `output drift on the probe batch: ${s.outputDrift.toExponential(3)} (max abs ${s.maxAbsDiff.toExponential(3)})\nsaved to ${s.out}\n`,
    );
  });
}
