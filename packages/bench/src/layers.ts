/**
 * The layer benchmark (`tensorslim bench layers`): each registered format's factorized
 * convolution against the dense one it replaces — FLOP ratio and measured time ratio side by
 * side, with per-stage times that explain a shortfall.
 *
 * @module
 */
import { z } from 'zod';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  ErrorCodes,
  fail,
  listPlugins,
  mapChannels,
  middleConv2d,
  opt,
  parseOptions,
  resolveLayerTarget,
  tensorize,
  defaultRegistry,
  type DenseLayerInfo,
  type PluginRegistry,
  type FormatPlugin,
  type ConvGeometry,
  type ThreeStageMaps,
} from '@tensorslim/core';
import { Rng, tensor } from '@tensorslim/linalg';
import { BACKEND_ORDER, describeBackend, selectBackend } from '@tensorslim/backends';
import { median } from './median.js';
import type { BackendStarter } from './train.js';

const positiveInt = z.number().int().min(1);

/** `auto` or a backend name (typed as strings: the option's enum stays out of the documented type). */
const BACKEND_CHOICES = ['auto', ...BACKEND_ORDER] as [string, ...string[]];

/** The options of {@link runBenchLayers} (the command line's `bench layers` flags, less `--json`). */
export const benchLayersOptionsSchema = z.strictObject({
  backend: opt(z.enum(BACKEND_CHOICES).default('wasm'), { description: 'TF.js backend', arg: 'name', code: ErrorCodes.UNKNOWN_NAME }),
  batch: opt(positiveInt.default(64), { description: 'batch', arg: 'B' }),
  size: opt(positiveInt.default(32), { description: 'input height and width', arg: 'S' }),
  channels: opt(positiveInt.default(64), { description: 'input and output channels', arg: 'C' }),
  ratio: opt(z.number().gt(1).default(3), { description: 'parameter reduction to aim for', arg: 'R' }),
  repeat: opt(positiveInt.default(5), { description: 'timed repetitions, median reported', arg: 'N' }),
  formats: opt(z.array(z.string().min(1)).optional(), {
    description: 'only these plugin ids',
    defaultText: 'every plugin with conv layers',
    arg: 'ids',
    list: 'comma',
  }),
});

/** Options of {@link runBenchLayers}, before defaults. */
export type BenchLayersOptions = z.input<typeof benchLayersOptionsSchema>;

/** Per-stage times of a factorized layer (what explains a shortfall). */
export interface StageTimes {
  /** Input map Cin → R1 (1×1, a matmul), ms; null when the stage is the identity. */
  inMapMs: number | null;
  /** The kh×kw convolution R1 → R2, ms. */
  middleMs: number;
  /** Output map R2 → Cout, ms; null when the identity. */
  outMapMs: number | null;
  /** [R1, R2]. */
  ranks: [number, number];
}

/** One line of `bench layers --json`. */
export interface BenchLayersResult {
  /** Plugin id. */
  format: string;
  /** The ranks the plugin resolved for the target ratio. */
  ranks: number[];
  /** Parameters of the factorized layer. */
  params: number;
  /** Parameters of the dense kernel. */
  denseParams: number;
  /** denseParams / params. */
  paramRatio: number;
  /** Dense multiply-adds / factorized multiply-adds (per example). */
  flopRatio: number;
  /** Median time of the dense Conv2D, ms. */
  denseMs: number;
  /** Median time of the factorized layer's forward, ms. */
  factorizedMs: number;
  /** denseMs / factorizedMs. */
  timeRatio: number;
  /** timeRatio / flopRatio (the issue asks ≥ 0.8). */
  efficiency: number;
  /** Median process CPU time of the dense conv, ms (Node.js). */
  denseCpuMs?: number;
  /** Median process CPU time of the factorized layer, ms (Node.js). */
  factorizedCpuMs?: number;
  /** The efficiency from CPU times (steadier on a shared machine for single-threaded backends). */
  cpuEfficiency?: number;
  /** Per-stage times, when the layer is one of core's three-stage layers. */
  stages?: StageTimes;
  /** Backend used. */
  backend: string;
  /** Why the efficiency is below 0.8, when it is. */
  note?: string;
}

/** Wall and process-CPU time (ms) of one run of `f`; the result is summed and read back so async backends finish. */
async function timeOnce(f: () => tf.Tensor): Promise<{ wall: number; cpu: number | null }> {
  const proc = (globalThis as { process?: { cpuUsage?: (prev?: unknown) => { user: number; system: number } } }).process;
  const c0 = proc?.cpuUsage?.();
  const t0 = performance.now();
  const s = tf.tidy(() => tf.sum(f()));
  await s.data();
  const wall = performance.now() - t0;
  const d = c0 ? proc!.cpuUsage!(c0) : null;
  s.dispose();
  return { wall, cpu: d ? (d.user + d.system) / 1000 : null };
}

/** Median wall (and CPU) times of `fs`, run in turn `repeat` times after one warm-up each, so that a busy machine slows all alike. */
async function timeInTurn(fs: (() => tf.Tensor)[], repeat: number): Promise<{ wall: number; cpu: number | null }[]> {
  for (const f of fs) await timeOnce(f);
  const wall: number[][] = fs.map(() => []);
  const cpu: number[][] = fs.map(() => []);
  for (let i = 0; i < repeat; i++) {
    for (let j = 0; j < fs.length; j++) {
      const t = await timeOnce(fs[j]!);
      wall[j]!.push(t.wall);
      if (t.cpu !== null) cpu[j]!.push(t.cpu);
    }
  }
  return fs.map((_, j) => ({ wall: median(wall[j]!), cpu: cpu[j]!.length ? median(cpu[j]!) : null }));
}

/** The class registered under `className` with TF.js serialization. */
function layerClass(
  className: string,
): { fromConfig: (cls: unknown, config: Record<string, unknown>) => tfl.layers.Layer } & (new (...a: unknown[]) => unknown) {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry)
    fail(
      ErrorCodes.PLUGIN,
      `layer class ${className} is not registered with TF.js serialization`,
      'the plugin must register its layers (plugin.layers.register())',
    );
  return entry[0] as never;
}

type ThreeStageLayer = tfl.layers.Layer & {
  coreShapes(): { name: string }[];
  maps(cores: tf.Tensor[]): ThreeStageMaps;
  factorizedFlops?(): number;
  denseFlops?(): number;
};

function isThreeStage(l: tfl.layers.Layer): l is ThreeStageLayer {
  const o = l as Partial<ThreeStageLayer>;
  return typeof o.coreShapes === 'function' && typeof o.maps === 'function';
}

/** Measures one plugin's factorized conv against the dense conv on the active backend. */
export async function benchFactorizedConv(
  plugin: FormatPlugin,
  opts: { batch: number; size: number; channels: number; ratio: number; repeat: number; backend: string; seed?: number },
): Promise<BenchLayersResult> {
  const { batch, size, channels: c, ratio, repeat } = opts;
  const kernelShape = [3, 3, c, c];
  const rng = new Rng(opts.seed ?? 1);
  const scale = 1 / Math.sqrt(9 * c);
  const kernel = tensor(
    kernelShape,
    rng.normalArray(9 * c * c).map((v) => v * scale),
  );
  const target = resolveLayerTarget('bench_conv', { format: plugin.id, ranks: { ratio } }, 'conv2d', kernelShape);
  const factors = plugin.decomposition.decompose(tensorize(kernel, target.layout), target.ranks, { ...target.options, layout: target.layout });
  const info: DenseLayerInfo = {
    name: 'bench_conv',
    kind: 'conv2d',
    config: { filters: c, kernelSize: [3, 3], strides: [1, 1], padding: 'same', dilationRate: [1, 1], useBias: false, activation: 'linear' },
    inputShape: [size, size, c],
    outputShape: [size, size, c],
    kernel,
  };
  const spec = plugin.layers!.fromFactors(info, factors, target);
  const cls = layerClass(spec.className);
  const layer = cls.fromConfig(cls, { ...spec.config, mode: 'factorized' });
  const x = tf.randomNormal([batch, size, size, c], 0, 1, 'float32', 3) as tf.Tensor4D;
  const w = tf.tensor4d(Float32Array.from(kernel.data), kernelShape as [number, number, number, number]);
  try {
    tf.tidy(() => layer.apply(tf.slice(x, [0, 0, 0, 0], [1, size, size, c])) as tf.Tensor); // builds it
    layer.setWeights(spec.weights.map((t) => tf.tensor(Float32Array.from(t.data), [...t.shape])));
    const denseFlops = size * size * 9 * c * c;
    const factFlops = isThreeStage(layer) && layer.factorizedFlops ? layer.factorizedFlops() : spec.flops;
    const [dense, fact] = await timeInTurn([() => tf.conv2d(x, w, 1, 'same'), () => layer.apply(x) as tf.Tensor], repeat);
    const denseMs = dense!.wall;
    const factorizedMs = fact!.wall;
    const flopRatio = denseFlops / factFlops;
    const timeRatio = denseMs / factorizedMs;
    const denseParams = 9 * c * c;
    const r: BenchLayersResult = {
      format: plugin.id,
      ranks: [...factors.ranks],
      params: spec.params,
      denseParams,
      paramRatio: denseParams / spec.params,
      flopRatio,
      denseMs,
      factorizedMs,
      timeRatio,
      efficiency: timeRatio / flopRatio,
      ...(dense!.cpu !== null && fact!.cpu !== null
        ? { denseCpuMs: dense!.cpu, factorizedCpuMs: fact!.cpu, cpuEfficiency: dense!.cpu / fact!.cpu / flopRatio }
        : {}),
      backend: opts.backend,
    };
    if (isThreeStage(layer)) {
      // clones: the maps may be the layer's own variables, which must survive the disposal below
      let middleForm: ThreeStageMaps['middleForm'];
      const kept: Record<string, tf.Tensor> = tf.tidy(() => {
        const m = layer.maps(layer.getWeights().slice(0, layer.coreShapes().length));
        middleForm = m.middleForm;
        const out: Record<string, tf.Tensor> = { middle: tf.clone(m.middle!) };
        if (m.inMap) out['inMap'] = tf.clone(m.inMap);
        if (m.outMap) out['outMap'] = tf.clone(m.outMap);
        return out;
      });
      const maps: ThreeStageMaps = {
        inMap: (kept['inMap'] ?? null) as tf.Tensor2D | null,
        middle: kept['middle']!,
        outMap: (kept['outMap'] ?? null) as tf.Tensor2D | null,
        ...(middleForm ? { middleForm } : {}),
      };
      // the middle stage as the layer runs it: a 'shared' (tensor ring) or 'depthwise' (CP) kernel is not one plain conv2d
      const geom: ConvGeometry = { strides: [1, 1], padding: 'same', dilationRate: [1, 1] };
      const middle = (h: tf.Tensor) => middleConv2d(h as tf.Tensor4D, maps, geom);
      const h1 = maps.inMap ? tf.tidy(() => mapChannels(x, maps.inMap!)) : x;
      const h2 = tf.tidy(() => middle(h1));
      const [r1, r2] = [h1.shape[3]!, h2.shape[3]!];
      const stageFns: (() => tf.Tensor)[] = [() => middle(h1)];
      if (maps.inMap) stageFns.push(() => mapChannels(x, maps.inMap!));
      if (maps.outMap) stageFns.push(() => mapChannels(h2, maps.outMap!));
      const st = await timeInTurn(stageFns, repeat);
      const middleMs = st[0]!.wall;
      const inMapMs = maps.inMap ? st[1]!.wall : null;
      const outMapMs = maps.outMap ? st[maps.inMap ? 2 : 1]!.wall : null;
      r.stages = { inMapMs, middleMs, outMapMs, ranks: [r1, r2] };
      if (r.efficiency < 0.8) r.note = explainShortfall(r, { size, batch, c, r1, r2, middleMacs: 9 * r1 * maps.middle!.shape[3]! });
      tf.dispose([h2, ...(maps.inMap ? [h1] : [])]);
      tf.dispose([maps.inMap, maps.middle, maps.outMap].filter((t): t is tf.Tensor => t !== null));
    } else if (r.efficiency < 0.8) {
      r.note = `efficiency ${r.efficiency.toFixed(2)} < 0.8 (layer ${spec.className} is not a three-stage layer; no per-stage breakdown)`;
    }
    return r;
  } finally {
    tf.dispose([x, w]);
    layer.dispose();
  }
}

/** Says which stage runs far below the dense convolution's rate, and why that shape is slow. */
/** `middleMacs`: the middle stage's multiply-adds per output pixel (9·R1·R2 for a full kernel, less for a depthwise or shared one). */
function explainShortfall(r: BenchLayersResult, g: { size: number; batch: number; c: number; r1: number; r2: number; middleMacs: number }): string {
  const px = g.size * g.size * g.batch;
  const denseRate = (px * 9 * g.c * g.c) / r.denseMs; // multiply-adds per ms
  const parts: { name: string; ms: number; rate: number }[] = [];
  const s = r.stages!;
  if (s.inMapMs !== null) parts.push({ name: `input map ${g.c}→${g.r1} (1×1)`, ms: s.inMapMs, rate: (px * g.c * g.r1) / s.inMapMs });
  parts.push({ name: `3×3 conv ${g.r1}→${g.r2}`, ms: s.middleMs, rate: (px * g.middleMacs) / s.middleMs });
  if (s.outMapMs !== null) parts.push({ name: `output map ${g.r2}→${g.c} (1×1)`, ms: s.outMapMs, rate: (px * g.r2 * g.c) / s.outMapMs });
  // time a stage spends beyond what its FLOPs would take at the dense convolution's rate
  const excess = (p: { ms: number; rate: number }) => p.ms * (1 - p.rate / denseRate);
  const worst = parts.reduce((a, b) => (excess(b) > excess(a) ? b : a));
  const list = parts.map((p) => `${p.name} ${p.ms.toFixed(1)} ms at ${(p.rate / denseRate).toFixed(2)}× the dense rate`).join('; ');
  return (
    `efficiency ${r.efficiency.toFixed(2)} < 0.8: ${list}. The ${worst.name} stage is the shortfall: ` +
    `a stage with few channels (or a 1×1 map, which only streams memory) does too little work per byte to run at the dense convolution's rate, ` +
    `and three passes over the activations cost more than the FLOP count says`
  );
}

/** Runs `bench layers` for every registered plugin with conv layers (or the ones named). */
export async function runBenchLayers(
  options: BenchLayersOptions,
  deps: { container?: PluginRegistry; startBackend?: BackendStarter; log?: (line: string) => void } = {},
): Promise<BenchLayersResult[]> {
  const f = parseOptions(benchLayersOptionsSchema, options);
  const start = deps.startBackend ?? ((n: string) => selectBackend(n));
  const sel = await start(f.backend);
  deps.log?.(describeBackend(sel));
  const only = f.formats;
  const plugins = listPlugins(deps.container ?? defaultRegistry).filter((p) => p.layers?.kinds.includes('conv2d') && (!only || only.includes(p.id)));
  if (plugins.length === 0) {
    fail(
      ErrorCodes.UNKNOWN_FORMAT,
      `no registered format plugin${only ? ` among ${only.join(', ')}` : ''} provides conv2d layers`,
      'load one with --plugin, or check --formats',
    );
  }
  const opts = { batch: f.batch, size: f.size, channels: f.channels, ratio: f.ratio, repeat: f.repeat, backend: sel.name };
  const out: BenchLayersResult[] = [];
  for (const p of plugins) {
    deps.log?.(`${p.id}: ${opts.channels}→${opts.channels} 3×3 conv, ${opts.size}×${opts.size}, batch ${opts.batch}, ~${opts.ratio}× fewer parameters`);
    out.push(await benchFactorizedConv(p, opts));
  }
  return out;
}
