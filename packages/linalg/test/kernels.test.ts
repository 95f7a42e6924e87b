/**
 * The WebAssembly kernels: the bytes embedded in src/kernels/assembled.ts are what the .wat
 * sources assemble to (so the two cannot drift apart), and each kernel computes what its
 * JavaScript twin computes, including the scalar tails after the SIMD loops.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as assembled from '../src/kernels/assembled.js';
import { assembleKernels, constantName, OUTPUT, renderModule } from '../scripts/assemble-kernels.mjs';
import { Heap, type Level1 } from '../src/heap.js';
import { Rng } from '../src/index.js';

describe('assembled kernels', () => {
  it('the committed module embeds exactly what the .wat files assemble to (else run `npm run kernels`)', async () => {
    const binaries = await assembleKernels();
    expect(Object.keys(binaries)).toEqual(['gemm.wat', 'level1.wat']);
    const embedded = assembled as unknown as Record<string, Uint8Array>;
    for (const [file, bytes] of Object.entries(binaries)) {
      expect(bytes.length, file).toBeGreaterThan(100);
      expect(Array.from(embedded[constantName(file)]!), file).toEqual(Array.from(bytes));
    }
    expect(readFileSync(OUTPUT, 'utf8')).toBe(renderModule(binaries));
  });

  it('each module validates and exports its kernels', () => {
    expect(WebAssembly.validate(assembled.GEMM_WASM as BufferSource)).toBe(true);
    expect(WebAssembly.validate(assembled.LEVEL1_WASM as BufferSource)).toBe(true);
    const names = (bytes: Uint8Array) => WebAssembly.Module.exports(new WebAssembly.Module(bytes as BufferSource)).map((e) => e.name);
    expect(names(assembled.GEMM_WASM)).toEqual(['micro', 'macro']);
    expect(names(assembled.LEVEL1_WASM)).toEqual(['dot', 'axpy', 'rot', 'dotaxpy', 'axpy2', 'scal', 'rank2dot']);
  });
});

describe('level-1 kernels: WebAssembly vs the JavaScript twins', () => {
  const wasm = new Heap(true);
  const js = new Heap(false);
  it('the WebAssembly heap has its kernels (this runtime has SIMD)', () => {
    expect(wasm.kernels).not.toBeNull();
    expect(js.kernels).toBeNull();
  });

  /** Runs `op` on both heaps with the same 6 random vectors of length n; returns both results and vectors. */
  function both(n: number, op: (l1: Level1, v: number[]) => number | void) {
    const rng = new Rng(n + 1);
    const data = rng.normalArray(6 * n);
    return [wasm, js].map((h) => {
      const base = h.alloc(6 * n + 8);
      h.f64.set(data, base);
      const v = Array.from({ length: 6 }, (_, i) => base + i * n);
      const r = op(h.l1, v);
      const out = Array.from(h.f64.subarray(base, base + 6 * n));
      h.top = 0;
      return { r, out };
    });
  }

  const ops: Record<string, (l1: Level1, v: number[], n: number) => number | void> = {
    dot: (l, v, n) => l.dot(v[0]!, v[1]!, n),
    axpy: (l, v, n) => l.axpy(n, 0.7, v[0]!, v[1]!),
    rot: (l, v, n) => l.rot(n, v[0]!, v[1]!, 0.6, 0.8),
    dotaxpy: (l, v, n) => l.dotaxpy(n, v[0]!, v[1]!, v[2]!, -1.3),
    axpy2: (l, v, n) => l.axpy2(n, 0.5, v[0]!, -2, v[1]!, v[2]!),
    scal: (l, v, n) => l.scal(n, 3, v[0]!),
    rank2dot: (l, v, n) => l.rank2dot(n, 0.5, v[0]!, -0.25, v[1]!, v[2]!, v[3]!, v[4]!, 1.5),
  };
  for (const [name, op] of Object.entries(ops)) {
    it.each([0, 1, 2, 3, 5, 8, 13])(`${name}, n = %i`, (n) => {
      const [w, j] = both(n, (l1, v) => op(l1, v, n));
      expect(w!.out.length).toBe(6 * n);
      for (let i = 0; i < w!.out.length; i++)
        expect(Math.abs(w!.out[i]! - j!.out[i]!), `${name}[${i}]`).toBeLessThanOrEqual(1e-14 * (1 + Math.abs(j!.out[i]!)));
      if (typeof j!.r === 'number') {
        expect(typeof w!.r).toBe('number');
        expect(Math.abs((w!.r as number) - j!.r)).toBeLessThanOrEqual(1e-13 * (1 + Math.abs(j!.r)));
      } else expect(w!.r).toBeUndefined();
    });
  }
});
