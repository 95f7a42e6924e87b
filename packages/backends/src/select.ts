/**
 * One place that picks the TF.js backend. `auto` tries, in order: tensorflow (tfjs-node-gpu,
 * then tfjs-node: native TensorFlow), webgpu (the `webgpu` package (Dawn) in Node, or the
 * platform's navigator.gpu, with @tensorflow/tfjs-backend-webgpu), wasm (XNNPACK, with
 * tensorslim's training kernels registered), cpu (pure JS). It says which one it chose and why
 * each earlier one was skipped. Optional packages are imported dynamically, through an
 * injectable importer, so tests can simulate any of them missing, broken or without a device.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, fail } from '@tensorslim/linalg';
import { registerWasmTrainingKernels } from './kernels/register.js';
import { registerLeanGradients } from './gradients.js';
import { registerWebgpuTrainingKernels } from './webgpu-kernels.js';

/** The backends tensorslim knows, in `auto`'s order of preference. */
export const BACKEND_ORDER = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

/** A backend name (also the TF.js backend name it registers). */
export type BackendName = (typeof BACKEND_ORDER)[number];

/**
 * Training steps between reads of the loss on each backend (the training loop's `readEvery`): 1
 * where a read costs nothing because the backend computes on the CPU before returning (cpu,
 * wasm, native tensorflow), 16 on webgpu, where each read waits for the GPU's queue to drain
 * and the loop would otherwise stall once per step.
 */
export const LOSS_READ_EVERY: Readonly<Record<BackendName, number>> = Object.freeze({ tensorflow: 1, webgpu: 16, wasm: 1, cpu: 1 });

/** What the caller asks for: a backend by name, or `auto`. */
export type BackendRequest = 'auto' | BackendName;

/** A backend `auto` did not take, and why. */
export interface BackendSkip {
  /** The backend. */
  readonly name: BackendName;
  /** Why: "not installed (...)", "failed to load: ...", "no adapter", ... */
  readonly why: string;
}

/** The result of {@link selectBackend}. */
export interface BackendSelection {
  /** The backend now active in TF.js (`tf.getBackend()`). */
  readonly name: BackendName;
  /** Why this one: requested, or the first of `auto`'s order that started. */
  readonly reason: string;
  /** The backends tried before it that did not start, in order. */
  readonly skipped: readonly BackendSkip[];
  /** Facts about the backend: package and version, wasm threads and kernels, GPU adapter info and limits. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** Imports a module by specifier (default: dynamic `import()`). */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** How optional packages are imported; tests pass a fake one. */
  readonly importer?: ModuleImporter;
  /** wasm threads (default: the number of cores; Node.js runs tfjs-backend-wasm single-threaded regardless). */
  readonly threads?: number;
  /** Where the wasm binaries are (a directory prefix ending in '/'); default in Node: the package's dist directory. */
  readonly wasmPaths?: string;
  /** Register tensorslim's training kernels: wasm's, or webgpu's filter gradient, momentum update and batch-norm backward pass (default true). */
  readonly registerKernels?: boolean;
  /** On wasm and cpu, register the lean batch-norm and mean gradients ({@link registerLeanGradients}; default true). */
  readonly leanGradients?: boolean;
  /** Options for the `webgpu` package's `create()` (Dawn toggles, e.g. ['backend=vulkan']). */
  readonly dawnOptions?: readonly string[];
  /** The GPU adapter request options (e.g. { powerPreference: 'high-performance' }). */
  readonly adapterOptions?: Readonly<Record<string, unknown>>;
}

/** A backend that could not start: the reason becomes a skip line or a TS_BACKEND error. */
class NotAvailable extends Error {}

const defaultImporter: ModuleImporter = (specifier) => import(/* @vite-ignore */ specifier);

/** The message of an error, on one line. */
function messageOf(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * True when `e` says that `specifier` itself (not one of its own imports) cannot be found: the
 * resolver message of Node ("Cannot find package 'x'"), CommonJS ("Cannot find module 'x'") or
 * vite ("Could not resolve "x"") naming the specifier as the missing one.
 */
export function isNotInstalledError(e: unknown, specifier: string): boolean {
  const err = e as { message?: string } | null;
  if (!err) return false;
  const spec = specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const named = new RegExp(`(cannot find (package|module)|could not resolve|failed to resolve( import)?)\\s+['"\`]${spec}['"\`]`, 'i');
  return named.test(err.message ?? '');
}

/** Imports an optional package: missing → NotAvailable("not installed"), failing → NotAvailable("failed to load: ..."). */
async function importOptional(importer: ModuleImporter, specifier: string): Promise<Record<string, unknown>> {
  try {
    return (await importer(specifier)) as Record<string, unknown>;
  } catch (e) {
    if (isNotInstalledError(e, specifier)) throw new NotAvailable(`package ${specifier} is not installed`);
    throw new NotAvailable(`${specifier} failed to load: ${messageOf(e)}`);
  }
}

/** tf.setBackend that turns `false` and throws into NotAvailable. */
async function activate(name: BackendName, what: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new NotAvailable(`${what} loaded, but backend '${name}' did not start: ${messageOf(e)}`);
  }
  if (!ok) throw new NotAvailable(`${what} loaded, but backend '${name}' failed to initialize`);
  await tf.ready();
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return !!p?.versions?.node;
}

async function cpuCount(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (isNode()) {
    try {
      const spec = 'node:os';
      const os = (await import(/* @vite-ignore */ spec)) as { availableParallelism?: () => number; cpus: () => unknown[] };
      return os.availableParallelism ? os.availableParallelism() : os.cpus().length;
    } catch {
      /* fall through */
    }
  }
  return nav?.hardwareConcurrency ?? 1;
}

async function versionOf(importer: ModuleImporter, pkg: string): Promise<string | undefined> {
  try {
    const m = (await importer(`${pkg}/package.json`)) as { default?: { version?: string }; version?: string };
    return m.default?.version ?? m.version;
  } catch {
    return undefined;
  }
}

async function startTensorflow(importer: ModuleImporter): Promise<Record<string, unknown>> {
  const reasons: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      const mod = await importOptional(importer, pkg);
      await activate('tensorflow', pkg);
      const version = (mod['version'] as Record<string, string> | undefined)?.['tfjs-node'] ?? (await versionOf(importer, pkg));
      return { package: pkg, ...(version ? { version } : {}), gpu: pkg.endsWith('-gpu') };
    } catch (e) {
      if (!(e instanceof NotAvailable)) throw e;
      reasons.push(e.message);
    }
  }
  throw new NotAvailable(reasons.join('; '));
}

/** The GPU object of the platform, or of the `webgpu` package installed into globalThis.navigator. */
async function provideNavigatorGpu(importer: ModuleImporter, dawnOptions: readonly string[]): Promise<{ gpu: GpuLike; source: string }> {
  const g = globalThis as { navigator?: { gpu?: GpuLike } };
  if (g.navigator?.gpu) return { gpu: g.navigator.gpu, source: 'navigator.gpu' };
  const mod = await importOptional(importer, 'webgpu');
  const create = mod['create'] as ((opts: string[]) => GpuLike) | undefined;
  if (typeof create !== 'function') throw new NotAvailable("webgpu loaded, but it exports no create() (expected the Dawn 'webgpu' package)");
  let gpu: GpuLike;
  try {
    gpu = create([...dawnOptions]);
  } catch (e) {
    throw new NotAvailable(`webgpu failed to create a GPU instance: ${messageOf(e)}`);
  }
  const globals = mod['globals'] as Record<string, unknown> | undefined;
  if (globals) Object.assign(globalThis, globals);
  if (g.navigator) {
    try {
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    } catch {
      Object.defineProperty(globalThis, 'navigator', { value: { ...g.navigator, gpu }, configurable: true, writable: true });
    }
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  return { gpu, source: 'webgpu (Dawn)' };
}

/** The parts of the WebGPU API read here. */
interface GpuLike {
  requestAdapter(opts?: Record<string, unknown>): Promise<AdapterLike | null>;
}
interface AdapterLike {
  readonly info?: Record<string, unknown>;
  readonly isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<Record<string, unknown>>;
  readonly limits?: Record<string, unknown>;
  readonly features?: Iterable<string>;
}

const LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** The adapter-info fields read (by name: Dawn's GPUAdapterInfo keeps them as getters, which a spread does not copy). */
const INFO_FIELDS = ['vendor', 'architecture', 'device', 'description', 'isFallbackAdapter'] as const;

/** Names of software (CPU) implementations of Vulkan/WebGPU, as adapters report them. */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader/i;

/**
 * Why a WebGPU adapter is a software rasterizer running on the CPU (Mesa lavapipe/llvmpipe,
 * SwiftShader, or any adapter flagged `isFallbackAdapter`), or undefined for a GPU. `auto` skips
 * such adapters: they are far slower than the wasm backend; `--backend webgpu` still takes them
 * (that is how the webgpu kernels are tested without a GPU).
 */
export function softwareAdapterReason(info: Readonly<Record<string, unknown>>, isFallbackAdapter?: boolean): string | undefined {
  if (info['isFallbackAdapter'] === true || isFallbackAdapter === true) return 'a fallback adapter';
  for (const k of ['vendor', 'architecture', 'device', 'description'] as const) {
    const v = info[k];
    const m = typeof v === 'string' ? SOFTWARE_ADAPTER.exec(v) : null;
    if (m) return `a software adapter (${k} "${v}" names ${m[0]})`;
  }
  return undefined;
}

async function startWebgpu(importer: ModuleImporter, opts: SelectBackendOptions, auto: boolean): Promise<Record<string, unknown>> {
  const { gpu, source } = await provideNavigatorGpu(importer, opts.dawnOptions ?? []);
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter(opts.adapterOptions ? { ...opts.adapterOptions } : undefined);
  } catch (e) {
    throw new NotAvailable(`no adapter: requestAdapter failed: ${messageOf(e)}`);
  }
  if (!adapter) throw new NotAvailable(`no adapter (${source} found no usable GPU)`);
  let info: Record<string, unknown> = {};
  try {
    info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {});
  } catch {
    /* info is optional */
  }
  const adapterInfo: Record<string, unknown> = {};
  for (const k of INFO_FIELDS) if (info[k] !== undefined && info[k] !== '') adapterInfo[k] = info[k];
  const software = softwareAdapterReason(adapterInfo, adapter.isFallbackAdapter);
  if (software && auto) throw new NotAvailable(`only ${software}, slower than the CPU backends (use --backend webgpu to take it anyway)`);
  const limits: Record<string, unknown> = {};
  for (const k of LIMITS) if (adapter.limits?.[k] !== undefined) limits[k] = adapter.limits[k];
  const features = adapter.features ? [...adapter.features].sort() : [];
  await importOptional(importer, '@tensorflow/tfjs-backend-webgpu');
  await activate('webgpu', '@tensorflow/tfjs-backend-webgpu');
  const kernels = (opts.registerKernels ?? true) ? registerWebgpuTrainingKernels().kernels : [];
  return { source, adapter: adapterInfo, ...(software ? { software } : {}), limits, features, trainingKernels: kernels };
}

async function startWasm(importer: ModuleImporter, opts: SelectBackendOptions): Promise<Record<string, unknown>> {
  const wasm = await importOptional(importer, '@tensorflow/tfjs-backend-wasm');
  const requested = opts.threads ?? (await cpuCount());
  // (not tf.findBackend: it would start initializing the backend before the settings below)
  const alreadyUp = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry['wasm'] !== undefined;
  let prefix: string | undefined;
  if (!alreadyUp) {
    const setThreadsCount = wasm['setThreadsCount'] as ((n: number) => void) | undefined;
    setThreadsCount?.(requested);
    prefix = opts.wasmPaths ?? (isNode() ? await wasmDirInNode() : undefined);
    const setWasmPaths = wasm['setWasmPaths'] as ((p: string) => void) | undefined;
    try {
      if (prefix && setWasmPaths) setWasmPaths(prefix);
    } catch {
      // an earlier initialization attempt fixed the paths; they stand
    }
  }
  let kernels: string[] = [];
  if (opts.registerKernels ?? true) kernels = registerWasmTrainingKernels();
  try {
    await activate('wasm', '@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    if (e instanceof NotAvailable && prefix) throw new NotAvailable(`${e.message} (the .wasm files were looked for in ${prefix})`);
    throw e;
  }
  const gradients = (opts.leanGradients ?? true) ? registerLeanGradients() : [];
  const getThreadsCount = wasm['getThreadsCount'] as (() => number) | undefined;
  const threads = getThreadsCount ? getThreadsCount() : 1;
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return {
    threads,
    threadsRequested: requested,
    simd,
    ...(threads < requested && isNode()
      ? { threadsNote: 'tfjs-backend-wasm runs single-threaded in Node.js (tfjs issue #3830); browsers with cross-origin isolation get the threads' }
      : {}),
    trainingKernels: kernels,
    ...(gradients.length ? { leanGradients: gradients } : {}),
  };
}

/** The directory of the wasm binaries inside the installed package, as a path prefix. */
async function wasmDirInNode(): Promise<string | undefined> {
  try {
    const mod = 'node:module';
    const path = 'node:path';
    const { createRequire } = (await import(/* @vite-ignore */ mod)) as { createRequire: (u: string) => { resolve: (s: string) => string } };
    const { dirname, sep } = (await import(/* @vite-ignore */ path)) as { dirname: (p: string) => string; sep: string };
    const req = createRequire(import.meta.url);
    return dirname(req.resolve('@tensorflow/tfjs-backend-wasm')) + sep;
  } catch {
    return undefined;
  }
}

async function startCpu(importer: ModuleImporter, opts: SelectBackendOptions): Promise<Record<string, unknown>> {
  await importOptional(importer, '@tensorflow/tfjs-backend-cpu');
  await activate('cpu', '@tensorflow/tfjs-backend-cpu');
  const gradients = (opts.leanGradients ?? true) ? registerLeanGradients() : [];
  return gradients.length ? { leanGradients: gradients } : {};
}

async function start(name: BackendName, importer: ModuleImporter, opts: SelectBackendOptions, auto: boolean): Promise<Record<string, unknown>> {
  switch (name) {
    case 'tensorflow':
      return startTensorflow(importer);
    case 'webgpu':
      return startWebgpu(importer, opts, auto);
    case 'wasm':
      return startWasm(importer, opts);
    case 'cpu':
      return startCpu(importer, opts);
  }
}

const HINTS: Record<BackendName, string> = {
  tensorflow: 'install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu with CUDA), or use --backend auto',
  webgpu: 'install the `webgpu` package (Dawn) and @tensorflow/tfjs-backend-webgpu and check that a GPU is visible, or use --backend auto',
  wasm: 'check that @tensorflow/tfjs-backend-wasm is installed with its .wasm files, or use --backend cpu',
  cpu: 'check that @tensorflow/tfjs-backend-cpu is installed',
};

/** True when `s` names a backend or `auto`. */
export function isBackendRequest(s: string): s is BackendRequest {
  return s === 'auto' || (BACKEND_ORDER as readonly string[]).includes(s);
}

/**
 * Activates a TF.js backend and reports the choice.
 *
 * `auto` tries tensorflow → webgpu → wasm → cpu and takes the first that starts (webgpu only on
 * a GPU adapter, not a software one: {@link softwareAdapterReason}); a forced name
 * starts that one or throws `TS_BACKEND` saying why. On wasm, tensorslim's training kernels
 * ({@link WASM_TRAINING_KERNELS}) are registered; on webgpu, its filter gradient, fused
 * momentum update and fused batch-norm backward pass (`registerWebgpuTrainingKernels`), whether webgpu was asked for or chosen by `auto`.
 *
 * @example
 * ```ts
 * const sel = await selectBackend('auto');
 * console.log(describeBackend(sel)); // "backend wasm (first that started; skipped tensorflow: ...)"
 * ```
 */
export async function selectBackend(request: BackendRequest | string = 'auto', opts: SelectBackendOptions = {}): Promise<BackendSelection> {
  if (!isBackendRequest(request)) {
    fail(ErrorCodes.UNKNOWN_NAME, `unknown backend "${request}"`, `use one of: auto, ${BACKEND_ORDER.join(', ')}`, { known: ['auto', ...BACKEND_ORDER] });
  }
  const importer = opts.importer ?? defaultImporter;
  if (request !== 'auto') {
    try {
      const details = await start(request, importer, opts, false);
      return { name: request, reason: `requested (--backend ${request})`, skipped: [], details };
    } catch (e) {
      if (!(e instanceof NotAvailable)) throw e;
      return fail(ErrorCodes.BACKEND, `backend ${request} cannot start: ${e.message}`, HINTS[request], { backend: request, why: e.message });
    }
  }
  const skipped: BackendSkip[] = [];
  for (const name of BACKEND_ORDER) {
    try {
      const details = await start(name, importer, opts, true);
      const reason = skipped.length === 0 ? 'auto: the first choice started' : `auto: the first of ${BACKEND_ORDER.join(' → ')} that started`;
      return { name, reason, skipped, details };
    } catch (e) {
      if (!(e instanceof NotAvailable)) throw e;
      skipped.push({ name, why: e.message });
    }
  }
  return fail(ErrorCodes.BACKEND, `no TF.js backend could start: ${skipped.map((s) => `${s.name}: ${s.why}`).join('; ')}`, HINTS.cpu, { skipped });
}

/** One line for people: the backend chosen, its key facts, and why the earlier ones were skipped. */
export function describeBackend(sel: BackendSelection): string {
  const facts: string[] = [];
  const d = sel.details as Record<string, unknown>;
  if (sel.name === 'wasm') facts.push(`${String(d['threads'])} thread${d['threads'] === 1 ? '' : 's'}${d['simd'] ? ', SIMD' : ''}`);
  if (sel.name === 'tensorflow' && d['package']) facts.push(String(d['package']));
  if (sel.name === 'webgpu') {
    const a = (d['adapter'] ?? {}) as Record<string, unknown>;
    const name = [a['vendor'], a['architecture'], a['device'], a['description']].filter((v) => v).join(' ');
    if (name) facts.push(name);
  }
  const head = `backend ${sel.name}${facts.length ? ` (${facts.join(', ')})` : ''}: ${sel.reason}`;
  if (sel.skipped.length === 0) return head;
  return `${head}; skipped ${sel.skipped.map((s) => `${s.name} (${s.why})`).join(', ')}`;
}
