/**
 * The compress pipeline: (optional dense pretraining) → ADMM training → decompose each planned
 * layer with its plugin from the Z-projected weights (core's model surgery) → fine-tune without
 * the ADMM term → evaluate → save (TF.js format) + report. With `baseline: true` the same
 * pipeline without ADMM (decompose the dense model as it is, then the same fine-tuning) runs too;
 * with `continuedBaseline: true` so does the direct arm with ADMM's total epochs (dense training
 * continued for the ADMM epochs without the penalty, then decompose and the same fine-tuning).
 *
 * Checkpoints (with `checkpointDir`): every `checkpointEvery` steps and at each phase end,
 * atomically; `resume` continues from the newest complete one and ends with the same weights as
 * an uninterrupted run (on a deterministic backend such as cpu).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { CompressionPlan, DataSource, PluginRegistry } from '@tensorslim/core';
import { Rng, type DenseTensor } from '@tensorslim/linalg';
import { ErrorCodes, TensorslimError, defaultRegistry, fail, parsePlan } from '@tensorslim/core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointStore, type StoredTensor } from './checkpoint.js';
import { createAdmmSolver } from './container.js';
import type { Evaluation } from './evaluate.js';
import { evaluate } from './evaluate.js';
import type { AdmmUpdateRecord, EpochRecord, PhaseName, ProgressEvent, ProgressListener } from './events.js';
import type { AdmmOptions, CompressSettings, TrainOptions } from './options.js';
import { admmOptionsOf, resolveAdmmOptions, resolveCompressSettings, resolveTrainOptions, trainOptionsOf } from './options.js';
import type { Arm, CompressReport, MethodResult, ReportLayer } from './report.js';
import { buildMethodResult, buildReport, writeReport } from './report.js';
import type { AdmmSolver } from './solver.js';
import type { FactorizeResult } from '@tensorslim/core';
import type { ModelSurgery } from './surgery.js';
import { resolveSurgery } from './surgery.js';
import type { PlannedLayer } from './targets.js';
import { resolvePlannedLayers } from './targets.js';
import type { LoopPosition } from './trainer.js';
import { LOOP_START, disposeOptimizer, makeOptimizer, trainLoop } from './trainer.js';
import { modelSignature, readModelWeights, writeModelWeights } from './weights.js';

/** Runtime hooks of the pipeline (not serialized into checkpoints or reports). */
export interface CompressRuntime {
  /** Directory for checkpoints (none are written without it). */
  readonly checkpointDir?: string;
  /** Continue from the newest complete checkpoint in `checkpointDir`. */
  readonly resume?: boolean;
  /** Where to save the compressed model (model.json + weights), the direct arms (`baseline/`, `continued/`) and the report. */
  readonly outDir?: string;
  /** Registry of formats (default: core's default registry). */
  readonly container?: PluginRegistry;
  /** Model surgery / IO overrides (default: core's `factorizeModel` and `saveModel`). */
  readonly surgery?: Partial<ModelSurgery>;
  /** Progress events. */
  readonly onEvent?: ProgressListener;
}

/** Options of {@link compress}: the serializable settings (defaults: the paper's) plus runtime hooks. */
export interface CompressOptions extends Partial<CompressSettings>, CompressRuntime {}

/** What {@link compress} returns. */
export interface CompressResult {
  /** The report (also written as report.json / report.md when `outDir` is set). */
  readonly report: CompressReport;
  /** The compressed (ADMM → decompose → fine-tune) model. */
  readonly model: tfl.LayersModel;
  /** The direct arm's compressed model, when it ran. */
  readonly baselineModel: tfl.LayersModel | null;
  /** The same-epochs direct arm's compressed model, when it ran. */
  readonly continuedModel: tfl.LayersModel | null;
}

type ModelKind = 'dense' | Arm;
type Stage = PhaseName | 'done';

/** Every stage in the order a run passes them (arms that do not run are skipped). */
const STAGES: readonly Stage[] = [
  'pretrain',
  'admm',
  'decompose',
  'finetune',
  'baseline-decompose',
  'baseline-finetune',
  'continued-train',
  'continued-decompose',
  'continued-finetune',
  'report',
  'done',
];

/** Where each arm starts, its last stage and the tag of the checkpoint at its end. */
const ARM_STAGES: Readonly<Record<Arm, { first: Stage; last: Stage; endTag: string }>> = {
  admm: { first: 'admm', last: 'finetune', endTag: 'finetune-end' },
  baseline: { first: 'baseline-decompose', last: 'baseline-finetune', endTag: 'baseline-finetune-end' },
  continued: { first: 'continued-train', last: 'continued-finetune', endTag: 'continued-finetune-end' },
};

/** The dense weights each direct arm decomposes: the phase-end snapshot of its own training. */
const DIRECT_SOURCE: Readonly<Record<Exclude<Arm, 'admm'>, 'pretrain-end' | 'continued-train-end'>> = {
  baseline: 'pretrain-end',
  continued: 'continued-train-end',
};

interface Fingerprint {
  plan: CompressionPlan;
  settings: CompressSettings;
  model: string[];
  data: { name: string; trainSize: number; valSize: number };
}

/** What one arm produced (decomposition seed, evaluations, layers, saved model). */
interface ArmResults {
  seed?: number;
  /** The trained dense model right before decomposition (ADMM and the continued arm). */
  trained?: Evaluation;
  layers?: ReportLayer[];
  afterDecompose?: Evaluation;
  final?: Evaluation;
  params?: number;
  modelDir?: string | null;
}

interface Results {
  dense?: Evaluation;
  denseParams?: number;
  stoppedEarly?: boolean;
  arms: Partial<Record<Arm, ArmResults>>;
}

/** The run state stored in every checkpoint. */
interface RunState {
  kind: 'tensorslim-compress';
  fingerprint: Fingerprint;
  /** The settings as given (the fingerprint ignores checkpointEvery). */
  settings: CompressSettings;
  stage: Stage;
  position: LoopPosition | null;
  modelKind: ModelKind;
  rng: { s: number[]; spare: number | null };
  solver: { rho: number; updates: number; history: AdmmUpdateRecord[] } | null;
  optimizerIterations: number | null;
  epochs: EpochRecord[];
  admmHistory: AdmmUpdateRecord[];
  results: Results;
  phaseMs: Record<string, number>;
}

const TRAINING: Partial<Record<Stage, true>> = { pretrain: true, admm: true, finetune: true, 'baseline-finetune': true, 'continued-train': true, 'continued-finetune': true };

/** A serializable view of a (possibly non-JSON) evaluation: NaN becomes null. */
function evalJson(e: Evaluation): Evaluation {
  return { loss: Number.isFinite(e.loss) ? e.loss : (null as unknown as number), accuracy: e.accuracy, examples: e.examples };
}

function diff(a: unknown, b: unknown, path = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return [path || '(value)'];
}

class CompressRun {
  private state!: RunState;
  private readonly rng: Rng;
  private store: CheckpointStore<RunState> | null = null;
  private readonly container: PluginRegistry;
  private readonly surgery: ModelSurgery;
  private work: tfl.LayersModel;
  /** The decomposed model of each arm, once built. */
  private readonly arms: Partial<Record<Arm, tfl.LayersModel>> = {};
  private optimizer: tf.Optimizer | null = null;
  private solver: AdmmSolver | null = null;
  private readonly snapshots = new Map<string, (Float32Array | Int32Array)[]>();
  private lastCheckpoint: { path: string; stage: string; step: number } | null = null;
  private phaseT0 = 0;

  constructor(
    private readonly model: tfl.LayersModel,
    private readonly data: DataSource,
    private readonly plan: CompressionPlan,
    private readonly settings: CompressSettings,
    private readonly planned: PlannedLayer[],
    private readonly runtime: CompressRuntime,
  ) {
    this.container = runtime.container ?? defaultRegistry;
    this.surgery = resolveSurgery(runtime.surgery);
    this.rng = new Rng(settings.seed);
    this.work = model;
  }

  private fingerprint(): Fingerprint {
    return {
      plan: this.plan,
      settings: { ...this.settings, checkpointEvery: 0 },
      model: modelSignature(this.model),
      data: { name: this.data.name, trainSize: this.data.trainSize, valSize: this.data.valSize },
    };
  }

  private async emit(e: ProgressEvent): Promise<void> {
    if (this.runtime.onEvent) await this.runtime.onEvent(e);
  }

  async start(): Promise<void> {
    if (this.runtime.checkpointDir) {
      this.store = new CheckpointStore<RunState>(this.runtime.checkpointDir);
      const latest = this.store.latest();
      if (this.runtime.resume) {
        if (!latest) fail(ErrorCodes.CHECKPOINT, `no complete checkpoint in ${this.runtime.checkpointDir}`, 'start the run without resume');
        await this.restore(latest.path, latest.state);
        return;
      }
      if (latest) {
        fail(
          ErrorCodes.CHECKPOINT,
          `checkpoint directory ${this.runtime.checkpointDir} already holds a run (newest checkpoint ${latest.path})`,
          'pass resume to continue it, or use an empty directory (nothing there was changed)',
        );
      }
    } else if (this.runtime.resume) {
      fail(ErrorCodes.OPTION, 'resume needs checkpointDir', 'pass the directory the interrupted run wrote its checkpoints to');
    }
    this.state = {
      kind: 'tensorslim-compress',
      fingerprint: this.fingerprint(),
      settings: this.settings,
      stage: 'pretrain',
      position: null,
      modelKind: 'dense',
      rng: this.rng.getState(),
      solver: null,
      optimizerIterations: null,
      epochs: [],
      admmHistory: [],
      results: { arms: {} },
      phaseMs: {},
    };
  }

  // ---------------------------------------------------------------- checkpoints

  private phaseTime(stage: string): number {
    return (this.state.phaseMs[stage] ?? 0) + (performance.now() - this.phaseT0);
  }

  private async checkpoint(tag: string | null): Promise<void> {
    if (!this.store) return;
    const stage = this.state.stage;
    const tensors: StoredTensor[] = readModelWeights(this.work).map((data, i) => ({ key: `w:${i}`, shape: [data.length], data }));
    this.state.rng = this.rng.getState();
    this.state.solver = null;
    if (this.solver && (stage === 'admm' || stage === 'decompose')) {
      const s = this.solver.exportState();
      this.state.solver = { rho: s.rho, updates: s.updates, history: [...s.history] };
      for (const l of s.layers) tensors.push({ key: `z:${l.name}`, shape: [l.z.length], data: l.z }, { key: `u:${l.name}`, shape: [l.u.length], data: l.u });
    }
    this.state.optimizerIterations = null;
    if (this.optimizer && this.state.position) {
      const ws = await this.optimizer.getWeights();
      this.state.optimizerIterations = ws[0] ? ws[0].tensor.dataSync()[0]! : 0;
      ws.slice(1).forEach((w, i) => tensors.push({ key: `opt:${i}`, shape: [...w.tensor.shape], data: Float32Array.from(w.tensor.dataSync()) }));
    }
    const phaseMs = { ...this.state.phaseMs };
    if (TRAINING[stage] && this.state.position) phaseMs[stage] = this.phaseTime(stage);
    const path = await this.store.write({ ...this.state, phaseMs }, tensors, tag);
    this.lastCheckpoint = { path, stage, step: this.state.position?.globalStep ?? 0 };
    await this.emit({ type: 'checkpoint', path, phase: stage, step: this.lastCheckpoint.step, tag });
  }

  private async restore(path: string, state: RunState): Promise<void> {
    if (state.kind !== 'tensorslim-compress') fail(ErrorCodes.CHECKPOINT, `${path} is not a checkpoint of the compress pipeline`);
    const mine = this.fingerprint();
    const differs = diff(state.fingerprint, mine);
    if (differs.length) {
      fail(
        ErrorCodes.CHECKPOINT,
        `the checkpoint in ${path} is from a different run: ${differs.slice(0, 8).join(', ')} differ`,
        'resume with the same model, data, plan and options (or start a new run in an empty directory)',
        { differs },
      );
    }
    this.state = { ...state, settings: this.settings };
    this.rng.setState(state.rng);
    const tensors = this.store!.readTensors(path);
    const weights = (): Float32Array[] => {
      const out: Float32Array[] = [];
      for (let i = 0; tensors.has(`w:${i}`); i++) out.push(tensors.get(`w:${i}`)!.data as Float32Array);
      return out;
    };
    // finished arms first, each from its own phase-end checkpoint: rebuilding one writes dense
    // weights into this.model, so the checkpoint's own dense weights go in last
    const at = STAGES.indexOf(state.stage);
    for (const arm of Object.keys(ARM_STAGES) as Arm[]) {
      if (this.armRuns(arm) && at > STAGES.indexOf(ARM_STAGES[arm].last)) this.arms[arm] = await this.rebuild(arm, this.requireTag(ARM_STAGES[arm].endTag).path);
    }
    if (state.modelKind === 'dense') {
      writeModelWeights(this.model, weights(), `checkpoint ${path}`);
      this.work = this.model;
    } else {
      this.work = this.arms[state.modelKind] ??= await this.rebuild(state.modelKind, path);
    }
    if (state.stage === 'admm' && state.position) {
      this.solver = this.makeSolver();
      this.solver.importState({
        ...state.solver!,
        layers: this.planned.map((p) => ({
          name: p.name,
          z: Float64Array.from(tensors.get(`z:${p.name}`)!.data),
          u: Float64Array.from(tensors.get(`u:${p.name}`)!.data),
        })),
      });
    }
    if (TRAINING[state.stage] && state.position) {
      this.optimizer = makeOptimizer({ lr: this.phaseLr(state.stage), momentum: this.settings.momentum });
      const acc: { name: string; tensor: tf.Tensor }[] = [];
      for (let i = 0; tensors.has(`opt:${i}`); i++) {
        const t = tensors.get(`opt:${i}`)!;
        acc.push({ name: `acc_${i}`, tensor: tf.tensor(t.data as Float32Array, t.shape as number[]) });
      }
      const iter = tf.scalar(state.optimizerIterations ?? 0, 'int32');
      await this.optimizer.setWeights([{ name: 'iter', tensor: iter }, ...acc]);
      tf.dispose([iter, ...acc.map((a) => a.tensor)]);
    }
    this.lastCheckpoint = { path, stage: state.stage, step: state.position?.globalStep ?? 0 };
    await this.emit({ type: 'resume', path, phase: state.stage, epoch: state.position?.epoch ?? 0, step: state.position?.step ?? 0 });
  }

  private requireTag(tag: string): { path: string } {
    const c = this.store?.findTag(tag);
    if (!c) fail(ErrorCodes.CHECKPOINT, `the phase-end checkpoint "${tag}" is missing from ${this.runtime.checkpointDir}`, 'start a new run');
    return c;
  }

  /** The results of an arm so far (created empty). */
  private armResults(arm: Arm): ArmResults {
    return (this.state.results.arms[arm] ??= {});
  }

  /** Whether an arm runs under these settings. */
  private armRuns(arm: Arm): boolean {
    return arm === 'admm' || (arm === 'baseline' ? this.settings.baseline : this.settings.continuedBaseline);
  }

  /** The stage after an arm's last one: the next arm that runs, or the report. */
  private after(arm: Arm): Stage {
    const order = Object.keys(ARM_STAGES) as Arm[];
    const next = order.slice(order.indexOf(arm) + 1).find((a) => this.armRuns(a));
    return next ? ARM_STAGES[next].first : 'report';
  }

  /** Dense weights at a phase end: from memory, or from that phase's checkpoint. */
  private denseSnapshot(tag: 'pretrain-end' | 'admm-end' | 'continued-train-end'): ArrayLike<number>[] {
    const mem = this.snapshots.get(tag);
    if (mem) return mem;
    const t = this.store!.readTensors(this.requireTag(tag).path);
    const out: Float32Array[] = [];
    for (let i = 0; t.has(`w:${i}`); i++) out.push(t.get(`w:${i}`)!.data as Float32Array);
    return out;
  }

  /** Rebuilds a factorized model exactly as the run built it, then loads the weights of `path`. */
  private async rebuild(kind: Arm, path: string): Promise<tfl.LayersModel> {
    const f = kind === 'admm' ? await this.decomposeAdmm() : await this.decomposeDirect(kind);
    const t = this.store!.readTensors(path);
    const w: Float32Array[] = [];
    for (let i = 0; t.has(`w:${i}`); i++) w.push(t.get(`w:${i}`)!.data as Float32Array);
    writeModelWeights(f.model, w, `checkpoint ${path}`);
    return f.model;
  }

  // ---------------------------------------------------------------- phases

  /** Which training a stage is: dense pretraining, ADMM-length training (ADMM, or the continued arm's dense epochs) or fine-tuning. */
  private phaseKind(stage: Stage): 0 | 1 | 2 {
    return stage === 'pretrain' ? 0 : stage === 'admm' || stage === 'continued-train' ? 1 : 2;
  }

  private phaseLr(stage: Stage): number {
    const s = this.settings;
    return [s.pretrainLr, s.admmLr, s.finetuneLr][this.phaseKind(stage)]!;
  }

  private phaseEpochs(stage: Stage): number {
    const s = this.settings;
    return [s.pretrainEpochs, s.admmEpochs, s.finetuneEpochs][this.phaseKind(stage)]!;
  }

  private phaseSeed(stage: Stage): number {
    // the continued arm's dense epochs see ADMM's batches, every fine-tuning sees the ADMM
    // fine-tuning's: same epochs, same data order
    return (this.settings.seed + 7919 * this.phaseKind(stage)) >>> 0;
  }

  private makeSolver(): AdmmSolver {
    return createAdmmSolver(
      this.planned.map((p) => ({ name: p.name, target: p.target, variable: p.kernel })),
      admmOptionsOf(this.settings),
      this.container,
    );
  }

  private async train(stage: Stage, solver: AdmmSolver | null): Promise<void> {
    const epochs = this.phaseEpochs(stage);
    const lr = this.phaseLr(stage);
    const opts: TrainOptions = { ...trainOptionsOf(this.settings, epochs, lr), seed: this.phaseSeed(stage) };
    if (!this.state.position) {
      if (this.optimizer) disposeOptimizer(this.optimizer);
      this.optimizer = makeOptimizer(opts);
      this.state.position = { ...LOOP_START };
    }
    const every = this.settings.checkpointEvery;
    try {
      const r = await trainLoop({
        phase: stage,
        model: this.work,
        data: this.data,
        options: opts,
        optimizer: this.optimizer!,
        solver,
        start: this.state.position,
        history: this.state.epochs,
        onEvent: this.runtime.onEvent,
        afterStep: async (pos, done) => {
          this.state.position = pos;
          if (!done && every > 0 && pos.globalStep % every === 0) await this.checkpoint(null);
        },
      });
      if (stage === 'admm') this.state.results.stoppedEarly = r.position.stopped;
    } catch (e) {
      if (e instanceof TensorslimError && e.code === ErrorCodes.DIVERGED) {
        const where = this.lastCheckpoint
          ? `the last good checkpoint is ${this.lastCheckpoint.path} (phase ${this.lastCheckpoint.stage}, step ${this.lastCheckpoint.step}); it was kept — resume from it with a lower learning rate or rho`
          : this.store
            ? 'no checkpoint had been written yet; lower the learning rate or rho and start again'
            : 'no checkpoint was kept (pass checkpointDir to keep one); lower the learning rate or rho and start again';
        throw new TensorslimError(ErrorCodes.DIVERGED, e.message.split(' — ')[0]!, where, { ...(e.details ?? {}), checkpoint: this.lastCheckpoint?.path ?? null });
      }
      throw e;
    }
    if (this.optimizer) disposeOptimizer(this.optimizer);
    this.optimizer = null;
    this.state.position = null;
  }

  private async evaluate(model: tfl.LayersModel, what: string): Promise<Evaluation> {
    const e = evaluate(model, this.data, { batchSize: this.settings.evalBatchSize, loss: this.settings.loss });
    await this.emit({ type: 'evaluate', what, loss: e.loss, accuracy: e.accuracy });
    return evalJson(e);
  }

  /**
   * Decomposes the ADMM-trained dense model (left holding the ADMM-end weights) from Π(W), the
   * final Z-projected weights. Each layer report gets `trainedError` = ‖W − Ŵ‖/‖W‖, measured
   * against the ADMM-trained kernel W itself.
   */
  private async decomposeAdmm(): Promise<FactorizeResult & { layers: readonly ReportLayer[] }> {
    const seed = (this.armResults('admm').seed ??= this.rng.nextUint32());
    if (!this.snapshots.has('admm-end')) writeModelWeights(this.model, this.denseSnapshot('admm-end'));
    const solver = this.solver ?? this.makeSolver();
    const projected = solver.projectWeights(); // Π(W): the final Z-projected weights
    if (!this.solver) solver.dispose();
    const reference: Record<string, DenseTensor> = {};
    for (const p of this.planned) reference[p.name] = { shape: [...p.kernel.shape], data: Float64Array.from(p.kernel.dataSync()) };
    const weights: Record<string, DenseTensor> = Object.fromEntries(projected);
    const f = await this.surgery.factorizeModel(this.model, this.plan, { container: this.container, weights, reference, decompose: { rng: new Rng(seed) } });
    return { ...f, layers: f.layers.map((l) => ({ ...l, trainedError: l.referenceError ?? null })) };
  }

  /**
   * Decomposes a direct arm's dense weights (the dense model for the direct arm, the continued
   * training's for the other), then leaves the model holding the ADMM-trained weights again.
   */
  private async decomposeDirect(arm: Exclude<Arm, 'admm'>): Promise<FactorizeResult & { layers: readonly ReportLayer[] }> {
    const seed = (this.armResults(arm).seed ??= this.rng.nextUint32());
    writeModelWeights(this.model, this.denseSnapshot(DIRECT_SOURCE[arm]));
    try {
      const f = await this.surgery.factorizeModel(this.model, this.plan, { container: this.container, decompose: { rng: new Rng(seed) } });
      return { ...f, layers: f.layers.map((l) => ({ ...l, trainedError: l.relError })) };
    } finally {
      writeModelWeights(this.model, this.denseSnapshot('admm-end'));
    }
  }

  private async save(model: tfl.LayersModel, sub: string | null, what: string): Promise<string | null> {
    if (!this.runtime.outDir) return null;
    const dir = sub ? join(this.runtime.outDir, sub) : this.runtime.outDir;
    mkdirSync(dir, { recursive: true });
    await this.surgery.saveModel(model, dir, { container: this.container });
    await this.emit({ type: 'saved', what, path: dir });
    return dir;
  }

  private async enter(stage: Stage): Promise<void> {
    this.phaseT0 = performance.now();
    if (stage !== 'done') {
      await this.emit({
        type: 'phase-start',
        phase: stage,
        ...(TRAINING[stage] ? { epochs: this.phaseEpochs(stage), stepsPerEpoch: Math.ceil(this.data.trainSize / this.settings.batchSize) } : {}),
      });
    }
  }

  private async leave(stage: Stage, next: Stage, tag: string | null, modelKind: ModelKind = this.state.modelKind): Promise<void> {
    const ms = this.phaseTime(stage);
    this.state.phaseMs[stage] = ms;
    this.state.stage = next;
    this.state.position = null;
    this.state.modelKind = modelKind;
    await this.emit({ type: 'phase-end', phase: stage, ms });
    if (tag) await this.checkpoint(tag);
  }

  async run(): Promise<CompressResult> {
    const r = this.state.results;
    let report: CompressReport | null = null;
    while (this.state.stage !== 'done') {
      const stage = this.state.stage;
      await this.enter(stage);
      switch (stage) {
        case 'pretrain': {
          if (this.settings.pretrainEpochs > 0) await this.train('pretrain', null);
          r.dense = await this.evaluate(this.model, 'dense');
          r.denseParams = this.model.countParams();
          this.snapshots.set('pretrain-end', readModelWeights(this.model));
          await this.leave(stage, 'admm', 'pretrain-end', 'dense');
          break;
        }
        case 'admm': {
          if (!this.state.position) {
            this.solver?.dispose();
            this.solver = this.makeSolver();
            this.solver.initialize(); // Z₀ = Π(W), U₀ = 0
          }
          if (this.settings.admmEpochs > 0) await this.train('admm', this.solver);
          this.state.admmHistory = [...this.solver!.history];
          this.armResults('admm').trained = await this.evaluate(this.model, 'admm-trained');
          this.snapshots.set('admm-end', readModelWeights(this.model));
          await this.leave(stage, 'decompose', 'admm-end', 'dense');
          break;
        }
        case 'decompose': {
          const f = await this.decomposeAdmm();
          this.solver?.dispose();
          this.solver = null;
          this.arms.admm = f.model;
          this.work = f.model;
          const a = this.armResults('admm');
          a.layers = [...f.layers];
          a.afterDecompose = await this.evaluate(f.model, 'admm-decomposed');
          a.params = f.model.countParams();
          await this.leave(stage, 'finetune', 'decompose-end', 'admm');
          break;
        }
        case 'finetune': {
          await this.train('finetune', null);
          const a = this.armResults('admm');
          a.final = await this.evaluate(this.work, 'admm-final');
          a.modelDir = await this.save(this.work, null, 'compressed model');
          await this.leave(stage, this.after('admm'), 'finetune-end', 'admm');
          break;
        }
        case 'baseline-decompose':
        case 'continued-decompose': {
          const arm = stage === 'baseline-decompose' ? 'baseline' : 'continued';
          const f = await this.decomposeDirect(arm);
          this.arms[arm] = f.model;
          this.work = f.model;
          const a = this.armResults(arm);
          a.layers = [...f.layers];
          a.afterDecompose = await this.evaluate(f.model, `${arm}-decomposed`);
          a.params = f.model.countParams();
          await this.leave(stage, `${arm}-finetune`, `${arm}-decompose-end`, arm);
          break;
        }
        case 'baseline-finetune':
        case 'continued-finetune': {
          const arm = stage === 'baseline-finetune' ? 'baseline' : 'continued';
          await this.train(stage, null);
          const a = this.armResults(arm);
          a.final = await this.evaluate(this.work, `${arm}-final`);
          a.modelDir = await this.save(this.work, arm, `${arm} model`);
          await this.leave(stage, this.after(arm), `${arm}-finetune-end`, arm);
          break;
        }
        case 'continued-train': {
          // dense training continued from the dense model for the ADMM epochs, without the penalty
          if (!this.state.position) writeModelWeights(this.model, this.denseSnapshot('pretrain-end'));
          this.work = this.model;
          this.state.modelKind = 'dense';
          await this.train(stage, null);
          this.armResults('continued').trained = await this.evaluate(this.model, 'continued-trained');
          this.snapshots.set('continued-train-end', readModelWeights(this.model));
          await this.leave(stage, 'continued-decompose', 'continued-train-end', 'dense');
          break;
        }
        case 'report': {
          report = this.report(); // phase times up to here
          if (this.runtime.outDir) {
            await writeReport(this.runtime.outDir, report);
            await this.emit({ type: 'saved', what: 'report', path: join(this.runtime.outDir, 'report.md') });
          }
          await this.leave(stage, 'done', null);
          break;
        }
      }
    }
    return { report: report ?? this.report(), model: this.arms.admm!, baselineModel: this.arms.baseline ?? null, continuedModel: this.arms.continued ?? null };
  }

  private report(): CompressReport {
    const r = this.state.results;
    const arm = (method: Arm): MethodResult | null => {
      const a = r.arms[method];
      if (!a?.final) return null;
      const { layers, trained, afterDecompose, final, params, modelDir } = a;
      return buildMethodResult(
        method,
        { layers: layers!, trained: trained ?? null, afterDecompose: afterDecompose!, final, paramsBefore: r.denseParams!, paramsAfter: params!, modelDir: modelDir ?? null },
        this.settings,
      );
    };
    return buildReport({
      backend: tf.getBackend(),
      data: this.data,
      plan: this.plan,
      settings: this.settings,
      dense: { evaluation: r.dense!, params: r.denseParams! },
      admm: arm('admm')!,
      baseline: arm('baseline'),
      continued: arm('continued'),
      admmHistory: this.state.admmHistory,
      epochs: this.state.epochs,
      phaseMs: this.state.phaseMs,
      stoppedEarly: r.stoppedEarly ?? false,
    });
  }

  dispose(): void {
    if (this.optimizer) disposeOptimizer(this.optimizer);
    this.solver?.dispose();
  }
}

/**
 * Compresses `model`: optional pretraining → ADMM → decompose → fine-tune → evaluate → save +
 * report; with `baseline: true` also the direct arm (decompose the dense model, the same
 * fine-tuning), with `continuedBaseline: true` the direct arm with ADMM's total epochs (dense
 * training continued for `admmEpochs`, then decompose and the same fine-tuning). Everything is
 * validated before training starts (a plan naming a missing layer lists the model's layers;
 * ranks a format rejects name the layer). `model` is trained in place: afterwards it holds the
 * ADMM-trained dense weights. Defaults are the paper's (see {@link COMPRESS_DEFAULTS}).
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
  const { checkpointDir, resume: resumeFlag, outDir, container, surgery, onEvent, ...rest } = options;
  const settings = resolveCompressSettings(rest);
  const parsed = parsePlan(plan);
  const runtime: CompressRuntime = { checkpointDir, resume: resumeFlag, outDir, container, surgery, onEvent };
  const planned = resolvePlannedLayers(model, parsed, container ?? defaultRegistry, { requireDecomposition: !surgery?.factorizeModel });
  const run = new CompressRun(model, data, parsed, settings, planned, runtime);
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
  const latest = new CheckpointStore<RunState>(checkpointDir).latest();
  if (!latest) fail(ErrorCodes.CHECKPOINT, `no complete checkpoint in ${checkpointDir}`, 'start the run with compress()');
  const { plan } = latest.state.fingerprint;
  return compress(model, data, plan, { ...latest.state.settings, ...runtime, checkpointDir, resume: true });
}

/** Result of {@link trainDense} and {@link fineTune}. */
export interface TrainResult {
  /** One record per epoch. */
  readonly history: EpochRecord[];
  /** Validation loss/accuracy after training. */
  readonly evaluation: Evaluation;
  /** Wall time, ms. */
  readonly ms: number;
}

/** Options of {@link trainDense} and {@link fineTune}. */
export interface TrainRunOptions extends Partial<TrainOptions> {
  /** Progress events. */
  readonly onEvent?: ProgressListener;
}

async function plainTrain(phase: string, model: tfl.LayersModel, data: DataSource, options: TrainRunOptions, lr: number): Promise<TrainResult> {
  const { onEvent, ...rest } = options;
  const o = resolveTrainOptions({ lr, ...rest });
  const t0 = performance.now();
  const optimizer = makeOptimizer(o);
  try {
    const { history } = await trainLoop({ phase, model, data, options: o, optimizer, onEvent });
    return { history, evaluation: evaluate(model, data, { batchSize: o.evalBatchSize, loss: o.loss }), ms: performance.now() - t0 };
  } finally {
    disposeOptimizer(optimizer);
  }
}

/**
 * Trains a dense model with SGD + momentum (defaults: lr 0.1, momentum 0.9, batch 128) and
 * evaluates it on the validation split.
 */
export function trainDense(model: tfl.LayersModel, data: DataSource, options: TrainRunOptions = {}): Promise<TrainResult> {
  return plainTrain('train', model, data, options, 0.1);
}

/**
 * Fine-tunes a (factorized) model without any ADMM term (defaults: lr 0.005 — the paper's
 * fine-tuning rate — momentum 0.9, batch 128) and evaluates it.
 */
export function fineTune(model: tfl.LayersModel, data: DataSource, options: TrainRunOptions = {}): Promise<TrainResult> {
  return plainTrain('finetune', model, data, options, 0.005);
}

/** Options of {@link admmTrain}: training + solver options, the registry and a listener. */
export interface AdmmTrainOptions extends Partial<TrainOptions>, Partial<AdmmOptions> {
  /** Registry of projectors (default: core's default registry). */
  readonly container?: PluginRegistry;
  /** Progress events. */
  readonly onEvent?: ProgressListener;
}

/** Result of {@link admmTrain}. */
export interface AdmmTrainResult {
  /** The solver (Z, U, residual history, `projectWeights()`); dispose it when done. */
  readonly solver: AdmmSolver;
  /** One record per epoch. */
  readonly history: EpochRecord[];
  /** Validation loss/accuracy of the ADMM-trained dense model. */
  readonly evaluation: Evaluation;
  /** True if the tolerances stopped training early. */
  readonly stoppedEarly: boolean;
}

/**
 * ADMM training alone (no decomposition): works with any registered projector, including
 * projector-only formats (a sparsity mask, ...). Defaults: ρ = 1e-3, update per epoch, momentum
 * 0.9, lr 0.1 (the paper's).
 */
export async function admmTrain(
  model: tfl.LayersModel,
  data: DataSource,
  plan: CompressionPlan | string | unknown,
  options: AdmmTrainOptions = {},
): Promise<AdmmTrainResult> {
  const { container, onEvent, rho, rhoSchedule, updateEvery, primalTol, dualTol, ...trainRest } = options;
  const admm = resolveAdmmOptions({ rho, rhoSchedule, updateEvery, primalTol, dualTol });
  const o = resolveTrainOptions(trainRest);
  const planned = resolvePlannedLayers(model, parsePlan(plan), container ?? defaultRegistry);
  const solver = createAdmmSolver(
    planned.map((p) => ({ name: p.name, target: p.target, variable: p.kernel })),
    admm,
    container ?? defaultRegistry,
  );
  const optimizer = makeOptimizer(o);
  try {
    solver.initialize();
    const { history, position } = await trainLoop({ phase: 'admm', model, data, options: o, optimizer, solver, onEvent });
    return { solver, history, evaluation: evaluate(model, data, { batchSize: o.evalBatchSize, loss: o.loss }), stoppedEarly: position.stopped };
  } catch (e) {
    solver.dispose();
    throw e;
  } finally {
    disposeOptimizer(optimizer);
  }
}
