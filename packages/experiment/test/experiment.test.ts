import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { defaultPlan } from '@tensorslim/models';
import { isTensorslimError } from '@tensorslim/core';
import {
  checkSpec,
  experimentThreads,
  meanStd,
  parseSpec,
  pickCompress,
  pickTrain,
  runExperiment,
  toFlags,
  type CellResult,
  type ExperimentSpec,
} from '@tensorslim/experiment';

const spec: ExperimentSpec = {
  name: 'fake grid',
  dataset: 'synthetic',
  grid: { model: ['lenet5', 'lstm'], format: ['a', 'b'], ratio: [5, 15], seed: [1, 2] },
  train: { epochs: 1 },
  compress: { admmEpochs: 2, finetuneEpochs: 1, baseline: false },
};

const arg = (args: string[], flag: string) => args[args.indexOf(flag) + 1]!;

/**
 * A runner that answers like `train`/`compress --json` would, recording what it was asked: train
 * writes the report a real one writes (one history entry per epoch); compress reads the plan file
 * it is given and fails for format b at ratio 15 while `failing` says so.
 */
function fakeRunner(calls: string[][], failing = true) {
  return async (args: string[]): Promise<string> => {
    calls.push(args);
    if (args[0] === 'train') {
      mkdirSync(arg(args, '--out'), { recursive: true });
      writeFileSync(join(arg(args, '--out'), 'report.json'), JSON.stringify({ history: Array.from({ length: Number(arg(args, '--epochs')) }, () => ({})) }));
      return '{}\n';
    }
    const plan = JSON.parse(readFileSync(arg(args, '--plan'), 'utf8')) as { layers: Record<string, { format: string; ranks: { ratio: number } }> };
    const names = Object.keys(plan.layers);
    const { format, ranks } = plan.layers[names[0]!]!;
    const ratio = ranks.ratio;
    const seed = Number(arg(args, '--seed'));
    if (failing && format === 'b' && ratio === 15) throw new Error('tensorslim: error TS_RANK: ranks do not fit');
    const acc = 0.9 - ratio / 100 + seed / 1000;
    return (
      JSON.stringify({
        settings: { admmEpochs: Number(arg(args, '--admm-epochs')), finetuneEpochs: Number(arg(args, '--finetune-epochs')), pretrainEpochs: 0 },
        dense: { evaluation: { accuracy: 0.95 + seed / 1000 }, params: 5000 },
        admm: {
          final: { accuracy: acc },
          trained: { accuracy: acc + 0.03 },
          afterDecompose: { accuracy: acc - 0.01 },
          compressionRatio: ratio + 0.5,
          layers: names.map((name) => ({ name, paramsBefore: 300, paramsAfter: 300 / ratio })),
        },
        baseline: { final: { accuracy: acc - 0.02 }, afterDecompose: { accuracy: 0.3 }, trained: null },
        continued: { final: { accuracy: acc - 0.01 }, afterDecompose: { accuracy: 0.4 }, trained: { accuracy: 0.97 } },
        admmHistory: [{ primal: 0.5 }, { primal: format === 'a' ? 0.04 : 0.3 }],
      }) + '\n'
    );
  };
}

const compressCalls = (calls: string[][]) => calls.filter((c) => c[0] === 'compress');
const row = (table: string, ...cells: string[]) => table.split('\n').find((l) => l.replace(/\s+/g, ' ').startsWith(`| ${cells.join(' | ')} |`));

describe('tensorslim experiment', () => {
  it("compresses each model's own default plan with three arms, tabulates per-seed dense, budgets, trained accuracy and convergence", async () => {
    const out = mkdtempSync(join(tmpdir(), 'exp-'));
    const calls: string[][] = [];
    const results = await runExperiment(spec, out, { runner: fakeRunner(calls), jobs: 2 });
    expect(calls.filter((c) => c[0] === 'train')).toHaveLength(4); // once per (model, seed)
    expect(compressCalls(calls)).toHaveLength(16);
    // every run on the cores shared among the jobs; a rerun with other --jobs (other threads) reruns nothing (below)
    expect(experimentThreads(2, 2)).toBe(1);
    expect(experimentThreads(1, 16)).toBe(16);
    for (const c of calls) expect(arg(c, '--threads')).toBe(String(experimentThreads(2)));
    expect(readFileSync(join(out, 'table.md'), 'utf8')).toContain(`Training threads per run: ${experimentThreads(2)}.`);
    for (const c of compressCalls(calls)) {
      expect(c).toEqual(
        expect.arrayContaining(['--baseline', '--continued-baseline', '--admm-epochs', '2', '--finetune-epochs', '1', '--pretrain-epochs', '0']),
      );
      expect(c).not.toContain('--format');
      // the built-in's default plan, not a plan suggested from the saved model.json
      const model = c[c.indexOf('--model') + 1]!.includes('lenet5') ? 'lenet5' : 'lstm';
      const plan = JSON.parse(readFileSync(arg(c, '--plan'), 'utf8')) as { layers: Record<string, { format: string; ranks: { ratio: number } }> };
      const cell = Object.values(plan.layers)[0]!;
      expect(plan).toEqual(defaultPlan(model, cell.format, cell.ranks.ratio));
    }
    const lenetPlan = JSON.parse(
      readFileSync(
        arg(
          compressCalls(calls).find((c) => arg(c, '--model').includes('lenet5'))!,
          '--plan',
        ),
        'utf8',
      ),
    );
    expect(Object.keys(lenetPlan.layers)).toEqual(['conv2', 'fc1', 'fc2']);
    expect(results.filter((r) => r.error)).toHaveLength(4);
    const ok = results.find((r) => r.id === 'lenet5-a-r5-s1')!;
    expect(ok.layers.map((l) => l.name)).toEqual(['conv2', 'fc1', 'fc2']);
    expect(ok).toMatchObject({ admmTrained: 0.881, continuedTrained: 0.97, finalPrimal: 0.04, epochs: { dense: 1, admm: 2, finetune: 1 } });

    const table = readFileSync(join(out, 'table.md'), 'utf8');
    // dense: one value per seed (95.1, 95.2), not one per cell
    expect(row(table, 'lenet5', 'dense', '—', '1×', '1 dense', '95.15 ± 0.07', '—')).toBeDefined();
    // each arm's epochs; ADMM, format a, ratio 5: 0.85 + {0.001, 0.002} → 85.15 ± 0.07, trained 88.15 ± 0.07, converged
    expect(row(table, 'lenet5', 'direct + fine-tune', 'a', '5.50×', '1 dense + 1 fine-tuning = 2', '83.15 ± 0.07', '30.00 ± 0.00', '—', '—')).toBeDefined();
    expect(
      row(
        table,
        'lenet5',
        'direct, same total epochs',
        'a',
        '5.50×',
        '1 dense + 2 dense (continued) + 1 fine-tuning = 4',
        '84.15 ± 0.07',
        '40.00 ± 0.00',
        '97.00 ± 0.00',
        '—',
      ),
    ).toBeDefined();
    expect(
      row(
        table,
        'lenet5',
        'ADMM + fine-tune',
        'a',
        '5.50×',
        '1 dense + 2 ADMM + 1 fine-tuning = 4',
        '85.15 ± 0.07',
        '84.15 ± 0.07',
        '88.15 ± 0.07',
        '0.040 ± 0.000',
      ),
    ).toBeDefined();
    // a final primal residual above 0.05 is marked
    expect(
      row(
        table,
        'lstm',
        'ADMM + fine-tune',
        'b',
        '5.50×',
        '1 dense + 2 ADMM + 1 fine-tuning = 4',
        '85.15 ± 0.07',
        '84.15 ± 0.07',
        '88.15 ± 0.07',
        '0.300 ± 0.000 **not converged** (2/2 > 0.05)',
      ),
    ).toBeDefined();
    expect(table).not.toMatch(/0\.040 ± 0\.000 \*\*not converged/);
    // which layers each model compresses
    expect(row(table, 'lenet5', 'a', '5', 'conv2 300 → 60, fc1 300 → 60, fc2 300 → 60', '900 of 5000')).toBeDefined();
    expect(row(table, 'lstm', 'a', '15', 'lstm_input 300 → 20', '300 of 5000')).toBeDefined();
    expect(table).toMatch(/lenet5-b-r15-s1: tensorslim: error TS_RANK/);
    for (const f of ['results.json', 'accuracy-lenet5.svg', 'residuals-lstm.svg']) expect(existsSync(join(out, f))).toBe(true);

    // a rerun retries the failed cells only, and the dense models are not trained again
    const again: string[][] = [];
    const rerun = await runExperiment(spec, out, { runner: fakeRunner(again, false) });
    expect(again.filter((c) => c[0] === 'train')).toHaveLength(0);
    expect(
      compressCalls(again)
        .map((c) => arg(c, '--out').split('/').pop())
        .sort(),
    ).toEqual(['lenet5-b-r15-s1', 'lenet5-b-r15-s2', 'lstm-b-r15-s1', 'lstm-b-r15-s2']);
    expect(rerun.filter((r) => r.error)).toHaveLength(0);
    const kept = JSON.parse(readFileSync(join(out, 'cells', 'lenet5-a-r5-s1.json'), 'utf8')) as CellResult;
    expect(kept).toEqual(ok);
    const third: string[][] = [];
    await runExperiment(spec, out, { runner: fakeRunner(third, false) });
    expect(third).toHaveLength(0);
    // cells recorded with other compress flags (or by an older runner) run again; the dense models stay
    const changed: string[][] = [];
    await runExperiment({ ...spec, compress: { ...spec.compress, admmEpochs: 3 } }, out, { runner: fakeRunner(changed, false) });
    expect(changed.filter((c) => c[0] === 'train')).toHaveLength(0);
    expect(compressCalls(changed)).toHaveLength(16);
  });

  it("uses the spec's plan files with {format} and {ratio} filled in, and refuses a grid whose plan files are missing or ambiguous", async () => {
    const out = mkdtempSync(join(tmpdir(), 'exp-plans-'));
    const plans = join(out, 'my-plans');
    mkdirSync(plans);
    const small = { ...spec, grid: { ...spec.grid, model: ['lenet5'], seed: [1] } };
    for (const f of ['a', 'b'])
      for (const r of [5, 15])
        writeFileSync(join(plans, `${f}-${r}.json`), JSON.stringify({ version: 1, layers: { fc1: { format: f, ranks: { ratio: r } } } }));
    const calls: string[][] = [];
    await runExperiment({ ...small, plans: { lenet5: join(plans, '{format}-{ratio}.json') } }, out, { runner: fakeRunner(calls, false) });
    expect(
      compressCalls(calls)
        .map((c) => arg(c, '--plan'))
        .sort(),
    ).toEqual(['a-15', 'a-5', 'b-15', 'b-5'].map((n) => join(plans, `${n}.json`)));
    const none: string[][] = [];
    await expect(runExperiment({ ...small, plans: { lenet5: join(plans, 'a-{ratio}.json') } }, join(out, 'x'), { runner: fakeRunner(none) })).rejects.toThrow(
      /plans\.lenet5 .* is one file for 2 values of format/,
    );
    await expect(
      runExperiment({ ...small, plans: { lenet5: join(plans, '{format}-{ratio}-nope.json') } }, join(out, 'y'), { runner: fakeRunner(none) }),
    ).rejects.toThrow(/a-5-nope\.json .* does not exist/);
    await expect(runExperiment({ ...small, grid: { ...small.grid, model: ['mymodel'] } }, join(out, 'z'), { runner: fakeRunner(none) })).rejects.toThrow(
      /"mymodel" is not a built-in model/,
    );
    expect(none).toHaveLength(0);
  });

  it("refuses, before anything runs, a spec naming a flag that is not one of the commands' (when it is given their flags)", async () => {
    const flags = { train: ['epochs', 'lr', 'limit'], compress: ['admmEpochs', 'finetuneEpochs', 'baseline', 'limit'] };
    expect(checkSpec(spec, 'grid.json', flags)).toMatchObject({ name: 'fake grid', compress: { admmEpochs: 2 } });
    const messageOf = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(isTensorslimError(e, 'TS_OPTION')).toBe(true);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(messageOf(() => checkSpec({ ...spec, compress: { admmEpoch: 2, rho: 1 } }, 'grid.json', flags))).toMatch(
      /^grid\.json: "compress" .*flags of compress; "admmEpoch", "rho" are not \(compress --help lists them\)/,
    );
    // per model: a key of either command ("trainLr" is train's lr); "epochs" alone is not a compress flag but is train's
    expect(checkSpec({ ...spec, perModel: { lstm: { trainLr: 0.1, epochs: 2, admmEpochs: 1 } } }, 'grid.json', flags).perModel).toEqual({
      lstm: { trainLr: 0.1, epochs: 2, admmEpochs: 1 },
    });
    expect(messageOf(() => checkSpec({ ...spec, perModel: { lstm: { trainLimt: 5 } } }, 'grid.json', flags))).toMatch(
      /"perModel\.lstm" .*flags of train or compress; "trainLimt" is not/,
    );
    // without the commands' flags only the shape is checked
    expect(checkSpec({ ...spec, compress: { admmEpoch: 2 } }).compress).toEqual({ admmEpoch: 2 });
    expect(messageOf(() => parseSpec('{"name": ', 'grid.json'))).toMatch(/^grid\.json is not valid JSON/);
    expect(messageOf(() => checkSpec({ ...spec, grid: { ...spec.grid, seed: [] } }, 'grid.json'))).toMatch(/"grid\.seed"/);
    const none: string[][] = [];
    await expect(runExperiment({ ...spec, train: { epoch: 1 } }, mkdtempSync(join(tmpdir(), 'exp-bad-')), { runner: fakeRunner(none), flags })).rejects.toThrow(
      /"epoch" is not \(train --help lists them\)/,
    );
    expect(none).toHaveLength(0);
  });

  it('helpers', () => {
    expect(pickTrain({ trainLr: 0.1, limit: 100, epochs: 3, admmEpochs: 2 })).toEqual({ lr: 0.1, limit: 100, epochs: 3 });
    expect(pickCompress({ trainLr: 0.1, limit: 100, epochs: 3, admmEpochs: 2 })).toEqual({ limit: 100, admmEpochs: 2 });
    expect(toFlags({ admmEpochs: 2, baseline: true, json: false })).toEqual(['--admm-epochs', '2', '--baseline']);
    const s = meanStd([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });
});
