// A matrix (Dense kernel or 1×1 convolution) in Tucker is Tucker-2 on (out, in): at a compression
// ratio it has exactly the truncated SVD's error at its rank (numpy reference:
// fixtures/make_svd_fixture.py), and the factorized forward runs fewer multiply-adds than the dense one.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decomposeLayer, resolveLayerTarget, type DenseLayerInfo } from '@tensorslim/core';
import { relError } from '@tensorslim/linalg';
import { tuckerDecomposition, tuckerPlugin } from '../src/index.js';

const fx = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/svd_matrix.json', import.meta.url)), 'utf8')) as {
  shape: [number, number];
  data: number[];
  rel_tail: number[];
};
const [nIn, nOut] = fx.shape;
const data = Float64Array.from(fx.data);

const layers: DenseLayerInfo[] = [
  { name: 'fc', kind: 'dense', config: { useBias: false }, inputShape: [nIn], outputShape: [nOut], kernel: { shape: [nIn, nOut], data } },
  {
    name: 'pw',
    kind: 'conv2d',
    config: { useBias: false, padding: 'same', strides: [1, 1] },
    inputShape: [4, 4, nIn],
    outputShape: [4, 4, nOut],
    kernel: { shape: [1, 1, nIn, nOut], data },
  },
];

describe('Tucker of a matrix = truncated SVD (numpy fixture)', () => {
  it.each(layers)('$name at ratio 2: ranks (r, r), error = numpy rank-r error, fewer MACs', (layer) => {
    const pref = tuckerPlugin.preferredModes!(layer.kind, layer.kernel.shape);
    expect(pref).toEqual({ outModes: [nOut], inModes: [nIn] });
    const target = resolveLayerTarget(layer.name, { format: 'tucker', ranks: { ratio: 2 } }, layer.kind, layer.kernel.shape, pref);
    const { factors, spec } = decomposeLayer(tuckerPlugin, layer, target);
    // 48·32 = 1536 entries; r(48 + 32) + r² ≤ 768 holds up to r = 8 (704), not at 9 (801)
    expect(factors.ranks).toEqual([8, 8]);
    const back = tuckerDecomposition.reconstruct(factors);
    // the tensorized kernel is [Out, (1,) In]: compare against the transposed fixture
    const want = new Float64Array(nIn * nOut);
    for (let i = 0; i < nIn; i++) for (let o = 0; o < nOut; o++) want[o * nIn + i] = data[i * nOut + o]!;
    expect(relError({ shape: back.shape, data: want }, back)).toBeCloseTo(fx.rel_tail[8]!, 10);
    expect(spec.params).toBe(704);
    const pixels = layer.kind === 'conv2d' ? 16 : 1;
    expect(spec.flops).toBe(pixels * 704); // factorized forward: In·r + r·r + r·Out per position
    expect(spec.flops).toBeLessThan(pixels * nIn * nOut);
  });

  it('the rank ladder gives the numpy tail at every rank', () => {
    const t = { shape: [nOut, nIn], data: new Float64Array(nIn * nOut) };
    for (let i = 0; i < nIn; i++) for (let o = 0; o < nOut; o++) t.data[o * nIn + i] = data[i * nOut + o]!;
    const layout = { kind: 'dense' as const, kernelShape: [nIn, nOut], outModes: [nOut], inModes: [nIn] };
    const steps = tuckerDecomposition.rankLadder!(t, { layout });
    expect(steps.map((s) => s.ranks[0])).toEqual(Array.from({ length: nOut }, (_, i) => nOut - i));
    const norm2 = t.data.reduce((s, v) => s + v * v, 0);
    for (const s of steps) expect(Math.sqrt(s.err2 / norm2)).toBeCloseTo(fx.rel_tail[s.ranks[0]!]!, 8);
  });
});
