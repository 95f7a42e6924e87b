/**
 * `tensorslim inspect`: per-layer parameters and FLOPs, what can be factorized, a suggested plan.
 *
 * @module
 */
import type { Command } from 'commander';
import { ErrorCodes, isTensorslimError, modelSummary, planToJson, resolvePlugin, type CompressionPlan, type ModelSummary } from '@tensorslim/core';
import { markdownTable } from '@tensorslim/admm';
import { resolveModel, resolvePlan, startBackend } from '../context.js';
import { createProgress, progressEnabled } from '../progress.js';

/** Flags of `inspect`. */
export interface InspectFlags {
  /** Built-in name or model.json path. */
  model: string;
  /** Format of the suggested plan. */
  format?: string;
  /** Target ratio of the suggested plan. */
  ratio?: string;
  /** JSON output. */
  json?: boolean;
  /** Backend. */
  backend?: string;
}

/** The summary and the suggested plan. */
export async function runInspect(flags: InspectFlags): Promise<{ summary: ModelSummary; plan: CompressionPlan | null }> {
  await startBackend(flags.backend, createProgress(progressEnabled(flags.json), flags.json));
  const source = await resolveModel(flags.model);
  const summary = modelSummary(source.model);
  // an unknown --format or a bad --ratio is an error, as in factorize and compress
  if (flags.format !== undefined) resolvePlugin(flags.format);
  let plan: CompressionPlan | null = null;
  try {
    plan = resolvePlan({ format: flags.format, ratio: flags.ratio }, source);
  } catch (e) {
    // a model with no layer big enough to compress by default has no suggested plan; the summary still stands
    if (!isTensorslimError(e, ErrorCodes.PLAN)) throw e;
  }
  return { summary, plan };
}

/** Adds `inspect` to the program. */
export function inspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('Show each layer\'s parameters and multiply-adds, which layers can be factorized, and a suggested plan.')
    .requiredOption('--model <name|model.json>', 'a built-in model (lenet5, resnet20, resnet32, resnet56, resnet18, lstm) or a path to a model.json')
    .option('--format <id>', 'format of the suggested plan (default tt)')
    .option('--ratio <C>', 'target compression ratio of the suggested plan (default 5)')
    .option('--backend <name>', 'TF.js backend: auto, tensorflow, webgpu, wasm or cpu (default auto)')
    .option('--json', 'print {summary, plan} as one JSON line')
    .action(async (flags: InspectFlags) => {
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
      if (plan) process.stdout.write(`\nsuggested plan (--format ${flags.format ?? 'tt'} --ratio ${flags.ratio ?? 5}):\n${planToJson(plan)}`); // lint-allow-format
    });
}
