/**
 * The IDX file format of MNIST and Fashion-MNIST (big-endian header: two zero bytes, a type
 * code, the number of dimensions, one uint32 size per dimension; then the data), parsed with
 * typed arrays and a DataView. A truncated or corrupt file is a `TS_DATA` error naming the file
 * and what was short.
 *
 * @module
 */
import { ErrorCodes, fail } from '@tensorslim/core';

/** The element types of IDX files. */
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** A parsed IDX file. */
export interface IdxArray {
  /** Element type. */
  readonly type: IdxType;
  /** Dimension sizes, outermost first (e.g. [60000, 28, 28]). */
  readonly dims: readonly number[];
  /** The values (a view on the file's bytes for uint8/int8). */
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Readonly<Record<number, { type: IdxType; bytes: number }>> = {
  0x08: { type: 'uint8', bytes: 1 },
  0x09: { type: 'int8', bytes: 1 },
  0x0b: { type: 'int16', bytes: 2 },
  0x0c: { type: 'int32', bytes: 4 },
  0x0d: { type: 'float32', bytes: 4 },
  0x0e: { type: 'float64', bytes: 8 },
};

/** Parses an IDX file's bytes; `name` names the file in errors. */
export function parseIdx(bytes: Uint8Array, name = 'the IDX file'): IdxArray {
  const hint = 'download the file again; IDX files must be complete (uncompressed, or .gz)';
  if (bytes.byteLength < 4) fail(ErrorCodes.DATA, `${name} is truncated: ${bytes.byteLength} bytes, shorter than the 4-byte IDX magic number`, hint);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== 0 || view.getUint8(1) !== 0) {
    fail(
      ErrorCodes.DATA,
      `${name} is not an IDX file: its magic number 0x${view.getUint32(0).toString(16).padStart(8, '0')} does not start with two zero bytes`,
      hint,
    );
  }
  const t = TYPES[view.getUint8(2)];
  if (!t)
    fail(
      ErrorCodes.DATA,
      `${name} has unknown IDX type code 0x${view.getUint8(2).toString(16)}`,
      'IDX types: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64',
    );
  const nd = view.getUint8(3);
  if (nd === 0) fail(ErrorCodes.DATA, `${name} declares 0 dimensions`, hint);
  const header = 4 + 4 * nd;
  if (bytes.byteLength < header)
    fail(ErrorCodes.DATA, `${name} is truncated: its header needs ${header} bytes for ${nd} dimensions, the file has ${bytes.byteLength}`, hint);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const need = count * t.bytes;
  const have = bytes.byteLength - header;
  if (have < need) {
    fail(
      ErrorCodes.DATA,
      `${name} is truncated: the header declares ${dims.join('×')} ${t.type} = ${need} data bytes, the file holds ${have} (${need - have} missing)`,
      hint,
      { expected: need, actual: have },
    );
  }
  if (have > need) fail(ErrorCodes.DATA, `${name} is corrupt: ${have - need} bytes beyond the ${dims.join('×')} ${t.type} its header declares`, hint);
  const body = bytes.subarray(header);
  let data: IdxArray['data'];
  if (t.type === 'uint8') data = body;
  else if (t.type === 'int8') data = new Int8Array(body.buffer, body.byteOffset, count);
  else {
    const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const Ctor = { int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[t.type];
    const out = new Ctor(count);
    const get = {
      int16: (o: number) => dv.getInt16(o),
      int32: (o: number) => dv.getInt32(o),
      float32: (o: number) => dv.getFloat32(o),
      float64: (o: number) => dv.getFloat64(o),
    }[t.type];
    for (let i = 0; i < count; i++) out[i] = get(i * t.bytes);
    data = out;
  }
  return { type: t.type, dims, data };
}

/** Reads and parses an IDX file (gunzipping `.gz` files). */
export async function readIdx(path: string): Promise<IdxArray> {
  const { readFile } = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    fail(ErrorCodes.DATA, `cannot read ${path}: ${(e as Error).message}`);
  }
  if (path.endsWith('.gz')) {
    const { gunzipSync } = await import('node:zlib');
    try {
      bytes = new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      fail(ErrorCodes.DATA, `${path} is not a valid gzip file: ${(e as Error).message}`, 'download it again');
    }
  }
  return parseIdx(bytes, path);
}

/** Writes values as IDX bytes (big-endian), e.g. to make test files. */
export function encodeIdx(type: IdxType, dims: readonly number[], values: ArrayLike<number>): Uint8Array {
  const code = Number(Object.entries(TYPES).find(([, t]) => t.type === type)![0]);
  const size = TYPES[code]!.bytes;
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + values.length * size);
  const dv = new DataView(out.buffer);
  dv.setUint8(2, code);
  dv.setUint8(3, dims.length);
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d));
  const set = {
    uint8: (o: number, v: number) => dv.setUint8(o, v),
    int8: (o: number, v: number) => dv.setInt8(o, v),
    int16: (o: number, v: number) => dv.setInt16(o, v),
    int32: (o: number, v: number) => dv.setInt32(o, v),
    float32: (o: number, v: number) => dv.setFloat32(o, v),
    float64: (o: number, v: number) => dv.setFloat64(o, v),
  }[type];
  for (let i = 0; i < values.length; i++) set(header + i * size, values[i]!);
  return out;
}
