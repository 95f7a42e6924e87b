/**
 * The records a training run produces and its reports read: a model's evaluation, one epoch's
 * numbers, one ADMM update's residuals. Plain data, defined here so that the report needs no
 * training code; `@tensorslim/admm` produces them (and re-exports these types).
 *
 * @module
 */

/** Validation loss and accuracy of a model. */
export interface Evaluation {
  /** Mean loss (no label smoothing, no ADMM term). */
  readonly loss: number;
  /** Fraction of correct arg-max predictions; `null` for regression. */
  readonly accuracy: number | null;
  /** Examples evaluated. */
  readonly examples: number;
}

/** One epoch's numbers. `null` where not applicable (no validation split, regression loss). */
export interface EpochRecord {
  /** Phase. */
  readonly phase: string;
  /** Epoch index within the phase (0-based). */
  readonly epoch: number;
  /** Mean training loss over the epoch (without the ADMM penalty). */
  readonly trainLoss: number;
  /** Training accuracy over the epoch (crossentropy only). */
  readonly trainAccuracy: number | null;
  /** Validation loss. */
  readonly valLoss: number | null;
  /** Validation accuracy. */
  readonly valAccuracy: number | null;
  /** Learning rate. */
  readonly lr: number;
  /** ρ at the end of the epoch (ADMM phase only). */
  readonly rho: number | null;
  /** Wall time of the epoch in ms (training + evaluation). */
  readonly ms: number;
}

/** Residuals of one compressed layer at one ADMM update. */
export interface LayerResidual {
  /** Layer name. */
  readonly name: string;
  /** ‖W − Z‖_F / ‖W‖_F after the update. */
  readonly primal: number;
  /** ρ‖Z − Z_prev‖_F. */
  readonly dual: number;
}

/** One Z/U update of ADMM. */
export interface AdmmUpdateRecord {
  /** Update number (1-based). */
  readonly update: number;
  /** Training step (within the ADMM phase) after which it ran. */
  readonly step: number;
  /** Epoch during which it ran (0-based). */
  readonly epoch: number;
  /** ρ used by this update. */
  readonly rho: number;
  /** ρ after the schedule (differs from `rho` when the schedule fired). */
  readonly nextRho: number;
  /** Largest primal residual over the layers. */
  readonly primal: number;
  /** Largest dual residual over the layers. */
  readonly dual: number;
  /** Per-layer residuals. */
  readonly layers: readonly LayerResidual[];
  /** Time of the projections and bookkeeping, ms. */
  readonly ms: number;
}
