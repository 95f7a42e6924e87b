/**
 * `tensorslim inspect`: per-layer parameters and FLOPs, what can be factorized, a suggested plan.
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { ErrorCodes, isTensorslimError, modelSummary, opt, planToJson, resolvePlugin, type CompressionPlan, type ModelSummary } from '@tensorslim/core';
import { markdownTable } from '@tensorslim/admm';
import { MODEL_NAMES } from '@tensorslim/models';
import { FLAGS, resolveModel, resolvePlan, startBackend } from '../context.js';
import { createProgress, progressEnabled } from '../progress.js';
import { addFlags, parseFlags, type FlagsInput } from '../schema-flags.js';

/** The flags of `inspect`. */
export const inspectFlagsSchema = z.strictObject({
  model: opt(FLAGS.model, { description: `a built-in model (${MODEL_NAMES.join(', ')}) or a path to a model.json` }),
  format: opt(FLAGS.format, { description: 'format of the suggested plan' }),
  ratio: opt(FLAGS.ratio, { description: 'target compression ratio of the suggested plan' }),
  backend: FLAGS.backend,
  json: opt(FLAGS.json, { description: 'print {summary, plan} as one JSON line' }),
});

/** Flags of `inspect` (typed values, or the strings of a command line). */
export type InspectFlags = FlagsInput<typeof inspectFlagsSchema>;

/** The summary and the suggested plan. */
export async function runInspect(flags: InspectFlags): Promise<{ summary: ModelSummary; plan: CompressionPlan | null }> {
  const f = parseFlags(inspectFlagsSchema, flags);
  await startBackend(f.backend, createProgress(progressEnabled(f.json), f.json));
  const source = await resolveModel(f.model);
  const summary = modelSummary(source.model);
  // an unknown --format is an error, as in factorize and compress
  if (flags.format !== undefined) resolvePlugin(f.format);
  let plan: CompressionPlan | null = null;
  try {
    plan = resolvePlan(f, source);
  } catch (e) {
    // a model with no layer big enough to compress by default has no suggested plan; the summary still stands
    if (!isTensorslimError(e, ErrorCodes.PLAN)) throw e;
  }
  return { summary, plan };
}

/** Adds `inspect` to the program. */
export function inspectCommand(program: Command): void {
  const cmd = program.command('inspect').description("Show each layer's parameters and multiply-adds, which layers can be factorized, and a suggested plan.");
  addFlags(cmd, inspectFlagsSchema).action(async (flags: InspectFlags) => {
    const f = parseFlags(inspectFlagsSchema, flags);
    const { summary, plan } = await runInspect(flags);
    if (flags.json) {
      process.stdout.write(JSON.stringify({ summary, plan }) + '\n');
      return;
    }
    const rows = summary.layers.map((l) => [l.name, l.className, l.params, l.flops, l.factorizable ? 'yes' : (l.reason ?? 'no')]);
    process.stdout.write(
      markdownTable(['layer', 'class', 'params', 'MACs/example', 'factorizable'], rows) +
        `\n\ntotal: ${summary.totalParams} parameters, ${summary.totalFlops} multiply-adds per example; ` +
        `factorizable layers hold ${summary.factorizableParams} parameters\n`,
    );
    if (plan) process.stdout.write(`\nsuggested plan (--format ${f.format} --ratio ${f.ratio}):\n${planToJson(plan)}`);
  });
}
