#!/usr/bin/env node
// ATD vs plain CP-ALS on MNIST as an N × 28 × 28 data tensor (rows = features, columns = "time"):
// for each seed, fit CP-ALS (atd with epochs 0) and ATD started from it at the same rank, take the
// least-squares representations of the train and test images with each one's factors, and train
// the same multinomial logistic regression on 1%, 10% and 100% of the training labels.
// Writes results.json and table.md beside this script (or under --out).
// Needs the built packages: NX_DAEMON=false npx nx run-many -t build
// Usage: node docs/experiments/atd/run.mjs [--train 10000] [--test 2000] [--rank 32] [--epochs 5]
//          [--seeds 1,2,3] [--augment jitter,scale,shift] [--alpha 1] [--out DIR]
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng } from '@tensorslim/linalg';
import { atd, leastSquaresRepresentations, logisticRegression } from '@tensorslim/decomp-atd';
import { mnistDataDir, readIdx } from '@tensorslim/models';

const { values: a } = parseArgs({
  options: {
    train: { type: 'string', default: '10000' },
    test: { type: 'string', default: '2000' },
    rank: { type: 'string', default: '32' },
    epochs: { type: 'string', default: '5' },
    seeds: { type: 'string', default: '1,2,3' },
    augment: { type: 'string', default: 'jitter,scale,shift' },
    alpha: { type: 'string', default: '1' },
    temperature: { type: 'string', default: '0.5' },
    lr: { type: 'string', default: '0.01' },
    batch: { type: 'string', default: '128' },
    'cp-sweeps': { type: 'string', default: '30' },
    'probe-steps': { type: 'string', default: '300' },
    out: { type: 'string', default: dirname(fileURLToPath(import.meta.url)) },
  },
});
const cfg = {
  train: +a.train,
  test: +a.test,
  rank: +a.rank,
  epochs: +a.epochs,
  seeds: a.seeds.split(',').map(Number),
  augment: a.augment.split(',').filter(Boolean),
  alpha: +a.alpha,
  temperature: +a.temperature,
  learningRate: +a.lr,
  batchSize: +a.batch,
  cpSweeps: +a['cp-sweeps'],
  probeSteps: +a['probe-steps'],
  fractions: [0.01, 0.1, 1],
};
const log = (s) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);

async function load(images, labels, n) {
  const dir = await mnistDataDir();
  const [x, y] = await Promise.all([readIdx(join(dir, images)), readIdx(join(dir, labels))]);
  const [, h, w] = x.dims;
  const data = new Float64Array(n * h * w);
  for (let i = 0; i < data.length; i++) data[i] = x.data[i] / 255;
  return { x: { shape: [n, h, w], data }, y: Int32Array.from(y.data.subarray(0, n)) };
}
const train = await load('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', cfg.train);
const test = await load('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', cfg.test);
const [, H, W] = train.x.shape;
log(`MNIST subset: ${cfg.train} train / ${cfg.test} test images, rank ${cfg.rank}`);

function features(f) {
  const [, b, c] = f.cores;
  const B = { rows: H, cols: cfg.rank, data: b.data };
  const C = { rows: W, cols: cfg.rank, data: c.data };
  return {
    train: leastSquaresRepresentations(train.x.data, cfg.train, H, W, B, C, f.meta.ridge),
    test: leastSquaresRepresentations(test.x.data, cfg.test, H, W, B, C, f.meta.ridge),
  };
}

function probe(feat, seed) {
  const out = {};
  for (const frac of cfg.fractions) {
    const n = Math.max(10, Math.round(frac * cfg.train));
    const idx = Int32Array.from({ length: cfg.train }, (_, i) => i);
    new Rng(1000 + seed).shuffle(idx); // the same labelled subset for both methods
    const pick = idx.subarray(0, n);
    const R = feat.train.cols;
    const xs = new Float64Array(n * R);
    pick.forEach((i, k) => xs.set(feat.train.data.subarray(i * R, (i + 1) * R), k * R));
    const model = logisticRegression({ rows: n, cols: R, data: xs }, Array.from(pick, (i) => train.y[i]), { classes: 10, steps: cfg.probeSteps });
    const pred = model.predict(feat.test);
    let ok = 0;
    for (let i = 0; i < cfg.test; i++) if (pred[i] === test.y[i]) ok++;
    out[frac] = ok / cfg.test;
  }
  return out;
}

const runs = [];
for (const seed of cfg.seeds) {
  let t0 = performance.now();
  const cp = atd(train.x, cfg.rank, { epochs: 0, seed, cpSweeps: cfg.cpSweeps });
  const cpSec = (performance.now() - t0) / 1000;
  log(`seed ${seed}: CP-ALS ${cpSec.toFixed(1)} s`);
  t0 = performance.now();
  const at = atd(train.x, cfg.rank, {
    init: cp,
    epochs: cfg.epochs,
    seed,
    augment: cfg.augment,
    alpha: cfg.alpha,
    temperature: cfg.temperature,
    learningRate: cfg.learningRate,
    batchSize: cfg.batchSize,
    onEpoch: (e) => log(`seed ${seed}: ATD epoch ${e.epoch} reconstruction ${e.reconstruction.toFixed(4)} InfoNCE ${e.selfSupervised.toFixed(4)}`),
  });
  const atdSec = (performance.now() - t0) / 1000;
  const res = { seed, cpSeconds: cpSec, atdSeconds: atdSec, cp: probe(features(cp), seed), atd: probe(features(at), seed), atdHistory: at.meta.history };
  log(`seed ${seed}: CP ${JSON.stringify(res.cp)} ATD ${JSON.stringify(res.atd)}`);
  runs.push(res);
  mkdirSync(a.out, { recursive: true });
  writeFileSync(join(a.out, 'results.json'), JSON.stringify({ config: cfg, runs }, null, 2) + '\n');
}

const pct = (v) => (100 * v).toFixed(2);
const stats = (xs) => {
  const m = xs.reduce((s, v) => s + v, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / (xs.length - 1)) : 0;
  return `${pct(m)} ± ${pct(sd)}`;
};
const lines = [
  `MNIST as ${cfg.train} × 28 × 28 (first ${cfg.train} training images; test: first ${cfg.test} test images), CP rank ${cfg.rank}.`,
  `ATD: ${cfg.epochs} epochs from the CP-ALS start, augment ${cfg.augment.join(',')}, α ${cfg.alpha}, τ ${cfg.temperature}, Adam lr ${cfg.learningRate}, batch ${cfg.batchSize}.`,
  `CP-ALS: ${cfg.cpSweeps} sweeps at most. Probe: multinomial logistic regression, ${cfg.probeSteps} full-batch Adam steps, L2 1e-3, standardized features.`,
  `Test accuracy (%), mean ± sample std over seeds ${cfg.seeds.join(', ')}:`,
  '',
  '| features | 1% labels | 10% labels | 100% labels |',
  '|---|---|---|---|',
  ...['cp', 'atd'].map((k) => `| ${k === 'cp' ? 'CP-ALS' : 'ATD'} | ${cfg.fractions.map((f) => stats(runs.map((r) => r[k][f]))).join(' | ')} |`),
  '',
  'Per seed (CP-ALS / ATD):',
  '',
  '| seed | 1% | 10% | 100% | CP-ALS s | ATD s |',
  '|---|---|---|---|---|---|',
  ...runs.map((r) => `| ${r.seed} | ${cfg.fractions.map((f) => `${pct(r.cp[f])} / ${pct(r.atd[f])}`).join(' | ')} | ${r.cpSeconds.toFixed(0)} | ${r.atdSeconds.toFixed(0)} |`),
  '',
];
writeFileSync(join(a.out, 'table.md'), lines.join('\n'));
process.stdout.write(lines.join('\n'));
