#!/usr/bin/env node
// Runs the pruning experiments of docs/pruning.md and writes results-<suite>-<model>-seed<S>.json here.
// Usage (after `npx nx run-many -t build`):
//   node docs/experiments/pruning/run.mjs <reweighted|collaborative> <lenet5|resnet20> <seed> [budget JSON]
// Budget defaults (small, for a shared 2-core machine): MNIST 6000 train / 2000 val images,
// 2 dense epochs (lr 0.05), 2 epochs of penalty/ADMM training (lr 0.01), 2 fine-tuning epochs (lr 0.01), batch 64.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '@tensorslim/backends';
import { defaultRegistry } from '@tensorslim/core';
import { registerTucker } from '@tensorslim/decomp-tucker';
import { trainDense } from '@tensorslim/admm';
import { buildModel, compressibleLayers, loadDataset } from '@tensorslim/models';
import { runCollaborative, runReweighted } from '@tensorslim/prune';

const [suite, modelName = 'lenet5', seedText = '1', budgetJson = '{}'] = process.argv.slice(2);
const seed = Number(seedText);
const b = {
  limit: 6000,
  evalLimit: 2000,
  denseEpochs: 2,
  denseLr: 0.05,
  trainEpochs: 2,
  lr: 0.01,
  finetuneEpochs: 2,
  finetuneLr: 0.01,
  batchSize: 64,
  sparsity: 0.9,
  granularity: 'filter',
  strength: 1e-3,
  epsilon: 1e-3,
  updateEvery: 50,
  targetFlops: 0.5,
  rho: 1e-3,
  ...JSON.parse(budgetJson),
};
const backend = await selectBackend(process.env.TS_BACKEND ?? 'auto');
const dataset = modelName === 'lenet5' ? 'mnist' : 'synthetic';
const data = await loadDataset(dataset, {
  limit: b.limit,
  evalLimit: b.evalLimit,
  seed,
  ...(dataset === 'synthetic' ? { synthetic: { inputShape: [8, 8, 3], numClasses: 4, trainSize: 512, testSize: 256 } } : {}),
});
const model = buildModel(modelName, { seed, inputShape: [...data.inputShape], numClasses: data.numClasses });
const layers = compressibleLayers(modelName, { inputShape: [...data.inputShape], numClasses: data.numClasses }).map((l) => l.name);
registerTucker(defaultRegistry);
const t0 = performance.now();
await trainDense(model, data, { epochs: b.denseEpochs, lr: b.denseLr, batchSize: b.batchSize, seed });
const common = {
  trainEpochs: b.trainEpochs,
  lr: b.lr,
  finetuneEpochs: b.finetuneEpochs,
  finetuneLr: b.finetuneLr,
  batchSize: b.batchSize,
  seed,
  updateEvery: b.updateEvery,
};
let reports;
if (suite === 'reweighted') {
  reports = [
    await runReweighted(model, data, { ...common, layers, sparsity: b.sparsity, granularity: b.granularity, strength: b.strength, epsilon: b.epsilon }),
  ];
} else {
  const run = (arm, ladders) =>
    runCollaborative(model, data, { ...common, layers, targetFlops: b.targetFlops, rho: b.rho, arm, direct: arm === 'collaborative', ...ladders });
  reports = [await run('collaborative', {}), await run('tucker2-only', { pruneLadder: [0] }), await run('pruning-only', { rankLadder: [1] })];
}
const out = join(dirname(fileURLToPath(import.meta.url)), `results-${suite}-${modelName}-seed${seed}.json`);
writeFileSync(
  out,
  JSON.stringify({ suite, model: modelName, dataset, seed, backend: backend.name, budget: b, layers, ms: performance.now() - t0, reports }, null, 2) + '\n',
);
for (const r of reports)
  for (const a of r.arms)
    console.log(
      `${suite} ${modelName} seed ${seed} ${a.arm}: acc ${a.final.accuracy} (dense ${r.dense.evaluation.accuracy}), params ${a.params}/${r.dense.params}, MACs ${a.flops}/${r.dense.flops}, bytes ${a.bytes}/${r.dense.bytes}, sparsity ${a.sparsity.toFixed(3)}`,
    );
