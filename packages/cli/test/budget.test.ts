// Issue 15's done-when: a MobileNet-style model of our own (random weights: a stem conv,
// depthwise convs, 1×1 convs, dense layers), saved as a model.json, factorized to a whole-model
// budget of half its parameters.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as tfl from '@tensorflow/tfjs-layers';
import { layoutModes, tensorize, toDenseTensor, type TensorLayout } from '@tensorslim/core';
import { modelSummary } from '@tensorslim/surgery';
import { saveModel } from '@tensorslim/io';
import { selectBackend } from '@tensorslim/backends';
import { matrix, svdValues, unfold, type DenseTensor } from '@tensorslim/linalg';
import { lastJson, runCli } from './helpers.js';

/** A small MobileNet-style model (random weights). */
export function mobileNetLike(): tfl.LayersModel {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const x = tfl.input({ shape: [16, 16, 3], name: 'image' });
  let h = tfl.layers
    .conv2d({ name: 'stem', filters: 16, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: init(1) })
    .apply(x) as tfl.SymbolicTensor;
  h = tfl.layers.batchNormalization({ name: 'stem_bn' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.reLU({ name: 'stem_relu', maxValue: 6 }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.depthwiseConv2d({ name: 'dw1', kernelSize: 3, padding: 'same', depthwiseInitializer: init(2) }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.conv2d({ name: 'pw1', filters: 48, kernelSize: 1, activation: 'relu', kernelInitializer: init(3) }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.depthwiseConv2d({ name: 'dw2', kernelSize: 3, strides: 2, padding: 'same', depthwiseInitializer: init(4) }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.conv2d({ name: 'pw2', filters: 96, kernelSize: 1, activation: 'relu', kernelInitializer: init(5) }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.dense({ name: 'fc', units: 64, activation: 'relu', kernelInitializer: init(6) }).apply(h) as tfl.SymbolicTensor;
  const y = tfl.layers.dense({ name: 'logits', units: 10, activation: 'softmax', kernelInitializer: init(7) }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: y, name: 'mobilenet_like' });
}

/** ‖X − X̂‖/‖X‖ of the truncated HOSVD of `t` at `ranks` on `modes`, bounded above by Σ_m tails (equal for a matrix). */
function hosvdBound(t: DenseTensor, modes: number[], ranks: number[]): number {
  let norm2 = 0;
  for (const v of t.data) norm2 += v * v;
  let tail = 0;
  modes.forEach((m, i) => {
    const u = unfold(t, m);
    const sv = svdValues(matrix(u.rows, u.cols, u.data));
    for (let k = ranks[i]!; k < sv.length; k++) tail += sv[k]! ** 2;
  });
  return Math.sqrt(tail / norm2);
}

describe('factorize --target-params 0.5 on a MobileNet-style model.json', () => {
  it('keeps ≤ 50% of the parameters, fewer MACs, each layer near its optimal error', async () => {
    await selectBackend('cpu');
    const model = mobileNetLike();
    const dir = mkdtempSync(join(tmpdir(), 'ts-budget-'));
    await saveModel(model, join(dir, 'm'));
    const out = join(dir, 'fac');
    const r = await runCli([
      'factorize',
      '--model',
      join(dir, 'm', 'model.json'),
      '--format',
      'tucker',
      '--target-params',
      '0.5',
      '--out',
      out,
      '--backend',
      'cpu',
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    const s = lastJson<{
      layers: { name: string; ranks: number[]; relError: number; flopsBefore: number; flopsAfter: number }[];
      before: { params: number; flops: number };
      after: { params: number; flops: number };
    }>(r.out);
    const before = modelSummary(model);
    expect(s.before).toEqual({ params: before.totalParams, flops: before.totalFlops });
    expect(s.after.params).toBeLessThanOrEqual(0.5 * s.before.params);
    expect(s.after.flops).toBeLessThan(s.before.flops);
    // depthwise convolutions are never planned; 1×1 convs and the classifier may be
    expect(s.layers.map((l) => l.name).filter((n) => n.startsWith('dw'))).toEqual([]);
    expect(s.layers.some((l) => l.name.startsWith('pw'))).toBe(true);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as { layers: Record<string, { outModes: number[]; inModes: number[] }> };
    for (const l of s.layers) {
      const layer = model.getLayer(l.name);
      const kernel = toDenseTensor(layer.getWeights()[0]!);
      const kind = kernel.shape.length === 4 ? 'conv2d' : 'dense';
      const layout: TensorLayout = { kind, kernelShape: kernel.shape, outModes: plan.layers[l.name]!.outModes, inModes: plan.layers[l.name]!.inModes };
      const t = tensorize(kernel, layout);
      const modes = layoutModes(layout)
        .map((_, i) => i)
        .filter((i) => kind === 'dense' || i !== layout.outModes.length);
      const opt = hosvdBound(t, modes, l.ranks);
      expect(l.relError, l.name).toBeLessThanOrEqual(1.05 * opt + 1e-9);
      expect(l.flopsAfter, l.name).toBeLessThanOrEqual(l.flopsBefore);
    }
    // inspect takes the path as its first argument and predicts what factorize achieved
    const ins = await runCli(['inspect', join(dir, 'm', 'model.json'), '--format', 'tucker', '--target-params', '0.5', '--backend', 'cpu', '--json']);
    expect(ins.code, ins.err).toBe(0);
    const ib = lastJson<{ summary: { layers: { name: string; reason?: string }[] }; budget: { after: { params: number; flops: number } } }>(ins.out).budget;
    expect(ib.after).toEqual(s.after);
    expect(lastJson<{ summary: { layers: { name: string; reason?: string }[] } }>(ins.out).summary.layers.find((l) => l.name === 'dw1')!.reason).toMatch(
      /depthwise/,
    );
    // the plan is reusable: --plan gives the same model size
    const again = await runCli([
      'factorize',
      '--model',
      join(dir, 'm', 'model.json'),
      '--plan',
      join(out, 'plan.json'),
      '--out',
      join(dir, 'again'),
      '--backend',
      'cpu',
      '--json',
    ]);
    expect(again.code, again.err).toBe(0);
    expect(lastJson<{ after: { params: number } }>(again.out).after.params).toBe(s.after.params);
  }, 120_000);
});

/** A folder of tiny PNGs in two classes, plus a corrupt image, a non-image file and an empty class. */
function pngFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ts-pngs-'));
  for (const [cls, v] of [
    ['dark', 30],
    ['light', 220],
  ] as const) {
    mkdirSync(join(dir, cls));
    for (let i = 0; i < 6; i++) {
      const p = new PNG({ width: 8, height: 8 });
      for (let k = 0; k < 64; k++) p.data.set([v, (v + 40 * i) % 256, v, 255], k * 4);
      writeFileSync(join(dir, cls, `${i}.png`), PNG.sync.write(p));
    }
  }
  writeFileSync(join(dir, 'dark', 'corrupt.png'), 'no png here');
  writeFileSync(join(dir, 'light', 'notes.txt'), 'not an image');
  mkdirSync(join(dir, 'empty'));
  return dir;
}

describe('compress --dataset folder:DIR', () => {
  it('runs end to end on a folder of PNGs, skipping the corrupt image, the non-image and the empty class', async () => {
    await selectBackend('cpu');
    const dir = mkdtempSync(join(tmpdir(), 'ts-budget-c-'));
    // two classes: the classifier of the MobileNet-style model, saved, has 10 outputs; a 2-class head is what the folder needs
    const base = mobileNetLike();
    const head = tfl.layers.dense({ name: 'head', units: 2, activation: 'softmax' }).apply(base.getLayer('fc').output) as tfl.SymbolicTensor;
    await saveModel(tfl.model({ inputs: base.inputs, outputs: head, name: 'two_class' }), join(dir, 'm'));
    const folder = pngFolder();
    const out = join(dir, 'out');
    const r = await runCli([
      'compress',
      '--model',
      join(dir, 'm', 'model.json'),
      '--dataset',
      `folder:${folder}`,
      '--format',
      'tucker',
      '--target-params',
      '0.6',
      '--pretrain-epochs',
      '1',
      '--admm-epochs',
      '1',
      '--finetune-epochs',
      '1',
      '--batch',
      '4',
      '--out',
      out,
      '--backend',
      'cpu',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err + r.out).toMatch(/10 training \+ 2 validation images, 2 classes; skipped 1 corrupt image\(s\), 1 non-image file\(s\), 1 empty class\(es\)/);
    expect(existsSync(join(out, 'model.json'))).toBe(true);
  }, 180_000);
});
