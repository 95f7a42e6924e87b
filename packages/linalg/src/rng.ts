/**
 * A small seeded random generator (xoshiro128** core) with normal deviates, whose state can be
 * saved and restored, so runs and checkpoints are reproducible.
 *
 * @module
 */

/** A seeded random number generator. */
export class Rng {
  private s: Uint32Array;
  private spare: number | null = null;

  /** Seeds the generator (splitmix32 expands the seed into the state). */
  constructor(seed = 1) {
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal deviate (Marsaglia polar method). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }

  /**
   * Fills a new Float64Array of length n with standard normal deviates: the same numbers as n
   * calls of {@link Rng.normal}, generated with the state in locals (several times faster).
   */
  normalArray(n: number): Float64Array {
    const a = new Float64Array(n);
    let i = 0;
    if (n > 0 && this.spare !== null) {
      a[i++] = this.spare;
      this.spare = null;
    }
    const st = this.s;
    let s0 = st[0]! | 0;
    let s1 = st[1]! | 0;
    let s2 = st[2]! | 0;
    let s3 = st[3]! | 0;
    const next = (): number => {
      const x = Math.imul(s1, 5);
      const result = Math.imul((x << 7) | (x >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      return result;
    };
    while (i < n) {
      let u: number;
      let v: number;
      let q: number;
      do {
        const uh = next() >>> 5;
        const ul = next() >>> 6;
        u = (2 * (uh * 67108864 + ul)) / 9007199254740992 - 1;
        const vh = next() >>> 5;
        const vl = next() >>> 6;
        v = (2 * (vh * 67108864 + vl)) / 9007199254740992 - 1;
        q = u * u + v * v;
      } while (q >= 1 || q === 0);
      const f = Math.sqrt((-2 * Math.log(q)) / q);
      a[i++] = u * f;
      if (i < n) a[i++] = v * f;
      else this.spare = v * f;
    }
    st[0] = s0;
    st[1] = s1;
    st[2] = s2;
    st[3] = s3;
    return a;
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }

  /** The full state, JSON-serializable, for checkpoints. */
  getState(): { s: number[]; spare: number | null } {
    return { s: Array.from(this.s), spare: this.spare };
  }

  /** Restores a state produced by {@link Rng.getState}. */
  setState(state: { s: number[]; spare: number | null }): void {
    this.s = Uint32Array.from(state.s);
    this.spare = state.spare;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
