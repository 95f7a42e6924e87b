/**
 * The phase machine of a compress run: walks the stages of stages.ts — (pretraining) → ADMM →
 * decompose → fine-tune, the direct arms, the report — one at a time, and checkpoints at every
 * phase end (and every `checkpointEvery` steps) through run-checkpoints.ts, so a resumed run
 * continues at the stage, epoch and step it stopped and ends with the same weights.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { CompressionPlan, DataSource, PluginRegistry } from '@tensorslim/core';
import type { FactorizeResult } from '@tensorslim/surgery';
import { ErrorCodes, TensorslimError, defaultRegistry, fail } from '@tensorslim/core';
import { Rng, type DenseTensor } from '@tensorslim/linalg';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createAdmmSolver } from './container.js';
import { evaluate, type Evaluation } from './evaluate.js';
import type { ProgressEvent } from './events.js';
import type { CompressRuntime, CompressSettings, TrainOptions } from './options.js';
import { admmOptionsOf, trainOptionsOf } from './options.js';
import type { Arm, CompressReport, MethodResult, ReportLayer } from './report.js';
import { buildMethodResult, buildReport, writeReport } from './report.js';
import { RunCheckpoints } from './run-checkpoints.js';
import { evalJson, fingerprintOf, initialRunState, type ArmResults, type Fingerprint, type ModelKind, type RunState } from './run-state.js';
import type { AdmmSolver } from './solver.js';
import { ARM_STAGES, DIRECT_SOURCE, STAGES, TRAINING, armRuns, phaseEpochs, phaseLr, phaseSeed, stageAfter, type DenseTag, type Stage } from './stages.js';
import { resolveSurgery, type ModelSurgery } from './surgery.js';
import type { PlannedLayer } from './targets.js';
import { LOOP_START, disposeOptimizer, makeOptimizer, trainLoop } from './trainer.js';
import { modelSignature, readModelWeights, writeModelWeights } from './weights.js';
import { readFloat64 } from './read.js';

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

/** A decomposition with each layer's error against the kernel the arm trained. */
type Decomposed = FactorizeResult & { layers: readonly ReportLayer[] };

/** One compress run, from its first stage (or a checkpoint) to its report. */
export class CompressRun {
  private state!: RunState;
  private readonly rng: Rng;
  private checkpoints: RunCheckpoints | null = null;
  private readonly container: PluginRegistry;
  private readonly surgery: ModelSurgery;
  private work: tfl.LayersModel;
  /** The decomposed model of each arm, once built. */
  private readonly arms: Partial<Record<Arm, tfl.LayersModel>> = {};
  private optimizer: tf.Optimizer | null = null;
  private solver: AdmmSolver | null = null;
  private readonly snapshots = new Map<DenseTag, ArrayLike<number>[]>();
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
    return fingerprintOf(this.plan, this.settings, modelSignature(this.model), this.data);
  }

  private async emit(e: ProgressEvent): Promise<void> {
    if (this.runtime.onEvent) await this.runtime.onEvent(e);
  }

  /** Opens the checkpoint directory and starts a new run, or restores the newest checkpoint (`resume`). */
  async start(): Promise<void> {
    const { checkpointDir, resume } = this.runtime;
    if (checkpointDir) {
      const { checkpoints, resumeFrom } = RunCheckpoints.open(checkpointDir, Boolean(resume));
      this.checkpoints = checkpoints;
      if (resumeFrom) return this.restore(resumeFrom.path, resumeFrom.state);
    } else if (resume) {
      fail(ErrorCodes.OPTION, 'resume needs checkpointDir', 'pass the directory the interrupted run wrote its checkpoints to');
    }
    this.state = initialRunState(this.fingerprint(), this.settings, this.rng.getState());
  }

  // ---------------------------------------------------------------- checkpoints

  private phaseTime(stage: string): number {
    return (this.state.phaseMs[stage] ?? 0) + (performance.now() - this.phaseT0);
  }

  private async checkpoint(tag: string | null): Promise<void> {
    if (!this.checkpoints) return;
    const stage = this.state.stage;
    this.state.rng = this.rng.getState();
    const phaseMs = { ...this.state.phaseMs };
    if (TRAINING[stage] && this.state.position) phaseMs[stage] = this.phaseTime(stage);
    const path = await this.checkpoints.write(
      { ...this.state, phaseMs },
      {
        model: this.work,
        solver: stage === 'admm' || stage === 'decompose' ? this.solver : null,
        optimizer: this.state.position ? this.optimizer : null,
      },
      tag,
    );
    await this.emit({ type: 'checkpoint', path, phase: stage, step: this.checkpoints.last!.step, tag });
  }

  private async restore(path: string, state: RunState): Promise<void> {
    const checkpoints = this.checkpoints!;
    RunCheckpoints.verify(path, state, this.fingerprint());
    this.state = { ...state, settings: this.settings };
    this.rng.setState(state.rng);
    // finished arms first, each from its own phase-end checkpoint: rebuilding one writes dense
    // weights into this.model, so the checkpoint's own dense weights go in last
    const at = STAGES.indexOf(state.stage);
    for (const arm of Object.keys(ARM_STAGES) as Arm[]) {
      if (armRuns(this.settings, arm) && at > STAGES.indexOf(ARM_STAGES[arm].last))
        this.arms[arm] = await this.rebuild(arm, checkpoints.tagged(ARM_STAGES[arm].endTag));
    }
    if (state.modelKind === 'dense') {
      writeModelWeights(this.model, checkpoints.weights(path), `checkpoint ${path}`);
      this.work = this.model;
    } else {
      this.work = this.arms[state.modelKind] ??= await this.rebuild(state.modelKind, path);
    }
    if (state.stage === 'admm' && state.position) {
      this.solver = this.makeSolver();
      this.solver.importState({
        ...state.solver!,
        layers: checkpoints.solverLayers(
          path,
          this.planned.map((p) => p.name),
        ),
      });
    }
    if (TRAINING[state.stage] && state.position) {
      this.optimizer = this.makeOptimizer({ lr: phaseLr(this.settings, state.stage), momentum: this.settings.momentum });
      await checkpoints.restoreOptimizer(this.optimizer, path, state.optimizerIterations);
    }
    checkpoints.last = { path, stage: state.stage, step: state.position?.globalStep ?? 0 };
    await this.emit({ type: 'resume', path, phase: state.stage, epoch: state.position?.epoch ?? 0, step: state.position?.step ?? 0 });
  }

  /** The results of an arm so far (created empty). */
  private armResults(arm: Arm): ArmResults {
    return (this.state.results.arms[arm] ??= {});
  }

  /** Dense weights at a phase end: from memory, or from that phase's checkpoint. */
  private denseSnapshot(tag: DenseTag): ArrayLike<number>[] {
    return this.snapshots.get(tag) ?? this.checkpoints!.weights(this.checkpoints!.tagged(tag));
  }

  /** Rebuilds a factorized model exactly as the run built it, then loads the weights of `path`. */
  private async rebuild(kind: Arm, path: string): Promise<tfl.LayersModel> {
    const f = kind === 'admm' ? await this.decomposeAdmm() : await this.decomposeDirect(kind);
    writeModelWeights(f.model, this.checkpoints!.weights(path), `checkpoint ${path}`);
    return f.model;
  }

  // ---------------------------------------------------------------- the work of the stages

  private makeOptimizer(opts: Pick<TrainOptions, 'lr' | 'momentum'>): tf.Optimizer {
    return (this.runtime.optimizer ?? makeOptimizer)(opts);
  }

  private makeSolver(): AdmmSolver {
    return createAdmmSolver(
      this.planned.map((p) => ({ name: p.name, target: p.target, variable: p.kernel })),
      admmOptionsOf(this.settings),
      this.container,
    );
  }

  /** Trains the working model for a training stage (from its loop position when resumed). */
  private async train(stage: Stage, solver: AdmmSolver | null): Promise<void> {
    const opts: TrainOptions = {
      ...trainOptionsOf(this.settings, phaseEpochs(this.settings, stage), phaseLr(this.settings, stage)),
      seed: phaseSeed(this.settings, stage),
    };
    if (!this.state.position) {
      if (this.optimizer) disposeOptimizer(this.optimizer);
      this.optimizer = this.makeOptimizer(opts);
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
        batchTransform: this.runtime.batchTransform,
        stepper: this.runtime.stepper,
        readEvery: this.runtime.readEvery,
        readAt: (globalStep) => every > 0 && globalStep % every === 0,
        afterStep: async (pos, done) => {
          this.state.position = pos;
          if (!done && every > 0 && pos.globalStep % every === 0) await this.checkpoint(null);
        },
      });
      if (stage === 'admm') this.state.results.stoppedEarly = r.position.stopped;
    } catch (e) {
      if (e instanceof TensorslimError && e.code === ErrorCodes.DIVERGED) {
        const last = this.checkpoints?.last;
        const where = last
          ? `the last good checkpoint is ${last.path} (phase ${last.stage}, step ${last.step}); it was kept — resume from it with a lower learning rate or rho`
          : this.checkpoints
            ? 'no checkpoint had been written yet; lower the learning rate or rho and start again'
            : 'no checkpoint was kept (pass checkpointDir to keep one); lower the learning rate or rho and start again';
        throw new TensorslimError(ErrorCodes.DIVERGED, e.message.split(' — ')[0]!, where, { ...(e.details ?? {}), checkpoint: last?.path ?? null });
      }
      throw e;
    }
    if (this.optimizer) disposeOptimizer(this.optimizer);
    this.optimizer = null;
    this.state.position = null;
  }

  private async evaluate(model: tfl.LayersModel, what: string): Promise<Evaluation> {
    const e = await evaluate(model, this.data, { batchSize: this.settings.evalBatchSize, loss: this.settings.loss });
    await this.emit({ type: 'evaluate', what, loss: e.loss, accuracy: e.accuracy });
    return evalJson(e);
  }

  /**
   * Decomposes the ADMM-trained dense model (left holding the ADMM-end weights) from Π(W), the
   * final Z-projected weights. Each layer report gets `trainedError` = ‖W − Ŵ‖/‖W‖, measured
   * against the ADMM-trained kernel W itself.
   */
  private async decomposeAdmm(): Promise<Decomposed> {
    const seed = (this.armResults('admm').seed ??= this.rng.nextUint32());
    if (!this.snapshots.has('admm-end')) writeModelWeights(this.model, this.denseSnapshot('admm-end'));
    const solver = this.solver ?? this.makeSolver();
    const projected = await solver.projectWeights(); // Π(W): the final Z-projected weights
    if (!this.solver) solver.dispose();
    const reference: Record<string, DenseTensor> = {};
    for (const p of this.planned) reference[p.name] = { shape: [...p.kernel.shape], data: await readFloat64(p.kernel) };
    const weights: Record<string, DenseTensor> = Object.fromEntries(projected);
    const f = await this.surgery.factorizeModel(this.model, this.plan, { container: this.container, weights, reference, decompose: { rng: new Rng(seed) } });
    return { ...f, layers: f.layers.map((l) => ({ ...l, trainedError: l.referenceError ?? null })) };
  }

  /**
   * Decomposes a direct arm's dense weights (the dense model for the direct arm, the continued
   * training's for the other), then leaves the model holding the ADMM-trained weights again.
   */
  private async decomposeDirect(arm: Exclude<Arm, 'admm'>): Promise<Decomposed> {
    const seed = (this.armResults(arm).seed ??= this.rng.nextUint32());
    writeModelWeights(this.model, this.denseSnapshot(DIRECT_SOURCE[arm]));
    try {
      const f = await this.surgery.factorizeModel(this.model, this.plan, { container: this.container, decompose: { rng: new Rng(seed) } });
      return { ...f, layers: f.layers.map((l) => ({ ...l, trainedError: l.relError })) };
    } finally {
      writeModelWeights(this.model, this.denseSnapshot('admm-end'));
    }
  }

  /** Makes an arm's decomposed model the working one and measures it. */
  private async adoptDecomposed(arm: Arm, f: Decomposed): Promise<void> {
    this.arms[arm] = f.model;
    this.work = f.model;
    const a = this.armResults(arm);
    a.layers = [...f.layers];
    a.afterDecompose = await this.evaluate(f.model, `${arm}-decomposed`);
    a.params = f.model.countParams();
  }

  private async save(model: tfl.LayersModel, sub: string | null, what: string): Promise<string | null> {
    if (!this.runtime.outDir) return null;
    const dir = sub ? join(this.runtime.outDir, sub) : this.runtime.outDir;
    mkdirSync(dir, { recursive: true });
    await this.surgery.saveModel(model, dir, { container: this.container });
    await this.emit({ type: 'saved', what, path: dir });
    return dir;
  }

  // ---------------------------------------------------------------- the machine

  private async enter(stage: Stage): Promise<void> {
    this.phaseT0 = performance.now();
    if (stage !== 'done') {
      await this.emit({
        type: 'phase-start',
        phase: stage,
        ...(TRAINING[stage] ? { epochs: phaseEpochs(this.settings, stage), stepsPerEpoch: Math.ceil(this.data.trainSize / this.settings.batchSize) } : {}),
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

  /** Runs the remaining stages; returns the report and the models. */
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
          this.snapshots.set('pretrain-end', await readModelWeights(this.model));
          await this.leave(stage, 'admm', 'pretrain-end', 'dense');
          break;
        }
        case 'admm': {
          if (!this.state.position) {
            this.solver?.dispose();
            this.solver = this.makeSolver();
            await this.solver.initialize(); // Z₀ = Π(W), U₀ = 0
          }
          if (this.settings.admmEpochs > 0) await this.train('admm', this.solver);
          this.state.admmHistory = [...this.solver!.history];
          this.armResults('admm').trained = await this.evaluate(this.model, 'admm-trained');
          this.snapshots.set('admm-end', await readModelWeights(this.model));
          await this.leave(stage, 'decompose', 'admm-end', 'dense');
          break;
        }
        case 'decompose': {
          const f = await this.decomposeAdmm();
          this.solver?.dispose();
          this.solver = null;
          await this.adoptDecomposed('admm', f);
          await this.leave(stage, 'finetune', 'decompose-end', 'admm');
          break;
        }
        case 'finetune': {
          await this.train('finetune', null);
          const a = this.armResults('admm');
          a.final = await this.evaluate(this.work, 'admm-final');
          a.modelDir = await this.save(this.work, null, 'compressed model');
          await this.leave(stage, stageAfter(this.settings, 'admm'), 'finetune-end', 'admm');
          break;
        }
        case 'baseline-decompose':
        case 'continued-decompose': {
          const arm = stage === 'baseline-decompose' ? 'baseline' : 'continued';
          await this.adoptDecomposed(arm, await this.decomposeDirect(arm));
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
          await this.leave(stage, stageAfter(this.settings, arm), `${arm}-finetune-end`, arm);
          break;
        }
        case 'continued-train': {
          // dense training continued from the dense model for the ADMM epochs, without the penalty
          if (!this.state.position) writeModelWeights(this.model, this.denseSnapshot('pretrain-end'));
          this.work = this.model;
          this.state.modelKind = 'dense';
          await this.train(stage, null);
          this.armResults('continued').trained = await this.evaluate(this.model, 'continued-trained');
          this.snapshots.set('continued-train-end', await readModelWeights(this.model));
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
        {
          layers: layers!,
          trained: trained ?? null,
          afterDecompose: afterDecompose!,
          final,
          paramsBefore: r.denseParams!,
          paramsAfter: params!,
          modelDir: modelDir ?? null,
        },
        this.settings,
      );
    };
    return buildReport({
      backend: tf.getBackend(),
      threads: this.runtime.stepper?.threads ?? 1,
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

  /** Frees the optimizer and the solver. */
  dispose(): void {
    if (this.optimizer) disposeOptimizer(this.optimizer);
    this.solver?.dispose();
  }
}
