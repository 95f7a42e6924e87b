/**
 * Checkpointing of a compress run: what goes into a checkpoint (the run state, the working
 * model's weights, the solver's Z and U in ADMM stages, the optimizer's accumulators mid-phase),
 * how a directory is opened for a new or a resumed run, and how each piece is read back. The
 * files themselves are {@link CheckpointStore}'s.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ErrorCodes, fail } from '@tensorslim/core';
import { CheckpointStore, type CheckpointInfo, type StoredTensor } from './checkpoint.js';
import type { Fingerprint, RunState } from './run-state.js';
import type { AdmmLayerState, AdmmSolver } from './solver.js';
import { readModelWeights } from './weights.js';

/** The names of the paths where two JSON values differ ("settings.rho", "plan.layers.conv2"). */
export function jsonDiff(a: unknown, b: unknown, path = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => jsonDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return [path || '(value)'];
}

/** The live objects a checkpoint saves besides the run state. */
export interface RunParts {
  /** The model being worked on (its weights are saved). */
  readonly model: tfl.LayersModel;
  /** The ADMM solver, in the stages that have one (its Z, U, ρ and history are saved). */
  readonly solver: AdmmSolver | null;
  /** The optimizer, mid-phase (its step count and accumulators are saved). */
  readonly optimizer: tf.Optimizer | null;
}

/** The newest checkpoint a run wrote or resumed from: what a divergence error points to. */
export interface LastCheckpoint {
  /** Its directory. */
  readonly path: string;
  /** The stage it continues. */
  readonly stage: string;
  /** Steps done in that stage. */
  readonly step: number;
}

/** The checkpoints of one compress run. */
export class RunCheckpoints {
  /** The newest checkpoint written or resumed from. */
  last: LastCheckpoint | null = null;
  private readonly store: CheckpointStore<RunState>;

  private constructor(readonly dir: string) {
    this.store = new CheckpointStore<RunState>(dir);
  }

  /**
   * Opens `dir` for a run: with `resume`, returns the newest complete checkpoint to continue
   * from (`TS_CHECKPOINT` when there is none); without, refuses a directory that already holds a
   * run (nothing there is changed).
   */
  static open(dir: string, resume: boolean): { checkpoints: RunCheckpoints; resumeFrom: CheckpointInfo<RunState> | null } {
    const checkpoints = new RunCheckpoints(dir);
    const latest = checkpoints.store.latest();
    if (resume) {
      if (!latest) fail(ErrorCodes.CHECKPOINT, `no complete checkpoint in ${dir}`, 'start the run without resume');
      return { checkpoints, resumeFrom: latest };
    }
    if (latest) {
      fail(
        ErrorCodes.CHECKPOINT,
        `checkpoint directory ${dir} already holds a run (newest checkpoint ${latest.path})`,
        'pass resume to continue it, or use an empty directory (nothing there was changed)',
      );
    }
    return { checkpoints, resumeFrom: null };
  }

  /** The newest complete checkpoint of a directory (without opening it for a run), or null. */
  static latest(dir: string): CheckpointInfo<RunState> | null {
    return new CheckpointStore<RunState>(dir).latest();
  }

  /** Refuses a checkpoint that is not this run's, naming what differs. */
  static verify(path: string, state: RunState, mine: Fingerprint): void {
    if (state.kind !== 'tensorslim-compress') fail(ErrorCodes.CHECKPOINT, `${path} is not a checkpoint of the compress pipeline`);
    const differs = jsonDiff(state.fingerprint, mine);
    if (differs.length) {
      fail(
        ErrorCodes.CHECKPOINT,
        `the checkpoint in ${path} is from a different run: ${differs.slice(0, 8).join(', ')} differ`,
        'resume with the same model, data, plan and options (or start a new run in an empty directory)',
        { differs },
      );
    }
  }

  /** Writes a checkpoint of `state` and `parts` atomically; returns its directory. */
  async write(state: RunState, parts: RunParts, tag: string | null): Promise<string> {
    const tensors: StoredTensor[] = (await readModelWeights(parts.model)).map((data, i) => ({ key: `w:${i}`, shape: [data.length], data }));
    let solver: RunState['solver'] = null;
    if (parts.solver) {
      const s = parts.solver.exportState();
      solver = { rho: s.rho, updates: s.updates, history: [...s.history] };
      for (const l of s.layers) tensors.push({ key: `z:${l.name}`, shape: [l.z.length], data: l.z }, { key: `u:${l.name}`, shape: [l.u.length], data: l.u });
    }
    let optimizerIterations: number | null = null;
    if (parts.optimizer) {
      const ws = await parts.optimizer.getWeights();
      optimizerIterations = ws[0] ? (await ws[0].tensor.data())[0]! : 0;
      const acc = await Promise.all(ws.slice(1).map(async (w) => Float32Array.from(await w.tensor.data())));
      acc.forEach((data, i) => tensors.push({ key: `opt:${i}`, shape: [...ws[i + 1]!.tensor.shape], data }));
    }
    const path = await this.store.write({ ...state, solver, optimizerIterations }, tensors, tag);
    this.last = { path, stage: state.stage, step: state.position?.globalStep ?? 0 };
    return path;
  }

  /** The directory of the newest checkpoint with this phase-end tag (`TS_CHECKPOINT` when it is missing). */
  tagged(tag: string): string {
    const c = this.store.findTag(tag);
    if (!c) fail(ErrorCodes.CHECKPOINT, `the phase-end checkpoint "${tag}" is missing from ${this.dir}`, 'start a new run');
    return c.path;
  }

  /** The model weights a checkpoint holds, in `model.weights` order. */
  weights(path: string): ArrayLike<number>[] {
    const t = this.tensors(path);
    const out: ArrayLike<number>[] = [];
    for (let i = 0; t.has(`w:${i}`); i++) out.push(t.get(`w:${i}`)!.data);
    return out;
  }

  /** The solver's Z and U of the named layers. */
  solverLayers(path: string, names: readonly string[]): AdmmLayerState[] {
    const t = this.tensors(path);
    return names.map((name) => ({ name, z: Float64Array.from(t.get(`z:${name}`)!.data), u: Float64Array.from(t.get(`u:${name}`)!.data) }));
  }

  /** Restores an optimizer's step count and accumulators from a checkpoint. */
  async restoreOptimizer(optimizer: tf.Optimizer, path: string, iterations: number | null): Promise<void> {
    const t = this.tensors(path);
    const acc: { name: string; tensor: tf.Tensor }[] = [];
    for (let i = 0; t.has(`opt:${i}`); i++) {
      const s = t.get(`opt:${i}`)!;
      acc.push({ name: `acc_${i}`, tensor: tf.tensor(s.data as Float32Array, s.shape as number[]) });
    }
    const iter = tf.scalar(iterations ?? 0, 'int32');
    await optimizer.setWeights([{ name: 'iter', tensor: iter }, ...acc]);
    tf.dispose([iter, ...acc.map((a) => a.tensor)]);
  }

  private tensors(path: string): Map<string, StoredTensor> {
    return this.store.readTensors(path);
  }
}
