/**
 * One error family for all of tensorslim. Every error carries a stable `code` (programs match on
 * it; it never changes between releases) and a message that says what was wrong and what to do.
 *
 * @module
 */

/** The stable error codes. New codes may be added; existing ones keep their meaning. */
export const ErrorCodes = {
  /** A shape does not fit: wrong number of dimensions, mismatched sizes. */
  SHAPE: 'TS_SHAPE',
  /** Ranks of the wrong length, non-positive, or not allowed by the format. */
  RANK: 'TS_RANK',
  /** A channel count that does not factor into the requested mode sizes. */
  FACTOR: 'TS_FACTOR',
  /** NaN or Inf where finite numbers are required (weights, losses). */
  NON_FINITE: 'TS_NON_FINITE',
  /** A `.npy` file that cannot be read (bad magic, unsupported dtype, Fortran order, truncated). */
  NPY: 'TS_NPY',
  /** A data file (IDX, CIFAR binary) that is corrupt, truncated or missing. */
  DATA: 'TS_DATA',
  /** A model that is missing or cannot be loaded (model.json, weight shards). */
  MODEL: 'TS_MODEL',
  /** A format id that no registered plugin provides. */
  UNKNOWN_FORMAT: 'TS_UNKNOWN_FORMAT',
  /** A name (model, dataset, backend, layer) that is not known. */
  UNKNOWN_NAME: 'TS_UNKNOWN_NAME',
  /** A compression plan that is not valid JSON or does not validate. */
  PLAN: 'TS_PLAN',
  /** A rank formula that cannot be parsed or evaluated. */
  FORMULA: 'TS_FORMULA',
  /** A backend that was asked for and cannot start. */
  BACKEND: 'TS_BACKEND',
  /** A request that would need more memory than is reasonable (refused before allocating). */
  TOO_LARGE: 'TS_TOO_LARGE',
  /** An invalid option value (a flag, a hyperparameter). */
  OPTION: 'TS_OPTION',
  /** A checkpoint that is missing, incomplete or from another run. */
  CHECKPOINT: 'TS_CHECKPOINT',
  /** Training diverged (non-finite loss). */
  DIVERGED: 'TS_DIVERGED',
  /** A plugin object that does not satisfy the plugin contract. */
  PLUGIN: 'TS_PLUGIN',
  /** An internal numerical failure (e.g. no convergence). */
  NUMERIC: 'TS_NUMERIC',
} as const;

/** The union of all error code strings. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * The error class every tensorslim package throws for bad input or failed runs.
 *
 * `message` states the problem; `hint` (also appended to the message) says what to do.
 */
export class TensorslimError extends Error {
  /** Stable machine-readable code, e.g. `TS_RANK`. */
  readonly code: ErrorCode;
  /** What the user can do about it, if anything. */
  readonly hint?: string;
  /** Structured details (shapes, the list of known names, ...). */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, hint?: string, details?: Record<string, unknown>) {
    super(hint ? `${message} — ${hint}` : message);
    this.name = 'TensorslimError';
    this.code = code;
    this.hint = hint;
    this.details = details;
  }
}

/** Throw a {@link TensorslimError}; handy in expressions. */
export function fail(code: ErrorCode, message: string, hint?: string, details?: Record<string, unknown>): never {
  throw new TensorslimError(code, message, hint, details);
}

/** True when `e` is a {@link TensorslimError} (optionally with the given code). */
export function isTensorslimError(e: unknown, code?: ErrorCode): e is TensorslimError {
  return e instanceof TensorslimError && (code === undefined || e.code === code);
}

/** Throws `TS_NON_FINITE` if any entry of `data` is NaN or ±Inf. `what` names the array. */
export function assertFinite(data: ArrayLike<number>, what: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      fail(
        ErrorCodes.NON_FINITE,
        `${what} contains ${Number.isNaN(v) ? 'NaN' : 'Inf'} at flat index ${i}`,
        'check the weights (a diverged training run produces these) and retrain or reload them',
        { index: i },
      );
    }
  }
}
