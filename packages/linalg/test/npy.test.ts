import { describe, expect, it } from 'vitest';
import { readNpy, tensor, TensorslimError, writeNpy } from '../src/index.js';
import { fixture, fixtureBytes } from './helpers.js';

function npyError(bytes: Uint8Array): TensorslimError {
  try {
    readNpy(bytes, 'x.npy');
  } catch (e) {
    expect(e).toBeInstanceOf(TensorslimError);
    expect((e as TensorslimError).code).toBe('TS_NPY');
    return e as TensorslimError;
  }
  throw new Error('readNpy accepted a bad file');
}

describe('.npy files', () => {
  const expected = fixture('npy_expected');

  it('reads what numpy.save writes: float32, float64, big-endian, version 2, scalars and vectors', () => {
    expect(expected.shape).toEqual([3, 4]);
    for (const name of ['npy_f64_be', 'npy_v2']) {
      const t = readNpy(fixtureBytes(name));
      expect(t.shape).toEqual([3, 4]);
      expect(t.dtype).toBe('float64');
      expect(Array.from(t.data)).toEqual(Array.from(expected.data));
    }
    for (const name of ['npy_f32', 'npy_f32_be']) {
      const t = readNpy(fixtureBytes(name));
      expect(t.dtype).toBe('float32');
      expect(Array.from(t.data)).toEqual(Array.from(expected.data, (v) => Math.fround(v)));
    }
    expect(fixtureBytes('npy_v2')[6]).toBe(2);
    const s = readNpy(fixtureBytes('npy_scalar'));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data)).toEqual([2.5]);
    const v = readNpy(fixtureBytes('npy_vector'));
    expect(v.shape).toEqual([5]);
    expect(Array.from(v.data)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('round-trips float64 exactly and float32 to single precision, at any byte offset', () => {
    const t = tensor([2, 3, 2], [1e-300, -2.5, Math.PI, 1e300, 0, -0, 7, 8, 9, 10, 11, 1 / 3]);
    const b64 = writeNpy(t);
    expect(b64.length % 8).toBe(0);
    expect(Array.from(readNpy(b64).data)).toEqual(Array.from(t.data));
    expect(readNpy(b64).shape).toEqual([2, 3, 2]);
    const b32 = writeNpy(t, 'float32');
    const r32 = readNpy(b32);
    expect(r32.dtype).toBe('float32');
    expect(Array.from(r32.data)).toEqual(Array.from(t.data, (x) => Math.fround(x)));
    // misaligned copy (e.g. a slice of a bigger buffer) takes the DataView path
    const shifted = new Uint8Array(b64.length + 3);
    shifted.set(b64, 3);
    expect(Array.from(readNpy(shifted.subarray(3)).data)).toEqual(Array.from(t.data));
    // the header is padded so the data starts on a 64-byte boundary, as numpy does
    const headerLen = b64[8]! | (b64[9]! << 8);
    expect((10 + headerLen) % 64).toBe(0);
    // 1-d shapes keep numpy's trailing comma
    expect(new TextDecoder().decode(writeNpy(tensor([4], [1, 2, 3, 4])).subarray(10, 80))).toMatch(/'shape': \(4,\)/);
  });

  it('numpy reads our files (the bytes match what numpy would write for the same array)', () => {
    const ours = writeNpy(expected);
    const theirs = fixtureBytes('npy_expected');
    expect(Array.from(ours)).toEqual(Array.from(theirs));
  });

  it('bad magic, int dtype, Fortran order and truncation are clear TS_NPY errors', () => {
    const good = fixtureBytes('npy_expected');
    const bad = good.slice();
    bad[1] = 0x58;
    expect(npyError(bad).message).toMatch(/x\.npy is not a \.npy file \(bad magic bytes\)/);
    expect(npyError(new Uint8Array([1, 2, 3])).message).toMatch(/bad magic/);
    const e = npyError(fixtureBytes('npy_int32'));
    expect(e.message).toMatch(/dtype '<i4'/);
    expect(e.hint).toMatch(/float32.*float64/);
    const f = npyError(fixtureBytes('npy_fortran'));
    expect(f.message).toMatch(/Fortran order/);
    expect(f.hint).toMatch(/ascontiguousarray/);
    const t = npyError(good.subarray(0, good.length - 9));
    expect(t.message).toMatch(/truncated: the header promises 12 values \(96 bytes\) but 87 bytes follow/);
    expect(npyError(good.subarray(0, 40)).message).toMatch(/truncated inside its header/);
  });

  it('an over-long header (numpy caps at 10,000 bytes) and bytes after the data are TS_NPY errors', () => {
    const t = tensor([2, 2], [1, 2, 3, 4]);
    // a version-2 file whose otherwise valid header is padded to 20,000 bytes
    const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }`;
    const header = dict + ' '.repeat(20_000 - dict.length - 1) + '\n';
    const long = new Uint8Array(12 + header.length + 32);
    long.set(writeNpy(t).subarray(0, 6), 0);
    long[6] = 2;
    new DataView(long.buffer).setUint32(8, header.length, true);
    for (let i = 0; i < header.length; i++) long[12 + i] = header.charCodeAt(i);
    long.set(new Uint8Array(Float64Array.from(t.data).buffer), 12 + header.length);
    expect(npyError(long).message).toMatch(/x\.npy declares a 20000-byte header, over the 10000 bytes numpy itself accepts/);
    // at the limit it is still read
    const ok = dict + ' '.repeat(10_000 - dict.length - 1) + '\n';
    const atLimit = new Uint8Array(12 + ok.length + 32);
    atLimit.set(long.subarray(0, 8), 0);
    new DataView(atLimit.buffer).setUint32(8, ok.length, true);
    for (let i = 0; i < ok.length; i++) atLimit[12 + i] = ok.charCodeAt(i);
    atLimit.set(new Uint8Array(Float64Array.from(t.data).buffer), 12 + ok.length);
    expect(Array.from(readNpy(atLimit).data)).toEqual([1, 2, 3, 4]);
    // trailing bytes: one value too many, or a second array appended
    const good = writeNpy(t);
    const extra = new Uint8Array(good.length + 8);
    extra.set(good);
    expect(npyError(extra).message).toMatch(/x\.npy has 8 bytes after its data: the header promises 4 values \(32 bytes\)/);
    const two = new Uint8Array(good.length * 2);
    two.set(good);
    two.set(good, good.length);
    expect(npyError(two).hint).toMatch(/exactly one array/);
  });
});
