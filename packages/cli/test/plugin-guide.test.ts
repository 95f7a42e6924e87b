// docs/plugin-guide.md, followed literally: its code blocks, put together as the guide says,
// type-check under the workspace's compiler settings (strict, noImplicitOverride) against core's
// and linalg's public APIs, and its CP layer + factory compute what the dense convolution of the factors does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  detensorize,
  resolveLayerTarget,
  type DenseLayerInfo,
  type Factors,
  type FactorizedLayerSpec,
  type LayerTarget,
} from '@tensorslim/core';
import { Rng, type DenseTensor } from '@tensorslim/linalg';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const guide = readFileSync(join(root, 'docs', 'plugin-guide.md'), 'utf8');
const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

/** The guide's code blocks by what they hold (found by content, so new prose does not break the test). */
function block(marker: string): string {
  const found = blocks.filter((b) => b.includes(marker));
  expect(found, `docs/plugin-guide.md: one \`\`\`ts block with "${marker}"`).toHaveLength(1);
  return found[0]!;
}

const OVERRIDE_HEAD = 'export class CPConv2D extends FactorizedConv2D {\n  // … as above …\n';

/** The plugin's modules as a reader assembles them from the guide: §3 projector, §4 layers (+ the override section), §5 factory, §6 plugin. */
function assemble(dir: string): void {
  const layer = block('static readonly className');
  const override = block(OVERRIDE_HEAD);
  const [overrideImports, overrideBody] = override.split(OVERRIDE_HEAD) as [string, string];
  // §4's override section adds members to the class of §4 and a function beside it
  const members = overrideBody.trimEnd().replace(/\}$/, '');
  const classEnd = layer.lastIndexOf('}\n\nregisterLayerClasses(');
  expect(classEnd, 'the §4 layer block ends with the class, then registerLayerClasses').toBeGreaterThan(0);
  writeFileSync(join(dir, 'layers.ts'), `${overrideImports}\n${layer.slice(0, classEnd)}${members}${layer.slice(classEnd)}`);
  writeFileSync(join(dir, 'factory.ts'), block('export const cpLayers: LayerFactory'));
  writeFileSync(join(dir, 'projector.ts'), `import { cpDecomposition } from './decomposition.js';\n${block('export const cpProjector')}`);
  // §2 is a skeleton (the algorithm is the reader's); a typed stand-in lets the rest compile
  writeFileSync(join(dir, 'decomposition.ts'), "import type { Decomposition } from '@tensorslim/core';\nexport declare const cpDecomposition: Decomposition;\n");
  writeFileSync(
    join(dir, 'plugin.ts'),
    "import { cpDecomposition } from './decomposition.js';\nimport { cpProjector } from './projector.js';\nimport { cpLayers } from './factory.js';\n" +
      block('export const plugin: FormatPlugin'),
  );
}

/** What the test uses of the guide's layer class. */
interface GuideLayer {
  build(inputShape: (number | null)[]): void;
  setWeights(weights: tf.Tensor[]): void;
  apply(x: tf.Tensor): tf.Tensor | tf.Tensor[];
  readonly forwardMode: string;
  factorizedFlops(): number;
  denseFlops(): number;
}

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(root, 'packages', 'cli', 'test', '.plugin-guide-'));
  assemble(dir);
  await tf.setBackend('cpu');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('docs/plugin-guide.md', () => {
  it("type-checks: strict, noImplicitOverride, only core's and linalg's public APIs and TF.js", async () => {
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(root, 'tsconfig.base.json'),
        compilerOptions: { noEmit: true, rootDir: root, paths: { '@tensorslim/core': [join(root, 'packages', 'core', 'src', 'index.ts')], '@tensorslim/linalg': [join(root, 'packages', 'linalg', 'src', 'index.ts')] } },
        include: ['*.ts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const out = await new Promise<string>((resolve) => {
      execFile(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
        resolve(err ? `${stdout}${stderr}` || String(err) : ''),
      );
    });
    expect(out, 'the guide\'s code does not compile').toBe('');
  }, 120_000);

  it('its CPConv2D (depthwise forward) and factory equal the dense convolution of the CP kernel, multi-mode layout', async () => {
    const { CPConv2D } = (await import(pathToFileURL(join(dir, 'layers.ts')).href)) as { CPConv2D: new (args: unknown) => GuideLayer };
    const { cpLayerFromFactors } = (await import(pathToFileURL(join(dir, 'factory.ts')).href)) as {
      cpLayerFromFactors: (l: DenseLayerInfo, f: Factors, t: LayerTarget) => FactorizedLayerSpec;
    };
    const rng = new Rng(3);
    const R = 3;
    const outModes = [2, 4];
    const inModes = [3, 2];
    const modes = [...outModes, 9, ...inModes]; // Cout 8, 3×3, Cin 6
    const cores: DenseTensor[] = modes.map((n) => ({ shape: [n, R], data: rng.normalArray(n * R) }));
    const lambda = { shape: [R], data: Float64Array.from([2, 1.5, 0.5]) };
    // the CP tensor Σ_r λ_r ∏_k A_k[i_k, r], by plain loops
    const size = modes.reduce((a, b) => a * b, 1);
    const t = new Float64Array(size);
    const idx = new Array<number>(modes.length).fill(0);
    for (let flat = 0; flat < size; flat++) {
      let rem = flat;
      for (let k = modes.length - 1; k >= 0; k--) {
        idx[k] = rem % modes[k]!;
        rem = Math.floor(rem / modes[k]!);
      }
      for (let r = 0; r < R; r++) {
        let p = lambda.data[r]!;
        for (let k = 0; k < modes.length; k++) p *= cores[k]!.data[idx[k]! * R + r]!;
        t[flat] += p;
      }
    }
    for (const [strides, dilation, padding, mode] of [
      [1, 1, 'same', 'factorized'],
      [2, 1, 'valid', 'factorized'],
      [1, 2, 'same', 'factorized'],
      [2, 1, 'same', 'reconstructed'],
    ] as const) {
      const target = resolveLayerTarget('conv', { format: 'cp', outModes, inModes, ranks: [R], options: { forwardMode: mode } }, 'conv2d', [3, 3, 6, 8]);
      const kernel = detensorize({ shape: modes, data: t }, target.layout);
      const bias = { shape: [8], data: rng.normalArray(8) };
      const ho = padding === 'same' ? Math.ceil(7 / strides) : Math.ceil((7 - (2 * dilation + 1) + 1) / strides);
      const layer: DenseLayerInfo = {
        name: 'conv',
        kind: 'conv2d',
        config: { strides, dilationRate: dilation, padding, activation: 'linear', useBias: true },
        inputShape: [7, 7, 6],
        outputShape: [ho, ho, 8],
        kernel,
        bias,
      };
      const factors: Factors = { format: 'cp', shape: modes, ranks: [R], cores: [...cores, lambda] };
      const spec = cpLayerFromFactors(layer, factors, target);
      const l = new CPConv2D(spec.config);
      l.build([null, 7, 7, 6]);
      const ws = spec.weights.map((w) => tf.tensor(Array.from(w.data), [...w.shape]));
      l.setWeights(ws);
      const x = tf.tensor(Array.from(rng.normalArray(2 * 7 * 7 * 6)), [2, 7, 7, 6]) as tf.Tensor4D;
      const got = l.apply(x) as tf.Tensor;
      const k4 = tf.tensor(Array.from(kernel.data), [3, 3, 6, 8]) as tf.Tensor4D;
      const want = tf.add(tf.conv2d(x, k4, strides, padding, 'NHWC', dilation), tf.tensor(Array.from(bias.data)));
      const diff = tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!;
      expect(l.forwardMode, `${strides}/${dilation}/${padding}`).toBe(mode);
      expect(diff, `${strides}/${dilation}/${padding}/${mode}`).toBeLessThan(1e-4);
      expect(spec.flops, 'fromFactors counts the forward the built layer runs').toBe(mode === 'factorized' ? l.factorizedFlops() : l.denseFlops());
      expect(spec.params).toBe(modes.reduce((s, n) => s + n * R, 0) + 8);
      tf.dispose([...ws, x, got, k4, want]);
    }
  });
});
