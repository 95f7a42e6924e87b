/**
 * `tensorslim inspect`: per-layer parameters and FLOPs, what can be factorized, a suggested plan.
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { ErrorCodes, fail, isTensorslimError, opt, planToJson, resolvePlugin, type CompressionPlan } from '@tensorslim/core';
import { modelSummary, type BudgetPlanResult, type ModelSummary } from '@tensorslim/surgery';
import { markdownTable } from '@tensorslim/report';
import { MODEL_NAMES } from '@tensorslim/models';
import { FLAGS, resolveModel, resolvePlanAndBudget, startBackend } from '../context.js';
import { modelBudgetText } from '../output.js';
import { createProgress, progressEnabled } from '../progress.js';
import { addFlags, parseFlags, type FlagsInput } from '../schema-flags.js';

/** The flags of `inspect`. */
export const inspectFlagsSchema = z.strictObject({
  model: opt(FLAGS.model.optional(), {
    description: `a built-in model (${MODEL_NAMES.join(', ')}) or a path to a model.json (also accepted as the first argument)`,
  }),
  format: opt(FLAGS.format, { description: 'format of the suggested plan' }),
  ratio: opt(FLAGS.ratio, { description: 'target compression ratio of the suggested plan' }),
  plan: opt(FLAGS.plan, { description: 'with a budget: the candidate layers, formats and modes (its ranks are replaced)' }),
  targetParams: FLAGS.targetParams,
  targetFlops: FLAGS.targetFlops,
  backend: FLAGS.backend,
  json: opt(FLAGS.json, { description: 'print {summary, plan} as one JSON line' }),
});

/** Flags of `inspect` (typed values, or the strings of a command line). */
export type InspectFlags = FlagsInput<typeof inspectFlagsSchema>;

/** The summary, the suggested (or budget) plan, and the budget allocation when one was asked for. */
export async function runInspect(flags: InspectFlags): Promise<{ summary: ModelSummary; plan: CompressionPlan | null; budget?: BudgetPlanResult }> {
  const f = parseFlags(inspectFlagsSchema, flags);
  if (!f.model) fail(ErrorCodes.OPTION, 'inspect needs a model', 'tensorslim inspect model.json (or --model name|model.json)');
  await startBackend(f.backend, createProgress(progressEnabled(f.json), f.json));
  const source = await resolveModel(f.model);
  const summary = modelSummary(source.model);
  // an unknown --format is an error, as in factorize and compress
  if (flags.format !== undefined) resolvePlugin(f.format);
  try {
    const { plan, budget } = await resolvePlanAndBudget(f, source);
    return { summary, plan, ...(budget ? { budget } : {}) };
  } catch (e) {
    // a model with no layer big enough to compress by default has no suggested plan; the summary still stands
    if (!isTensorslimError(e, ErrorCodes.PLAN) || f.targetParams !== undefined || f.targetFlops !== undefined) throw e;
    return { summary, plan: null };
  }
}

/** Adds `inspect` to the program. */
export function inspectCommand(program: Command): void {
  const cmd = program
    .command('inspect')
    .description(
      "Show each layer's parameters and multiply-adds, which layers can be factorized (and why not), and a suggested plan — or, with --target-params/--target-flops, the plan that meets that whole-model budget.",
    )
    .argument('[model.json]', 'the model (same as --model)');
  addFlags(cmd, inspectFlagsSchema).action(async (positional: string | undefined, flags: InspectFlags) => {
    if (positional !== undefined && flags.model !== undefined && positional !== flags.model) {
      fail(ErrorCodes.OPTION, `two models given: ${positional} and --model ${String(flags.model)}`, 'give the model once');
    }
    const given = { ...flags, ...(positional !== undefined ? { model: positional } : {}) };
    const f = parseFlags(inspectFlagsSchema, given);
    const { summary, plan, budget } = await runInspect(given);
    if (flags.json) {
      process.stdout.write(JSON.stringify({ summary, plan, ...(budget ? { budget } : {}) }) + '\n');
      return;
    }
    const rows = summary.layers.map((l) => [l.name, l.className, l.params, l.flops, l.factorizable ? 'yes' : (l.reason ?? 'no')]);
    process.stdout.write(
      markdownTable(['layer', 'class', 'params', 'MACs/example', 'factorizable'], rows) +
        `\n\ntotal: ${summary.totalParams} parameters, ${summary.totalFlops} multiply-adds per example; ` +
        `factorizable layers hold ${summary.factorizableParams} parameters\n`,
    );
    if (budget) process.stdout.write(`\n${modelBudgetText(budget)}\nplan:\n${planToJson(budget.plan)}`);
    else if (plan) process.stdout.write(`\nsuggested plan (--format ${f.format} --ratio ${f.ratio}):\n${planToJson(plan)}`);
  });
}
