/**
 * NumPy `.npy` files (format versions 1–3), float32/float64, C order.
 *
 * @module
 */
import { ErrorCodes, fail } from './errors.js';
import type { DenseTensor } from './tensor.js';
import { sizeOf } from './tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** Typed-array views are little-endian here (every mainstream host); else fall back to DataView. */
const LITTLE_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The longest header {@link readNpy} accepts, in bytes: numpy's own limit for files it does not
 * trust (`max_header_size` of `numpy.load`). A real header is under 200 bytes.
 */
export const NPY_MAX_HEADER_BYTES = 10_000;

/** The dtypes tensorslim reads and writes. */
export type NpyDtype = 'float32' | 'float64';

/**
 * Parses a `.npy` file into a float64 tensor. Accepts little- and big-endian float32/float64
 * in C order; anything else is a `TS_NPY` error that says what was found. The bytes must be
 * exactly one array: a header longer than {@link NPY_MAX_HEADER_BYTES}, fewer data bytes than the
 * shape needs, or bytes after the data (a concatenation of arrays, a damaged or foreign file) are
 * refused rather than guessed at.
 */
export function readNpy(bytes: Uint8Array, name = 'the .npy file'): DenseTensor & { dtype: NpyDtype } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    fail(ErrorCodes.NPY, `${name} is not a .npy file (bad magic bytes)`, 'save it with numpy.save');
  }
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let offset: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail(ErrorCodes.NPY, `${name} is truncated inside its header`);
    headerLen = dv.getUint32(8, true);
    offset = 12;
  } else {
    return fail(ErrorCodes.NPY, `${name} has unsupported .npy format version ${major}`);
  }
  if (headerLen > NPY_MAX_HEADER_BYTES) {
    fail(
      ErrorCodes.NPY,
      `${name} declares a ${headerLen}-byte header, over the ${NPY_MAX_HEADER_BYTES} bytes numpy itself accepts from untrusted files`,
      'save the array again with numpy.save',
    );
  }
  if (offset + headerLen > bytes.length) fail(ErrorCodes.NPY, `${name} is truncated inside its header`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(offset, offset + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeStr === undefined) {
    fail(ErrorCodes.NPY, `${name} has a malformed header: ${header.trim()}`);
  }
  if (fortran === 'True') {
    fail(ErrorCodes.NPY, `${name} is in Fortran order`, 'save a C-ordered array: numpy.save(f, numpy.ascontiguousarray(a))');
  }
  const shape = shapeStr
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s));
  if (shape.some((s) => !Number.isInteger(s) || s < 0)) fail(ErrorCodes.NPY, `${name} has a bad shape (${shapeStr})`);
  const m = /^([<>|=])?([fiub])(\d+)$/.exec(descr);
  if (!m || m[2] !== 'f' || (m[3] !== '4' && m[3] !== '8')) {
    fail(ErrorCodes.NPY, `${name} has dtype '${descr}'`, 'only float32 (<f4) and float64 (<f8) are supported; convert with a.astype(numpy.float64)');
  }
  const little = m[1] !== '>';
  const width = Number(m[3]);
  const n = sizeOf(shape);
  const start = offset + headerLen;
  if (bytes.length < start + n * width) {
    fail(ErrorCodes.NPY, `${name} is truncated: the header promises ${n} values (${n * width} bytes) but ${bytes.length - start} bytes follow`);
  }
  if (bytes.length > start + n * width) {
    fail(
      ErrorCodes.NPY,
      `${name} has ${bytes.length - start - n * width} bytes after its data: the header promises ${n} values (${n * width} bytes)`,
      'a .npy file holds exactly one array; save each array to its own file with numpy.save (or use numpy.savez and extract them)',
    );
  }
  let data: Float64Array;
  const at = bytes.byteOffset + start;
  if (LITTLE_HOST && little && width === 8 && at % 8 === 0) data = new Float64Array(bytes.buffer.slice(at, at + 8 * n));
  else if (LITTLE_HOST && little && width === 4 && at % 4 === 0) data = Float64Array.from(new Float32Array(bytes.buffer, at, n));
  else {
    data = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      data[i] = width === 8 ? dv.getFloat64(start + 8 * i, little) : dv.getFloat32(start + 4 * i, little);
    }
  }
  return { shape, data, dtype: width === 8 ? 'float64' : 'float32' };
}

/**
 * Serializes a tensor as a `.npy` file (little-endian, C order): format version 1, or version 2
 * when the header would not fit version 1's 16-bit length.
 */
export function writeNpy(t: DenseTensor, dtype: NpyDtype = 'float64'): Uint8Array {
  const shapeStr = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '<${dtype === 'float64' ? 'f8' : 'f4'}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const v2 = header.length + 11 > 65535;
  const pre = v2 ? 12 : 10;
  header += ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n';
  const width = dtype === 'float64' ? 8 : 4;
  const start = pre + header.length;
  const out = new Uint8Array(start + t.data.length * width);
  out.set(MAGIC, 0);
  out[6] = v2 ? 2 : 1;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (v2) dv.setUint32(8, header.length, true);
  else dv.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  // start is a multiple of 64, so typed views line up
  if (LITTLE_HOST && width === 8) new Float64Array(out.buffer, start, t.data.length).set(t.data);
  else if (LITTLE_HOST) new Float32Array(out.buffer, start, t.data.length).set(t.data);
  else {
    for (let i = 0; i < t.data.length; i++) {
      if (width === 8) dv.setFloat64(start + 8 * i, t.data[i]!, true);
      else dv.setFloat32(start + 4 * i, t.data[i]!, true);
    }
  }
  return out;
}
