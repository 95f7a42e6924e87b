/**
 * Early decomposition for faster training (Elhoushi et al., arXiv 1909.05675): train the dense
 * model for K epochs, decompose the planned layers in place into their formats' factorized layers
 * (`factorizeModel` of `@tensorslim/surgery`), and train the factorized model for the remaining
 * epochs, with the same batch order as dense training of the same length. {@link trainEarlyDecomposed} returns the history of
 * both stages and the wall time of each, so a caller can set it against dense training.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import type { CompressionPlan, DataSource } from '@tensorslim/core';
import type { FactorizedLayerReport } from '@tensorslim/surgery';
import { ErrorCodes, defaultRegistry, fail, opt, parseOptions, parsePlan } from '@tensorslim/core';
import { Rng } from '@tensorslim/linalg';
import {
  LOOP_START,
  compressRuntimeSchema,
  definedOnly,
  disposeOptimizer,
  evaluate,
  makeOptimizer,
  resolvePlannedLayers,
  resolveSurgery,
  trainDense,
  trainLoop,
  trainRunOptionsSchema,
  type EpochRecord,
  type Evaluation,
  type TrainResult,
  type TrainRunOptions,
} from '@tensorslim/admm';
import { markdownTable } from '@tensorslim/report';
import { profileTrainingStep, type StepProfile } from './profile.js';

/** Options of {@link trainEarlyDecomposed}: one training run, the switch epoch, the registry and surgery. */
export const earlyDecomposeOptionsSchema = trainRunOptionsSchema.extend({
  decomposeAtEpoch: opt(z.number().int().min(0), {
    description: 'train dense for K epochs, then decompose the planned layers and train the factorized model for the remaining epochs',
    arg: 'K',
  }),
  container: compressRuntimeSchema.shape.container,
  surgery: compressRuntimeSchema.shape.surgery,
});

/** Options of {@link trainEarlyDecomposed} (see {@link earlyDecomposeOptionsSchema}). */
export interface EarlyDecomposeOptions extends TrainRunOptions {
  /** Dense epochs before the switch (K ≤ epochs). */
  readonly decomposeAtEpoch: number;
  /** Registry of formats (default: core's default registry). */
  readonly container?: z.output<typeof compressRuntimeSchema.shape.container>;
  /** Model surgery overrides (default: surgery's factorizeModel). */
  readonly surgery?: z.output<typeof compressRuntimeSchema.shape.surgery>;
}

/** Result of {@link trainEarlyDecomposed}. */
export interface EarlyDecomposeResult {
  /** The trained model: the factorized one (or the dense one when K = epochs). */
  readonly model: tfl.LayersModel;
  /** One record per epoch, dense epochs first (epoch numbers continue across the switch). */
  readonly history: EpochRecord[];
  /** What the decomposition did to each planned layer (empty when K = epochs). */
  readonly layers: readonly FactorizedLayerReport[];
  /** Validation loss/accuracy right after the decomposition, before further training (null when K = epochs). */
  readonly afterDecompose: Evaluation | null;
  /** Validation loss/accuracy at the end. */
  readonly evaluation: Evaluation;
  /** Wall time of the whole run, ms. */
  readonly ms: number;
  /** Wall time of the dense epochs (with their evaluations), ms. */
  readonly denseMs: number;
  /** Wall time of the decomposition and surgery, ms. */
  readonly decomposeMs: number;
  /** Wall time of the factorized epochs (with their evaluations), ms. */
  readonly factorizedMs: number;
}

/**
 * Trains `model` (in place) for `decomposeAtEpoch` dense epochs, decomposes the planned layers
 * (each by its format's plugin, at the planned ranks) into a new model with factorized layers,
 * then trains that model from epoch K to `epochs` with a fresh momentum optimizer (the dense
 * momentum does not map onto the factors). Batch order per epoch is the data source's (seed,
 * epoch) order, the same as in dense training of the same length.
 */
export async function trainEarlyDecomposed(
  model: tfl.LayersModel,
  data: DataSource,
  plan: CompressionPlan | string | unknown,
  options: EarlyDecomposeOptions,
): Promise<EarlyDecomposeResult> {
  const { onEvent, batchTransform, decomposeAtEpoch: k, container, surgery, ...o } = parseOptions(earlyDecomposeOptionsSchema, definedOnly(options));
  const parsed = parsePlan(plan);
  const registry = container ?? defaultRegistry;
  const { factorizeModel } = resolveSurgery(surgery);
  if (k > o.epochs) {
    fail(ErrorCodes.OPTION, `decomposeAtEpoch ${k} is more than the ${o.epochs} training epochs`, `pass a K between 0 and ${o.epochs}`);
  }
  const planned = await resolvePlannedLayers(model, parsed, registry, { requireDecomposition: !surgery?.factorizeModel });
  const history: EpochRecord[] = [];
  const evalOpts = { batchSize: o.evalBatchSize, loss: o.loss };
  const t0 = performance.now();
  const phase = async (m: tfl.LayersModel, name: string, epochs: number, start: number) => {
    const optimizer = makeOptimizer(o);
    try {
      await trainLoop({
        phase: name,
        model: m,
        data,
        options: { ...o, epochs },
        optimizer,
        onEvent,
        batchTransform,
        history,
        start: { ...LOOP_START, epoch: start },
      });
    } finally {
      disposeOptimizer(optimizer);
    }
  };
  await phase(model, 'train', k, 0);
  const t1 = performance.now();
  if (k === o.epochs || planned.length === 0) {
    const evaluation = await evaluate(model, data, evalOpts);
    const t = performance.now();
    return { model, history, layers: [], afterDecompose: null, evaluation, ms: t - t0, denseMs: t1 - t0, decomposeMs: 0, factorizedMs: 0 };
  }
  const f = await factorizeModel(model, parsed, { container: registry, decompose: { rng: new Rng(o.seed) } });
  const t2 = performance.now();
  const afterDecompose = await evaluate(f.model, data, evalOpts);
  const t3 = performance.now();
  await phase(f.model, 'factorized', o.epochs, k);
  const evaluation = await evaluate(f.model, data, evalOpts);
  const t4 = performance.now();
  return { model: f.model, history, layers: f.layers, afterDecompose, evaluation, ms: t4 - t0, denseMs: t1 - t0, decomposeMs: t2 - t1, factorizedMs: t4 - t3 };
}

/** Mean of the `ms` of the records, or null for none. */
function meanMs(records: readonly EpochRecord[]): number | null {
  return records.length ? records.reduce((s, r) => s + r.ms, 0) / records.length : null;
}

/** One arm of {@link EarlyDecomposeReport}. */
export interface EarlyArm {
  /** Wall time of the whole run (training, evaluations, decomposition), ms. */
  readonly ms: number;
  /** Mean epoch time of the dense epochs, ms (null when none). */
  readonly denseEpochMs: number | null;
  /** Mean epoch time of the factorized epochs, ms (null when none). */
  readonly factorizedEpochMs: number | null;
  /** Final validation loss/accuracy. */
  readonly evaluation: Evaluation;
  /** Parameters of the final model. */
  readonly params: number;
  /** One record per epoch. */
  readonly history: readonly EpochRecord[];
}

/** Early decomposition set against dense training of the same epochs, measured in one run. */
export interface EarlyDecomposeReport {
  /** Total epochs of both arms. */
  readonly epochs: number;
  /** The switch epoch K. */
  readonly decomposeAtEpoch: number;
  /** Full dense training. */
  readonly dense: EarlyArm;
  /** Dense for K epochs, then factorized. */
  readonly early: EarlyArm & {
    readonly decomposeMs: number;
    readonly afterDecompose: Evaluation | null;
    readonly layers: readonly FactorizedLayerReport[];
  };
  /** dense.ms / early.ms (above 1: early decomposition trained faster). */
  readonly speedup: number;
  /** dense epoch time / factorized epoch time (null when no factorized epoch ran). */
  readonly epochSpeedup: number | null;
  /** One profiled training step of the final dense and of the final factorized model (first training batch). */
  readonly profile: { readonly dense: StepProfile; readonly factorized: StepProfile } | null;
}

/**
 * Runs full dense training and early decomposition from the same initial weights (`makeModel`
 * must build the same model each call, e.g. from a seed), one after the other in this process, and
 * profiles one training step of each final model. Dense runs first.
 */
export async function compareEarlyDecomposition(
  makeModel: () => tfl.LayersModel | Promise<tfl.LayersModel>,
  data: DataSource,
  plan: CompressionPlan | string | unknown,
  options: EarlyDecomposeOptions,
): Promise<EarlyDecomposeReport & { readonly models: { readonly dense: tfl.LayersModel; readonly early: tfl.LayersModel } }> {
  const { decomposeAtEpoch: k, container: _c, surgery: _s, ...train } = options;
  const denseModel = await makeModel();
  const first = data
    .trainBatches(options.batchSize ?? 128, { epoch: 0, seed: options.seed ?? 1 })
    [Symbol.iterator]()
    .next();
  const batch = first.done ? null : first.value;
  try {
    if (batch) await profileTrainingStep(denseModel, batch, options.loss); // warm-up of the dense kernels, so neither arm pays it alone
    const d = await trainDense(denseModel, data, train);
    const e = await trainEarlyDecomposed(await makeModel(), data, plan, options);
    return summarize(
      k,
      denseModel,
      d,
      e,
      batch && e.layers.length > 0
        ? { dense: await profileTrainingStep(denseModel, batch, options.loss), factorized: await profileTrainingStep(e.model, batch, options.loss) }
        : null,
    );
  } finally {
    if (batch) tf.dispose([batch.xs, batch.ys]);
  }
}

function summarize(
  k: number,
  denseModel: tfl.LayersModel,
  d: TrainResult,
  e: EarlyDecomposeResult,
  profile: EarlyDecomposeReport['profile'],
): EarlyDecomposeReport & { readonly models: { readonly dense: tfl.LayersModel; readonly early: tfl.LayersModel } } {
  const epochs = d.history.length;
  const dense: EarlyArm = {
    ms: d.ms,
    denseEpochMs: meanMs(d.history),
    factorizedEpochMs: null,
    evaluation: d.evaluation,
    params: denseModel.countParams(),
    history: d.history,
  };
  const early = {
    ms: e.ms,
    denseEpochMs: meanMs(e.history.filter((h) => h.epoch < k)),
    factorizedEpochMs: meanMs(e.history.filter((h) => h.epoch >= k)),
    evaluation: e.evaluation,
    params: e.model.countParams(),
    history: e.history,
    decomposeMs: e.decomposeMs,
    afterDecompose: e.afterDecompose,
    layers: e.layers,
  };
  return {
    epochs,
    decomposeAtEpoch: k,
    dense,
    early,
    speedup: d.ms / e.ms,
    epochSpeedup: dense.denseEpochMs !== null && early.factorizedEpochMs !== null ? dense.denseEpochMs / early.factorizedEpochMs : null,
    profile,
    models: { dense: denseModel, early: e.model },
  };
}

const ms1 = (x: number | null) => (x === null ? '—' : (x / 1000).toFixed(2));
const pct = (e: Evaluation | null) => (e?.accuracy == null ? '—' : `${(100 * e.accuracy).toFixed(2)}%`);

/** The Markdown of an {@link EarlyDecomposeReport}: times, accuracies, and where a step's time goes. */
export function earlyReportMarkdown(r: EarlyDecomposeReport, title: string): string {
  const lines = [
    `# ${title}`,
    '',
    `Dense training for ${r.epochs} epochs against early decomposition at epoch ${r.decomposeAtEpoch} (dense epochs 1–${r.decomposeAtEpoch}, factorized ${r.decomposeAtEpoch + 1}–${r.epochs}), same initial weights and batch order, measured one after the other in this run (dense first).`,
    '',
    markdownTable(
      ['run', 'total s', 'dense epoch s', 'factorized epoch s', 'decompose s', 'params', 'accuracy after decomposition', 'final accuracy'],
      [
        ['dense', ms1(r.dense.ms), ms1(r.dense.denseEpochMs), '—', '—', r.dense.params, '—', pct(r.dense.evaluation)],
        [
          `early (K = ${r.decomposeAtEpoch})`,
          ms1(r.early.ms),
          ms1(r.early.denseEpochMs),
          ms1(r.early.factorizedEpochMs),
          ms1(r.early.decomposeMs),
          r.early.params,
          pct(r.early.afterDecompose),
          pct(r.early.evaluation),
        ],
      ],
    ),
    '',
    `Whole run: early decomposition took ${(1 / r.speedup).toFixed(3)}× the dense time (speed-up ${r.speedup.toFixed(3)}×); ` +
      (r.epochSpeedup === null ? 'no factorized epoch ran.' : `a factorized epoch took ${(1 / r.epochSpeedup).toFixed(3)}× a dense epoch.`),
    '',
  ];
  if (r.profile) {
    const { dense, factorized } = r.profile;
    const names = [...new Set([...dense.kernels.slice(0, 8), ...factorized.kernels.slice(0, 8)].map((k) => k.kernel))];
    const of = (p: StepProfile, n: string) => p.kernels.find((k) => k.kernel === n);
    lines.push(
      `One training step (forward + gradients, first batch) profiled by kernel: dense ${dense.wallMs.toFixed(1)} ms wall, factorized ${factorized.wallMs.toFixed(1)} ms wall.`,
      '',
      markdownTable(
        ['kernel', 'dense ms', 'dense calls', 'factorized ms', 'factorized calls'],
        names.map((n) => [
          n,
          of(dense, n)?.ms.toFixed(2) ?? '—',
          of(dense, n)?.calls ?? 0,
          of(factorized, n)?.ms.toFixed(2) ?? '—',
          of(factorized, n)?.calls ?? 0,
        ]),
      ),
      '',
    );
  }
  return lines.join('\n');
}
