/**
 * The training and layer benchmarks on tiny shapes: the lines they report, the cpu note, a
 * backend that cannot start, and a factorized layer obtained only through the registry.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  FactorizedConv2D,
  createRegistry,
  isTensorslimError,
  registerPlugin,
  type CoreShape,
  type FactorizedConv2DArgs,
  type FormatPlugin,
  type RankSpec,
  type ThreeStageMaps,
  type ThreeStageSizes,
} from '@tensorslim/core';
import { tensor, type DenseTensor } from '@tensorslim/linalg';
import { buildModel } from '@tensorslim/models';
import { registerTr } from '@tensorslim/decomp-tr';
import { registerCp } from '@tensorslim/decomp-cp';
import { detectTorch, runBenchLayers, runBenchTrain, torchRatios, TORCH_PYTHONS, TORCH_SCRIPT, type ProcessRunner } from '@tensorslim/bench';
import { existsSync } from 'node:fs';

describe('bench train', () => {
  it('reports one line per backend; cpu at its smaller batch, with a note', async () => {
    const res = await runBenchTrain({
      model: 'resnet20',
      batch: 4,
      steps: 1,
      cpuBatch: 2,
      cpuSteps: 1,
      warmup: 0,
      inputShape: [8, 8, 3],
      backends: ['cpu', 'wasm'],
    });
    expect(res.map((r) => [r.model, r.backend, r.batch, r.steps])).toEqual([
      ['resnet20', 'cpu', 2, 1],
      ['resnet20', 'wasm', 4, 1],
    ]);
    for (const r of res) {
      expect(r.imgPerSec).toBeGreaterThan(0);
      expect(r.imgPerSec!).toBeCloseTo((r.batch * r.steps * 1000) / r.msPerStep!, 6); // one step: total = median
    }
    expect(res[0]!.note).toMatch(/^cpu measured at batch 2 and 1 step/);
    expect(res[1]!.note).toBeUndefined();
    expect(res[1]!.backendInfo).toMatch(/^backend wasm/);
  });

  it('trains the model it is given, on the backend it started', async () => {
    const seen: string[] = [];
    const res = await runBenchTrain(
      { model: 'lenet5', batch: 3, steps: 2, backends: ['wasm'], warmup: 1 },
      {
        buildModel: (name, opts) => {
          seen.push(`${name}@${tf.getBackend()}`);
          return buildModel(name, opts);
        },
      },
    );
    expect(seen).toEqual(['lenet5@wasm']);
    expect(res).toHaveLength(1);
    expect(res[0]!.steps).toBe(2);
    expect(res[0]!.imgPerSec).toBeGreaterThan(0);
  });

  it('a backend that cannot start gives a line with no figure and the reason', async () => {
    const res = await runBenchTrain({ model: 'lenet5', batch: 2, steps: 1, backends: ['tensorflow'] });
    expect(res).toEqual([
      expect.objectContaining({
        model: 'lenet5',
        backend: 'tensorflow',
        imgPerSec: null,
        note: expect.stringMatching(/^not measured: backend tensorflow cannot start: package @tensorflow\/tfjs-node-gpu is not installed/),
      }),
    ]);
  });

  it('rejects unknown backends and bad numbers', async () => {
    await expect(runBenchTrain({ model: 'lenet5', backends: ['cpu', 'webgl'] })).rejects.toSatisfy((e: unknown) => isTensorslimError(e, 'TS_UNKNOWN_NAME'));
    await expect(runBenchTrain({ model: 'lenet5', batch: 0 })).rejects.toSatisfy((e: unknown) => isTensorslimError(e, 'TS_OPTION'));
  });
});

describe('bench train: the PyTorch reference (detection only; nothing here times anything)', () => {
  it('tries the system python first (Debian puts torch there), then python3 on PATH', () => {
    expect(TORCH_PYTHONS).toEqual(['/usr/bin/python3', 'python3']);
    expect(existsSync(TORCH_SCRIPT)).toBe(true); // shipped in the package's python/ folder
    const calls: string[] = [];
    const runner =
      (ok: string | null): ProcessRunner =>
      (cmd, args) => {
        calls.push(`${cmd} ${args.join(' ')}`);
        return cmd === ok
          ? { status: 0, stdout: '1.13.0\n', stderr: '' }
          : { status: 1, stdout: '', stderr: "Traceback ...\nModuleNotFoundError: No module named 'torch'\n" };
      };
    expect(detectTorch(TORCH_PYTHONS, runner('python3'))).toEqual({ found: true, python: 'python3', version: '1.13.0' });
    expect(calls).toEqual(['/usr/bin/python3 -c import torch; print(torch.__version__)', 'python3 -c import torch; print(torch.__version__)']);
    expect(detectTorch(TORCH_PYTHONS, runner('/usr/bin/python3'))).toMatchObject({ found: true, python: '/usr/bin/python3' });
    expect(detectTorch(TORCH_PYTHONS, runner(null))).toEqual({
      found: false,
      tried: ["/usr/bin/python3: ModuleNotFoundError: No module named 'torch'", "python3: ModuleNotFoundError: No module named 'torch'"],
    });
    // a python that does not exist at all
    expect(detectTorch(['/nonexistent/python3'])).toEqual({ found: false, tried: [expect.stringMatching(/^\/nonexistent\/python3: .*ENOENT/)] });
  });

  it("without torch: says so, and prints tensorslim's figures alone", async () => {
    const res = await runBenchTrain(
      { model: 'lenet5', batch: 2, steps: 1, warmup: 0, backends: ['wasm'], torch: true },
      { detectTorch: () => ({ found: false, tried: ["/usr/bin/python3: No module named 'torch'", 'python3: not found'] }) },
    );
    expect(res.map((r) => [r.backend, r.imgPerSec === null])).toEqual([
      ['wasm', false],
      ['pytorch', true],
    ]);
    expect(res[1]!.note).toBe("PyTorch not found, tensorslim's figures alone (tried /usr/bin/python3: No module named 'torch'; python3: not found)");
    expect(torchRatios(res)).toEqual([]);
  });

  it('ratios pair tensorslim in process with PyTorch on 1 thread, N workers with N threads', () => {
    const line = (backend: string, imgPerSec: number, extra: object) => ({ model: 'm', backend, batch: 8, steps: 1, msPerStep: 1, imgPerSec, ...extra });
    const lines = torchRatios([
      line('wasm', 50, {}),
      line('wasm', 90, { workers: 2 }),
      line('pytorch', 100, { threads: 1 }),
      line('pytorch', 200, { threads: 2 }),
      line('pytorch', 300, { threads: 4 }),
    ]);
    expect(lines).toEqual([
      'tensorslim wasm / PyTorch at 1 thread: 0.50× the images per second (50.0 vs 100.0)',
      'tensorslim wasm / PyTorch at 2 threads: 0.45× the images per second (90.0 vs 200.0)',
    ]);
  });
});

// A test-only three-stage format ("test-t2", Tucker-2 shaped): U_in [Cin, R], a 3×3 core [3, 3, R, R],
// U_out [R, Cout]; the rank R is the largest whose parameter count reaches the ratio.
class TestT2Conv extends FactorizedConv2D {
  static className = 'TestT2Conv';
  readonly rank: number;
  constructor(args: FactorizedConv2DArgs & { rank: number }) {
    super(args);
    this.rank = args.rank;
  }
  coreShapes(): CoreShape[] {
    const [kh, kw] = this.kernelSize;
    return [
      { name: 'u_in', shape: [this.inputChannels, this.rank] },
      { name: 'core', shape: [kh, kw, this.rank, this.rank] },
      { name: 'u_out', shape: [this.rank, this.units] },
    ];
  }
  maps(cores: tf.Tensor[]): ThreeStageMaps {
    return { inMap: cores[0] as tf.Tensor2D, middle: cores[1]!, outMap: cores[2] as tf.Tensor2D };
  }
  stageSizes(): ThreeStageSizes {
    const [kh, kw] = this.kernelSize;
    return { cin: this.inputChannels, r1: this.rank, r2: this.rank, cout: this.units, kh, kw };
  }
  pluginConfig(): Record<string, unknown> {
    return { rank: this.rank };
  }
}
tf.serialization.registerClass(TestT2Conv);

const t2Params = (c: number, r: number) => 2 * c * r + 9 * r * r;
const t2: FormatPlugin = {
  id: 'test-t2',
  name: 'test Tucker-2',
  description: 'for tests',
  decomposition: {
    rankConvention: 'one rank',
    resolveRanks: (shape: readonly number[], spec: RankSpec) => {
      const c = shape[0]!; // [Cout, 9, Cin] layout with single modes
      let r = 1;
      while (t2Params(c, r + 1) * (spec as { ratio: number }).ratio <= 9 * c * c) r++;
      return [r];
    },
    decompose(t, spec) {
      const [r] = this.resolveRanks(t.shape, spec) as [number];
      const c = t.shape[0]!;
      const rnd = (shape: number[]): DenseTensor =>
        tensor(
          shape,
          Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + 1) / Math.sqrt(c)),
        );
      return { format: 'test-t2', shape: [...t.shape], ranks: [r], cores: [rnd([c, r]), rnd([3, 3, r, r]), rnd([r, c])] };
    },
    reconstruct: () => {
      throw new Error('not needed');
    },
    paramCount: (shape, ranks) => t2Params(shape[0]!, ranks[0]!),
  },
  projector: { id: 'test-t2', project: (w) => w },
  layers: {
    kinds: ['conv2d'],
    classNames: ['TestT2Conv'],
    register: () => {},
    fromFactors(layer, factors) {
      const c = layer.kernel.shape[3]!;
      const r = factors.ranks[0]!;
      return {
        className: 'TestT2Conv',
        config: { name: `${layer.name}_t2`, units: c, inputChannels: c, kernelSize: [3, 3], padding: 'same', useBias: false, rank: r },
        weights: factors.cores,
        params: t2Params(c, r),
        flops: 0, // the bench must take the layer's own FLOP count
      };
    },
  },
};

describe('bench layers', () => {
  it('measures each registered conv format against the dense conv, with FLOP and time ratios and stage times', async () => {
    const container = createRegistry();
    registerPlugin(t2, container);
    const logs: string[] = [];
    const [r, ...rest] = await runBenchLayers({ batch: 2, size: 8, channels: 8, ratio: 3, repeat: 1 }, { container, log: (l) => logs.push(l) });
    expect(rest).toHaveLength(0);
    // C = 8, ratio 3: the largest R with 16R + 9R² ≤ 192 is 3
    expect(r!.format).toBe('test-t2');
    expect(r!.ranks).toEqual([3]);
    expect(r!.params).toBe(t2Params(8, 3));
    expect(r!.paramRatio).toBeCloseTo(576 / 129, 10);
    // FLOPs per example on 8×8: dense 64·9·8·8; factorized 64·(8·3 + 9·3·3 + 3·8)
    expect(r!.flopRatio).toBeCloseTo((64 * 9 * 64) / (64 * (24 + 81 + 24)), 10);
    expect(r!.denseMs).toBeGreaterThan(0);
    expect(r!.factorizedMs).toBeGreaterThan(0);
    expect(r!.timeRatio).toBeCloseTo(r!.denseMs / r!.factorizedMs, 10);
    expect(r!.efficiency).toBeCloseTo(r!.timeRatio / r!.flopRatio, 10);
    expect(r!.stages!.ranks).toEqual([3, 3]);
    expect(r!.stages!.inMapMs).toBeGreaterThan(0);
    expect(r!.backend).toBe('wasm');
    // the note explains a shortfall, and is there exactly when the efficiency is below 0.8 (timing decides which)
    expect(r!.note).toEqual(r!.efficiency < 0.8 ? expect.stringMatching(/^efficiency .* < 0\.8: input map 8→3 \(1×1\)/) : undefined);
    expect(logs[0]).toMatch(/^backend wasm/);
  });

  it("times the middle stage the way the layer runs it: TR's shared kernel and CP's depthwise one (a plain conv2d threw on TR's and ran CP's as a one-channel conv)", async () => {
    const container = createRegistry();
    registerTr(container);
    registerCp(container);
    const results = await runBenchLayers({ batch: 2, size: 8, channels: 16, ratio: 3, repeat: 1 }, { container });
    expect(results.map((r) => r.format)).toEqual(['tr', 'cp']);
    const [tr, cp] = results;
    // TR at ranks [4, 4, 5]: the input map gives r0·r_in = 20 channels, the shared middle kernel (5 → 4 per
    // ring index, 4 groups) 16; CP rank 18: 18 → 18 depthwise
    expect(tr!.ranks).toEqual([4, 4, 5]);
    expect(tr!.stages!.ranks).toEqual([20, 16]);
    expect(cp!.stages!.ranks).toEqual([18, 18]);
    for (const r of results) expect(r.stages!.middleMs).toBeGreaterThan(0);
  });

  it('fails clearly when no registered format has conv layers', async () => {
    await expect(runBenchLayers({ repeat: 1 }, { container: createRegistry() })).rejects.toSatisfy((e: unknown) => isTensorslimError(e, 'TS_UNKNOWN_FORMAT'));
  });
});
