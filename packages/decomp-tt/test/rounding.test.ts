import { describe, expect, it } from 'vitest';
import { type Factors } from '@tensorslim/core';
import { relError } from '@tensorslim/linalg';
import { ttParamCount, ttReconstruct, ttRound, ttSvd, validateTtFactors } from '../src/index.js';
import { randn, randomTt } from './helpers.js';

/** X + Y as a TT tensor with ranks r_x + r_y (block-diagonal cores): redundant on purpose. */
function ttSum(x: Factors, y: Factors): Factors {
  const d = x.shape.length;
  const ranks = x.ranks.map((r, k) => (k === 0 || k === d ? 1 : r + y.ranks[k]!));
  const cores = x.shape.map((n, k) => {
    const [a, b] = [ranks[k]!, ranks[k + 1]!];
    const out = new Float64Array(a * n * b);
    const put = (c: Factors['cores'][number], ro: number, co: number): void => {
      const [ca, cn, cb] = c.shape as [number, number, number];
      for (let i = 0; i < ca; i++)
        for (let j = 0; j < cn; j++) for (let l = 0; l < cb; l++) out[((i + ro) * n + j) * b + l + co] = c.data[(i * cn + j) * cb + l]!;
    };
    put(x.cores[k]!, 0, 0);
    put(y.cores[k]!, k === 0 ? 0 : x.ranks[k]!, k === d - 1 ? 0 : x.ranks[k + 1]!);
    return { shape: [a, n, b], data: out };
  });
  return { format: 'tt', shape: x.shape, ranks, cores };
}

describe('TT rounding', () => {
  it('X + X rounds back to the ranks of X without error', () => {
    const x = randomTt([4, 5, 6, 3], [1, 3, 4, 2, 1], 7);
    const s = ttSum(x, x);
    validateTtFactors(s);
    expect(s.ranks).toEqual([1, 6, 8, 4, 1]);
    const dense = ttReconstruct(s);
    const xd = ttReconstruct(x);
    expect(relError(dense, { shape: xd.shape, data: xd.data.map((v) => 2 * v) })).toBeLessThan(1e-12);
    const r = ttRound(s, { eps: 1e-10 });
    expect(r.ranks).toEqual([1, 3, 4, 2, 1]);
    expect(relError(dense, ttReconstruct(r))).toBeLessThan(1e-12);
  });
  it('truncating an exact TT representation equals TT-SVD of the dense tensor', () => {
    const a = randn([5, 6, 4, 7], 3);
    const full = ttSvd(a, { maxRank: 1000 });
    expect(relError(a, ttReconstruct(full))).toBeLessThan(1e-12);
    for (const spec of [{ maxRank: 3 }, { ranks: [1, 2, 5, 3, 1] }, { eps: 0.3 }] as const) {
      const viaRound = ttRound(full, spec);
      const direct = ttSvd(a, spec);
      expect(viaRound.ranks).toEqual(direct.ranks);
      const e1 = relError(a, ttReconstruct(viaRound));
      const e2 = relError(a, ttReconstruct(direct));
      expect(Math.abs(e1 / e2 - 1)).toBeLessThan(1e-9);
    }
  });
  it('ε guarantee and parameter savings on a sum of two TT tensors', () => {
    const x = randomTt([6, 6, 6, 6], [1, 3, 3, 3, 1], 1);
    const y = randomTt([6, 6, 6, 6], [1, 2, 2, 2, 1], 2);
    const s = ttSum(x, y);
    const dense = ttReconstruct(s);
    const full = ttParamCount(s.shape, s.ranks);
    const params = [0.3, 0.1, 1e-3].map((eps) => {
      const r = ttRound(s, { eps });
      expect(relError(dense, ttReconstruct(r))).toBeLessThanOrEqual(eps);
      return ttParamCount(r.shape, r.ranks);
    });
    expect(params).toHaveLength(3);
    expect(params[2]).toBeLessThanOrEqual(full);
    // a loose tolerance saves parameters: the sum's ranks 5 are not all needed for 10% error
    expect(params[0]).toBeLessThan(full);
    expect(params[1]).toBeLessThan(full);
    // the sum has TT ranks at most 5 and rounding at eps ~ 0 finds a representation no bigger
    const exact = ttRound(s, { eps: 1e-12 });
    expect(Math.max(...exact.ranks)).toBeLessThanOrEqual(5);
    expect(relError(dense, ttReconstruct(exact))).toBeLessThan(1e-11);
  });
  it('rejects malformed factors', () => {
    const x = randomTt([3, 4], [1, 2, 1], 1);
    expect(() => ttRound({ ...x, cores: [x.cores[0]!] }, { maxRank: 1 })).toThrow(/1 cores/);
    expect(() => ttRound({ ...x, ranks: [1, 3, 1] }, { maxRank: 1 })).toThrow(/core 0 has shape \[1, 3, 2\]/);
  });
});
