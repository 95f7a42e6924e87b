/**
 * The state of a compress run that every checkpoint stores (as JSON, beside the tensors): where
 * the run stands, what it has measured so far, and the fingerprint that ties it to its model,
 * data, plan and settings.
 *
 * @module
 */
import type { CompressionPlan, DataSource } from '@tensorslim/core';
import type { Evaluation } from './evaluate.js';
import type { AdmmUpdateRecord, EpochRecord } from './events.js';
import type { CompressSettings } from './options.js';
import type { Arm, ReportLayer } from './report.js';
import type { Stage } from './stages.js';
import type { LoopPosition } from './trainer.js';

/** Which model the run works on: the dense one, or an arm's factorized one. */
export type ModelKind = 'dense' | Arm;

/** What a checkpoint must match to be resumed: the same plan, settings, model and data. */
export interface Fingerprint {
  /** The plan. */
  plan: CompressionPlan;
  /** The settings (checkpointEvery set to 0: it may change between resumes). */
  settings: CompressSettings;
  /** The model's layer signature. */
  model: string[];
  /** The data source's name and sizes. */
  data: { name: string; trainSize: number; valSize: number };
}

/** What one arm produced (decomposition seed, evaluations, layers, saved model). */
export interface ArmResults {
  /** Seed of the arm's decomposition. */
  seed?: number;
  /** The trained dense model right before decomposition (ADMM and the continued arm). */
  trained?: Evaluation;
  /** The decomposed layers. */
  layers?: ReportLayer[];
  /** Right after decomposition. */
  afterDecompose?: Evaluation;
  /** After fine-tuning. */
  final?: Evaluation;
  /** Parameters of the decomposed model. */
  params?: number;
  /** Where the model was saved. */
  modelDir?: string | null;
}

/** Everything a run has measured so far. */
export interface Results {
  /** The dense model. */
  dense?: Evaluation;
  /** Its parameters. */
  denseParams?: number;
  /** Whether ADMM stopped early. */
  stoppedEarly?: boolean;
  /** Each arm's results. */
  arms: Partial<Record<Arm, ArmResults>>;
}

/** The run state stored in every checkpoint. */
export interface RunState {
  /** Marks a compress run's checkpoint. */
  kind: 'tensorslim-compress';
  /** What the checkpoint belongs to. */
  fingerprint: Fingerprint;
  /** The settings as given (the fingerprint ignores checkpointEvery). */
  settings: CompressSettings;
  /** The stage the run stands at. */
  stage: Stage;
  /** Where the stage's training stands (null between phases). */
  position: LoopPosition | null;
  /** The model the stage works on. */
  modelKind: ModelKind;
  /** The run's random generator. */
  rng: { s: number[]; spare: number | null };
  /** ρ, update count and residual history of the solver (ADMM stages). */
  solver: { rho: number; updates: number; history: AdmmUpdateRecord[] } | null;
  /** The optimizer's step count (mid-phase). */
  optimizerIterations: number | null;
  /** Every epoch's record so far. */
  epochs: EpochRecord[];
  /** ADMM's updates. */
  admmHistory: AdmmUpdateRecord[];
  /** The measurements so far. */
  results: Results;
  /** Wall time of each stage, ms (across resumes). */
  phaseMs: Record<string, number>;
}

/** The fingerprint of a run. */
export function fingerprintOf(plan: CompressionPlan, settings: CompressSettings, model: string[], data: DataSource): Fingerprint {
  return { plan, settings: { ...settings, checkpointEvery: 0 }, model, data: { name: data.name, trainSize: data.trainSize, valSize: data.valSize } };
}

/** The state of a run that has not started. */
export function initialRunState(fingerprint: Fingerprint, settings: CompressSettings, rng: RunState['rng']): RunState {
  return {
    kind: 'tensorslim-compress',
    fingerprint,
    settings,
    stage: 'pretrain',
    position: null,
    modelKind: 'dense',
    rng,
    solver: null,
    optimizerIterations: null,
    epochs: [],
    admmHistory: [],
    results: { arms: {} },
    phaseMs: {},
  };
}

/** A serializable view of a (possibly non-JSON) evaluation: NaN becomes null. */
export function evalJson(e: Evaluation): Evaluation {
  return { loss: Number.isFinite(e.loss) ? e.loss : (null as unknown as number), accuracy: e.accuracy, examples: e.examples };
}
