/**
 * The pruning pipelines, on the same solver and training loop as ADMM (`@tensorslim/admm`):
 *
 * - {@link runReweighted}: training with the reweighted regularizer (resolved by id by the
 *   solver) → hard pruning to the target sparsity → fine-tuning with the masks held (re-applied
 *   after every step) → channel surgery (filter/channel granularity: prunable layers only) →
 *   evaluation; beside it the magnitude baseline with the same budget (the same epochs of plain
 *   training, then the same pruning, fine-tuning and surgery).
 * - {@link runCollaborative}: per-layer (pruned filters, Tucker-2 ranks) from the plan optimizer
 *   under a whole-model multiply-add budget → ADMM with the projector each layer's setting names
 *   (`collaborative`, `prune-filters` or the low-rank one) → hard projection → channel surgery →
 *   Tucker-2 decomposition of the smaller layers → fine-tuning; and the direct arm (the same
 *   allocation applied to the dense model, the same fine-tuning).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** A layer's weight variable (what `layer.weights` holds). */
type LayerVariable = tfl.layers.Layer['weights'][number];
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, fail, type DenseTensor } from '@tensorslim/linalg';
import {
  defaultRegistry,
  registerProjector,
  resolveProjector,
  type CompressionPlan,
  type DataSource,
  type LayerPlan,
  type PluginRegistry,
} from '@tensorslim/core';
import { factorizeModel, modelSummary } from '@tensorslim/surgery';
import { saveModel } from '@tensorslim/io';
import {
  admmTrain,
  disposeOptimizer,
  evaluate,
  fineTune,
  makeLoss,
  detectOutputKind,
  makeOptimizer,
  trainDense,
  trainLoop,
  readFloat64,
  readScalars,
  type Evaluation,
} from '@tensorslim/admm';
import { prunablePairs, removeChannels, type PrunablePair } from './channel-surgery.js';
import {
  allocateCollaborative,
  collaborativeProjector,
  prunedFiltersProjector,
  type Allocation,
  type CollabChoice,
  type CollabLayer,
} from './collaborative.js';
import { registerReweighted } from './reweighted.js';
import { magnitudeMask, registerMagnitude, sparsityOf, type Granularity } from './sparsity.js';

/** Training settings shared by the pruning pipelines. */
export interface PruneTraining {
  /** Epochs of the penalty / ADMM phase (and of the baseline's plain training). */
  readonly trainEpochs: number;
  /** Its learning rate. */
  readonly lr: number;
  /** Fine-tuning epochs. */
  readonly finetuneEpochs: number;
  /** Fine-tuning learning rate. */
  readonly finetuneLr: number;
  /** Batch size. */
  readonly batchSize: number;
  /** Run seed (batch order). */
  readonly seed: number;
  /** Steps between two re-estimates of the reweighting (or ADMM Z/U updates): K. */
  readonly updateEvery: number | 'epoch';
  /** Registry of projectors, regularizers and formats (default: core's). */
  readonly registry?: PluginRegistry;
  /** Where to save each arm's model (`<dir>/<arm>/`); a temporary directory otherwise (sizes only). */
  readonly outDir?: string;
  /** Steps between reads of the training loss in every training phase (default 1; see admm's `trainLoop`; the CLI uses 16 on webgpu). */
  readonly readEvery?: number;
}

/** One arm's outcome. */
export interface PruneArm {
  /** Arm name (reweighted, magnitude, collaborative, direct, ...). */
  readonly arm: string;
  /** Validation accuracy right after hard pruning / projection (before fine-tuning). */
  readonly afterPrune: Evaluation;
  /** Validation loss and accuracy at the end. */
  readonly final: Evaluation;
  /** Fraction of zeros in the planned kernels after hard pruning (before surgery). */
  readonly sparsity: number;
  /** Parameters of the final (surgically reduced) model. */
  readonly params: number;
  /** Multiply-adds per example of the final model. */
  readonly flops: number;
  /** Bytes of model.json + weights as saved. */
  readonly bytes: number;
  /** Filters removed physically, by producer layer. */
  readonly removed: Readonly<Record<string, number>>;
  /** Wall time, ms. */
  readonly ms: number;
}

/** The dense model's row of a report. */
export interface DenseRow {
  /** Validation loss and accuracy. */
  readonly evaluation: Evaluation;
  /** Parameters. */
  readonly params: number;
  /** Multiply-adds per example. */
  readonly flops: number;
  /** Bytes of model.json + weights. */
  readonly bytes: number;
}

/** Registers what the pipelines resolve by id: `reweighted`, `magnitude`, `prune-filters` and `collaborative` (over `lowRankId`). */
export function registerPruning(registry: PluginRegistry = defaultRegistry, lowRankId = 'tucker'): void {
  registerReweighted(registry);
  registerMagnitude(registry);
  registerProjector(prunedFiltersProjector, registry);
  if (registry.projector(lowRankId)) registerProjector(collaborativeProjector(resolveProjector(lowRankId, registry)), registry);
}

/** A copy of a model (same topology, weights copied). */
export async function cloneModel(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  const copy = await tfl.models.modelFromJSON({ modelTopology: model.toJSON(null, false) } as unknown as tfl.ModelAndWeightsConfig);
  copy.setWeights(model.getWeights());
  return copy;
}

function kernelVar(model: tfl.LayersModel, name: string): LayerVariable {
  return model.getLayer(name).weights[0]!;
}

/** A variable's values as float64 (read without blocking: the webgpu backend cannot read synchronously in Node). */
async function read(v: LayerVariable): Promise<DenseTensor> {
  return { shape: v.shape as number[], data: await readFloat64(v.read()) };
}

/** `{ readEvery }` for a training call when `t` sets it (training's own default, 1, otherwise). */
const readsOf = (t: Pick<PruneTraining, 'readEvery'>) => (t.readEvery ? { readEvery: t.readEvery } : {});

/** Masks held during fine-tuning: variable → 0/1 tensor of its shape. */
type Masks = { variable: LayerVariable; mask: tf.Tensor }[];

/**
 * The masks of a hard pruning: each kernel's magnitude mask; at filter granularity, a filter
 * removed entirely also masks its bias and its γ, β in the BatchNormalization layers on the way to
 * its consumer (so the channel is exactly zero and surgery can remove it).
 */
function pruneMasks(model: tfl.LayersModel, kernels: Readonly<Record<string, DenseTensor>>, pairs: readonly PrunablePair[]): Masks {
  const out: Masks = [];
  for (const [name, m] of Object.entries(kernels)) {
    const layer = model.getLayer(name);
    out.push({ variable: layer.weights[0]!, mask: tf.tensor(Float32Array.from(m.data), [...m.shape]) });
    const cout = m.shape[m.shape.length - 1]!;
    const alive = new Float32Array(cout);
    for (let i = 0; i < m.data.length; i++) if (m.data[i] !== 0) alive[i % cout] = 1;
    if (alive.every((a) => a === 1)) continue;
    const chan = tf.tensor1d(alive);
    const pair = pairs.find((p) => p.producer === name);
    const channelWise = [
      ...(layer.weights.length > 1 ? [layer.weights[1]!] : []),
      ...(pair ? pair.via.flatMap((v) => model.getLayer(v).trainableWeights) : []),
    ];
    for (const w of channelWise) if (w.shape.length === 1 && w.shape[0] === cout) out.push({ variable: w, mask: chan.clone() });
    chan.dispose();
  }
  return out;
}

function applyMasks(masks: Masks): void {
  tf.tidy(() => {
    for (const { variable, mask } of masks) variable.write(tf.mul(variable.read(), mask));
  });
}

/** Fine-tunes with the masks re-applied after every step (the pruned weights stay exactly zero). */
async function fineTuneMasked(model: tfl.LayersModel, data: DataSource, masks: Masks, t: PruneTraining): Promise<void> {
  const options = {
    epochs: t.finetuneEpochs,
    lr: t.finetuneLr,
    batchSize: t.batchSize,
    seed: t.seed,
    momentum: 0.9,
    labelSmoothing: 0,
    weightDecay: 0,
    loss: 'crossentropy' as const,
    evalBatchSize: 256,
  };
  const optimizer = makeOptimizer(options);
  try {
    await trainLoop({
      phase: 'finetune',
      model,
      data,
      options,
      optimizer,
      evaluateEachEpoch: false,
      afterUpdate: () => applyMasks(masks),
      ...readsOf(t),
    });
  } finally {
    disposeOptimizer(optimizer);
  }
}

/** An arm's row from its final model: accuracy, sizes (saved under `t.outDir/<arm>` when given), channels removed per layer, wall time since `t0`. */
async function armResult(
  arm: string,
  model: tfl.LayersModel,
  data: DataSource,
  r: { afterPrune: PruneArm['afterPrune']; sparsity: number; removed: Awaited<ReturnType<typeof removeChannels>>['removed'] },
  t: { outDir?: string; registry: PluginRegistry },
  t0: number,
): Promise<PruneArm> {
  const final = await evaluate(model, data);
  const sizes = await measure(model, t.outDir ? join(t.outDir, arm) : undefined, t.registry);
  return {
    arm,
    afterPrune: r.afterPrune,
    final,
    sparsity: r.sparsity,
    ...sizes,
    removed: Object.fromEntries(r.removed.map((x) => [x.pair.producer, x.removed.length])),
    ms: performance.now() - t0,
  };
}

/** Parameters, multiply-adds and saved bytes of a model. */
export async function measure(model: tfl.LayersModel, dir: string | undefined, registry: PluginRegistry): Promise<Omit<DenseRow, 'evaluation'>> {
  const s = modelSummary(model);
  const target = dir ?? mkdtempSync(join(tmpdir(), 'tensorslim-prune-'));
  try {
    await saveModel(model, target, { container: registry });
    const bytes = readdirSync(target)
      .filter((f) => f === 'model.json' || f.endsWith('.bin'))
      .reduce((a, f) => a + statSync(join(target, f)).size, 0);
    return { params: s.totalParams, flops: s.totalFlops, bytes };
  } finally {
    if (!dir) rmSync(target, { recursive: true, force: true });
  }
}

/** Settings of {@link runReweighted}. */
export interface ReweightedRun extends PruneTraining {
  /** Fraction of groups pruned in each planned layer, 0 ≤ s < 1. */
  readonly sparsity: number;
  /** What a group is. */
  readonly granularity: Granularity;
  /** The layers to prune (at filter/channel granularity, those surgery cannot shrink are dropped and listed). */
  readonly layers: readonly string[];
  /** λ of the reweighted penalty (default 1e-3). */
  readonly strength?: number;
  /** ε of α = 1/(‖W_g‖² + ε) (default 1e-3). */
  readonly epsilon?: number;
}

/** What {@link runReweighted} and {@link runCollaborative} return. */
export interface PruneReport {
  /** The method run. */
  readonly method: string;
  /** The dense model. */
  readonly dense: DenseRow;
  /** The method's arm, then the baseline(s). */
  readonly arms: readonly PruneArm[];
  /** The layers pruned, and those left out with the reason. */
  readonly layers: { readonly pruned: readonly string[]; readonly skipped: readonly { layer: string; reason: string }[] };
  /** The allocation (collaborative only). */
  readonly allocation?: Allocation;
}

/** The planned layers surgery can shrink at this granularity, and the others with why. */
function prunableSubset(model: tfl.LayersModel, layers: readonly string[], granularity: Granularity) {
  const { pairs, notPrunable } = prunablePairs(model);
  if (granularity === 'weight') return { pairs, pruned: [...layers], skipped: [] };
  const side = (p: PrunablePair) => (granularity === 'filter' ? p.producer : p.consumer);
  const ok = new Set(pairs.map(side));
  const pruned = layers.filter((l) => ok.has(l));
  const skipped = layers
    .filter((l) => !ok.has(l))
    .map((layer) => ({ layer, reason: notPrunable.find((n) => n.layer === layer)?.reason ?? `no layer produces its input channels alone` }));
  return { pairs, pruned, skipped };
}

/** Hard prune (masks), fine-tune with them held, remove the zero channels, evaluate and measure. */
async function pruneArm(
  arm: string,
  model: tfl.LayersModel,
  data: DataSource,
  kernels: readonly string[],
  maskOf: (w: DenseTensor) => DenseTensor,
  pairs: readonly PrunablePair[],
  t: PruneTraining & { registry: PluginRegistry },
  t0: number,
): Promise<PruneArm> {
  const kernelMasks = await Promise.all(kernels.map(async (n) => [n, maskOf(await read(kernelVar(model, n)))] as const));
  const masks = pruneMasks(model, Object.fromEntries(kernelMasks), pairs);
  applyMasks(masks);
  const zeros = await Promise.all(kernels.map((n) => read(kernelVar(model, n))));
  const sparsity = zeros.reduce((a, k) => a + sparsityOf(k) * k.data.length, 0) / zeros.reduce((a, k) => a + k.data.length, 0);
  const afterPrune = await evaluate(model, data);
  await fineTuneMasked(model, data, masks, t);
  tf.dispose(masks.map((m) => m.mask));
  const { model: small, removed } = await removeChannels(model);
  const result = await armResult(arm, small, data, { afterPrune, sparsity, removed }, t, t0);
  small.dispose();
  return result;
}

async function denseRow(model: tfl.LayersModel, data: DataSource, t: PruneTraining & { registry: PluginRegistry }): Promise<DenseRow> {
  return { evaluation: await evaluate(model, data), ...(await measure(model, t.outDir ? join(t.outDir, 'dense') : undefined, t.registry)) };
}

/**
 * Reweighted pruning beside magnitude pruning with the same budget (see the module comment).
 * `model` is trained in place (it ends as the reweighted-trained dense model).
 */
export async function runReweighted(model: tfl.LayersModel, data: DataSource, o: ReweightedRun): Promise<PruneReport> {
  const registry = o.registry ?? defaultRegistry;
  registerPruning(registry);
  const t = { ...o, registry };
  const { pairs, pruned, skipped } = prunableSubset(model, o.layers, o.granularity);
  if (pruned.length === 0)
    fail(
      ErrorCodes.PLAN,
      `none of ${o.layers.join(', ')} can be pruned at ${o.granularity} granularity`,
      skipped.map((s) => `${s.layer}: ${s.reason}`).join('; '),
    );
  const dense = await denseRow(model, data, t);
  const baseline = await cloneModel(model);
  const train = { epochs: o.trainEpochs, lr: o.lr, batchSize: o.batchSize, seed: o.seed, ...readsOf(o) };
  const maskOf = (w: DenseTensor) => magnitudeMask(w, o.sparsity, o.granularity);

  let t0 = performance.now();
  const options = { granularity: o.granularity, strength: o.strength ?? 1e-3, epsilon: o.epsilon ?? 1e-3 };
  const plan: CompressionPlan = {
    version: 1,
    layers: Object.fromEntries(pruned.map((n) => [n, { format: 'reweighted', ranks: [1], options } satisfies LayerPlan])),
  };
  const { solver } = await admmTrain(model, data, plan, { ...train, updateEvery: o.updateEvery, container: registry });
  solver.dispose();
  const rw = await pruneArm('reweighted', model, data, pruned, maskOf, pairs, t, t0);

  t0 = performance.now();
  await trainDense(baseline, data, train);
  const mag = await pruneArm('magnitude', baseline, data, pruned, maskOf, pairs, t, t0);
  baseline.dispose();
  return { method: 'reweighted', dense, arms: [rw, mag], layers: { pruned, skipped } };
}

/** Settings of {@link runCollaborative}. */
export interface CollaborativeRun extends PruneTraining {
  /** Budget: fraction of the dense model's multiply-adds, 0 < F ≤ 1. */
  readonly targetFlops: number;
  /** The layers that may be pruned and decomposed. */
  readonly layers: readonly string[];
  /** Pruning rungs ([0]: Tucker-2 alone). */
  readonly pruneLadder?: readonly number[];
  /** Rank rungs ([1]: pruning alone). */
  readonly rankLadder?: readonly number[];
  /** ADMM ρ (default 1e-3). */
  readonly rho?: number;
  /** Id of the low-rank format (default `tucker`; it needs factorized layers). */
  readonly lowRankId?: string;
  /** Training batches the sensitivities are measured on (default 4). */
  readonly probeBatches?: number;
  /** Name of the method's arm (default `collaborative`). */
  readonly arm?: string;
  /** Also run the direct arm (default true). */
  readonly direct?: boolean;
}

/** The optimizer's view of a model's weight layers. */
export function collabLayers(model: tfl.LayersModel, planned: readonly string[]): CollabLayer[] {
  const { pairs } = prunablePairs(model);
  const sizes = modelSummary(model).layers;
  return model.layers
    .filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName()))
    .map((l) => {
      const k = l.weights[0]!.shape as number[];
      const row = sizes.find((r) => r.name === l.name)!;
      const prod = (s: readonly number[]) => s.slice(0, -1).reduce((a, b) => a * (b || 1), 1);
      return {
        name: l.name,
        k2: k.length === 4 ? k[0]! * k[1]! : 1,
        cin: k[k.length - 2]!,
        cout: k[k.length - 1]!,
        inPixels: prod(row.inputShape),
        outPixels: prod(row.outputShape),
        ...(pairs.find((p) => p.consumer === l.name) ? { readsFrom: pairs.find((p) => p.consumer === l.name)!.producer } : {}),
        prunable: pairs.some((p) => p.producer === l.name),
        planned: planned.includes(l.name),
      };
    });
}

/** The plan entry a setting names: the composed projector, pruning alone, or the low rank alone. */
function entryOf(l: CollabLayer, a: Allocation, lowRankId: string): LayerPlan | null {
  const c = a.choices[l.name]!;
  const s = a.layers[l.name]!;
  if (c.prune === 0 && c.rank === 1) return null;
  const format = c.rank === 1 ? prunedFiltersProjector.id : c.prune === 0 ? lowRankId : 'collaborative';
  return { format, outModes: [l.cout], inModes: [l.cin], ranks: s.ranks ?? [1, 1], options: { pruned: s.pruned } };
}

/**
 * Collaborative compression under a multiply-add budget, with its direct arm (see the module
 * comment). The ladders select the variant: pruneLadder [0] is Tucker-2 alone, rankLadder [1]
 * pruning alone. `model` is not changed.
 */
export async function runCollaborative(model: tfl.LayersModel, data: DataSource, o: CollaborativeRun): Promise<PruneReport> {
  const registry = o.registry ?? defaultRegistry;
  const lowRankId = o.lowRankId ?? 'tucker';
  registerPruning(registry, lowRankId);
  const lowRank = resolveProjector(lowRankId, registry);
  const t = { ...o, registry };
  const layers = collabLayers(model, o.layers);
  const dense = await denseRow(model, data, t);
  // sensitivities: the loss on a few training batches with one layer at a setting
  const probe = [...take(data.trainBatches(o.batchSize, { epoch: 0, seed: o.seed + 101 }), o.probeBatches ?? 4)];
  const lossFn = makeLoss('crossentropy', detectOutputKind(model), 0);
  // the probe batches' losses, read together without blocking, averaged in float64 in batch order
  const probeLoss = async () => {
    const losses = tf.tidy(() => probe.map((b) => lossFn(b.ys, model.apply(b.xs, { training: false }) as tf.Tensor)));
    try {
      return (await readScalars(losses)).reduce((a, x) => a + x, 0) / probe.length;
    } finally {
      tf.dispose(losses);
    }
  };
  const kernelValues = new Map<string, Promise<DenseTensor>>(); // each kernel read once: the allocation restores it after every probe
  const loss = async (name: string, c: CollabChoice) => {
    const l = layers.find((x) => x.name === name)!;
    const v = kernelVar(model, name);
    if (!kernelValues.has(name)) kernelValues.set(name, read(v));
    const w = await kernelValues.get(name)!;
    const cout = l.cout - Math.round(c.prune * l.cout);
    const target = {
      name,
      format: 'probe',
      layout: {
        kind: (l.k2 > 1 || w.shape.length === 4 ? 'conv2d' : 'dense') as 'conv2d' | 'dense',
        kernelShape: w.shape,
        outModes: [l.cout],
        inModes: [l.cin],
      },
      ranks: { ranks: [Math.max(1, Math.ceil(c.rank * cout)), Math.max(1, Math.ceil(c.rank * l.cin))] },
      options: { pruned: l.cout - cout },
    };
    let z = prunedFiltersProjector.project(w, target);
    if (c.rank < 1) z = lowRank.project(z, target);
    const saved = v.read().clone();
    v.write(tf.tensor(Float32Array.from(z.data), [...w.shape]));
    const value = await probeLoss();
    v.write(saved);
    saved.dispose();
    return value;
  };
  const allocation = await allocateCollaborative(layers, {
    targetFlops: o.targetFlops,
    loss,
    ...(o.pruneLadder ? { pruneLadder: o.pruneLadder } : {}),
    ...(o.rankLadder ? { rankLadder: o.rankLadder } : {}),
  });
  tf.dispose(probe.flatMap((b) => [b.xs, b.ys]));
  const entries = Object.fromEntries(
    layers.flatMap((l) => (l.planned ? [[l.name, entryOf(l, allocation, lowRankId)] as const] : [])).filter(([, e]) => e !== null),
  ) as Record<string, LayerPlan>;
  const plan: CompressionPlan = { version: 1, layers: entries };
  const arms: PruneArm[] = [];
  for (const arm of o.direct === false ? [o.arm ?? 'collaborative'] : [o.arm ?? 'collaborative', 'direct']) {
    const t0 = performance.now();
    const m = await cloneModel(model);
    if (arm !== 'direct') {
      const { solver } = await admmTrain(m, data, plan, {
        epochs: o.trainEpochs,
        lr: o.lr,
        batchSize: o.batchSize,
        seed: o.seed,
        rho: o.rho ?? 1e-3,
        updateEvery: o.updateEvery,
        container: registry,
        ...readsOf(o),
      });
      solver.dispose();
    }
    arms.push(await collabArm(arm, m, data, plan, allocation, lowRankId, t, t0));
    m.dispose();
  }
  return { method: o.arm ?? 'collaborative', dense, arms, layers: { pruned: Object.keys(entries), skipped: [] }, allocation };
}

function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  let i = 0;
  for (const x of it) {
    if (i++ >= n) return;
    yield x;
  }
}

/** Hard projection → exact channel zeros → surgery → Tucker-2 of the smaller layers → fine-tuning. */
async function collabArm(
  arm: string,
  model: tfl.LayersModel,
  data: DataSource,
  plan: CompressionPlan,
  a: Allocation,
  lowRankId: string,
  t: PruneTraining & { registry: PluginRegistry },
  t0: number,
): Promise<PruneArm> {
  const { pairs } = prunablePairs(model);
  const kernels: Record<string, DenseTensor> = {};
  for (const [name, e] of Object.entries(plan.layers)) {
    const v = kernelVar(model, name);
    const w = await read(v);
    const target = {
      name,
      format: e.format,
      layout: {
        kind: (w.shape.length === 4 ? 'conv2d' : 'dense') as 'conv2d' | 'dense',
        kernelShape: w.shape,
        outModes: [...e.outModes!],
        inModes: [...e.inModes!],
      },
      ranks: { ranks: [...(e.ranks as number[])] },
      options: e.options ?? {},
    };
    const z = resolveProjector(e.format, t.registry).project(w, target);
    v.write(tf.tensor(Float32Array.from(z.data), [...w.shape]));
    const cout = w.shape[w.shape.length - 1]!;
    kernels[name] = magnitudeMask(z, (a.layers[name]?.pruned ?? 0) / cout, 'filter');
  }
  const masks = pruneMasks(model, kernels, pairs);
  applyMasks(masks);
  tf.dispose(masks.map((m) => m.mask));
  const zeros = await Promise.all(Object.keys(kernels).map((n) => read(kernelVar(model, n))));
  const sparsity = zeros.length ? zeros.reduce((s, k) => s + sparsityOf(k) * k.data.length, 0) / zeros.reduce((s, k) => s + k.data.length, 0) : 0;
  const { model: small, removed } = await removeChannels(model);
  const lowRankPlan: Record<string, LayerPlan> = {};
  for (const [name, s] of Object.entries(a.layers)) {
    if (!s.ranks) continue;
    const k = small.getLayer(name).weights[0]!.shape as number[];
    const [cin, cout] = [k[k.length - 2]!, k[k.length - 1]!];
    lowRankPlan[name] = { format: lowRankId, outModes: [cout], inModes: [cin], ranks: [Math.min(s.ranks[0], cout), Math.min(s.ranks[1], cin)] };
  }
  const final0 = Object.keys(lowRankPlan).length ? (await factorizeModel(small, { version: 1, layers: lowRankPlan }, { container: t.registry })).model : small;
  const afterPrune = await evaluate(final0, data);
  await fineTune(final0, data, {
    epochs: t.finetuneEpochs,
    lr: t.finetuneLr,
    batchSize: t.batchSize,
    seed: t.seed,
    ...readsOf(t),
  });
  const result = await armResult(arm, final0, data, { afterPrune, sparsity, removed }, t, t0);
  if (final0 !== small) final0.dispose();
  small.dispose();
  return result;
}
