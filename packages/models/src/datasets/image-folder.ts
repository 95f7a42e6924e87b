/**
 * A user's own images as a dataset: one sub-folder per class of PNG/JPEG files (`--dataset
 * folder:DIR`). Images are decoded with pngjs and jpeg-js (maintained, pure JavaScript: no native
 * build, so they install wherever TF.js's wasm/cpu backends run), resized bilinearly to the
 * model's input [H, W, C] (C = 1: grayscale, C = 3: RGB), stored as bytes and normalized per
 * batch as x = pixel·scale + offset (pixel in 0..255). A corrupt image, a file that is not an
 * image and an empty class folder are skipped and counted, never an error.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { ErrorCodes, fail } from '@tensorslim/core';
import { Rng } from '@tensorslim/linalg';
import { ArrayDataset, makeSplits, mixSeed, type ExampleStore, type SplitOptions } from './array-dataset.js';

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions extends SplitOptions {
  /** The model's input shape [H, W, C] with C = 1 or 3 (required). */
  readonly inputShape?: readonly number[];
  /** x = pixel·scale + offset, per channel or one for all (default 1/255, or `normalization.json` in the folder). */
  readonly scale?: number | readonly number[];
  /** See `scale` (default 0). */
  readonly offset?: number | readonly number[];
}

/** What was skipped while reading the folder. */
export interface ImageFolderSkips {
  /** Files with an image extension that did not decode. */
  readonly corrupt: string[];
  /** Files that are not PNG/JPEG. */
  readonly notImages: string[];
  /** Class folders with no readable image (left out of the classes). */
  readonly emptyClasses: string[];
}

/** An image-folder dataset: the dataset, its class names and what was skipped. */
export interface ImageFolderDataset extends ArrayDataset {
  /** Class names (sub-folder names, sorted), index = label. */
  readonly classNames?: readonly string[];
  /** What was skipped. */
  readonly skipped?: ImageFolderSkips;
}

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

/** RGBA bytes of a PNG or JPEG file, or null when it does not decode. */
function decodeImage(bytes: Buffer, ext: string): { width: number; height: number; data: Uint8Array } | null {
  try {
    if (ext === '.png') {
      const p = PNG.sync.read(bytes);
      return { width: p.width, height: p.height, data: p.data };
    }
    const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
    return j.width > 0 && j.height > 0 ? { width: j.width, height: j.height, data: j.data } : null;
  } catch {
    return null;
  }
}

/** Bilinear resize of RGBA to [H, W, C] bytes (C = 1: luminance, C = 3: RGB). */
function resize(img: { width: number; height: number; data: Uint8Array }, H: number, W: number, C: number, out: Uint8Array, at: number): void {
  const { width: w, height: h, data } = img;
  for (let y = 0; y < H; y++) {
    const fy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / H - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < W; x++) {
      const fx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / W - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const tx = fx - x0;
      const px = (yy: number, xx: number, c: number) => data[(yy * w + xx) * 4 + c]!;
      const rgb = [0, 1, 2].map((c) => (1 - ty) * ((1 - tx) * px(y0, x0, c) + tx * px(y0, x1, c)) + ty * ((1 - tx) * px(y1, x0, c) + tx * px(y1, x1, c)));
      const dst = at + (y * W + x) * C;
      if (C === 1) out[dst] = Math.round(0.299 * rgb[0]! + 0.587 * rgb[1]! + 0.114 * rgb[2]!);
      else for (let c = 0; c < 3; c++) out[dst + c] = Math.round(rgb[c]!);
    }
  }
}

function perChannel(v: number | readonly number[], C: number, what: string): number[] {
  const a = typeof v === 'number' ? new Array<number>(C).fill(v) : [...v];
  if (a.length !== C || a.some((x) => !Number.isFinite(x))) fail(ErrorCodes.OPTION, `${what} must be one number or ${C} numbers, got ${JSON.stringify(v)}`);
  return a;
}

/** The normalization: options first, then `normalization.json` ({"scale", "offset"}) in the folder, then 1/255 and 0. */
function normalization(dir: string, o: ImageFolderOptions, C: number): { scale: number[]; offset: number[] } {
  let file: { scale?: number | number[]; offset?: number | number[] } = {};
  const path = join(dir, 'normalization.json');
  if (existsSync(path)) {
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as typeof file;
    } catch (e) {
      fail(ErrorCodes.DATA, `${path} is not valid JSON: ${(e as Error).message}`, 'write {"scale": 0.00392, "offset": 0} (x = pixel·scale + offset)');
    }
  }
  return { scale: perChannel(o.scale ?? file.scale ?? 1 / 255, C, 'scale'), offset: perChannel(o.offset ?? file.offset ?? 0, C, 'offset') };
}

/**
 * Loads `dir` (one sub-folder per class of .png/.jpg/.jpeg files) resized to `inputShape`, with a
 * validation split of `valFraction` (default 0.2) that also serves as the test split. `TS_DATA`
 * when the folder is missing or has fewer than two classes with images.
 */
export async function loadImageFolder(dir: string, opts: ImageFolderOptions = {}): Promise<ImageFolderDataset> {
  const shape = opts.inputShape;
  if (!shape || shape.length !== 3 || !(shape[2] === 1 || shape[2] === 3)) {
    fail(ErrorCodes.DATA, `an image folder needs the model's input shape [H, W, C] with C = 1 or 3, got ${JSON.stringify(shape)}`);
  }
  const [H, W, C] = shape as [number, number, number];
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    fail(ErrorCodes.DATA, `image folder ${dir} does not exist`, 'pass folder:DIR with one sub-folder per class');
  const skipped: ImageFolderSkips = { corrupt: [], notImages: [], emptyClasses: [] };
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  const classNames: string[] = [];
  const folders = readdirSync(dir)
    .filter((n) => statSync(join(dir, n)).isDirectory())
    .sort();
  for (const cls of folders) {
    const before = images.length;
    for (const f of readdirSync(join(dir, cls)).sort()) {
      const path = join(dir, cls, f);
      if (!statSync(path).isFile()) continue;
      const ext = extname(f).toLowerCase();
      if (!IMAGE_EXT.has(ext)) {
        skipped.notImages.push(join(cls, f));
        continue;
      }
      const img = decodeImage(readFileSync(path), ext);
      if (!img) {
        skipped.corrupt.push(join(cls, f));
        continue;
      }
      const px = new Uint8Array(H * W * C);
      resize(img, H, W, C, px, 0);
      images.push(px);
      labels.push(classNames.length);
    }
    if (images.length === before) skipped.emptyClasses.push(cls);
    else classNames.push(cls);
  }
  if (classNames.length < 2) {
    fail(
      ErrorCodes.DATA,
      `image folder ${dir} has ${classNames.length} class(es) with readable images; a classifier needs at least 2`,
      'one sub-folder per class, each with PNG or JPEG files',
    );
  }
  const { scale, offset } = normalization(dir, opts, C);
  const storeOf = (ix: number[]): ExampleStore => ({
    count: ix.length,
    label: (i) => labels[ix[i]!]!,
    decode(i, out, at) {
      const px = images[ix[i]!]!;
      for (let k = 0; k < px.length; k++) out[at + k] = px[k]! * scale[k % C]! + offset[k % C]!;
    },
  });
  const vf = opts.valFraction ?? 0.2;
  if (!(vf > 0 && vf < 1)) fail(ErrorCodes.OPTION, `valFraction ${vf} must be in (0, 1) for an image folder`);
  const perm = Int32Array.from(images, (_, i) => i);
  new Rng(mixSeed(opts.seed ?? 1, 0xf01d)).shuffle(perm);
  const nVal = Math.max(1, Math.round(vf * perm.length));
  const val = Array.from(perm.slice(0, nVal).sort());
  const train = Array.from(perm.slice(nVal).sort());
  const splits = makeSplits(storeOf(train), storeOf(val), { ...opts, valFraction: 0 });
  const ds = new ArrayDataset({ name: `folder:${dir}`, inputShape: [H, W, C], numClasses: classNames.length, augment: false, ...splits });
  return Object.assign(ds, { classNames, skipped }) as ImageFolderDataset;
}
