/**
 * The compress pipeline's entry points: {@link compress} runs (pretraining) → ADMM training →
 * decomposition of each planned layer by its plugin from the Z-projected weights → fine-tuning
 * without the ADMM term → evaluation → saved model (TF.js format) + report; with `baseline: true`
 * the same pipeline without ADMM (decompose the dense model as it is, then the same fine-tuning)
 * runs too; with `continuedBaseline: true` so does the direct arm with ADMM's total epochs (dense
 * training continued for the ADMM epochs without the penalty, then decompose and the same
 * fine-tuning). {@link resume} continues a run from its checkpoints.
 *
 * Checkpoints (with `checkpointDir`): every `checkpointEvery` steps and at each phase end,
 * atomically; a resumed run ends with the same weights as an uninterrupted one (on a
 * deterministic backend such as cpu).
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { CompressionPlan, DataSource } from '@tensorslim/core';
import { ErrorCodes, defaultRegistry, fail, parseOptions, parsePlan } from '@tensorslim/core';
import type { CompressRuntime, CompressSettings } from './options.js';
import { compressOptionsSchema, compressRuntimeSchema, definedOnly } from './options.js';
import { CompressRun, type CompressResult } from './phase-machine.js';
import { RunCheckpoints } from './run-checkpoints.js';
import { resolvePlannedLayers } from './targets.js';

export type { CompressResult } from './phase-machine.js';

/** Options of {@link compress}: the serializable settings (defaults: the paper's) plus runtime hooks (see {@link compressOptionsSchema}). */
export interface CompressOptions extends Partial<CompressSettings>, CompressRuntime {}

/**
 * Compresses `model`: optional pretraining → ADMM → decompose → fine-tune → evaluate → save +
 * report; with `baseline: true` also the direct arm (decompose the dense model, the same
 * fine-tuning), with `continuedBaseline: true` the direct arm with ADMM's total epochs (dense
 * training continued for `admmEpochs`, then decompose and the same fine-tuning). Everything is
 * validated before training starts (options against {@link compressOptionsSchema}; a plan naming
 * a missing layer lists the model's layers; ranks a format rejects name the layer). `model` is
 * trained in place: afterwards it holds the ADMM-trained dense weights. Defaults are the paper's
 * (see {@link COMPRESS_DEFAULTS}).
 *
 * @example
 * ```ts
 * // register the format plugins the plan names first (each plugin package exports register())
 * const { report, model: small } = await compress(model, mnist, plan, {
 *   admmEpochs: 10, admmLr: 0.01, finetuneEpochs: 5, outDir: 'out', checkpointDir: 'out/ckpt', baseline: true,
 * });
 * console.log(report.admm.final.accuracy, report.admm.compressionRatio);
 * ```
 */
export async function compress(
  model: tfl.LayersModel,
  data: DataSource,
  plan: CompressionPlan | string | unknown,
  options: CompressOptions = {},
): Promise<CompressResult> {
  const {
    checkpointDir,
    resume: resumeFlag,
    outDir,
    container,
    surgery,
    onEvent,
    batchTransform,
    stepper,
    readEvery,
    optimizer,
    ...settings
  } = parseOptions(compressOptionsSchema, definedOnly(options));
  const parsed = parsePlan(plan);
  const runtime: CompressRuntime = { checkpointDir, resume: resumeFlag, outDir, container, surgery, onEvent, batchTransform, stepper, readEvery, optimizer };
  const planned = await resolvePlannedLayers(model, parsed, container ?? defaultRegistry, { requireDecomposition: !surgery?.factorizeModel });
  const run = new CompressRun(model, data, parsed, Object.freeze(settings), planned, runtime);
  try {
    await run.start();
    return await run.run();
  } finally {
    run.dispose();
  }
}

/**
 * Continues the compress run whose checkpoints are in `checkpointDir`, with the plan and settings
 * stored there. `model` must be the dense model the run started from (same architecture; its
 * weights are replaced) and `data` the same data source.
 */
export async function resume(
  checkpointDir: string,
  model: tfl.LayersModel,
  data: DataSource,
  runtime: Omit<CompressRuntime, 'checkpointDir' | 'resume'> = {},
): Promise<CompressResult> {
  const hooks = parseOptions(compressRuntimeSchema.omit({ checkpointDir: true, resume: true }), definedOnly(runtime));
  const latest = RunCheckpoints.latest(checkpointDir);
  if (!latest) fail(ErrorCodes.CHECKPOINT, `no complete checkpoint in ${checkpointDir}`, 'start the run with compress()');
  const { plan } = latest.state.fingerprint;
  return compress(model, data, plan, { ...latest.state.settings, ...hooks, checkpointDir, resume: true });
}
