import { describe, expect, it } from 'vitest';
import { detensorize, factorizeChannels, tensorize, validateLayout, type TensorLayout } from '../src/index.js';
import { Rng, tensor } from '@tensorslim/linalg';

describe('tensorization (the paper layout)', () => {
  it('conv kernel [kh,kw,Cin,Cout] maps entry (a,b,i,o) to [o.., a*kw+b, i..]', () => {
    const rng = new Rng(3);
    const k = tensor([3, 2, 6, 4], rng.normalArray(3 * 2 * 6 * 4));
    const layout: TensorLayout = { kind: 'conv2d', kernelShape: [3, 2, 6, 4], outModes: [2, 2], inModes: [3, 2] };
    const t = tensorize(k, layout);
    expect(t.shape).toEqual([2, 2, 6, 3, 2]);
    // entry (a=2,b=1,i=5,o=3): o = 3 -> (1,1); i = 5 -> (2,1); spatial 2*2+1 = 5
    const kv = k.data[((2 * 2 + 1) * 6 + 5) * 4 + 3];
    const idx = (((1 * 2 + 1) * 6 + 5) * 3 + 2) * 2 + 1;
    expect(t.data[idx]).toBe(kv);
    expect(Array.from(detensorize(t, layout).data)).toEqual(Array.from(k.data));
  });
  it('dense kernel [In,Out] becomes [o.., i..] and back', () => {
    const k = tensor(
      [6, 4],
      Array.from({ length: 24 }, (_, i) => i),
    );
    const layout: TensorLayout = { kind: 'dense', kernelShape: [6, 4], outModes: [4], inModes: [2, 3] };
    const t = tensorize(k, layout);
    expect(t.shape).toEqual([4, 2, 3]);
    expect(t.data[(3 * 2 + 1) * 3 + 2]).toBe(k.data[5 * 4 + 3]);
    expect(Array.from(detensorize(t, layout).data)).toEqual(Array.from(k.data));
  });
  it('refuses modes that do not factor the channels, naming a split that does', () => {
    expect(() => validateLayout({ kind: 'dense', kernelShape: [6, 4], outModes: [3], inModes: [6] }, 'fc')).toThrow(
      /outModes \[3\] multiply to 3.*4 output channels.*use factors of 4/,
    );
    expect(factorizeChannels(64, 3)).toEqual([4, 4, 4]);
    expect(factorizeChannels(256, 2)).toEqual([16, 16]);
    expect(factorizeChannels(13, 2)).toEqual([13]);
  });
});
