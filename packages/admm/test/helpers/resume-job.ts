/**
 * The child process of the kill-and-resume test: a tiny compress run (pretrain → ADMM →
 * decompose → fine-tune) on the cpu backend with checkpoints every 2 steps.
 * Usage: node --import ./register-ts.mjs resume-job.ts <checkpointDir> <result.json> <fresh|resume> <slowMs>
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { writeFileSync } from 'node:fs';
import { createRegistry, registerPlugin } from '@tensorslim/core';
import { compress } from '@tensorslim/admm';
import { classificationSource, lowRankPlugin, mlp } from './fixtures.js';

const [dir, resultFile, mode, slow] = process.argv.slice(2) as [string, string, string, string];
await tf.setBackend('cpu');
const c = createRegistry();
registerPlugin(lowRankPlugin, c);
const data = classificationSource(12, 4, 192, 64, 31);
const plan = {
  version: 1,
  layers: {
    fc1: { format: 'lowrank', outModes: [16], inModes: [12], ranks: [3] },
    fc2: { format: 'lowrank', outModes: [12], inModes: [16], ranks: [2] },
  },
};
const slowMs = Number(slow);
const arrays = (m: { getWeights(): tf.Tensor[] }) => m.getWeights().map((t) => Array.from(t.dataSync()));

async function run(checkpointDir: string | null, resume: boolean) {
  const model = mlp(12, [16, 12, 4], { softmax: true, seed: 9 });
  const { model: small, report } = await compress(model, data, plan, {
    container: c,
    batchSize: 32, // 6 steps per epoch
    pretrainEpochs: 1,
    pretrainLr: 0.05,
    admmEpochs: 3,
    admmLr: 0.05,
    rho: 0.05,
    rhoSchedule: { factor: 2, every: 1, max: 1 },
    finetuneEpochs: 2,
    finetuneLr: 0.01,
    labelSmoothing: 0.1,
    checkpointEvery: 2,
    ...(checkpointDir ? { checkpointDir, resume } : {}),
    onEvent: async (e) => {
      if (e.type === 'step' && slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
    },
  });
  return { compressed: arrays(small), dense: arrays(model), admmHistory: report.admmHistory.map((u) => [u.rho, u.primal, u.dual]), final: report.admm.final };
}

// 'fresh': the run to be killed. 'resume': continue it, then run the same job uninterrupted (no
// checkpoints) in this same process — same code, same backend — as the reference.
const resumed = await run(dir, mode === 'resume');
const reference = mode === 'resume' ? await run(null, false) : null;
writeFileSync(resultFile, JSON.stringify({ resumed, reference }));
