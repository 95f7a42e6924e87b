/**
 * Progress events of training and the compress pipeline: one discriminated union, delivered to a
 * single listener (a progress bar, a log, a test). The records they carry (`EpochRecord`,
 * `AdmmUpdateRecord`, `LayerResidual`) are `@tensorslim/report`'s, re-exported here.
 *
 * @module
 */
import type { AdmmUpdateRecord, EpochRecord } from '@tensorslim/report';

export type { AdmmUpdateRecord, EpochRecord, LayerResidual } from '@tensorslim/report';

/** The phases of the compress pipeline. */
export type PhaseName =
  | 'pretrain'
  | 'admm'
  | 'decompose'
  | 'finetune'
  | 'baseline-decompose'
  | 'baseline-finetune'
  | 'continued-train'
  | 'continued-decompose'
  | 'continued-finetune'
  | 'report';

/** A phase begins. */
export interface PhaseStartEvent {
  /** Discriminator. */
  readonly type: 'phase-start';
  /** The phase. */
  readonly phase: string;
  /** Epochs of a training phase. */
  readonly epochs?: number;
  /** Estimated steps per epoch of a training phase. */
  readonly stepsPerEpoch?: number;
}

/** A phase ended. */
export interface PhaseEndEvent {
  /** Discriminator. */
  readonly type: 'phase-end';
  /** The phase. */
  readonly phase: string;
  /** Its wall time (across resumes), ms. */
  readonly ms: number;
}

/** One training step finished. */
export interface StepEvent {
  /** Discriminator. */
  readonly type: 'step';
  /** The phase. */
  readonly phase: string;
  /** Epoch (0-based). */
  readonly epoch: number;
  /** Steps done in this epoch. */
  readonly step: number;
  /** Estimated steps per epoch. */
  readonly stepsPerEpoch: number;
  /** Steps done in the phase. */
  readonly globalStep: number;
  /** Estimated steps of the phase. */
  readonly totalSteps: number;
  /** The batch's loss (without the ADMM term). */
  readonly loss: number;
  /** Learning rate. */
  readonly lr: number;
  /** ρ (ADMM phase), else null. */
  readonly rho: number | null;
  /** Time since this session of the phase started, ms. */
  readonly elapsedMs: number;
  /** Estimated time left in the phase, ms. */
  readonly etaMs: number | null;
}

/** An epoch finished (with its validation numbers). */
export interface EpochEvent {
  /** Discriminator. */
  readonly type: 'epoch';
  /** The epoch's numbers. */
  readonly record: EpochRecord;
}

/** ADMM updated Z and U. */
export interface AdmmUpdateEvent {
  /** Discriminator. */
  readonly type: 'admm-update';
  /** The update's residuals. */
  readonly record: AdmmUpdateRecord;
}

/** ADMM stopped early: both residuals fell under their tolerances. */
export interface EarlyStopEvent {
  /** Discriminator. */
  readonly type: 'early-stop';
  /** The phase. */
  readonly phase: string;
  /** Epoch at which it stopped. */
  readonly epoch: number;
  /** Largest primal residual. */
  readonly primal: number;
  /** Largest dual residual. */
  readonly dual: number;
}

/** A checkpoint was written. */
export interface CheckpointEvent {
  /** Discriminator. */
  readonly type: 'checkpoint';
  /** Its directory. */
  readonly path: string;
  /** The phase it continues. */
  readonly phase: string;
  /** Steps done in that phase. */
  readonly step: number;
  /** Phase-end tag, or null for a periodic checkpoint. */
  readonly tag: string | null;
}

/** A run continues from a checkpoint. */
export interface ResumeEvent {
  /** Discriminator. */
  readonly type: 'resume';
  /** The checkpoint. */
  readonly path: string;
  /** The phase it continues. */
  readonly phase: string;
  /** Epoch. */
  readonly epoch: number;
  /** Step within the epoch. */
  readonly step: number;
}

/** A model was evaluated on the validation split. */
export interface EvaluateEvent {
  /** Discriminator. */
  readonly type: 'evaluate';
  /** Which model ('dense', 'admm-trained', 'admm-decomposed', 'admm-final', 'baseline-…'). */
  readonly what: string;
  /** Mean loss. */
  readonly loss: number;
  /** Accuracy (classification), else null. */
  readonly accuracy: number | null;
}

/** Something was saved. */
export interface SavedEvent {
  /** Discriminator. */
  readonly type: 'saved';
  /** What ('compressed model', 'baseline model', 'report'). */
  readonly what: string;
  /** Where. */
  readonly path: string;
}

/** Everything a listener can receive. */
export type ProgressEvent =
  PhaseStartEvent | PhaseEndEvent | StepEvent | EpochEvent | AdmmUpdateEvent | EarlyStopEvent | CheckpointEvent | ResumeEvent | EvaluateEvent | SavedEvent;

/** A progress listener; may be async (the loop awaits it). */
export type ProgressListener = (event: ProgressEvent) => void | Promise<void>;

/** Elapsed time and the estimate of the time left. */
export interface EtaEstimate {
  /** Milliseconds since the clock started. */
  readonly elapsedMs: number;
  /** Estimated milliseconds left (null before the first step). */
  readonly etaMs: number | null;
}

/** Estimates the time left from the pace of the steps run so far in this session. */
export class EtaClock {
  private readonly t0 = performance.now();
  private done = 0;

  /** Records that one step finished; returns {elapsedMs, etaMs} given the steps still to run. */
  tick(remaining: number): EtaEstimate {
    this.done++;
    const elapsedMs = performance.now() - this.t0;
    return { elapsedMs, etaMs: this.done > 0 ? (elapsedMs / this.done) * Math.max(0, remaining) : null };
  }
}
