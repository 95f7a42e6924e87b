/**
 * Truncated HOSVD and HOOI (higher-order orthogonal iteration), over all modes or chosen modes
 * only (partial Tucker), as plain functions over linalg's dense tensor, and the
 * {@link tuckerDecomposition} object that wraps them for the plugin.
 *
 * Factors layout: `cores[0]` is the core (the tensor's shape with each decomposed mode's size
 * replaced by its rank), then one n×r factor with orthonormal columns per decomposed mode, in
 * the order of `meta.modes`; `ranks[i]` belongs to `meta.modes[i]`.
 *
 * @module
 */
import { assertFinite, ErrorCodes, fail, type DecomposeOptions, type Decomposition, type Factors, type RankSpec, type TensorLayout } from '@tensorslim/core';
import { sizeOf, type DenseTensor, type Rng, type SymEig } from '@tensorslim/linalg';
import {
  arrange,
  canonical,
  contractBack,
  leadingBasis,
  modeGramEig,
  modeSpectrum,
  modeTimes,
  toBack,
  type Arranged,
  type ModeBasis,
  type SvdMethod,
} from '@tensorslim/spectra';
import {
  coreShape,
  modesFromOptions,
  normalizeModes,
  resolveTuckerSpec,
  TUCKER_RANK_CONVENTION,
  tuckerParamCount,
  validateTuckerRanks,
  tuckerRankLadder,
  type SpectrumSource,
} from './ranks.js';

/** The plugin id, also `Factors.format` of Tucker factors. */
export const TUCKER_FORMAT = 'tucker';

/** Options of {@link tucker}, {@link hosvd} and {@link hooi}. */
export interface TuckerOptions extends DecomposeOptions {
  /** Modes to decompose (partial Tucker); default all. Ranks pair with them in this order. */
  readonly modes?: readonly number[];
  /**
   * The layer layout the tensor comes from (model surgery passes it): without `modes`, its
   * channel modes are decomposed and the kh·kw mode is kept whole.
   */
  readonly layout?: TensorLayout;
  /** 'hooi' (default) or 'hosvd' (the truncated HOSVD alone). */
  readonly method?: 'hooi' | 'hosvd';
  /** HOOI sweep limit (default 10); 0 returns the HOSVD. */
  readonly maxSweeps?: number;
  /** HOOI stops when the relative error changes by less than this between sweeps (default 1e-6; 0 runs every sweep). */
  readonly tol?: number;
  /** Leading singular vectors: 'auto' (Gram matrix + symEig where σ_r ≥ 10⁻³·σ_1, else an exact SVD), 'exact' or 'randomized' SVD. */
  readonly svd?: SvdMethod;
  /** Random generator of the randomized SVD. */
  readonly rng?: Rng;
}

/** Extras recorded in `Factors.meta` of Tucker factors. */
export interface TuckerMeta {
  /** Decomposed modes; factor i (cores[i + 1]) and ranks[i] belong to modes[i]. */
  readonly modes: number[];
  /** Algorithm that produced the factors. */
  readonly method: 'hooi' | 'hosvd';
  /** HOOI sweeps run. */
  readonly sweeps: number;
  /** Relative error after each HOOI sweep, or of the HOSVD when none ran (from ‖X‖² − ‖core‖²: good to about 1e-8). */
  readonly errors: number[];
  /** Whether HOOI stopped on the tolerance (false when it ran out of sweeps). */
  readonly converged: boolean;
}

interface Settings {
  method: 'hooi' | 'hosvd';
  maxSweeps: number;
  tol: number;
  svd: SvdMethod;
  rng?: Rng;
}

function settings(opts: TuckerOptions, forced?: 'hooi' | 'hosvd'): Settings {
  const method = forced ?? opts.method ?? 'hooi';
  if (method !== 'hooi' && method !== 'hosvd') fail(ErrorCodes.OPTION, `Tucker method "${String(method)}" is not hooi or hosvd`);
  const maxSweeps = opts.maxSweeps ?? 10;
  if (!Number.isInteger(maxSweeps) || maxSweeps < 0) fail(ErrorCodes.OPTION, `maxSweeps ${String(maxSweeps)} must be an integer ≥ 0`);
  const tol = opts.tol ?? 1e-6;
  if (typeof tol !== 'number' || !(tol >= 0)) fail(ErrorCodes.OPTION, `tol ${String(tol)} must be a number ≥ 0`);
  const svd = opts.svd ?? 'auto';
  if (svd !== 'auto' && svd !== 'exact' && svd !== 'randomized') fail(ErrorCodes.OPTION, `svd "${String(svd)}" is not auto, exact or randomized`);
  return { method, maxSweeps, tol, svd, rng: opts.rng };
}

function checkTensor(t: DenseTensor): void {
  if (!t || !Array.isArray(t.shape) || !(t.data instanceof Float64Array)) {
    fail(ErrorCodes.SHAPE, 'Tucker needs a DenseTensor {shape, data: Float64Array}');
  }
  normalizeModes(t.shape); // shape check
  if (t.data.length !== sizeOf(t.shape)) {
    fail(ErrorCodes.SHAPE, `tensor data has ${t.data.length} entries but shape [${t.shape.join(', ')}] needs ${sizeOf(t.shape)}`);
  }
  assertFinite(t.data, 'the tensor to decompose');
}

function sumSquares(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

/** The work state of one decomposition: the tensor, its re-arranged copies and cached Gram eigs. */
class Workspace {
  readonly x: Arranged;
  readonly norm2: number;
  private readonly backs = new Map<number, Arranged>();
  private readonly eigs = new Map<number, SymEig>();

  constructor(readonly tensor: DenseTensor) {
    this.x = arrange(tensor);
    this.norm2 = sumSquares(tensor.data);
  }

  /** X with `mode` stored last (cached: every HOOI step starts from one of these). */
  back(mode: number): Arranged {
    let b = this.backs.get(mode);
    if (!b) {
      b = toBack(this.x, mode);
      this.backs.set(mode, b);
    }
    return b;
  }

  /** Arrangements of X available now (for a Gram, the one storing the mode first wins). */
  cands(): Arranged[] {
    return [this.x, ...this.backs.values()];
  }

  /** Whether the Gram route applies to this mode of X (see spectrum.ts). */
  gramFits(mode: number): boolean {
    const n = this.tensor.shape[mode]!;
    return 4 * (this.tensor.data.length / n) >= n;
  }

  /** The leading `k` (default all) eigenpairs of X's mode-`mode` Gram (cached). */
  eig(mode: number, k?: number): SymEig {
    const n = this.tensor.shape[mode]!;
    const want = Math.min(n, k ?? n);
    let e = this.eigs.get(mode);
    if (!e || e.values.length < want) {
      e = modeGramEig(this.cands(), mode, want);
      this.eigs.set(mode, e);
    }
    return e;
  }

  spectrumSource(): SpectrumSource {
    return {
      norm2: this.norm2,
      spectrum: (mode, floor) => modeSpectrum(this.cands(), mode, { floor, ...(this.gramFits(mode) ? { eig: this.eig(mode) } : {}) }),
    };
  }

  /** HOSVD basis of X for one mode. */
  basis(mode: number, r: number, s: Settings): ModeBasis {
    const useEig = s.svd === 'auto' && this.gramFits(mode) && r < this.tensor.shape[mode]!;
    return leadingBasis(this.cands(), mode, r, s.svd, { ...(s.rng ? { rng: s.rng } : {}), ...(useEig ? { eig: this.eig(mode, r) } : {}) });
  }
}

/** Contracts X with Uᵀ along every decomposed mode except `skip`, most-shrinking mode first. */
function project(ws: Workspace, modes: readonly number[], bases: readonly (ModeBasis | null)[], skip: number): Arranged | null {
  const idx = modes.map((_, i) => i).filter((i) => modes[i] !== skip);
  if (idx.length === 0) return null;
  idx.sort((a, b) => bases[b]!.n / bases[b]!.r - bases[a]!.n / bases[a]!.r || a - b);
  const first = idx[0]!;
  let y = contractBack(ws.back(modes[first]!), bases[first]!.ut, bases[first]!.r);
  for (const i of idx.slice(1)) y = modeTimes(y, modes[i]!, bases[i]!.ut, bases[i]!.r);
  return y;
}

function resolve(ws: Workspace, spec: RankSpec, opts: TuckerOptions) {
  return resolveTuckerSpec(ws.tensor.shape, spec, modesFromOptions(ws.tensor.shape, opts), ws.spectrumSource());
}

function assemble(ws: Workspace, modes: number[], ranks: number[], bases: ModeBasis[], core: Arranged, meta: TuckerMeta): Factors {
  const c = canonical(core);
  const want = coreShape(ws.tensor.shape, ranks, modes);
  if (c.shape.some((s, i) => s !== want[i])) throw new Error(`internal: core [${c.shape.join(', ')}] ≠ [${want.join(', ')}]`);
  return {
    format: TUCKER_FORMAT,
    shape: [...ws.tensor.shape],
    ranks: [...ranks],
    cores: [c, ...bases.map((b) => ({ shape: [b.n, b.r], data: b.u }))],
    meta: { ...meta },
  };
}

function run(tensor: DenseTensor, spec: RankSpec, opts: TuckerOptions, s: Settings): Factors {
  checkTensor(tensor);
  const ws = new Workspace(tensor);
  const { modes, ranks } = resolve(ws, spec, opts);
  const iterate = s.method === 'hooi' && modes.length > 1 && s.maxSweeps > 0;
  // X arranged with each decomposed mode last: HOOI starts every step from one of these, and
  // they store other modes first, which saves copies for the initial Grams.
  if (iterate) for (const m of modes) ws.back(m);
  // The first HOOI step recomputes the first mode's factor from the others alone, so when HOOI
  // iterates its HOSVD factor would never be read: skip it (same result, one Gram + eig less).
  let bases: (ModeBasis | null)[] = modes.map((m, i) => (iterate && i === 0 ? null : ws.basis(m, ranks[i]!, s)));
  const errors: number[] = [];
  let converged = !iterate; // HOSVD, or a single mode (where HOOI's first step is the HOSVD)
  let last: { y: Arranged; i: number } | null = null;
  for (let sweep = 0; iterate && sweep < s.maxSweeps; sweep++) {
    let captured = 0;
    for (let i = 0; i < modes.length; i++) {
      const y = project(ws, modes, bases, modes[i]!)!;
      const b = leadingBasis([y], modes[i]!, ranks[i]!, s.svd, s.rng ? { rng: s.rng } : {});
      bases = bases.map((x, j) => (j === i ? b : x));
      captured = b.captured;
      last = { y, i };
    }
    // ‖core‖² is the energy the last factor keeps of its projected tensor
    errors.push(ws.norm2 > 0 ? Math.sqrt(Math.max(0, ws.norm2 - captured) / ws.norm2) : 0);
    if (errors.length >= 2 && Math.abs(errors[errors.length - 1]! - errors[errors.length - 2]!) < s.tol) {
      converged = true;
      break;
    }
  }
  const core = last ? modeTimes(last.y, modes[last.i]!, bases[last.i]!.ut, bases[last.i]!.r) : project(ws, modes, bases, -1)!;
  if (!last) errors.push(ws.norm2 > 0 ? Math.sqrt(Math.max(0, ws.norm2 - sumSquares(core.data)) / ws.norm2) : 0);
  return assemble(ws, modes, ranks, bases as ModeBasis[], core, {
    modes,
    method: s.method,
    sweeps: last ? errors.length : 0,
    errors,
    converged,
  });
}

/**
 * Truncated HOSVD: each decomposed mode's factor holds the leading left singular vectors of the
 * tensor's unfolding along that mode; the core is the tensor times the factors' transposes.
 */
export function hosvd(tensor: DenseTensor, spec: RankSpec, opts: TuckerOptions = {}): Factors {
  return run(tensor, spec, opts, settings(opts, 'hosvd'));
}

/**
 * HOOI: starts from the truncated HOSVD and, each sweep, replaces every factor by the leading
 * left singular vectors of the tensor projected on the other factors, until the relative error
 * changes by less than `tol` or `maxSweeps` sweeps have run. Its error is never above HOSVD's.
 */
export function hooi(tensor: DenseTensor, spec: RankSpec, opts: TuckerOptions = {}): Factors {
  return run(tensor, spec, opts, settings(opts, 'hooi'));
}

/** Tucker decomposition by `opts.method` (default HOOI). */
export function tucker(tensor: DenseTensor, spec: RankSpec, opts: TuckerOptions = {}): Factors {
  return run(tensor, spec, opts, settings(opts));
}

/** Decomposed modes of Tucker factors (`meta.modes`, or all modes). */
export function factorModes(f: Factors): number[] {
  const m = f.meta?.modes;
  return normalizeModes(f.shape, Array.isArray(m) ? (m as number[]) : undefined);
}

/**
 * Checks that factors are Tucker factors whose pieces fit together: format, ranks (through
 * {@link validateTuckerRanks}), core shape, factor shapes. Returns the decomposed modes.
 */
export function validateTuckerFactors(f: Factors): { modes: number[]; ranks: number[] } {
  if (!f || typeof f !== 'object' || !f.cores || typeof f.cores.length !== 'number') fail(ErrorCodes.FACTOR, 'Tucker factors must be an object with cores');
  if (f.format !== TUCKER_FORMAT) {
    fail(ErrorCodes.FACTOR, `factors of format "${f.format}" are not Tucker factors`, 'decompose with the tucker plugin, or use the plugin of that format');
  }
  const modes = factorModes(f);
  validateTuckerRanks(f.shape, f.ranks, modes);
  const ranks = [...f.ranks];
  if (f.cores.length !== modes.length + 1) {
    fail(
      ErrorCodes.FACTOR,
      `Tucker factors on modes [${modes.join(', ')}] need ${modes.length + 1} tensors (core + ${modes.length} factors), got ${f.cores.length}`,
    );
  }
  const want = coreShape(f.shape, ranks, modes);
  const core = f.cores[0]!;
  if (core.shape.length !== want.length || core.shape.some((s, i) => s !== want[i]) || core.data.length !== sizeOf(want)) {
    fail(
      ErrorCodes.FACTOR,
      `Tucker core has shape [${core.shape.join(', ')}], expected [${want.join(', ')}] for ranks [${ranks.join(', ')}] on modes [${modes.join(', ')}]`,
    );
  }
  modes.forEach((m, i) => {
    const u = f.cores[i + 1]!;
    const n = f.shape[m]!;
    if (u.shape.length !== 2 || u.shape[0] !== n || u.shape[1] !== ranks[i] || u.data.length !== n * ranks[i]!) {
      fail(ErrorCodes.FACTOR, `Tucker factor ${i} (mode ${m}) has shape [${u.shape.join(', ')}], expected [${n}, ${ranks[i]}]`);
    }
  });
  return { modes, ranks };
}

/** Rebuilds the dense tensor: core ×_m U_m over the decomposed modes. */
export function tuckerReconstruct(f: Factors): DenseTensor {
  const { modes } = validateTuckerFactors(f);
  let a = arrange(f.cores[0]!);
  // expand the modes that grow least first (the intermediate tensors stay small)
  const order = modes.map((_, i) => i).sort((x, y) => f.shape[modes[x]!]! / f.ranks[x]! - f.shape[modes[y]!]! / f.ranks[y]! || x - y);
  for (const i of order) a = modeTimes(a, modes[i]!, f.cores[i + 1]!.data, f.shape[modes[i]!]!);
  return canonical(a);
}

/**
 * The ranks `spec` resolves to for a tensor of `shape` decomposed along `opts.modes` (default
 * all), validated and clamped. `eps` and `auto` read the data: pass `opts.tensor`.
 */
export function resolveTuckerRanks(
  shape: readonly number[],
  spec: RankSpec,
  opts: { modes?: readonly number[]; layout?: TensorLayout; tensor?: DenseTensor } = {},
): number[] {
  let source: SpectrumSource | undefined;
  if (opts.tensor) {
    checkTensor(opts.tensor);
    if (opts.tensor.shape.length !== shape.length || opts.tensor.shape.some((s, i) => s !== shape[i])) {
      fail(ErrorCodes.SHAPE, `resolveRanks: the tensor has shape [${opts.tensor.shape.join(', ')}], not [${shape.join(', ')}]`);
    }
    source = new Workspace(opts.tensor).spectrumSource();
  }
  return resolveTuckerSpec(shape, spec, modesFromOptions(shape, opts), source).ranks;
}

/** The Tucker decomposition: HOOI (or HOSVD), reconstruction, parameter count, rank resolution. */
export const tuckerDecomposition: Decomposition = {
  decompose: (tensor, spec, opts = {}) => tucker(tensor, spec, opts),
  reconstruct: tuckerReconstruct,
  paramCount: (shape, ranks, opts = {}) => tuckerParamCount(shape, ranks, modesFromOptions(shape, opts)),
  resolveRanks: (shape, spec, opts = {}) => resolveTuckerRanks(shape, spec, opts),
  rankConvention: TUCKER_RANK_CONVENTION,
  rankLadder: (tensor, opts) => {
    checkTensor(tensor);
    return tuckerRankLadder(tensor.shape, new Workspace(tensor).spectrumSource(), opts);
  },
};
