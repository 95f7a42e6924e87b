/**
 * Agreement with the independent numpy CP-ALS of test/fixtures/make_fixtures.py, from the same
 * initial factors (or from each side's own HOSVD init).
 *
 * Tolerances: both sides are float64 runs of the same deterministic iteration; they differ only
 * in rounding (einsum vs unfolding + Khatri–Rao + blocked GEMM, LAPACK vs core's eigensolver for
 * the pseudo-inverse), ~1e-16 relative per operation. ALS is a contraction near its fixed point,
 * so the difference between the two iterates stays at rounding level times a modest growth
 * factor, and the relative error is first-order insensitive to factor perturbations at a
 * minimum. Measured over these cases (a little different from run to run): the error histories
 * agree to ≤ 2.3e-14 (absolute, on errors of 0.04–0.76) and the reconstructions to ≤ 4e-14
 * relative. We assert 1e-10 and 1e-8, which leaves room for other BLAS/LAPACK builds and still
 * catches any algorithmic difference (on "noisy3", updating the modes in reverse order changes
 * the history by up to 0.2).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { relError, type DenseTensor } from '@tensorslim/linalg';
import { cpAls, cpReconstruct as reconstructCp, type CpAlsMeta } from '../src/index.js';

interface Mat {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  shape: number[];
  rank: number;
  sweeps: number;
  tol: number;
  tensor: number[];
  init: Mat[] | null;
  history: number[];
  factors: Mat[];
  weights: number[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/cp_als.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe('agreement with numpy CP-ALS (test/fixtures/make_fixtures.py)', () => {
  it('the fixture holds the four cases', () => {
    expect(fixture.cases.map((c) => c.name)).toEqual(['noisy3', 'conv', 'fourway', 'hosvd']);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const x: DenseTensor = { shape: c.shape, data: Float64Array.from(c.tensor) };
    const f = cpAls(x, { ranks: [c.rank] }, { init: c.init ?? 'svd', sweeps: c.sweeps, tol: c.tol });
    const m = f.meta as unknown as CpAlsMeta;
    // same number of sweeps (the stopping rule agrees), same error after every sweep
    expect(m.history.length).toBe(c.history.length);
    let worst = 0;
    for (let i = 0; i < c.history.length; i++) worst = Math.max(worst, Math.abs(m.history[i]! - c.history[i]!));
    expect(worst).toBeLessThan(1e-10);
    // the same tensor in the end ("conv" also checks the stopping rule: tol 1e-6 stops both at sweep 175)
    const theirs = reconstructCp({
      format: 'cp',
      shape: c.shape,
      ranks: [c.rank],
      cores: [...c.factors.map((a) => ({ shape: a.shape, data: Float64Array.from(a.data) })), { shape: [c.rank], data: Float64Array.from(c.weights) }],
    });
    const ours = reconstructCp(f);
    expect(Math.abs(relError(x, ours) - c.history[c.history.length - 1]!)).toBeLessThan(1e-10);
    expect(relError(theirs, ours)).toBeLessThan(1e-8);
    console.log(
      `${c.name}: ${m.history.length} sweeps, relError ${m.relError.toExponential(4)}, max |Δ history| ${worst.toExponential(1)}, reconstruction Δ ${relError(theirs, ours).toExponential(1)}`,
    );
  });
});
