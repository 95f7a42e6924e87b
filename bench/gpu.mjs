// npm run bench -- gpu [--quick] [options]      (or: node bench/gpu.mjs ..., after building)
//
// The device benchmark of issue 11: TF.js on the GPU (webgpu through the `webgpu` package, Dawn)
// against PyTorch on the same card in the same run, written as one JSON file.
//
//   filterGrad  Conv2DBackpropFilter alone on ResNet-20's shapes: the backend's own kernel against
//               tensorslim's formulations (im2col + split-K BatchMatMul at several splits, one
//               transposed Conv2D), and how far each is from the backend's own result.
//   train       ResNet-20 (@tensorslim/models; --model another built-in) training img/s at batch B
//               (SGD momentum 0.9, cross-entropy; warm-up steps, then R rounds of S steps with one
//               readback per round; median ms/step), once per filter-gradient kernel variant, with
//               the compute dispatches of one step on webgpu (dispatchesPerStep, and by program:
//               what the fusions lower).
//   profile     one training step under tf.profile: kernels dispatched, GPU ms per kernel name.
//   layers      each plugin's factorized 3×3 conv against the dense one (the cli's `bench layers`).
//   admm        one ADMM epoch slice: K steps with ρ(W − Z + U) added to the compressed kernels'
//               gradients, then one Z/U update (projections by the format plugin), on synthetic
//               CIFAR-shaped data with models' defaultPlan. Through @tensorslim/admm's admmTrain
//               (the pipeline, reading the loss every LOSS_READ_EVERY steps of the backend) and as
//               a slice built from the same solver parts that reads nothing until the update.
//   torch       bench/gpu/torch_resnet20.py with the same batch, steps, plan ranks and layer
//               shapes (CUDA when available); every figure above gets a "fraction of PyTorch's
//               speed" ratio.
//
// Options: --quick (CPU check: wasm, batch 16, few steps, < 60 s) --backend auto|webgpu|wasm|cpu
//   --model resnet20|lenet5|... (not resnet20: no PyTorch section; a small model checks the script on lavapipe)
//   --batch B --warmup W --rounds R --steps S --admm-steps K --format ID --ratio X
//   --variants original,transposed-conv,im2col,im2col+unfused,im2col+unfused-bn,im2col-dyT,im2col-s64,im2col+lean --extra-batches 512 --profile/--no-profile
//   --python PATH (or $TENSORSLIM_PYTHON) --no-torch --out DIR --name STEM --budget-s N
//   --dawn TOGGLE,... (webgpu package create() options) --flags KEY=VALUE,... (tf.env flags)
//   --sections filterGrad,train,profile,layers,admm,torch (run only these; e.g. --sections train on lavapipe)
// Output: <out>/<card-or-host>-<date>[-quick].json (written after every section, so a run cut
// short still leaves what it measured), and a summary on stdout.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, cpus, tmpdir, platform, arch } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as backends from '@tensorslim/backends';
import { defaultRegistry, layoutModes, listPlugins, resolvePlugin } from '@tensorslim/core';
import { describeBackend, selectBackend } from '@tensorslim/backends';
import { buildModel, defaultPlan, modelInfo, syntheticDataset } from '@tensorslim/models';
import * as admm from '@tensorslim/admm';
import { runBenchLayers } from '@tensorslim/bench';
import * as tt from '@tensorslim/decomp-tt';
import * as tr from '@tensorslim/decomp-tr';
import * as tucker from '@tensorslim/decomp-tucker';
import { median } from './_numpy.mjs';

const t0 = performance.now();
const root = fileURLToPath(new URL('..', import.meta.url));

// ------------------------------------------------------------------ arguments
const argv = process.argv.slice(2);
const has = (name) => argv.includes(`--${name}`);
const arg = (name, dflt) => {
  const i = argv.lastIndexOf(`--${name}`); // the last one wins: run-on-device.sh's defaults can be overridden
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const quick = has('quick');
const num = (name, full, q) => {
  const v = Number(arg(name, quick ? q : full));
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
  return v;
};
const opts = {
  quick,
  backend: arg('backend', quick ? 'wasm' : 'auto'),
  batch: num('batch', 128, 16),
  warmup: num('warmup', 3, 1),
  rounds: num('rounds', 5, 2),
  steps: num('steps', 5, 1),
  admmSteps: num('admm-steps', 20, 2),
  ratio: num('ratio', 3, 3),
  layersBatch: num('layers-batch', 128, 8),
  layersChannels: num('layers-channels', 64, 16),
  layersSize: num('layers-size', 32, 16),
  extraBatches: String(arg('extra-batches', '')).split(',').filter(Boolean).map(Number),
  budgetS: num('budget-s', 200, 55),
  torch: !has('no-torch'),
  python: arg('python', process.env.TENSORSLIM_PYTHON || 'python3'),
  out: arg('out', quick ? join(tmpdir(), 'tensorslim-gpu-bench') : join(root, 'bench', 'results')), // quick results are not for committing
  name: arg('name', null),
  format: arg('format', null),
  model: arg('model', 'resnet20'),
  variants: arg('variants', null),
  profile: has('profile') ? true : has('no-profile') ? false : null,
  dawn: String(arg('dawn', '')).split(',').filter(Boolean),
  flags: String(arg('flags', '')).split(',').filter(Boolean),
  sections: arg('sections', null)?.split(',').filter(Boolean) ?? null,
};

// ------------------------------------------------------------------ helpers
const elapsedS = () => (performance.now() - t0) / 1000;
const leftS = () => opts.budgetS - elapsedS();
const torchReserve = opts.torch && opts.model === 'resnet20' ? (quick ? 8 : 60) : 0; // seconds kept for the PyTorch reference at the end
const log = (line) => process.stdout.write(`${line}\n`);
const fmt = (v, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const messageOf = (e) =>
  String(e?.message ?? e)
    .replace(/\s*\n\s*/g, ' ')
    .slice(0, 500);

// The webgpu kernels are @tensorslim/backends'; the layer benchmark is @tensorslim/bench's (the
// cli's `bench layers`).
const kernels = backends;

function nvidiaSmi() {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8', timeout: 15000 });
  if (r.status !== 0 || !r.stdout.trim()) return null;
  const [name, driver, memory] = r.stdout
    .trim()
    .split('\n')[0]
    .split(',')
    .map((s) => s.trim());
  return { name, driver, memory };
}

const slug = (s) =>
  String(s)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** max |a − b| / max |a|. */
function relMaxDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(a[i]));
  }
  return m / Math.max(s, 1e-30);
}

// ------------------------------------------------------------------ result file
const result = {
  schema: 'tensorslim-gpu-bench/1',
  date: new Date().toISOString(),
  options: { ...opts },
  host: {
    hostname: hostname(),
    platform: platform(),
    arch: arch(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    node: process.version,
    tfjs: tf.version_core,
    nvidiaSmi: nvidiaSmi(),
  },
  build: existsSync(join(root, '.device', 'MANIFEST.txt'))
    ? readFileSync(join(root, '.device', 'MANIFEST.txt'), 'utf8')
        .trim()
        .split('\n')
    : null,
  backend: null,
  card: null,
  sections: {},
  skipped: [],
  ratios: {},
};
let outFile = null;

function save() {
  result.totalS = elapsedS();
  if (!outFile) return;
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
}

/** Runs a section unless fewer than `needS` seconds of the budget are left; records time and errors. */
async function section(name, needS, fn) {
  if (opts.sections && !opts.sections.includes(name)) {
    result.skipped.push({ section: name, why: `--sections ${opts.sections.join(',')}` });
    return null;
  }
  if (leftS() < needS) {
    result.skipped.push({ section: name, why: `time budget: ${fmt(leftS(), 0)} s left of ${opts.budgetS}, the section needs ~${needS}` });
    log(`[${name}] skipped: time budget (${fmt(leftS(), 0)} s left)`);
    save();
    return null;
  }
  const s0 = performance.now();
  log(`[${name}] ...`);
  try {
    const r = await fn();
    result.sections[name] = { ...(result.sections[name] ?? {}), ...r, seconds: (performance.now() - s0) / 1000 };
    return r;
  } catch (e) {
    result.sections[name] = { error: messageOf(e), seconds: (performance.now() - s0) / 1000 };
    log(`[${name}] failed: ${messageOf(e)}`);
    return null;
  } finally {
    save();
  }
}

// ------------------------------------------------------------------ backend
for (const f of opts.flags) {
  const [k, v] = f.split('=');
  tf.env().set(k, v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v);
}
let sel = null;
try {
  sel = await selectBackend(opts.backend, { dawnOptions: opts.dawn, adapterOptions: { powerPreference: 'high-performance' } });
  result.backend = { name: sel.name, reason: sel.reason, skipped: sel.skipped, details: sel.details, line: describeBackend(sel) };
  log(describeBackend(sel));
} catch (e) {
  result.backend = { error: messageOf(e), requested: opts.backend };
  log(`backend ${opts.backend} did not start: ${messageOf(e)}`);
}
const backendName = sel?.name ?? null;
{
  const a = sel?.details?.adapter ?? {};
  const adapterName = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ');
  const card = result.host.nvidiaSmi?.name ?? (adapterName || null);
  result.card = card;
  const date = result.date.slice(0, 10);
  const stem = opts.name ?? `${slug(card ?? `host-${hostname()}`)}-${date}${quick ? '-quick' : ''}`;
  outFile = join(opts.out, `${stem}.json`);
}
if (sel && sel.name !== 'webgpu') {
  const why = sel.skipped.find((s) => s.name === 'webgpu')?.why;
  log(`note: not on webgpu${why ? ` (webgpu: ${why})` : ` (requested ${opts.backend})`}; the GPU figures need the GPU machine (bench/gpu/README.md)`);
}
save();

// the format plugins, registered in this order: the default format is the first
tt.registerTt(defaultRegistry);
tr.registerTr(defaultRegistry);
tucker.registerTucker(defaultRegistry);
const format = opts.format ?? listPlugins(defaultRegistry)[0].id;
result.format = format;

const variantList = (
  opts.variants ?? (backendName === 'webgpu' ? 'original,transposed-conv,im2col,im2col+unfused,im2col+unfused-bn,im2col-dyT,im2col+lean' : 'original,im2col')
)
  .split(',')
  .filter(Boolean);
const originalFilterGrad = backendName ? tf.getKernel('Conv2DBackpropFilter', backendName)?.kernelFunc : undefined;
const leanAtStart = backends.leanGradientsRegistered(); // selectBackend registers them on wasm and cpu

const SUFFIXES = ['lean', 'unfused', 'unfused-bn', 'unfused-momentum'];

/**
 * Puts a training variant in place for the active backend: `<filter gradient>[+suffix...]`,
 * the filter gradient one of original (the backend's own kernels, TF.js's momentum update and
 * batch-norm gradients too), transposed-conv, or im2col[-dyT][-s<N>|-x<F>] (dyT: explicit
 * transpose of dy instead of a transposed matmul; N K-splits, or F × the automatic count).
 * Every variant but original runs the fused momentum update (two shaders per variable) and the
 * fused batch-norm backward pass (four shaders per layer) on webgpu; `+unfused` runs TF.js's
 * instead of both (the before/after), `+unfused-momentum` or `+unfused-bn` instead of one;
 * `+lean` adds @tensorslim/backends' lean FusedBatchNorm/Mean gradients (what TF.js's
 * batch-norm gradients become when the fused pass is off).
 */
function useVariant(variant) {
  const [v, ...extras] = variant.split('+');
  for (const x of extras) if (!SUFFIXES.includes(x)) throw new Error(`unknown variant suffix "+${x}" (${SUFFIXES.map((s) => `+${s}`).join(', ')})`);
  if (extras.includes('lean')) backends.registerLeanGradients();
  else if (!leanAtStart) backends.unregisterLeanGradients();
  kernels.unregisterWebgpuTrainingKernels();
  if (v === 'original') return;
  const fused = {
    fusedMomentum: !extras.includes('unfused') && !extras.includes('unfused-momentum'),
    fusedBatchNorm: !extras.includes('unfused') && !extras.includes('unfused-bn'),
  };
  if (v === 'transposed-conv') {
    kernels.registerWebgpuTrainingKernels({ backendName, filterGrad: v, ...fused });
    return;
  }
  kernels.registerWebgpuTrainingKernels({ backendName, ...im2colOptions(v), ...fused });
}

/** The options of an im2col variant name: im2col[-dyT][-s<N> | -x<F>] (N K-splits, or F × the automatic count). */
function im2colOptions(v) {
  const m = /^im2col(-dyT)?(?:-s(\d+)|-x([\d.]+))?$/.exec(v);
  if (!m) throw new Error(`unknown variant "${v}" (original, transposed-conv, im2col[-dyT][-s<N>|-x<F>], each with optional +suffixes)`);
  return {
    filterGrad: 'im2col',
    product: m[1] ? 'transposeDy' : 'transposeA',
    splitK: m[2] ? Number(m[2]) : 'auto',
    ...(m[3] ? { splitScale: Number(m[3]) } : {}),
  };
}

// ------------------------------------------------------------------ filter-gradient kernels alone
async function timeKernel(fn, x, dy, attrs, rounds, n) {
  const call = () => tf.engine().makeTensorFromTensorInfo(fn({ inputs: { x, dy }, attrs, backend: tf.backend() }));
  for (let i = 0; i < 2; i++) {
    const t = call();
    await t.data();
    t.dispose();
  }
  const per = [];
  for (let r = 0; r < rounds; r++) {
    const s0 = performance.now();
    let t = null;
    for (let i = 0; i < n; i++) {
      t?.dispose();
      t = call();
    }
    await t.data();
    per.push((performance.now() - s0) / n);
    t.dispose();
  }
  const out = call();
  const values = await out.data();
  out.dispose();
  return { ms: median(per), values };
}

if (sel) {
  await section('filterGrad', quick ? 10 : 30, async () => {
    const b = opts.batch;
    const shapes = [
      { name: '32x32x16', x: [b, 32, 32, 16], cout: 16, strides: 1 },
      { name: '16x16x32', x: [b, 16, 16, 32], cout: 32, strides: 1 },
      { name: '8x8x64', x: [b, 8, 8, 64], cout: 64, strides: 1 },
      { name: '32x32x16/2→32', x: [b, 32, 32, 16], cout: 32, strides: 2 },
    ];
    const rows = [];
    for (const s of shapes) {
      const [n, , , cin] = s.x;
      const filterShape = [3, 3, cin, s.cout];
      const g = backends.convGradGeometry(s.x, filterShape, { strides: s.strides, pad: 'same' });
      const x = tf.randomNormal(s.x, 0, 1, 'float32', 1);
      const dy = tf.randomNormal([n, g.outH, g.outW, s.cout], 0, 1, 'float32', 2);
      const attrs = { strides: s.strides, pad: 'same', dataFormat: 'NHWC', filterShape, dimRoundingMode: undefined };
      const auto = kernels.resolveSplitK(g);
      const methods = {
        ...(originalFilterGrad ? { original: originalFilterGrad } : {}),
        'transposed-conv': backends.conv2dBackpropFilterKernel(backendName),
      };
      for (const name of ['im2col', 'im2col-dyT', 'im2col-s1', 'im2col-x0.25', 'im2col-x4', 'im2col-dyT-x4']) {
        methods[name] = kernels.conv2dBackpropFilterIm2colKernel(backendName, im2colOptions(name));
      }
      const row = { shape: s.name, x: s.x, filterShape, strides: s.strides, autoSplitK: auto, ms: {}, relDiff: {} };
      let ref = null;
      for (const [name, fn] of Object.entries(methods)) {
        try {
          const r = await timeKernel(fn, x, dy, attrs, quick ? 1 : 5, quick ? 1 : 5);
          row.ms[name] = r.ms;
          if (!ref) ref = r.values;
          else row.relDiff[name] = relMaxDiff(ref, r.values);
        } catch (e) {
          row.ms[name] = null;
          row.relDiff[name] = messageOf(e);
        }
      }
      tf.dispose([x, dy]);
      rows.push(row);
      log(
        `  ${s.name.padEnd(14)} ` +
          Object.entries(row.ms)
            .map(([k, v]) => `${k} ${fmt(v)} ms`)
            .join(', '),
      );
    }
    const total = (name) => rows.reduce((acc, r) => acc + (r.ms[name] ?? Infinity), 0);
    const best = Object.keys(rows[0].ms).reduce((a, c) => (total(c) < total(a) ? c : a));
    return { reference: originalFilterGrad ? 'original' : 'transposed-conv', shapes: rows, fastestOverShapes: best };
  });
}

// ------------------------------------------------------------------ training throughput
/** One training step as the pipeline's loss and optimizer, without reading anything back. */
function makeStep(model, optimizer, x, y) {
  const lossFn = admm.makeLoss('crossentropy', admm.detectOutputKind(model), 0);
  const vars = admm.trainableVariables(model);
  const step = (returnCost) => optimizer.minimize(() => lossFn(y, model.apply(x, { training: true })), returnCost, vars);
  return { step, lastVar: vars[vars.length - 1] };
}

/** A random batch for the benchmarked model: inputs and one-hot labels. */
function randomBatch(batch) {
  const { inputShape, numClasses } = modelInfo(opts.model);
  const x = tf.randomNormal([batch, ...inputShape], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.randomUniform([batch], 0, numClasses, 'int32', 8), numClasses);
  return { x, y };
}

async function timeTraining(model, batch) {
  const { x, y } = randomBatch(batch);
  const optimizer = backends.makeMomentumOptimizer({ lr: 0.01, momentum: 0.9 }); // fused where the variant registered it
  const { step, lastVar } = makeStep(model, optimizer, x, y);
  const sync = async (cost) => {
    if (cost) {
      const v = (await cost.data())[0];
      cost.dispose();
      if (!Number.isFinite(v)) throw new Error(`training diverged (loss ${v})`);
    }
    await lastVar.data(); // the last update has finished
  };
  try {
    const before = tf.memory().numTensors;
    for (let i = 0; i < opts.warmup; i++) await sync(step(i === opts.warmup - 1));
    // one more step, its compute dispatches counted (webgpu: one per shader program run)
    const counted = backendName === 'webgpu' ? await backends.countWebgpuDispatches(async () => sync(step(true))) : null;
    const per = [];
    for (let r = 0; r < opts.rounds; r++) {
      const s0 = performance.now();
      let cost = null;
      for (let i = 0; i < opts.steps; i++) cost = step(i === opts.steps - 1);
      await sync(cost);
      per.push((performance.now() - s0) / opts.steps);
    }
    const ms = median(per);
    return {
      batch,
      msPerStep: ms,
      imgPerSec: (batch * 1000) / ms,
      roundsMsPerStep: per,
      dispatchesPerStep: counted?.dispatches ?? null,
      dispatchesByProgram: counted ? Object.fromEntries(counted.byProgram.map((p) => [p.program, p.dispatches])) : null,
      tensorsLeaked: tf.memory().numTensors - before,
    };
  } finally {
    admm.disposeOptimizer(optimizer);
    tf.dispose([x, y]);
  }
}

let trainModel = null;
if (sel) {
  await section('train', 20, async () => {
    trainModel = buildModel(opts.model, { seed: 1 });
    // the formulation that was fastest alone (over the four shapes) is trained with too
    const fastest = result.sections.filterGrad?.fastestOverShapes;
    if (!opts.variants && fastest && fastest !== 'original' && !variantList.includes(fastest)) variantList.push(fastest);
    const variants = [];
    for (const v of variantList) {
      const need = 5 + (v === 'original' && backendName === 'webgpu' ? 15 : 5);
      if (leftS() < need + torchReserve) {
        variants.push({ variant: v, skipped: 'time budget' });
        continue;
      }
      try {
        useVariant(v);
        const r = await timeTraining(trainModel, opts.batch);
        variants.push({ variant: v, ...r });
        log(
          `  ${v.padEnd(16)} ${fmt(r.msPerStep, 1)} ms/step  ${fmt(r.imgPerSec, 0)} img/s (batch ${opts.batch})` +
            (r.dispatchesPerStep !== null ? `  ${r.dispatchesPerStep} dispatches/step` : ''),
        );
      } catch (e) {
        variants.push({ variant: v, error: messageOf(e) });
        log(`  ${v.padEnd(16)} failed: ${messageOf(e)}`);
      }
    }
    const ok = variants.filter((v) => v.imgPerSec);
    const best = ok.reduce((a, c) => (!a || c.imgPerSec > a.imgPerSec ? c : a), null);
    const extra = [];
    for (const b of opts.extraBatches) {
      if (!best || leftS() < 20 + torchReserve) break;
      useVariant(best.variant);
      try {
        const r = await timeTraining(trainModel, b);
        extra.push({ variant: best.variant, ...r });
        log(`  ${best.variant.padEnd(16)} ${fmt(r.msPerStep, 1)} ms/step  ${fmt(r.imgPerSec, 0)} img/s (batch ${b})`);
      } catch (e) {
        extra.push({ variant: best.variant, batch: b, error: messageOf(e) });
      }
    }
    if (best) useVariant(best.variant);
    return { model: opts.model, batch: opts.batch, optimizer: 'SGD momentum 0.9, lr 0.01', variants, best: best?.variant ?? null, extraBatches: extra };
  });
}

// ------------------------------------------------------------------ profile of one step
if (sel && trainModel && (opts.profile ?? backendName === 'webgpu')) {
  await section('profile', 15, async () => {
    const batch = opts.batch;
    const { x, y } = randomBatch(batch);
    const optimizer = backends.makeMomentumOptimizer({ lr: 0.01, momentum: 0.9 });
    const { step } = makeStep(trainModel, optimizer, x, y);
    try {
      const warm = step(true); // kernels compiled before profiling
      await warm.data();
      warm.dispose();
      const s0 = performance.now();
      const info = await tf.profile(() => step(true));
      const wallMs = performance.now() - s0;
      tf.dispose(info.result);
      const by = new Map();
      let timed = 0;
      const dispatched = info.kernels.filter((k) => !k.name.endsWith('__op')); // '…__op' entries are op scopes around kernels listed too
      for (const k of dispatched) {
        const e = by.get(k.name) ?? { name: k.name, calls: 0, ms: 0 };
        e.calls++;
        const t = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        if (t > 0) timed++;
        e.ms += t;
        by.set(k.name, e);
      }
      const all = [...by.values()].sort((a, b) => b.ms - a.ms || b.calls - a.calls);
      const gpuMs = all.reduce((s, e) => s + e.ms, 0);
      for (const e of all.slice(0, 8)) log(`  ${e.name.padEnd(24)} ${String(e.calls).padStart(5)} calls  ${fmt(e.ms)} ms`);
      log(`  ${dispatched.length} kernels, ${fmt(gpuMs)} ms of kernel time, ${fmt(wallMs)} ms wall (profiling adds overhead)`);
      return {
        variant: result.sections.train?.best ?? 'original',
        kernels: dispatched.length,
        kernelMs: gpuMs,
        kernelTimesAvailable: timed > 0,
        wallMs,
        byKernel: all.slice(0, 25),
      };
    } finally {
      admm.disposeOptimizer(optimizer);
      tf.dispose([x, y]);
    }
  });
}
trainModel?.dispose();

// ------------------------------------------------------------------ factorized layers against dense
if (sel) {
  await section('layers', 20, async () => {
    const res = await runBenchLayers(
      {
        backend: backendName,
        batch: opts.layersBatch,
        size: opts.layersSize,
        channels: opts.layersChannels,
        ratio: opts.ratio,
        repeat: opts.quick ? 3 : 5,
      },
      { container: defaultRegistry, startBackend: async () => sel },
    );
    for (const r of res)
      log(
        `  ${r.format.padEnd(7)} ranks [${r.ranks.join(',')}]  dense ${fmt(r.denseMs)} ms  factorized ${fmt(r.factorizedMs)} ms  FLOP ratio ${fmt(r.flopRatio)}  time ratio ${fmt(r.timeRatio)}`,
      );
    return { batch: opts.layersBatch, size: opts.layersSize, channels: opts.layersChannels, ratio: opts.ratio, results: res };
  });
}

// ------------------------------------------------------------------ one ADMM epoch slice
let admmSpec = null;
if (sel) {
  await section('admm', quick ? 10 : 25, async () => {
    const b = opts.batch;
    const k = opts.admmSteps;
    const { inputShape, numClasses } = modelInfo(opts.model);
    const data = syntheticDataset({ inputShape, numClasses, trainSize: k * b, testSize: b, seed: 5 });
    const plan = defaultPlan(opts.model, format, opts.ratio);
    const out = { format, ratio: opts.ratio, steps: k, batch: b, lr: 0.1, rho: 1e-3, layers: Object.keys(plan.layers).length };

    // (1) the pipeline: @tensorslim/admm's admmTrain for one epoch of k steps
    {
      const model = buildModel(opts.model, { seed: 1 });
      const s0 = performance.now();
      let r = null;
      try {
        const readEvery = backends.LOSS_READ_EVERY[backendName] ?? 1;
        r = await admm.admmTrain(model, data, plan, {
          epochs: 1,
          batchSize: b,
          lr: 0.1,
          seed: 1,
          container: defaultRegistry,
          readEvery,
          optimizer: backends.makeMomentumOptimizer,
        });
        out.pipeline = {
          ok: true,
          wallMs: performance.now() - s0,
          epochMs: r.history[0]?.ms ?? null,
          updateMs: r.solver.history[0]?.ms ?? null,
          primal: r.solver.history[0]?.primal ?? null,
        };
        log(`  admmTrain (pipeline): epoch ${fmt(out.pipeline.epochMs, 0)} ms, of which the Z/U update ${fmt(out.pipeline.updateMs, 0)} ms`);
      } catch (e) {
        out.pipeline = { ok: false, error: messageOf(e) };
        log(`  admmTrain (pipeline) failed: ${messageOf(e)}`);
      } finally {
        r?.solver.dispose();
        model.dispose();
      }
    }

    // (2) the same work with readbacks only where the update needs them (async, any backend)
    {
      const model = buildModel(opts.model, { seed: 1 });
      const planned = await admm.resolvePlannedLayers(model, plan, defaultRegistry);
      await Promise.all(planned.map((p) => p.kernel.data())); // cached on the CPU: the solver's reads find them
      const solver = admm.createAdmmSolver(
        planned.map((p) => ({ name: p.name, target: p.target, variable: p.kernel })),
        { rho: 1e-3 },
        defaultRegistry,
      );
      const optimizer = backends.makeMomentumOptimizer({ lr: 0.1, momentum: 0.9 });
      const lossFn = admm.makeLoss('crossentropy', admm.detectOutputKind(model), 0);
      const vars = admm.trainableVariables(model);
      const trainStep = (xs, ys, keep) =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => lossFn(ys, model.apply(xs, { training: true })), vars);
          optimizer.applyGradients(solver.augmentGradients(grads));
          return keep ? value : null;
        });
      try {
        const i0 = performance.now();
        await solver.initialize();
        const initMs = performance.now() - i0;
        const batches = [...data.trainBatches(b, { epoch: 0, seed: 1 })];
        for (let i = 0; i < 2; i++) {
          const w = trainStep(batches[0].xs, batches[0].ys, true); // warm-up (kernels), not counted
          await w.data();
          w.dispose();
        }
        const s0 = performance.now();
        let last = null;
        batches.forEach((bt, i) => {
          last?.dispose();
          last = trainStep(bt.xs, bt.ys, i === batches.length - 1);
        });
        const loss = (await last.data())[0];
        last.dispose();
        await Promise.all(planned.map((p) => p.kernel.data()));
        const stepsMs = performance.now() - s0;
        const u0 = performance.now();
        await Promise.all(planned.map((p) => p.kernel.data()));
        const rec = await solver.update({ epoch: 0, step: batches.length });
        const updateMs = performance.now() - u0;
        for (const bt of batches) tf.dispose([bt.xs, bt.ys]);
        out.slice = {
          steps: batches.length,
          stepsMs,
          msPerStep: stepsMs / batches.length,
          updateMs,
          totalMs: stepsMs + updateMs,
          initMs,
          primal: rec.primal,
          dual: rec.dual,
          loss,
        };
        log(`  async slice: ${batches.length} steps ${fmt(stepsMs, 0)} ms (${fmt(out.slice.msPerStep, 1)} ms/step) + Z/U update ${fmt(updateMs, 0)} ms`);
        if (format === 'tt') {
          const plugin = resolvePlugin(format, defaultRegistry);
          admmSpec = {
            steps: batches.length,
            batch: b,
            lr: 0.1,
            rho: 1e-3,
            layers: planned.map((p) => {
              const layout = p.target.layout;
              return {
                name: p.name,
                kernelShape: [...layout.kernelShape],
                outModes: [...layout.outModes],
                inModes: [...layout.inModes],
                ranks: plugin.decomposition.resolveRanks(layoutModes(layout), p.target.ranks, { ...p.target.options, layout }),
              };
            }),
          };
          out.ttRanks = Object.fromEntries(admmSpec.layers.map((l) => [l.name, l.ranks]));
        }
      } finally {
        solver.dispose();
        admm.disposeOptimizer(optimizer);
        model.dispose();
      }
    }
    return out;
  });
}

// ------------------------------------------------------------------ PyTorch, same card, same run
function torchAvailable() {
  const r = spawnSync(opts.python, ['-c', 'import torch, json; print(json.dumps({"torch": torch.__version__, "cuda": torch.cuda.is_available()}))'], {
    encoding: 'utf8',
    timeout: 60000,
  });
  if (r.error) return { ok: false, why: `${opts.python} not found (${r.error.code ?? r.error.message})` };
  if (r.status !== 0) return { ok: false, why: `${opts.python} has no torch (${(r.stderr || '').trim().split('\n').pop()})` };
  return { ok: true, ...JSON.parse(r.stdout.trim().split('\n').pop()) };
}

if (!opts.torch) result.skipped.push({ section: 'torch', why: '--no-torch' });
else if (opts.model !== 'resnet20') result.skipped.push({ section: 'torch', why: `--model ${opts.model}: the PyTorch reference is ResNet-20's` });
else {
  const need = quick ? 5 : 25;
  await section('torch', need, async () => {
    const avail = torchAvailable();
    if (!avail.ok) {
      log(`  skipped: ${avail.why}`);
      return { skipped: avail.why };
    }
    const dir = mkdtempSync(join(tmpdir(), 'ts-gpu-bench-'));
    try {
      const spec = {
        batch: opts.batch,
        warmup: opts.warmup,
        rounds: opts.rounds,
        steps: opts.steps,
        lr: 0.01,
        device: 'auto',
        extraBatches: (result.sections.train?.extraBatches ?? []).filter((e) => e.imgPerSec).map((e) => e.batch),
        ...(admmSpec ? { admm: admmSpec } : {}),
        layers: (result.sections.layers?.results ?? [])
          .filter((r) => r.stages)
          .map((r) => ({
            format: r.format,
            batch: opts.layersBatch,
            size: opts.layersSize,
            channels: opts.layersChannels,
            ranks: r.stages.ranks,
            inMap: r.stages.inMapMs !== null,
            outMap: r.stages.outMapMs !== null,
          })),
      };
      const specPath = join(dir, 'spec.json');
      writeFileSync(specPath, JSON.stringify(spec));
      const timeoutMs = Math.floor(Math.max(10, leftS() - 3) * 1000);
      const r = spawnSync(opts.python, [join(root, 'bench', 'gpu', 'torch_resnet20.py'), '--spec', specPath], {
        encoding: 'utf8',
        timeout: timeoutMs,
        maxBuffer: 16 << 20,
        env: { ...process.env, PYTHONUNBUFFERED: '1' },
      });
      if (r.error || r.status !== 0)
        throw new Error(
          `torch_resnet20.py ${r.error ? `did not finish: ${r.error.message}` : `exited ${r.status}`}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}`,
        );
      const t = JSON.parse(r.stdout.trim().split('\n').pop());
      log(
        `  PyTorch ${t.torch} on ${t.device}: ${fmt(t.train.imgPerSec, 0)} img/s (batch ${t.train.batch})${t.trainFp32 ? `, ${fmt(t.trainFp32.imgPerSec, 0)} img/s without TF32` : ''}`,
      );
      return { spec, ...t };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// ------------------------------------------------------------------ ratios: fraction of PyTorch's speed
{
  const t = result.sections.torch;
  const train = result.sections.train;
  if (t?.train && train?.variants) {
    const per = {};
    for (const v of train.variants) if (v.imgPerSec) per[v.variant] = v.imgPerSec / t.train.imgPerSec;
    const best = train.variants.find((v) => v.variant === train.best);
    result.ratios.train = {
      what: "our img/s ÷ PyTorch's img/s, ResNet-20 training, same batch, same run",
      batch: opts.batch,
      best: best ? best.imgPerSec / t.train.imgPerSec : null,
      bestVariant: train.best,
      byVariant: per,
      ...(t.trainFp32 ? { bestVsStrictFp32: best ? best.imgPerSec / t.trainFp32.imgPerSec : null } : {}),
      target: 0.1,
    };
    for (const e of train.extraBatches ?? []) {
      const tb = (t.trainBatches ?? []).find((x) => x.batch === e.batch);
      if (tb && e.imgPerSec) (result.ratios.trainExtraBatches ??= []).push({ batch: e.batch, ratio: e.imgPerSec / tb.imgPerSec });
    }
  }
  const a = result.sections.admm?.slice;
  if (t?.admm?.totalMs && a) {
    result.ratios.admm = {
      what: "PyTorch's ms ÷ our ms for one ADMM slice (K steps + one Z/U update)",
      total: t.admm.totalMs / a.totalMs,
      steps: t.admm.stepsMs / a.stepsMs,
      update: t.admm.updateMs / a.updateMs,
    };
  }
  const L = result.sections.layers?.results;
  if (t?.layers && L) {
    result.ratios.layers = t.layers.map((tl) => {
      const ours = L.find((r) => r.format === tl.format);
      return {
        format: tl.format,
        dense: ours ? tl.denseMs / ours.denseMs : null,
        factorized: ours ? tl.factorizedMs / ours.factorizedMs : null,
        oursTimeRatio: ours?.timeRatio ?? null,
        torchTimeRatio: tl.timeRatio,
      };
    });
  }
}
save();

// ------------------------------------------------------------------ summary
log('');
log(`tensorslim GPU benchmark: ${result.backend?.line ?? `no backend (${result.backend?.error})`}`);
log(`card: ${result.card ?? 'none'}; host ${result.host.hostname}, ${result.host.cpus} CPUs, node ${result.host.node}`);
const R = result.ratios;
if (R.train)
  log(
    `train: ${fmt(R.train.best * 100, 2)}% of PyTorch's img/s at batch ${R.train.batch} (${R.train.bestVariant}; target 10%)` +
      Object.entries(R.train.byVariant)
        .map(([k, v]) => `; ${k} ${fmt(v * 100, 2)}%`)
        .join(''),
  );
if (R.trainExtraBatches) for (const e of R.trainExtraBatches) log(`train: ${fmt(e.ratio * 100, 2)}% of PyTorch's img/s at batch ${e.batch}`);
if (R.admm)
  log(`admm slice: ${fmt(R.admm.total * 100, 2)}% of PyTorch's speed (steps ${fmt(R.admm.steps * 100, 2)}%, Z/U update ${fmt(R.admm.update * 100, 2)}%)`);
if (R.layers)
  for (const l of R.layers)
    log(
      `layers ${l.format}: dense ${fmt(l.dense * 100, 1)}%, factorized ${fmt(l.factorized * 100, 1)}% of PyTorch's speed; time ratio dense/factorized ours ${fmt(l.oursTimeRatio)} vs PyTorch ${fmt(l.torchTimeRatio)}`,
    );
for (const s of result.skipped) log(`skipped ${s.section}: ${s.why}`);
log(`wrote ${outFile} (${fmt(elapsedS(), 1)} s)`);
process.exit(result.backend?.error ? 3 : 0);
