/**
 * Counting the compute dispatches of the webgpu backend: each shader program it records is one
 * `dispatchWorkgroups` (tfjs-backend-webgpu's `recordAndSubmit`). Dispatches per training step is
 * the number the fusions (one shader for the optimizer update, one for the batch-norm gradient)
 * lower; bench/gpu.mjs reports it.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** The dispatches counted while a function ran. */
export interface DispatchCount<T> {
  /** What the function returned. */
  readonly result: T;
  /** Compute dispatches recorded (one per shader program run). */
  readonly dispatches: number;
  /** Dispatches by program class (e.g. "MatMulPackedProgram"), most first. */
  readonly byProgram: readonly { readonly program: string; readonly dispatches: number }[];
}

/** The part of tfjs-backend-webgpu's backend the counter wraps. */
interface RecordingBackend {
  recordAndSubmit: (program: object, ...rest: unknown[]) => unknown;
}

/**
 * Runs `fn` (awaited) on the active webgpu backend and counts the compute dispatches it records.
 * Throws on another backend (their kernels dispatch nothing to count) or when the backend lacks
 * the method the count reads (another tfjs-backend-webgpu release).
 */
export async function countWebgpuDispatches<T>(fn: () => T | Promise<T>): Promise<DispatchCount<T>> {
  const backend = tf.backend() as unknown as Partial<RecordingBackend>;
  if (tf.getBackend() !== 'webgpu') throw new Error(`countWebgpuDispatches: the active backend is ${tf.getBackend()}, not webgpu`);
  const own = backend.recordAndSubmit;
  if (typeof own !== 'function') throw new Error('countWebgpuDispatches: this tfjs-backend-webgpu has no recordAndSubmit to count (4.x has)');
  const hadOwn = Object.prototype.hasOwnProperty.call(backend, 'recordAndSubmit');
  const by = new Map<string, number>();
  let dispatches = 0;
  backend.recordAndSubmit = function (this: RecordingBackend, program: object, ...rest: unknown[]) {
    dispatches++;
    const name = program.constructor.name;
    by.set(name, (by.get(name) ?? 0) + 1);
    return own.call(this, program, ...rest);
  };
  try {
    const result = await fn();
    const byProgram = [...by]
      .map(([program, n]) => ({ program, dispatches: n }))
      .sort((a, b) => b.dispatches - a.dispatches || a.program.localeCompare(b.program));
    return { result, dispatches, byProgram };
  } finally {
    if (hadOwn) backend.recordAndSubmit = own;
    else delete backend.recordAndSubmit; // the prototype's method shows through again
  }
}
