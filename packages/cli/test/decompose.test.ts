import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { registerPlugin, type Factors, type FormatPlugin, type RankSpec } from '@tensorslim/core';
import { matmul, matrix, Rng, svd, tensor, writeNpy } from '@tensorslim/linalg';
import { runDecompose } from '../src/commands/decompose.js';

// A test-only format: a plain truncated matrix SVD of a 2-D tensor (ranks: [r]).
const lowrank: FormatPlugin = {
  id: 'test-lowrank',
  name: 'test low rank',
  description: 'matrix SVD, for tests',
  decomposition: {
    rankConvention: 'one rank',
    resolveRanks: (shape: readonly number[], spec: RankSpec) => [Math.min((spec as { ranks: number[] }).ranks[0]!, ...shape)],
    decompose(t, spec): Factors {
      const [m, n] = t.shape as [number, number];
      const r = this.resolveRanks(t.shape, spec);
      const f = svd(matrix(m, n, t.data), { k: r[0] });
      const us = matrix(
        m,
        r[0]!,
        f.u.data.map((v, i) => v * f.s[i % r[0]!]!),
      );
      return { format: 'test-lowrank', shape: [m, n], ranks: r, cores: [tensor([m, r[0]!], us.data), tensor([r[0]!, n], f.vt.data)] };
    },
    reconstruct(f) {
      const [a, b] = f.cores as [{ shape: number[]; data: Float64Array }, { shape: number[]; data: Float64Array }];
      return tensor(f.shape, matmul(matrix(a.shape[0]!, a.shape[1]!, a.data), matrix(b.shape[0]!, b.shape[1]!, b.data)).data);
    },
    paramCount: (shape, ranks) => ranks[0]! * (shape[0]! + shape[1]!),
  },
  projector: { id: 'test-lowrank', project: (w) => w },
};

let dir = '';
beforeAll(() => {
  registerPlugin(lowrank);
  dir = mkdtempSync(join(tmpdir(), 'decompose-'));
  const rng = new Rng(7);
  const a = matmul(matrix(20, 3, rng.normalArray(60)), matrix(3, 30, rng.normalArray(90)));
  writeFileSync(join(dir, 'x.npy'), writeNpy(tensor([20, 30], a.data)));
  writeFileSync(join(dir, 'bad.npy'), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
});

describe('tensorslim decompose', () => {
  it('reports ranks, params, ratio and relError through the registry', () => {
    const { result } = runDecompose({ format: 'test-lowrank', input: join(dir, 'x.npy'), ranks: '3', repeat: '3' });
    expect(result.shape).toEqual([20, 30]);
    expect(result.ranks).toEqual([3]);
    expect(result.params).toBe(150);
    expect(result.compressionRatio).toBeCloseTo(600 / 150, 12);
    expect(result.relError).toBeLessThan(1e-12);
    expect(result.ms).toBeGreaterThan(0);
    const trunc = runDecompose({ format: 'test-lowrank', input: join(dir, 'x.npy'), ranks: '1' }).result;
    expect(trunc.relError).toBeGreaterThan(0.1);
  });
  it('reports clamped ranks', () => {
    const { result, notes } = runDecompose({ format: 'test-lowrank', input: join(dir, 'x.npy'), ranks: '50' });
    expect(result.ranks).toEqual([20]);
    expect(notes[0]).toMatch(/clamped.*\[50\].*\[20\]/);
  });
  it('fails clearly on bad input', () => {
    expect(() => runDecompose({ format: 'nope', input: join(dir, 'x.npy'), ranks: '3' })).toThrow(/unknown format "nope".*test-lowrank/);
    expect(() => runDecompose({ format: 'test-lowrank', input: join(dir, 'missing.npy'), ranks: '3' })).toThrow(/does not exist/);
    expect(() => runDecompose({ format: 'test-lowrank', input: join(dir, 'bad.npy'), ranks: '3' })).toThrow(/not a \.npy file/);
    expect(() => runDecompose({ format: 'test-lowrank', input: join(dir, 'x.npy'), ranks: '3,0' })).toThrow(/not a positive integer/);
    expect(() => runDecompose({ format: 'test-lowrank', input: join(dir, 'x.npy') })).toThrow(/no rank given/);
  });
});
