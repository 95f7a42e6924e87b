/**
 * The conformance suite of a format plugin: {@link describePluginConformance} registers vitest
 * tests that every plugin must pass — the built-ins (CP among them) and a user's own — as
 * TF.js's shared backend tests do for backends. Shapes are small; the whole suite runs in
 * seconds for a plugin whose algorithms are not unusually slow.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  FactorizedConv2D,
  FactorizedDense,
  createRegistry,
  detensorize,
  instantiateLayer,
  isRegisteredClass,
  layoutModes,
  listPlugins,
  registerPlugin,
  resolveLayerTarget,
  resolvePlugin,
  resolveProjector,
  tensorize,
  validatePlugin,
  type DenseLayerInfo,
  type Factors,
  type FactorizedLayerSpec,
  type FormatPlugin,
  type LayerKind,
  type LayerTarget,
  type MiddleForm,
  type RankSpec,
  type RankValue,
  type TensorLayout,
} from '@tensorslim/core';
import { frobNorm, relError, Rng, TensorslimError, type DenseTensor } from '@tensorslim/linalg';

/** What the suite needs to know about a format beyond its plugin object. */
export interface ConformanceOptions {
  /**
   * The format's ranks for a tensor of `shape` with every rank `r` where its convention allows
   * (TT: `[1, r, …, r, 1]`; TR: `[r, …, r]`; CP: `[r]`). `layout` is given when the tensor is a
   * layer kernel in that layout (Tucker then ranks the channel modes it decomposes by default).
   * Must pass `r` through unchanged, even when it is 0 or 1.5 (the suite checks such ranks fail).
   */
  uniformRanks(shape: readonly number[], r: number, layout?: TensorLayout): RankValue[];
  /**
   * A random member of the format: factors of a tensor of `shape` at `ranks` (valid ranks, as
   * `resolveRanks` returns them), drawn from `rng`. The tensor must be linear in `cores[0]`.
   */
  randomFactors(shape: readonly number[], ranks: readonly number[], rng: Rng, layout?: TensorLayout): Factors;
  /** Relative error allowed when recovering an exact member (default 1e-8). */
  readonly exactTolerance?: number;
  /** Relative change allowed when projecting a projection again (default 1e-6). */
  readonly idempotenceTolerance?: number;
  /** The relative error ε checked with an `{ eps }` spec, or `false` when the format offers none (default 0.3). */
  readonly eps?: number | false;
  /** Numbers `paramCount` counts for stored factors (default: every core's entries). */
  storedParams?(factors: Factors): number;
  /** Plan options for the projector and layer cases (e.g. a start mode). */
  readonly options?: Readonly<Record<string, unknown>>;
  /**
   * A directory with a model saved by an earlier version of the plugin's layers (`model.json`
   * holding `modelTopology`, `weightSpecs`, `input`, `output`, `classes`; and `weights.bin`):
   * it must still load and predict `output` for `input`.
   */
  readonly savedModel?: string | URL;
}

const SHAPE = [6, 4, 5];
/** Layer cases: a 3×3 conv 6 → 8 and a dense 12 → 8, both with several out and in modes. */
const LAYERS = {
  conv2d: { kernelShape: [3, 3, 6, 8], outModes: [4, 2], inModes: [3, 2], input: [7, 7, 6] },
  dense: { kernelShape: [12, 8], outModes: [4, 2], inModes: [4, 3], input: [12] },
} as const;
const GEOMETRIES = [
  { strides: 1, padding: 'same', dilationRate: 1 },
  { strides: 2, padding: 'valid', dilationRate: 1 },
  { strides: 1, padding: 'same', dilationRate: 2 },
] as const;
const MODES = ['factorized', 'reconstructed'] as const;

function randn(shape: readonly number[], rng: Rng): DenseTensor {
  return { shape: [...shape], data: rng.normalArray(shape.reduce((a, b) => a * b, 1)) };
}

/** The TensorslimError `f` throws (fails the test when it throws none, or something else). */
function errorOf(f: () => unknown): TensorslimError {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(TensorslimError);
    return e as TensorslimError;
  }
  return expect.unreachable('expected a TensorslimError') as never;
}

function maxAbs(t: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]!);
}

const f32 = (t: DenseTensor): tf.Tensor => tf.tensor(Float32Array.from(t.data), [...t.shape], 'float32');

/**
 * Registers the conformance tests of `plugin` with vitest (call it at the top level of a test
 * file). They check:
 * - the contract (`validatePlugin`), registration in a fresh registry, the layer classes known
 *   to TF.js;
 * - exact recovery of tensors built from random factors at their ranks; `reconstruct(decompose(x))`
 *   within ε for an `{ eps }` spec, and `resolveRanks` with the tensor agreeing with it;
 * - `paramCount` against the stored factors; `resolveRanks` clamping a huge max rank and giving
 *   ranks that resolve to themselves; wrong-length, zero and fractional ranks rejected by
 *   `resolveRanks`, `decompose` and `paramCount` with `TS_RANK` and a hint saying what to do;
 * - the projector: the kernel's shape, a member at the target's ranks (the decomposition
 *   represents it), idempotent, exact members kept, and for a member plus noise a point no
 *   farther from the member, nor from the noisy weight, than the member is;
 * - the layers (when the plugin has them): the dense Conv2D (stride 1 and 2, same/valid,
 *   dilation 2) and Dense computation within 1e-4 in both forward modes, parameter and FLOP
 *   counts that match the built layer, save → load through TF.js serialization, a training
 *   step that changes every core, and (with `savedModel`) a model saved by an earlier version.
 */
export function describePluginConformance(plugin: FormatPlugin, options: ConformanceOptions): void {
  const o = {
    exactTolerance: 1e-8,
    idempotenceTolerance: 1e-6,
    eps: 0.3 as number | false,
    storedParams: (f: Factors) => f.cores.reduce((s, c) => s + c.data.length, 0),
    ...options,
  };
  const d = plugin.decomposition;
  const planOptions = o.options ?? {};
  const resolve = (shape: readonly number[], spec: RankSpec, layout?: TensorLayout) =>
    d.resolveRanks(shape, spec, { ...planOptions, ...(layout ? { layout } : {}) });

  /** A random member at rank 2 of a layer kind's layout: its target, factors and kernel. */
  function layerCase(kind: LayerKind, rng: Rng, forwardMode = 'auto') {
    const c = LAYERS[kind];
    const probe = resolveLayerTarget(
      'conformance',
      { format: plugin.id, outModes: c.outModes, inModes: c.inModes, ranks: { maxRank: 1 } },
      kind,
      c.kernelShape,
    );
    const modes = layoutModes(probe.layout);
    const ranks = resolve(modes, { ranks: o.uniformRanks(modes, 2, probe.layout) }, probe.layout);
    const target: LayerTarget = { ...probe, ranks: { ranks }, options: { ...planOptions, forwardMode } };
    const f = o.randomFactors(modes, ranks, rng, probe.layout);
    let kernel = detensorize(d.reconstruct(f), probe.layout);
    // scale cores[0] so that kernel entries are O(1)
    const s = 1 / Math.max(...Array.from(kernel.data, Math.abs));
    const factors: Factors = { ...f, cores: f.cores.map((core, i) => (i === 0 ? { shape: core.shape, data: core.data.map((v) => v * s) } : core)) };
    kernel = detensorize(d.reconstruct(factors), probe.layout);
    return { target, factors, kernel, modes };
  }

  describe(`format plugin "${plugin.id}" conformance`, () => {
    beforeAll(async () => {
      await tf.setBackend('cpu');
    });

    it('satisfies the contract and registers in a fresh registry', () => {
      validatePlugin(plugin);
      expect(plugin.projector.id).toBe(plugin.id);
      expect(d.rankConvention.length).toBeGreaterThan(0);
      const r = createRegistry();
      registerPlugin(plugin, r);
      expect(listPlugins(r)).toEqual([plugin]);
      expect(resolvePlugin(plugin.id, r)).toBe(plugin);
      expect(resolveProjector(plugin.id, r)).toBe(plugin.projector);
      for (const name of plugin.layers?.classNames ?? []) expect(isRegisteredClass(name), name).toBe(true);
    });

    it('recovers exact low-rank tensors built from random factors at their ranks', () => {
      const rng = new Rng(11);
      for (const r of [1, 2]) {
        const ranks = resolve(SHAPE, { ranks: o.uniformRanks(SHAPE, r) });
        const x = d.reconstruct(o.randomFactors(SHAPE, ranks, rng));
        const f = d.decompose(x, { ranks }, { ...planOptions });
        expect(f.format).toBe(plugin.id);
        expect(f.shape).toEqual(SHAPE);
        expect(f.ranks).toEqual(ranks);
        expect(relError(x, d.reconstruct(f)), `rank ${r}`).toBeLessThan(o.exactTolerance);
      }
    });

    it.skipIf(o.eps === false)('keeps reconstruct(decompose(x)) within the ε of an eps spec', () => {
      const eps = o.eps as number;
      const x = randn(SHAPE, new Rng(12));
      const f = d.decompose(x, { eps }, { ...planOptions });
      expect(relError(x, d.reconstruct(f))).toBeLessThanOrEqual(eps);
      expect(d.resolveRanks(SHAPE, { eps }, { ...planOptions, tensor: x })).toEqual(f.ranks);
      expect(errorOf(() => d.resolveRanks(SHAPE, { eps }, { ...planOptions })).code).toBe('TS_RANK');
    });

    it('counts the parameters the factors store', () => {
      const x = randn(SHAPE, new Rng(13));
      for (const spec of [{ ranks: o.uniformRanks(SHAPE, 2) }, { maxRank: 3 }]) {
        const f = d.decompose(x, spec, { ...planOptions });
        expect(d.paramCount(SHAPE, f.ranks, { ...planOptions })).toBe(o.storedParams(f));
      }
    });

    it('clamps ranks to what the shape allows, and resolved ranks resolve to themselves', () => {
      const x = randn(SHAPE, new Rng(14));
      const big = resolve(SHAPE, { maxRank: 1000 });
      expect(big.every((r) => Number.isInteger(r) && r >= 1 && r < 1000)).toBe(true);
      expect(resolve(SHAPE, { ranks: big })).toEqual(big);
      expect(d.decompose(x, { maxRank: 1000 }, { ...planOptions }).ranks).toEqual(big);
      const two = resolve(SHAPE, { ranks: o.uniformRanks(SHAPE, 2) });
      expect(resolve(SHAPE, { ranks: two })).toEqual(two);
    });

    it('rejects wrong-length, zero and fractional ranks with TS_RANK saying what to do', () => {
      const x = randn(SHAPE, new Rng(15));
      const good = o.uniformRanks(SHAPE, 2);
      for (const bad of [[...good, 2], o.uniformRanks(SHAPE, 0), o.uniformRanks(SHAPE, 1.5)]) {
        for (const [what, f] of [
          ['resolveRanks', () => d.resolveRanks(SHAPE, { ranks: bad }, { ...planOptions })],
          ['decompose', () => d.decompose(x, { ranks: bad }, { ...planOptions })],
          ['paramCount', () => d.paramCount(SHAPE, bad as number[], { ...planOptions })],
        ] as const) {
          const e = errorOf(f);
          expect(e.code, `${what}([${bad.join(', ')}])`).toBe('TS_RANK');
          expect(e.hint ?? '', `${what}([${bad.join(', ')}]) says what to change`).not.toBe('');
        }
      }
    });

    it('projects to the kernel shape, idempotently, keeping members and moving noisy weights towards them', () => {
      const rng = new Rng(16);
      for (const kind of ['conv2d', 'dense'] as const) {
        const { target, kernel: m } = layerCase(kind, rng);
        const w = randn(m.shape, rng);
        const z = plugin.projector.project(w, target);
        expect(z.shape, kind).toEqual(m.shape);
        expect(relError(w, z), `${kind}: a random weight is not a member, so it moves`).toBeGreaterThan(1e-3);
        const zt = tensorize(z, target.layout);
        const back = d.reconstruct(d.decompose(zt, target.ranks, { ...planOptions, layout: target.layout }));
        expect(relError(zt, back), `${kind}: Π(w) is a member at the target's ranks`).toBeLessThan(o.idempotenceTolerance);
        expect(relError(z, plugin.projector.project(z, target)), `${kind}: Π(Π(w)) = Π(w)`).toBeLessThan(o.idempotenceTolerance);
        expect(relError(m, plugin.projector.project(m, target)), `${kind}: Π(m) = m`).toBeLessThan(o.exactTolerance);
        const noise = randn(m.shape, rng);
        const scale = (0.01 * frobNorm(m)) / frobNorm(noise);
        const wn: DenseTensor = { shape: m.shape, data: m.data.map((v, i) => v + scale * noise.data[i]!) };
        const p = plugin.projector.project(wn, target);
        const dist = (a: DenseTensor, b: DenseTensor) => Math.sqrt(a.data.reduce((s, v, i) => s + (v - b.data[i]!) ** 2, 0));
        expect(dist(p, m), `${kind}: ‖Π(w) − m‖ ≤ ‖w − m‖`).toBeLessThanOrEqual(dist(wn, m));
        expect(dist(wn, p), `${kind}: ‖w − Π(w)‖ ≤ ‖w − m‖`).toBeLessThanOrEqual(dist(wn, m) * (1 + 1e-9));
      }
    });

    const layers = plugin.layers;
    describe.skipIf(!layers)('factorized layers', () => {
      /** The spec of a member layer of `kind` with a dense twin; the built layer; an input. */
      function build(kind: LayerKind, geometry: (typeof GEOMETRIES)[number], mode: string, seed: number) {
        const rng = new Rng(seed);
        const c = LAYERS[kind];
        const { target, factors, kernel, modes } = layerCase(kind, rng, mode);
        const cout = c.kernelShape[c.kernelShape.length - 1]!;
        const bias = randn([cout], rng);
        const out = (n: number) =>
          geometry.padding === 'same' ? Math.ceil(n / geometry.strides) : Math.ceil((n - 2 * geometry.dilationRate) / geometry.strides);
        const info: DenseLayerInfo = {
          name: 'conformance',
          kind,
          config: kind === 'conv2d' ? { ...geometry, useBias: true, activation: 'linear' } : { useBias: true, activation: 'linear' },
          inputShape: [...c.input],
          outputShape: kind === 'conv2d' ? [out(c.input[0]), out(c.input[1]!), cout] : [cout],
          kernel,
          bias,
        };
        const spec = layers!.fromFactors(info, factors, target);
        const layer = instantiateLayer(spec, c.input);
        const x = f32(randn([2, ...c.input], rng));
        return { spec, layer, x, kernel, bias, factors, modes, target };
      }

      /** A model of the spec's layer alone, built through `apply` so its weights carry the layer's name. */
      function modelOf(spec: FactorizedLayerSpec, kind: LayerKind): { model: tfl.LayersModel; layer: tfl.layers.Layer } {
        const Cls = tf.serialization.SerializationMap.getMap().classNameMap[spec.className]![0] as unknown as new (c: object) => tfl.layers.Layer;
        const layer = new Cls(spec.config);
        const input = tfl.input({ shape: [...LAYERS[kind].input] });
        const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
        layer.setWeights(spec.weights.map(f32));
        return { model, layer };
      }

      for (const mode of MODES) {
        for (const g of GEOMETRIES) {
          it(`Conv2D, stride ${g.strides}, ${g.padding}, dilation ${g.dilationRate}, ${mode}: the dense convolution within 1e-4`, () => {
            const { spec, layer, x, kernel, bias } = build('conv2d', g, mode, 20);
            const got = layer.apply(x) as tf.Tensor;
            const want = tf.add(tf.conv2d(x as tf.Tensor4D, f32(kernel) as tf.Tensor4D, g.strides, g.padding, 'NHWC', g.dilationRate), f32(bias));
            expect(got.shape).toEqual(want.shape);
            expect(maxAbs(tf.sub(got, want))).toBeLessThan(1e-4 * Math.max(1, maxAbs(want)));
            expect(layer).toBeInstanceOf(FactorizedConv2D);
            const l = layer as FactorizedConv2D;
            expect(l.forwardMode).toBe(mode);
            expect(spec.flops, 'fromFactors counts the forward the layer runs').toBe(mode === 'factorized' ? l.factorizedFlops() : l.denseFlops());
          });
        }
        it(`Dense, ${mode}: the dense layer within 1e-4`, () => {
          const { spec, layer, x, kernel, bias } = build('dense', GEOMETRIES[0], mode, 21);
          const got = layer.apply(x) as tf.Tensor;
          const want = tf.add(tf.matMul(x as tf.Tensor2D, f32(kernel) as tf.Tensor2D), f32(bias));
          expect(maxAbs(tf.sub(got, want))).toBeLessThan(1e-4 * Math.max(1, maxAbs(want)));
          expect(layer).toBeInstanceOf(FactorizedDense);
          const l = layer as FactorizedDense;
          expect(l.forwardMode).toBe(mode);
          expect(spec.flops).toBe(mode === 'factorized' ? l.factorizedFlops() : l.denseFlops());
        });
      }

      it('its stage sizes (for FLOPs) describe the stages its cores make', () => {
        for (const kind of ['conv2d', 'dense'] as const) {
          const { layer } = build(kind, GEOMETRIES[0], 'auto', 25);
          const l = layer as FactorizedConv2D | FactorizedDense;
          const s = l.stageSizes();
          const [kh, kw] = kind === 'conv2d' ? (l as FactorizedConv2D).kernelSize : [1, 1];
          let shapes = { inMap: null as number[] | null, middle: null as number[] | null, outMap: null as number[] | null, form: 'full' as MiddleForm };
          tf.tidy(() => {
            const m = l.maps(l.getWeights().slice(0, l.coreShapes().length));
            shapes = { inMap: m.inMap?.shape ?? null, middle: m.middle?.shape ?? null, outMap: m.outMap?.shape ?? null, form: m.middleForm ?? 'full' };
          });
          const g = s.groups ?? 1;
          expect([s.cin, s.cout, s.kh, s.kw], kind).toEqual([l.inputChannels, l.units, kh, kw]);
          expect(shapes.inMap, `${kind}: input map [Cin, R1]`).toEqual(s.inIdentity ? null : [s.cin, s.r1]);
          expect(shapes.outMap, `${kind}: output map [R2, Cout]`).toEqual(s.outIdentity ? null : [s.r2, s.cout]);
          if (kind === 'dense') {
            expect(shapes.middle, 'dense middle [R1, R2]').toEqual(s.middleIdentity ? null : [s.r1, s.r2]);
            if (s.middleIdentity) expect(s.r1, 'no middle: R1 = R2').toBe(s.r2);
          } else {
            const want = { full: [kh, kw, s.r1, s.r2], depthwise: [kh, kw, s.r1, 1], shared: [kh, kw, s.r1 / g, s.r2 / g] }[shapes.form];
            expect(shapes.middle, `conv middle (${shapes.form})`).toEqual(want);
            expect(g, `groups of a ${shapes.form} middle`).toBe({ full: 1, depthwise: s.r1, shared: g }[shapes.form]);
          }
        }
      });

      it('stores the cores and the bias, as many numbers as paramCount says', () => {
        for (const kind of ['conv2d', 'dense'] as const) {
          const { spec, factors, modes, target } = build(kind, GEOMETRIES[0], 'auto', 22);
          const cout = LAYERS[kind].kernelShape[LAYERS[kind].kernelShape.length - 1]!;
          expect(spec.params, kind).toBe(spec.weights.reduce((s, w) => s + w.data.length, 0));
          expect(spec.params - cout, kind).toBe(d.paramCount(modes, factors.ranks, { ...planOptions, layout: target.layout }));
        }
      });

      it('saves and loads again through TF.js serialization, computing the same', async () => {
        for (const kind of ['conv2d', 'dense'] as const) {
          const { spec, x } = build(kind, GEOMETRIES[1], 'factorized', 23);
          const { model, layer } = modelOf(spec, kind);
          let saved: tf.io.ModelArtifacts | undefined;
          await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
          const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
          expect(loaded.layers[1]!.getClassName()).toBe(spec.className);
          expect(loaded.layers[1]!.getConfig()).toEqual(layer.getConfig());
          const a = model.predict(x) as tf.Tensor;
          const b = loaded.predict(x) as tf.Tensor;
          expect(maxAbs(tf.sub(a, b)), kind).toBeLessThanOrEqual(1e-6 * Math.max(1, maxAbs(a)));
        }
      });

      it('a training step changes every core', async () => {
        for (const kind of ['conv2d', 'dense'] as const) {
          const { spec, x } = build(kind, GEOMETRIES[0], 'factorized', 24);
          const { model, layer } = modelOf(spec, kind);
          model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
          const y = tf.randomNormal(
            model.outputs[0]!.shape.map((s) => s ?? 2),
            0,
            1,
            'float32',
            5,
          );
          const before = layer.getWeights().map((w) => w.dataSync().slice());
          await model.trainOnBatch(x, y);
          const after = layer.getWeights().map((w) => w.dataSync());
          layer.weights.forEach((w, i) => {
            const moved = before[i]!.some((v, j) => v !== after[i]![j]);
            expect(moved, `${kind}: weight ${w.originalName ?? w.name}`).toBe(true);
          });
        }
      });

      it.skipIf(!o.savedModel)('loads a model saved by an earlier version of the layers, with the same outputs', async () => {
        const dir = String(o.savedModel).endsWith('/') ? String(o.savedModel) : `${String(o.savedModel)}/`;
        const at = (f: string) => (dir.startsWith('file:') ? new URL(f, dir) : `${dir}${f}`);
        const saved = JSON.parse(readFileSync(at('model.json'), 'utf8')) as {
          modelTopology: tf.io.ModelJSON['modelTopology'];
          weightSpecs: tf.io.WeightsManifestEntry[];
          input: { shape: number[]; data: number[] };
          output: { shape: number[]; data: number[] };
          classes: string[];
        };
        const w = readFileSync(at('weights.bin'));
        const weightData = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength);
        const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: saved.modelTopology, weightSpecs: saved.weightSpecs, weightData }));
        expect(model.layers.map((l) => l.getClassName())).toEqual(saved.classes);
        const y = model.predict(tf.tensor(saved.input.data, saved.input.shape)) as tf.Tensor;
        expect(y.shape).toEqual(saved.output.shape);
        expect(maxAbs(tf.sub(y, tf.tensor(saved.output.data, saved.output.shape)))).toBeLessThan(1e-5);
      });
    });
  });
}
