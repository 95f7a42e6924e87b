import { describe, expect, it } from 'vitest';
import { allocateBudget, budgetSchema, type BudgetLayer } from '../src/index.js';

// two layers of 100 parameters each in a model of 250: layer a loses little error per parameter
// saved, layer b a lot; a budget of half the model must come from a first
const a: BudgetLayer = {
  name: 'a',
  params: 100,
  flops: 1000,
  choices: [
    { ranks: [4], params: 60, flops: 600, err2: 0.01 },
    { ranks: [2], params: 30, flops: 300, err2: 0.05 },
    { ranks: [3], params: 45, flops: 450, err2: 0.2 }, // above the hull: never taken
    { ranks: [9], params: 120, flops: 1200, err2: 0 }, // costs more than the dense layer: never taken
  ],
};
const b: BudgetLayer = {
  name: 'b',
  params: 100,
  flops: 1000,
  choices: [
    { ranks: [4], params: 60, flops: 600, err2: 0.3 },
    { ranks: [2], params: 30, flops: 300, err2: 0.6 },
  ],
};
const totals = { params: 250, flops: 2000 };

describe('allocateBudget', () => {
  it('takes the least error per parameter saved first and stops once the budget holds', () => {
    const r = allocateBudget([a, b], totals, { targetParams: 0.6 }); // ≤ 150 params: a alone to 30 gives 180, not enough
    expect(r.met).toBe(true);
    expect(r.after.params).toBeLessThanOrEqual(150);
    expect(r.choices.a!.ranks).toEqual([2]);
    expect(r.choices.b!.ranks).toEqual([4]);
    expect(r.after).toEqual({ params: 140, flops: 900 });
    expect(r.err2).toBeCloseTo(0.35, 12);
  });

  it('gives back what the budget does not need', () => {
    const r = allocateBudget([a, b], totals, { targetParams: 0.85 }); // ≤ 212.5: a to 60 suffices
    expect(r.choices).toEqual({ a: a.choices[0] });
    expect(r.after.params).toBe(210);
  });

  it('a FLOP budget counts multiply-adds', () => {
    const r = allocateBudget([a, b], totals, { targetFlops: 0.5 });
    expect(r.after.flops).toBeLessThanOrEqual(1000);
    expect(r.choices.a!.ranks).toEqual([2]);
  });

  it('says when the budget is out of reach', () => {
    expect(allocateBudget([a, b], totals, { targetParams: 0.2 }).met).toBe(false);
  });

  it('the schema takes fractions 0 < F ≤ 1 only', () => {
    expect(budgetSchema.safeParse({ targetParams: 0.5 }).success).toBe(true);
    expect(budgetSchema.safeParse({ targetParams: 0 }).success).toBe(false);
    expect(budgetSchema.safeParse({ targetFlops: 1.5 }).success).toBe(false);
  });
});
