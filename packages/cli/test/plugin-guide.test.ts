// docs/plugin-guide.md, followed literally: its code blocks, written to the files they name,
// type-check under the workspace's compiler settings (strict, noImplicitOverride) against core's
// and linalg's public APIs; the plugin they make passes the conformance suite, and its CP
// convolution computes what the dense convolution of a CP tensor summed by plain loops does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { detensorize, instantiateLayer, resolveLayerTarget, type DenseLayerInfo, type Factors, type FormatPlugin, type LayerFactory } from '@tensorslim/core';
import { Rng, type DenseTensor } from '@tensorslim/linalg';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const guide = readFileSync(join(root, 'docs', 'plugin-guide.md'), 'utf8');
/** The guide's ```ts blocks that name their file on the first line (`// src/ranks.ts`). */
const files = [...guide.matchAll(/```ts\n\/\/ ((?:src|test)\/[\w.-]+\.ts)\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!] as const);

// the plugin as a reader assembles it from the guide, in a directory beside this test
const dir = mkdtempSync(join(root, 'packages', 'cli', 'test', '.plugin-guide-'));
for (const [name, code] of files) {
  mkdirSync(join(dir, dirname(name)), { recursive: true });
  writeFileSync(join(dir, name), code);
}
const mod = (await import(pathToFileURL(join(dir, 'src', 'index.ts')).href)) as { default: FormatPlugin; cpPlugin: FormatPlugin; cpLayers: LayerFactory };
const testFile = files.find(([n]) => n.startsWith('test/'))?.[1] ?? '';

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('docs/plugin-guide.md', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('names the six files of a plugin and a conformance test, and exports the plugin as the default', () => {
    expect(files.map(([n]) => n).sort()).toEqual([
      'src/decomposition.ts',
      'src/index.ts',
      'src/layers.ts',
      'src/plugin.ts',
      'src/projector.ts',
      'src/ranks.ts',
      'test/conformance.test.ts',
    ]);
    expect(mod.default).toBe(mod.cpPlugin);
    expect(testFile).toContain('describePluginConformance(cpPlugin, {');
    const lines = files.filter(([n]) => n.startsWith('src/')).reduce((s, [, c]) => s + c.split('\n').length, 0);
    expect(lines, 'a user plugin of a few hundred lines').toBeLessThan(300);
  });

  it("type-checks: strict, noImplicitOverride, only core's and linalg's public APIs (and the conformance suite's) and TF.js", async () => {
    const src = (p: string) => join(root, 'packages', p, 'index.ts');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(root, 'tsconfig.base.json'),
        compilerOptions: {
          noEmit: true,
          rootDir: root,
          paths: { '@tensorslim/core': [src('core/src')], '@tensorslim/conformance': [src('conformance/src')], '@tensorslim/linalg': [src('linalg/src')] },
        },
        include: ['src/*.ts', 'test/*.ts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const out = await new Promise<string>((resolve) => {
      execFile(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
        resolve(err ? `${stdout}${stderr}` || String(err) : ''),
      );
    });
    expect(out, "the guide's code does not compile").toBe('');
  }, 120_000);

  it('its CP convolution equals the dense convolution of the CP kernel summed by plain loops, multi-mode layout', () => {
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
      const spec = mod.cpLayers.fromFactors(layer, factors, target);
      expect(spec.className).toBe('CPConv2D');
      const l = instantiateLayer(spec, [7, 7, 6]);
      const x = tf.tensor(Array.from(rng.normalArray(2 * 7 * 7 * 6)), [2, 7, 7, 6]) as tf.Tensor4D;
      const got = l.apply(x) as tf.Tensor;
      const k4 = tf.tensor(Array.from(kernel.data), [3, 3, 6, 8]) as tf.Tensor4D;
      const want = tf.add(tf.conv2d(x, k4, strides, padding, 'NHWC', dilation), tf.tensor(Array.from(bias.data)));
      const diff = tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!;
      expect((l as unknown as { forwardMode: string }).forwardMode, `${strides}/${dilation}/${padding}`).toBe(mode);
      expect(diff, `${strides}/${dilation}/${padding}/${mode}`).toBeLessThan(1e-4);
      expect(spec.params).toBe(modes.reduce((s, n) => s + n * R, 0) + 8);
      tf.dispose([x, got, k4, want]);
    }
  });
});

// §7: the guide's own test file, which registers the conformance suite for the guide's plugin
await import(pathToFileURL(join(dir, 'test', 'conformance.test.ts')).href);
