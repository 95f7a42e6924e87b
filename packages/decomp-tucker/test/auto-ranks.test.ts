/**
 * `auto` Tucker ranks: EVBMF (`@tensorslim/spectra`) on each decomposed mode's unfolding finds the
 * multilinear ranks of a noisy low-rank tensor.
 */
import { describe, expect, it } from 'vitest';
import { Rng, tensor } from '@tensorslim/linalg';
import { hooi, resolveTuckerRanks } from '../src/index.js';
import { randomTucker } from './helpers.js';

describe('EVBMF ranks', () => {
  it('`auto` ranks: EVBMF on each decomposed mode of a noisy Tucker tensor', () => {
    const rng = new Rng(21);
    const { x } = randomTucker(rng, [30, 24, 20], [0, 1, 2], [3, 4, 2]);
    // scale the signal so each mode's spectrum stands clear of the noise
    const noisy = tensor(
      x.shape,
      x.data.map((v) => 20 * v + 0.05 * rng.normal()),
    );
    expect(resolveTuckerRanks(noisy.shape, { auto: true }, { tensor: noisy })).toEqual([3, 4, 2]);
    const f = hooi(noisy, { auto: 'evbmf' }, { modes: [0, 2] });
    expect(f.ranks).toEqual([3, 2]);
  });

  it('`auto` on a conv layout [Cout, kh·kw, Cin], Tucker-2 modes (Kim et al. 2016)', () => {
    const rng = new Rng(22);
    const { x } = randomTucker(rng, [32, 9, 24], [0, 2], [5, 3]);
    const noisy = tensor(
      x.shape,
      x.data.map((v) => v + 0.002 * rng.normal()),
    );
    expect(resolveTuckerRanks(noisy.shape, { auto: true }, { tensor: noisy, modes: [0, 2] })).toEqual([5, 3]);
  });
});
