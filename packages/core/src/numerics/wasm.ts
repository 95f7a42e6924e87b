/**
 * The WebAssembly SIMD kernels behind the float64 numerics, and the linear memory they work in.
 *
 * The module is assembled here, at first use, from a few hundred bytes of hand-written code
 * (no build step, no binary blob): a 4×4 GEMM micro-kernel over packed panels with `f64x2`
 * lanes, the loop that sweeps it over a packed block (optionally only the lower triangle, for
 * Gram matrices), and the level-1 kernels (dot, axpy, plane rotation) that the Householder and
 * QR-iteration code calls on vectors kept in the same memory. Where WebAssembly SIMD is not
 * available the callers fall back to plain JavaScript loops with the same results up to rounding.
 *
 * @module
 */
import { ErrorCodes, fail } from '../errors.js';

/** Register block of the GEMM micro-kernel: MR rows × NR columns of C per call. */
export const MR = 4;
/** Register block of the GEMM micro-kernel (columns). */
export const NR = 4;

// ---------------------------------------------------------------------------------------------
// A minimal WebAssembly binary writer: just what the kernels below need.

const uleb = (n: number): number[] => {
  const o: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    o.push(b);
  } while (n);
  return o;
};
const sleb = (n: number): number[] => {
  const o: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      o.push(b);
      return o;
    }
    o.push(b | 0x80);
  }
};
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];

const T = { i32: 0x7f, f64: 0x7c, v128: 0x7b } as const;
type ValType = (typeof T)[keyof typeof T];

/** Instruction helpers (each returns the encoded bytes). */
const I = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (n: number) => [0x41, ...sleb(n)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  and: [0x71],
  shl: [0x74],
  shrS: [0x75],
  eqz: [0x45],
  ltS: [0x48],
  gtS: [0x4a],
  leS: [0x4c],
  geS: [0x4e],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  end: [0x0b],
  brIf: (d: number) => [0x0d, ...uleb(d)],
  br: (d: number) => [0x0c, ...uleb(d)],
  call: (f: number) => [0x10, ...uleb(f)],
  select: [0x1b],
  f64load: (off = 0) => [0x2b, 0x03, ...uleb(off)],
  f64store: (off = 0) => [0x39, 0x03, ...uleb(off)],
  fadd: [0xa0],
  fsub: [0xa1],
  fmul: [0xa2],
  vload: (off = 0) => [0xfd, ...uleb(0), 0x03, ...uleb(off)],
  vstore: (off = 0) => [0xfd, ...uleb(11), 0x03, ...uleb(off)],
  vsplatLoad: (off = 0) => [0xfd, ...uleb(10), 0x03, ...uleb(off)],
  vsplat: [0xfd, ...uleb(20)],
  vlane: (l: number) => [0xfd, ...uleb(33), l],
  vadd: [0xfd, ...uleb(240)],
  vsub: [0xfd, ...uleb(241)],
  vmul: [0xfd, ...uleb(242)],
  vzero: [0xfd, ...uleb(12), ...new Array<number>(16).fill(0)],
};

interface FuncDef {
  name: string;
  params: ValType[];
  results: ValType[];
  locals: ValType[];
  body: number[];
}

function moduleBytes(funcs: FuncDef[]): Uint8Array {
  const types = vec(funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((r) => [r]))]));
  const imports = vec([[...name('env'), ...name('mem'), 0x02, 0x00, 1]]);
  const fidx = vec(funcs.map((_, i) => uleb(i)));
  const exps = vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const code = vec(
    funcs.map((f) => {
      const locals = vec(f.locals.map((t) => [1, t]));
      const body = [...locals, ...f.body, ...I.end];
      return [...uleb(body.length), ...body];
    }),
  );
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, types), ...section(2, imports), ...section(3, fidx), ...section(7, exps), ...section(10, code),
  ]);
}

/** while (i < n) { body; i += step }  — i and n are locals. */
function forLoop(i: number, n: number, step: number[], body: number[]): number[] {
  return [
    ...I.block, ...I.loop,
    ...I.get(i), ...I.get(n), ...I.geS, ...I.brIf(1),
    ...body,
    ...I.get(i), ...step, ...I.add, ...I.set(i),
    ...I.br(0),
    ...I.end, ...I.end,
  ];
}

// micro(kc, ap, bp, cp, ldcBytes): C[0:4, 0:4] += Σ_p Ap[p, 0:4]ᵀ ⊗ Bp[p, 0:4] (byte offsets).
function microKernel(): FuncDef {
  const kc = 0, ap = 1, bp = 2, cp = 3, ldc = 4;
  const acc = (i: number, j: number) => 5 + i * 2 + j; // 8 accumulators
  const b0 = 13, b1 = 14, a = 15;
  const body: number[] = [];
  body.push(...I.block, ...I.get(kc), ...I.eqz, ...I.brIf(0), ...I.loop);
  body.push(...I.get(bp), ...I.vload(0), ...I.set(b0), ...I.get(bp), ...I.vload(16), ...I.set(b1));
  for (let i = 0; i < MR; i++) {
    body.push(...I.get(ap), ...I.vsplatLoad(8 * i), ...I.set(a));
    body.push(...I.get(acc(i, 0)), ...I.get(a), ...I.get(b0), ...I.vmul, ...I.vadd, ...I.set(acc(i, 0)));
    body.push(...I.get(acc(i, 1)), ...I.get(a), ...I.get(b1), ...I.vmul, ...I.vadd, ...I.set(acc(i, 1)));
  }
  body.push(...I.get(ap), ...I.i32(8 * MR), ...I.add, ...I.set(ap));
  body.push(...I.get(bp), ...I.i32(8 * NR), ...I.add, ...I.set(bp));
  body.push(...I.get(kc), ...I.i32(1), ...I.sub, ...I.tee(kc), ...I.brIf(0));
  body.push(...I.end, ...I.end);
  for (let i = 0; i < MR; i++) {
    for (let j = 0; j < 2; j++) {
      body.push(...I.get(cp), ...I.get(cp), ...I.vload(16 * j), ...I.get(acc(i, j)), ...I.vadd, ...I.vstore(16 * j));
    }
    if (i < MR - 1) body.push(...I.get(cp), ...I.get(ldc), ...I.add, ...I.set(cp));
  }
  return { name: 'micro', params: [T.i32, T.i32, T.i32, T.i32, T.i32], results: [], locals: new Array<ValType>(11).fill(T.v128), body };
}

// macro(kc, mcp, ncp, ap, bp, cp, ldcBytes, diag): sweeps the micro-kernel over a packed
// mcp×kc block of A and kc×ncp block of B into C (row-major, ldc bytes per row). Tiles wholly
// above the diagonal col - row = diag are skipped (pass a large negative diag for all tiles).
function macroKernel(): FuncDef {
  const kc = 0, mcp = 1, ncp = 2, ap = 3, bp = 4, cp = 5, ldc = 6, diag = 7;
  const jr = 8, ir = 9, pa = 10, pb = 11, pc = 12, t = 13;
  const inner = forLoop(ir, mcp, I.i32(MR), [
    ...I.get(kc), ...I.get(pa), ...I.get(pb), ...I.get(pc), ...I.get(ldc), ...I.call(0),
    ...I.get(pa), ...I.get(kc), ...I.i32(8 * MR), ...I.mul, ...I.add, ...I.set(pa),
    ...I.get(pc), ...I.get(ldc), ...I.i32(MR), ...I.mul, ...I.add, ...I.set(pc),
  ]);
  const body = [
    ...I.i32(0), ...I.set(jr), ...I.get(bp), ...I.set(pb),
    ...forLoop(jr, ncp, I.i32(NR), [
      // ir0 = max(0, jr + diag - (MR - 1)) rounded down to a multiple of MR
      ...I.get(jr), ...I.get(diag), ...I.add, ...I.i32(MR - 1), ...I.sub, ...I.tee(t),
      ...I.i32(-MR), ...I.and, ...I.i32(0), ...I.get(t), ...I.i32(0), ...I.gtS, ...I.select, ...I.set(ir),
      ...I.get(ap), ...I.get(ir), ...I.get(kc), ...I.mul, ...I.i32(8), ...I.mul, ...I.add, ...I.set(pa),
      ...I.get(cp), ...I.get(jr), ...I.i32(3), ...I.shl, ...I.add,
      ...I.get(ir), ...I.get(ldc), ...I.mul, ...I.add, ...I.set(pc),
      ...inner,
      ...I.get(pb), ...I.get(kc), ...I.i32(8 * NR), ...I.mul, ...I.add, ...I.set(pb),
    ]),
  ];
  return { name: 'macro', params: new Array<ValType>(8).fill(T.i32), results: [], locals: new Array<ValType>(6).fill(T.i32), body };
}

// dot(xp, yp, n) -> Σ x[i] y[i]   (two f64x2 accumulators, scalar tail)
function dotKernel(): FuncDef {
  const xp = 0, yp = 1, n = 2, i = 3, end2 = 4, s0 = 5, s1 = 6, r = 7;
  const body = [
    ...I.vzero, ...I.set(s0), ...I.vzero, ...I.set(s1),
    ...I.i32(0), ...I.set(i),
    ...I.get(n), ...I.i32(-4), ...I.and, ...I.set(end2),
    ...forLoop(i, end2, I.i32(4), [
      ...I.get(s0), ...I.get(xp), ...I.vload(0), ...I.get(yp), ...I.vload(0), ...I.vmul, ...I.vadd, ...I.set(s0),
      ...I.get(s1), ...I.get(xp), ...I.vload(16), ...I.get(yp), ...I.vload(16), ...I.vmul, ...I.vadd, ...I.set(s1),
      ...I.get(xp), ...I.i32(32), ...I.add, ...I.set(xp),
      ...I.get(yp), ...I.i32(32), ...I.add, ...I.set(yp),
    ]),
    ...I.get(s0), ...I.get(s1), ...I.vadd, ...I.tee(s0), ...I.vlane(0), ...I.get(s0), ...I.vlane(1), ...I.fadd, ...I.set(r),
    ...forLoop(i, n, I.i32(1), [
      ...I.get(r), ...I.get(xp), ...I.f64load(), ...I.get(yp), ...I.f64load(), ...I.fmul, ...I.fadd, ...I.set(r),
      ...I.get(xp), ...I.i32(8), ...I.add, ...I.set(xp),
      ...I.get(yp), ...I.i32(8), ...I.add, ...I.set(yp),
    ]),
    ...I.get(r),
  ];
  return { name: 'dot', params: [T.i32, T.i32, T.i32], results: [T.f64], locals: [T.i32, T.i32, T.v128, T.v128, T.f64], body };
}

// axpy(n, alpha, xp, yp): y += alpha x
function axpyKernel(): FuncDef {
  const n = 0, alpha = 1, xp = 2, yp = 3, i = 4, end2 = 5, av = 6;
  const body = [
    ...I.get(alpha), ...I.vsplat, ...I.set(av),
    ...I.i32(0), ...I.set(i),
    ...I.get(n), ...I.i32(-4), ...I.and, ...I.set(end2),
    ...forLoop(i, end2, I.i32(4), [
      ...I.get(yp), ...I.get(yp), ...I.vload(0), ...I.get(xp), ...I.vload(0), ...I.get(av), ...I.vmul, ...I.vadd, ...I.vstore(0),
      ...I.get(yp), ...I.get(yp), ...I.vload(16), ...I.get(xp), ...I.vload(16), ...I.get(av), ...I.vmul, ...I.vadd, ...I.vstore(16),
      ...I.get(xp), ...I.i32(32), ...I.add, ...I.set(xp),
      ...I.get(yp), ...I.i32(32), ...I.add, ...I.set(yp),
    ]),
    ...forLoop(i, n, I.i32(1), [
      ...I.get(yp), ...I.get(yp), ...I.f64load(), ...I.get(xp), ...I.f64load(), ...I.get(alpha), ...I.fmul, ...I.fadd, ...I.f64store(),
      ...I.get(xp), ...I.i32(8), ...I.add, ...I.set(xp),
      ...I.get(yp), ...I.i32(8), ...I.add, ...I.set(yp),
    ]),
  ];
  return { name: 'axpy', params: [T.i32, T.f64, T.i32, T.i32], results: [], locals: [T.i32, T.i32, T.v128], body };
}

// rot(n, xp, yp, c, s): (x, y) <- (c x + s y, c y - s x)
function rotKernel(): FuncDef {
  const n = 0, xp = 1, yp = 2, c = 3, s = 4, i = 5, end2 = 6, cv = 7, sv = 8, x = 9, y = 10, xs = 11, ys = 12;
  const vstep = (off: number) => [
    ...I.get(xp), ...I.vload(off), ...I.set(x), ...I.get(yp), ...I.vload(off), ...I.set(y),
    ...I.get(xp), ...I.get(x), ...I.get(cv), ...I.vmul, ...I.get(y), ...I.get(sv), ...I.vmul, ...I.vadd, ...I.vstore(off),
    ...I.get(yp), ...I.get(y), ...I.get(cv), ...I.vmul, ...I.get(x), ...I.get(sv), ...I.vmul, ...I.vsub, ...I.vstore(off),
  ];
  const body = [
    ...I.get(c), ...I.vsplat, ...I.set(cv), ...I.get(s), ...I.vsplat, ...I.set(sv),
    ...I.i32(0), ...I.set(i),
    ...I.get(n), ...I.i32(-4), ...I.and, ...I.set(end2),
    ...forLoop(i, end2, I.i32(4), [
      ...vstep(0), ...vstep(16),
      ...I.get(xp), ...I.i32(32), ...I.add, ...I.set(xp),
      ...I.get(yp), ...I.i32(32), ...I.add, ...I.set(yp),
    ]),
    ...forLoop(i, n, I.i32(1), [
      ...I.get(xp), ...I.f64load(), ...I.set(xs), ...I.get(yp), ...I.f64load(), ...I.set(ys),
      ...I.get(xp), ...I.get(xs), ...I.get(c), ...I.fmul, ...I.get(ys), ...I.get(s), ...I.fmul, ...I.fadd, ...I.f64store(),
      ...I.get(yp), ...I.get(ys), ...I.get(c), ...I.fmul, ...I.get(xs), ...I.get(s), ...I.fmul, ...I.fsub, ...I.f64store(),
      ...I.get(xp), ...I.i32(8), ...I.add, ...I.set(xp),
      ...I.get(yp), ...I.i32(8), ...I.add, ...I.set(yp),
    ]),
  ];
  return {
    name: 'rot',
    params: [T.i32, T.i32, T.i32, T.f64, T.f64],
    results: [],
    locals: [T.i32, T.i32, T.v128, T.v128, T.v128, T.v128, T.f64, T.f64],
    body,
  };
}

// dotaxpy(n, xp, vp, yp, a) -> Σ x[i] v[i], and y += a x   (one pass over x: a symmetric
// matrix-vector product by columns of the lower triangle)
function dotAxpyKernel(): FuncDef {
  const n = 0, xp = 1, vp = 2, yp = 3, a = 4, i = 5, end2 = 6, av = 7, s0 = 8, x = 9, r = 10, xs = 11;
  const body = [
    ...I.get(a), ...I.vsplat, ...I.set(av), ...I.vzero, ...I.set(s0),
    ...I.i32(0), ...I.set(i),
    ...I.get(n), ...I.i32(-2), ...I.and, ...I.set(end2),
    ...forLoop(i, end2, I.i32(2), [
      ...I.get(xp), ...I.vload(0), ...I.set(x),
      ...I.get(s0), ...I.get(x), ...I.get(vp), ...I.vload(0), ...I.vmul, ...I.vadd, ...I.set(s0),
      ...I.get(yp), ...I.get(yp), ...I.vload(0), ...I.get(x), ...I.get(av), ...I.vmul, ...I.vadd, ...I.vstore(0),
      ...I.get(xp), ...I.i32(16), ...I.add, ...I.set(xp),
      ...I.get(vp), ...I.i32(16), ...I.add, ...I.set(vp),
      ...I.get(yp), ...I.i32(16), ...I.add, ...I.set(yp),
    ]),
    ...I.get(s0), ...I.vlane(0), ...I.get(s0), ...I.vlane(1), ...I.fadd, ...I.set(r),
    ...forLoop(i, n, I.i32(1), [
      ...I.get(xp), ...I.f64load(), ...I.set(xs),
      ...I.get(r), ...I.get(xs), ...I.get(vp), ...I.f64load(), ...I.fmul, ...I.fadd, ...I.set(r),
      ...I.get(yp), ...I.get(yp), ...I.f64load(), ...I.get(xs), ...I.get(a), ...I.fmul, ...I.fadd, ...I.f64store(),
      ...I.get(xp), ...I.i32(8), ...I.add, ...I.set(xp),
      ...I.get(vp), ...I.i32(8), ...I.add, ...I.set(vp),
      ...I.get(yp), ...I.i32(8), ...I.add, ...I.set(yp),
    ]),
    ...I.get(r),
  ];
  return { name: 'dotaxpy', params: [T.i32, T.i32, T.i32, T.i32, T.f64], results: [T.f64], locals: [T.i32, T.i32, T.v128, T.v128, T.v128, T.f64, T.f64], body };
}

// axpy2(n, a, xp, b, yp, zp): z += a x + b y   (a symmetric rank-2 update by columns)
function axpy2Kernel(): FuncDef {
  const n = 0, a = 1, xp = 2, b = 3, yp = 4, zp = 5, i = 6, end2 = 7, av = 8, bv = 9;
  const body = [
    ...I.get(a), ...I.vsplat, ...I.set(av), ...I.get(b), ...I.vsplat, ...I.set(bv),
    ...I.i32(0), ...I.set(i),
    ...I.get(n), ...I.i32(-2), ...I.and, ...I.set(end2),
    ...forLoop(i, end2, I.i32(2), [
      ...I.get(zp), ...I.get(zp), ...I.vload(0),
      ...I.get(xp), ...I.vload(0), ...I.get(av), ...I.vmul, ...I.vadd,
      ...I.get(yp), ...I.vload(0), ...I.get(bv), ...I.vmul, ...I.vadd, ...I.vstore(0),
      ...I.get(xp), ...I.i32(16), ...I.add, ...I.set(xp),
      ...I.get(yp), ...I.i32(16), ...I.add, ...I.set(yp),
      ...I.get(zp), ...I.i32(16), ...I.add, ...I.set(zp),
    ]),
    ...forLoop(i, n, I.i32(1), [
      ...I.get(zp), ...I.get(zp), ...I.f64load(),
      ...I.get(xp), ...I.f64load(), ...I.get(a), ...I.fmul, ...I.fadd,
      ...I.get(yp), ...I.f64load(), ...I.get(b), ...I.fmul, ...I.fadd, ...I.f64store(),
      ...I.get(xp), ...I.i32(8), ...I.add, ...I.set(xp),
      ...I.get(yp), ...I.i32(8), ...I.add, ...I.set(yp),
      ...I.get(zp), ...I.i32(8), ...I.add, ...I.set(zp),
    ]),
  ];
  return { name: 'axpy2', params: [T.i32, T.f64, T.i32, T.f64, T.i32, T.i32], results: [], locals: [T.i32, T.i32, T.v128, T.v128], body };
}

// rank2dot(n, a, xp, b, yp, zp, vp, wp, c) -> Σ z'[i] v[i], where z' = z + a x + b y is stored
// back and w += c z'   (one pass of the fused tridiagonal reduction: the previous step's rank-2
// update of a column, then that column's share of the next symmetric matrix-vector product)
function rank2DotKernel(): FuncDef {
  const n = 0, a = 1, xp = 2, b = 3, yp = 4, zp = 5, vp = 6, wp = 7, c = 8;
  const i = 9, end2 = 10, av = 11, bv = 12, cv = 13, s0 = 14, z = 15, r = 16, zs = 17;
  const body = [
    ...I.get(a), ...I.vsplat, ...I.set(av), ...I.get(b), ...I.vsplat, ...I.set(bv), ...I.get(c), ...I.vsplat, ...I.set(cv),
    ...I.vzero, ...I.set(s0),
    ...I.i32(0), ...I.set(i),
    ...I.get(n), ...I.i32(-2), ...I.and, ...I.set(end2),
    ...forLoop(i, end2, I.i32(2), [
      ...I.get(zp), ...I.vload(0),
      ...I.get(xp), ...I.vload(0), ...I.get(av), ...I.vmul, ...I.vadd,
      ...I.get(yp), ...I.vload(0), ...I.get(bv), ...I.vmul, ...I.vadd, ...I.set(z),
      ...I.get(zp), ...I.get(z), ...I.vstore(0),
      ...I.get(s0), ...I.get(z), ...I.get(vp), ...I.vload(0), ...I.vmul, ...I.vadd, ...I.set(s0),
      ...I.get(wp), ...I.get(wp), ...I.vload(0), ...I.get(z), ...I.get(cv), ...I.vmul, ...I.vadd, ...I.vstore(0),
      ...[xp, yp, zp, vp, wp].flatMap((q) => [...I.get(q), ...I.i32(16), ...I.add, ...I.set(q)]),
    ]),
    ...I.get(s0), ...I.vlane(0), ...I.get(s0), ...I.vlane(1), ...I.fadd, ...I.set(r),
    ...forLoop(i, n, I.i32(1), [
      ...I.get(zp), ...I.f64load(),
      ...I.get(xp), ...I.f64load(), ...I.get(a), ...I.fmul, ...I.fadd,
      ...I.get(yp), ...I.f64load(), ...I.get(b), ...I.fmul, ...I.fadd, ...I.set(zs),
      ...I.get(zp), ...I.get(zs), ...I.f64store(),
      ...I.get(r), ...I.get(zs), ...I.get(vp), ...I.f64load(), ...I.fmul, ...I.fadd, ...I.set(r),
      ...I.get(wp), ...I.get(wp), ...I.f64load(), ...I.get(zs), ...I.get(c), ...I.fmul, ...I.fadd, ...I.f64store(),
      ...[xp, yp, zp, vp, wp].flatMap((q) => [...I.get(q), ...I.i32(8), ...I.add, ...I.set(q)]),
    ]),
    ...I.get(r),
  ];
  return {
    name: 'rank2dot',
    params: [T.i32, T.f64, T.i32, T.f64, T.i32, T.i32, T.i32, T.i32, T.f64],
    results: [T.f64],
    locals: [T.i32, T.i32, T.v128, T.v128, T.v128, T.v128, T.v128, T.f64, T.f64],
    body,
  };
}

// scal(n, a, xp): x *= a
function scalKernel(): FuncDef {
  const n = 0, a = 1, xp = 2, i = 3, end2 = 4, av = 5;
  const body = [
    ...I.get(a), ...I.vsplat, ...I.set(av),
    ...I.i32(0), ...I.set(i),
    ...I.get(n), ...I.i32(-4), ...I.and, ...I.set(end2),
    ...forLoop(i, end2, I.i32(4), [
      ...I.get(xp), ...I.get(xp), ...I.vload(0), ...I.get(av), ...I.vmul, ...I.vstore(0),
      ...I.get(xp), ...I.get(xp), ...I.vload(16), ...I.get(av), ...I.vmul, ...I.vstore(16),
      ...I.get(xp), ...I.i32(32), ...I.add, ...I.set(xp),
    ]),
    ...forLoop(i, n, I.i32(1), [
      ...I.get(xp), ...I.get(xp), ...I.f64load(), ...I.get(a), ...I.fmul, ...I.f64store(),
      ...I.get(xp), ...I.i32(8), ...I.add, ...I.set(xp),
    ]),
  ];
  return { name: 'scal', params: [T.i32, T.f64, T.i32], results: [], locals: [T.i32, T.i32, T.v128], body };
}

/** The exported functions of the kernel module. Offsets are in bytes. */
export interface WasmKernels {
  /** C[4×4] += packed A panel · packed B panel. */
  micro(kc: number, ap: number, bp: number, cp: number, ldcBytes: number): void;
  /** Sweeps the micro-kernel over a packed block; tiles above column − row = diag are skipped. */
  macro(kc: number, mcp: number, ncp: number, ap: number, bp: number, cp: number, ldcBytes: number, diag: number): void;
  /** Σ x[i]·y[i]. */
  dot(xp: number, yp: number, n: number): number;
  /** y += alpha·x. */
  axpy(n: number, alpha: number, xp: number, yp: number): void;
  /** (x, y) ← (c·x + s·y, c·y − s·x). */
  rot(n: number, xp: number, yp: number, c: number, s: number): void;
  /** Returns Σ x[i]·v[i] and does y += a·x, in one pass over x. */
  dotaxpy(n: number, xp: number, vp: number, yp: number, a: number): number;
  /** z += a·x + b·y. */
  axpy2(n: number, a: number, xp: number, b: number, yp: number, zp: number): void;
  /** x *= a. */
  scal(n: number, a: number, xp: number): void;
  /** z += a·x + b·y, then returns Σ z·v and does w += c·z (one pass). */
  rank2dot(n: number, a: number, xp: number, b: number, yp: number, zp: number, vp: number, wp: number, c: number): number;
}

/** The kernel module bytes (exposed for tests and for inspection). */
export function kernelModuleBytes(): Uint8Array {
  return moduleBytes([microKernel(), macroKernel(), dotKernel(), axpyKernel(), rotKernel(), dotAxpyKernel(), axpy2Kernel(), scalKernel(), rank2DotKernel()]);
}

// ---------------------------------------------------------------------------------------------
// The linear memory: a growable arena with a bump allocator.

const PAGE = 65536;
/** Largest arena (a 32-bit WebAssembly memory tops out at 4 GiB). */
const MAX_BYTES = 4 * 2 ** 30 - PAGE;
/** An idle arena bigger than this is dropped after use, so its memory can be collected. */
const KEEP_BYTES = 256 * 2 ** 20;

/**
 * The shared linear memory and its kernels; `null` kernels mean "use the JavaScript paths".
 * Internal to the numerics.
 */
export class Heap {
  /** The WebAssembly memory (null on the JavaScript path). */
  readonly memory: WebAssembly.Memory | null;
  /** The kernels (null on the JavaScript path). */
  readonly kernels: WasmKernels | null;
  private buffer: ArrayBuffer;
  /** Float64 view of the whole memory; refreshed after every growth. */
  f64: Float64Array;
  /** Bump pointer, in doubles. */
  top = 0;
  /** Level-1 kernels on arena offsets (in doubles). */
  readonly l1: Level1;

  /** Creates the arena, with the WebAssembly kernels when `useWasm` and the runtime allows. */
  constructor(useWasm: boolean) {
    let memory: WebAssembly.Memory | null = null;
    let kernels: WasmKernels | null = null;
    if (useWasm) {
      try {
        memory = new WebAssembly.Memory({ initial: 16 });
        const mod = (compiled ??= new WebAssembly.Module(kernelModuleBytes() as BufferSource));
        kernels = new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as unknown as WasmKernels;
      } catch {
        memory = null;
        kernels = null;
      }
    }
    this.memory = memory;
    this.kernels = kernels;
    this.buffer = memory ? (memory.buffer as ArrayBuffer) : new ArrayBuffer(16 * PAGE);
    this.f64 = new Float64Array(this.buffer);
    this.l1 = kernels ? wasmLevel1(kernels) : jsLevel1(this);
  }

  /** Makes sure the arena holds at least `doubles` doubles; returns the current view. */
  ensure(doubles: number): Float64Array {
    const bytes = doubles * 8;
    if (bytes <= this.buffer.byteLength) return this.f64;
    const mb = Math.ceil(bytes / 2 ** 20);
    if (bytes > MAX_BYTES) {
      fail(ErrorCodes.TOO_LARGE, `the numerics would need ${mb} MB of working memory (the limit is ${MAX_BYTES / 2 ** 20} MB)`, 'use a smaller matrix, a truncated or randomized SVD, or decompose fewer modes at once');
    }
    try {
      if (this.memory) {
        // grow geometrically so repeated small growths do not copy over and over
        const want = Math.min(MAX_BYTES, Math.max(bytes, this.memory.buffer.byteLength * 1.5));
        this.memory.grow(Math.ceil((want - this.memory.buffer.byteLength) / PAGE));
        this.buffer = this.memory.buffer as ArrayBuffer;
      } else {
        const nb = new ArrayBuffer(Math.ceil(bytes / PAGE) * PAGE);
        new Uint8Array(nb).set(new Uint8Array(this.buffer));
        this.buffer = nb;
      }
    } catch (e) {
      fail(ErrorCodes.TOO_LARGE, `could not allocate ${mb} MB of working memory for the numerics (${(e as Error).message})`, 'use a smaller matrix or free memory');
    }
    this.f64 = new Float64Array(this.buffer);
    return this.f64;
  }

  /** Makes sure `n` more doubles fit above the bump pointer without growing the memory later. */
  reserve(n: number): void {
    this.ensure(this.top + n);
  }

  /** Allocates `n` doubles (8-double aligned) and returns the offset in doubles. */
  alloc(n: number): number {
    const off = this.top;
    this.top = off + ((n + 7) & ~7);
    this.ensure(this.top);
    return off;
  }
}

/** Level-1 operations on arena vectors; offsets and lengths in doubles. */
export interface Level1 {
  /** Σ x[i]·y[i]. */
  dot(x: number, y: number, n: number): number;
  /** y += a·x. */
  axpy(n: number, a: number, x: number, y: number): void;
  /** (x, y) ← (c·x + s·y, c·y − s·x). */
  rot(n: number, x: number, y: number, c: number, s: number): void;
  /** Returns Σ x[i]·v[i] and does y += a·x. */
  dotaxpy(n: number, x: number, v: number, y: number, a: number): number;
  /** z += a·x + b·y. */
  axpy2(n: number, a: number, x: number, b: number, y: number, z: number): void;
  /** x *= a. */
  scal(n: number, a: number, x: number): void;
  /** z += a·x + b·y, then returns Σ z·v and does w += c·z (one pass). */
  rank2dot(n: number, a: number, x: number, b: number, y: number, z: number, v: number, w: number, c: number): number;
}

function wasmLevel1(K: WasmKernels): Level1 {
  return {
    dot: (x, y, n) => K.dot(x * 8, y * 8, n),
    axpy: (n, a, x, y) => K.axpy(n, a, x * 8, y * 8),
    rot: (n, x, y, c, s) => K.rot(n, x * 8, y * 8, c, s),
    dotaxpy: (n, x, v, y, a) => K.dotaxpy(n, x * 8, v * 8, y * 8, a),
    axpy2: (n, a, x, b, y, z) => K.axpy2(n, a, x * 8, b, y * 8, z * 8),
    scal: (n, a, x) => K.scal(n, a, x * 8),
    rank2dot: (n, a, x, b, y, z, v, w, c) => K.rank2dot(n, a, x * 8, b, y * 8, z * 8, v * 8, w * 8, c),
  };
}

function jsLevel1(h: Heap): Level1 {
  return {
    dot(x, y, n) {
      const F = h.f64;
      let s0 = 0;
      let s1 = 0;
      let i = 0;
      for (; i + 1 < n; i += 2) {
        s0 += F[x + i]! * F[y + i]!;
        s1 += F[x + i + 1]! * F[y + i + 1]!;
      }
      if (i < n) s0 += F[x + i]! * F[y + i]!;
      return s0 + s1;
    },
    axpy(n, a, x, y) {
      const F = h.f64;
      for (let i = 0; i < n; i++) F[y + i] += a * F[x + i]!;
    },
    rot(n, x, y, c, s) {
      const F = h.f64;
      for (let i = 0; i < n; i++) {
        const u = F[x + i]!;
        const v = F[y + i]!;
        F[x + i] = c * u + s * v;
        F[y + i] = c * v - s * u;
      }
    },
    dotaxpy(n, x, v, y, a) {
      const F = h.f64;
      let r = 0;
      for (let i = 0; i < n; i++) {
        const u = F[x + i]!;
        r += u * F[v + i]!;
        F[y + i] += a * u;
      }
      return r;
    },
    axpy2(n, a, x, b, y, z) {
      const F = h.f64;
      for (let i = 0; i < n; i++) F[z + i] += a * F[x + i]! + b * F[y + i]!;
    },
    scal(n, a, x) {
      const F = h.f64;
      for (let i = 0; i < n; i++) F[x + i] *= a;
    },
    rank2dot(n, a, x, b, y, z, v, w, c) {
      const F = h.f64;
      let r = 0;
      for (let i = 0; i < n; i++) {
        const t = F[z + i]! + a * F[x + i]! + b * F[y + i]!;
        F[z + i] = t;
        r += t * F[v + i]!;
        F[w + i] += c * t;
      }
      return r;
    },
  };
}

let compiled: WebAssembly.Module | null = null;
let wasmHeap: Heap | null = null;
let jsHeap: Heap | null = null;
let mode: 'auto' | 'js' = 'auto';

/** Which kernels the numerics run on. */
export type KernelMode = 'wasm-simd' | 'js';

/**
 * Chooses the kernels: `'auto'` (WebAssembly SIMD when the runtime has it, the default) or
 * `'js'` (plain JavaScript loops; slower, same results up to rounding). Returns the kernels now
 * in use.
 */
export function setKernelMode(m: 'auto' | 'js'): KernelMode {
  mode = m;
  return kernelMode();
}

/** The kernels in use: `'wasm-simd'` or `'js'`. */
export function kernelMode(): KernelMode {
  return heap().kernels ? 'wasm-simd' : 'js';
}

/** The arena of the current kernel mode (created on first use). */
export function heap(): Heap {
  if (mode === 'js') return (jsHeap ??= new Heap(false));
  wasmHeap ??= new Heap(true);
  return wasmHeap.kernels ? wasmHeap : (jsHeap ??= new Heap(false));
}

/**
 * Runs `fn` with the arena's bump pointer restored afterwards, so scratch space allocated inside
 * is released. Views of the arena taken before an allocation may be stale after it: re-read
 * `heap().f64` after calling anything that allocates.
 */
export function withScratch<R>(fn: (h: Heap) => R): R {
  const h = heap();
  const mark = h.top;
  try {
    return fn(h);
  } finally {
    h.top = mark;
    if (mark === 0 && h.f64.byteLength > KEEP_BYTES) {
      if (h === wasmHeap) wasmHeap = null;
      else if (h === jsHeap) jsHeap = null;
    }
  }
}
