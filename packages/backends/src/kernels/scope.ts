/**
 * Calling other kernels from inside a kernel function, the way TF.js backends do it: through the
 * kernel registry with the backend object, on plain {@link TensorInfo}s, disposing every
 * intermediate result. Nothing here goes through the engine, so no tape node, no tracked tensor
 * and no profile entry is created for the inner calls.
 *
 * @module
 */
import { getKernel, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The inputs of a kernel call, by input name. */
export type KernelInputs = Record<string, TensorInfo>;

/** The backend methods a composite kernel needs (every TF.js backend has them). */
export interface CompositeBackend extends KernelBackend {
  /** Drops one reference to the data; frees it when none is left. */
  disposeData(dataId: object, force?: boolean): boolean;
  /** Adds one reference to the data (reshape-style views share data). */
  incRef(dataId: object): void;
}

/**
 * A scope for one composite kernel invocation: `run` calls another kernel of the same backend and
 * remembers its output; `keep` marks the one result to return; `dispose` frees everything else.
 */
export class KernelScope {
  private readonly temps: TensorInfo[] = [];

  /**
   * @param backend - The backend object the outer kernel received.
   * @param backendName - Its registry name (e.g. 'wasm').
   * @param overrides - Kernel functions to use instead of the registry's (e.g. a backend's
   *   original kernel that this package replaced).
   */
  constructor(
    readonly backend: CompositeBackend,
    readonly backendName: string,
    private readonly overrides: Readonly<
      Record<string, (args: { inputs: KernelInputs; attrs: NamedAttrMap; backend: KernelBackend }) => TensorInfo | TensorInfo[]>
    > = {},
  ) {}

  /** Runs kernel `name` on the backend; the result is disposed with the scope unless kept. */
  run(name: string, inputs: KernelInputs, attrs: NamedAttrMap = {}): TensorInfo {
    const fn = this.overrides[name] ?? getKernel(name, this.backendName)?.kernelFunc;
    if (!fn) throw new Error(`kernel '${name}' is not registered for backend '${this.backendName}' (needed by a tensorslim kernel)`);
    const out = fn({ inputs, attrs, backend: this.backend });
    const info = Array.isArray(out) ? out[0]! : out;
    this.temps.push(info);
    return info;
  }

  /** A view of `x` with another shape (shares data; counted like any intermediate). */
  reshape(x: TensorInfo, shape: readonly number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape: [...shape] });
  }

  /** Axis permutation. */
  transpose(x: TensorInfo, perm: readonly number[]): TensorInfo {
    if (perm.every((p, i) => p === i)) return x;
    return this.run('Transpose', { x }, { perm: [...perm] });
  }

  /**
   * Pads (positive amounts) or crops (negative amounts) each axis: `amounts[i] = [before, after]`.
   * Returns `x` itself when nothing changes.
   */
  padOrCrop(x: TensorInfo, amounts: readonly (readonly [number, number])[]): TensorInfo {
    let h = x;
    if (amounts.some(([b, a]) => b < 0 || a < 0)) {
      const begin = amounts.map(([b]) => Math.max(0, -b));
      const size = amounts.map(([b, a], i) => h.shape[i]! - Math.max(0, -b) - Math.max(0, -a));
      h = this.run('Slice', { x: h }, { begin, size });
    }
    if (amounts.some(([b, a]) => b > 0 || a > 0)) {
      const paddings = amounts.map(([b, a]) => [Math.max(0, b), Math.max(0, a)]);
      h = this.run('PadV2', { x: h }, { paddings, constantValue: 0 });
    }
    return h;
  }

  /**
   * Frees every intermediate except `result`, which the caller returns to the engine. When
   * `result` is not an intermediate (an input passed through unchanged) it gets one more
   * reference, as the engine takes ownership of one.
   */
  finish(result: TensorInfo): TensorInfo {
    let own = false;
    for (const t of this.temps) {
      if (t === result) own = true;
      else this.backend.disposeData(t.dataId);
    }
    this.temps.length = 0;
    if (!own) this.backend.incRef(result.dataId);
    return result;
  }

  /** As {@link finish} for a kernel with several outputs. */
  finishAll(results: readonly TensorInfo[]): TensorInfo[] {
    const keep = new Set(results);
    const own = new Set<TensorInfo>();
    for (const t of this.temps) {
      if (keep.has(t)) own.add(t);
      else this.backend.disposeData(t.dataId);
    }
    this.temps.length = 0;
    for (const r of results) if (!own.has(r)) this.backend.incRef(r.dataId);
    return [...results];
  }

  /** Frees every intermediate (on error paths). */
  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}
