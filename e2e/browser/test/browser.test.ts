/**
 * A model compressed by the CLI loads in a web page in headless Chromium and predicts what Node
 * predicts. The CLI runs in a fresh process (as a user runs it); the page is bundled with esbuild
 * from page/entry.ts (TF.js + the TT, TR and Tucker plugins); a local HTTP server serves the page
 * and the models; playwright-core drives Debian's Chromium. Every layer's output is compared, not
 * only the (softmax) prediction, on the cpu backend on both sides.
 *
 * Without Chromium the suite is skipped, or fails when REQUIRE_BROWSER=1 (CI).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadModel } from '@tensorslim/io';
import { Rng } from '@tensorslim/linalg';
import '@tensorslim/decomp-tt';
import '@tensorslim/decomp-tr';
import '@tensorslim/decomp-tucker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { lastJson, runCli } from '../../../packages/cli/test/helpers.js';
import { probeModel, type LayerOutput, type Probe } from '../page/probe.js';
import { bundlePage, type PageBundle } from './support/bundle.js';
import { serveStatic, type StaticServer } from './support/static-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const REQUIRED = process.env.REQUIRE_BROWSER === '1';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const MISSING = `no Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH`;
const SKIP = !HAVE_CHROMIUM && !REQUIRED;
if (SKIP) console.warn(`[e2e-browser] SKIPPED: ${MISSING}; set REQUIRE_BROWSER=1 to fail instead of skipping`);

const TOL = 1e-4;
const BATCH = 4;
const SHAPE = [BATCH, 28, 28, 1];

/** LeNet-5 with its conv1 in Tucker-2 and its fc3 in TR, on top of the TT layers compress made. */
const MIXED_PLAN = {
  version: 1,
  layers: {
    conv1: { format: 'tucker', ranks: { maxRank: 4 } },
    fc3: { format: 'tr', ranks: { maxRank: 4 } },
  },
};

interface CompressReport {
  admm: { layers: { name: string; format: string }[] };
}
interface FactorizeSummary {
  layers: { name: string; format: string; className: string }[];
}

function maxAbsDiff(a: LayerOutput, b: LayerOutput): number {
  let m = 0;
  for (let i = 0; i < a.values.length; i++) m = Math.max(m, Math.abs(a.values[i]! - b.values[i]!));
  return m;
}

function maxAbs(a: LayerOutput): number {
  return a.values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

/** Asserts the browser's probe equals Node's layer by layer (≤ TOL); returns the largest difference. */
function expectSameOutputs(browser: Probe, node: Probe): number {
  expect(browser.backend).toBe('cpu');
  expect(browser.layers.map((l) => [l.name, l.className])).toEqual(node.layers.map((l) => [l.name, l.className]));
  let worst = 0;
  for (const [i, b] of [...browser.layers, browser.prediction].entries()) {
    const n = i < node.layers.length ? node.layers[i]! : node.prediction;
    expect(b.shape, b.name).toEqual(n.shape);
    expect(b.values.every(Number.isFinite), `${b.name} finite`).toBe(true);
    const d = maxAbsDiff(b, n);
    expect(d, `layer ${b.name} (${b.className}): max |browser − node|`).toBeLessThanOrEqual(TOL);
    worst = Math.max(worst, d);
  }
  return worst;
}

describe.skipIf(SKIP)(SKIP ? `browser (skipped: ${MISSING})` : 'a CLI-compressed model in headless Chromium', () => {
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = Math.round(performance.now() - t);
    }
  };
  let work = '';
  let bundle: PageBundle;
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  let input: Float32Array;
  let mixed: FactorizeSummary;

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`REQUIRE_BROWSER=1 and ${MISSING}`);
    work = mkdtempSync(join(tmpdir(), 'tensorslim-browser-'));
    const [tt, mixedDir, www] = ['tt', 'mixed', 'www'].map((d) => join(work, d)) as [string, string, string];
    mkdirSync(www);
    writeFileSync(join(work, 'plan.json'), JSON.stringify(MIXED_PLAN));

    const models = (async () => {
      const c = await timed('cli compress', () =>
        runCli([
          'compress',
          '--model',
          'lenet5',
          '--dataset',
          'mnist',
          '--limit',
          '64',
          '--eval-limit',
          '64',
          '--batch',
          '32',
          '--pretrain-epochs',
          '1',
          '--admm-epochs',
          '1',
          '--finetune-epochs',
          '1',
          '--format',
          'tt',
          '--ratio',
          '5',
          '--backend',
          'wasm',
          '--out',
          tt,
          '--json',
        ]),
      );
      if (c.code !== 0) throw new Error(`tensorslim compress failed (${c.code}):\n${c.err}`);
      expect(lastJson<CompressReport>(c.out).admm.layers.map((l) => [l.name, l.format])).toEqual([
        ['conv2', 'tt'],
        ['fc1', 'tt'],
        ['fc2', 'tt'],
      ]);
      const f = await timed('cli factorize', () =>
        runCli(['factorize', '--model', join(tt, 'model.json'), '--plan', join(work, 'plan.json'), '--backend', 'wasm', '--out', mixedDir, '--json']),
      );
      if (f.code !== 0) throw new Error(`tensorslim factorize failed (${f.code}):\n${f.err}`);
      mixed = lastJson<FactorizeSummary>(f.out);
    })();
    const pageReady = (async () => {
      bundle = await timed('esbuild bundle', () => bundlePage(www));
      server = await serveStatic({ '/': www, '/models/tt': tt, '/models/mixed': mixedDir });
      browser = await timed('chromium launch', () =>
        chromium.launch({
          executablePath: CHROMIUM,
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--disable-dev-shm-usage',
          ],
        }),
      );
      page = await browser.newPage();
      page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
      });
      await timed('page load', async () => {
        await page.goto(`${server!.origin}/`);
        await page.waitForFunction(() => window.tensorslimPage !== undefined, undefined, { timeout: 30_000 });
      });
    })();
    await Promise.all([models, pageReady]);

    const rng = new Rng(2021);
    input = Float32Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, () => rng.uniform());
    await tf.setBackend('cpu');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
    if (Object.keys(timings).length)
      console.log(`[e2e-browser] timings (ms): ${JSON.stringify(timings)}; page.js ${bundle ? (bundle.bytes / 1e6).toFixed(2) : '?'} MB`);
  });

  const inBrowser = (name: string) =>
    timed(`browser predict ${name}`, () =>
      page.evaluate(([url, data, shape]) => window.tensorslimPage!.predict(url, data, shape), [
        `${server!.origin}/models/${name}/model.json`,
        Array.from(input),
        SHAPE,
      ] as const),
    );
  const inNode = async (name: string) => {
    const model = await loadModel(join(work, name, 'model.json'));
    try {
      return probeModel(model, input, SHAPE);
    } finally {
      model.dispose();
    }
  };

  it('bundles TF.js, core and the three plugins for the browser (no Node built-ins), without model IO on disk', async () => {
    expect(await page.evaluate(() => window.tensorslimPage!.formats)).toEqual(['tt', 'tr', 'tucker']);
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.some((p) => p.endsWith('packages/core/src/index.ts'))).toBe(true);
    for (const p of ['decomp-tt', 'decomp-tr', 'decomp-tucker']) expect(inputs.some((i) => i.includes(`packages/${p}/src/`))).toBe(true);
    expect(inputs.some((p) => p.includes('packages/linalg/src/'))).toBe(true);
    expect(inputs.filter((p) => /packages\/(io|surgery|conformance|backends)\//.test(p))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('loads the TT model compress wrote and predicts what Node predicts (≤ 1e-4, every layer)', async () => {
    const b = await inBrowser('tt');
    const n = await inNode('tt');
    expect(pageErrors).toEqual([]);
    expect(b.layers.map((l) => l.className)).toEqual(['Conv2D', 'MaxPooling2D', 'TTConv2D', 'MaxPooling2D', 'Flatten', 'TTDense', 'TTDense', 'Dense']);
    expect(server!.requests).toEqual(
      expect.arrayContaining([
        { path: '/models/tt/model.json', status: 200 },
        { path: expect.stringMatching(/^\/models\/tt\/weights-[0-9a-f]{16}\.bin$/), status: 200 },
      ]),
    );
    // the comparison means something: the factorized layers are alive and the prediction varies
    for (const l of b.layers.filter((x) => x.className.startsWith('TT'))) expect(maxAbs(l), l.name).toBeGreaterThan(1e-2);
    expect(b.prediction.shape).toEqual([BATCH, 10]);
    const worst = expectSameOutputs(b, n);
    console.log(`[e2e-browser] tt: max |browser − node| over all layers = ${worst.toExponential(2)}`);
  });

  it('loads a model with TT, TR and Tucker layers (factorize --plan) and predicts what Node predicts', async () => {
    expect(mixed.layers.map((l) => [l.name, l.className])).toEqual([
      ['conv1', 'Tucker2Conv2D'],
      ['fc3', 'TRDense'],
    ]);
    const b = await inBrowser('mixed');
    const n = await inNode('mixed');
    expect(pageErrors).toEqual([]);
    expect(b.layers.map((l) => l.className)).toEqual(['Tucker2Conv2D', 'MaxPooling2D', 'TTConv2D', 'MaxPooling2D', 'Flatten', 'TTDense', 'TTDense', 'TRDense']);
    for (const l of b.layers.filter((x) => /^(TT|TR|Tucker)/.test(x.className) && x.name !== 'fc3')) expect(maxAbs(l), l.name).toBeGreaterThan(1e-2);
    const worst = expectSameOutputs(b, n);
    // the tolerance tells models apart: this model's prediction is not the TT model's
    const tt = await inNode('tt');
    expect(maxAbsDiff(n.prediction, tt.prediction)).toBeGreaterThan(100 * TOL);
    console.log(`[e2e-browser] mixed: max |browser − node| over all layers = ${worst.toExponential(2)}`);
  });
});
