/**
 * A real wasm backend that cannot start (its .wasm files are not where they are looked for):
 * `auto` moves on to cpu and says why; forcing wasm fails with TS_BACKEND. (Own file: the failed
 * initialization stays in this process's TF.js engine.)
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { isTensorslimError } from '@tensorslim/linalg';
import { selectBackend, type ModuleImporter } from '../src/index.js';

const noOptional: ModuleImporter = async (spec) => {
  if (['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'webgpu'].includes(spec)) {
    throw Object.assign(new Error(`Cannot find package '${spec}' imported from x.js`), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return import(/* @vite-ignore */ spec);
};

describe('a wasm backend whose binaries are missing', () => {
  it('auto lands on cpu and says why wasm was skipped; forcing wasm fails clearly', async () => {
    const sel = await selectBackend('auto', { importer: noOptional, wasmPaths: '/nonexistent-dir/' });
    expect(sel.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(sel.skipped.map((s) => s.name)).toEqual(['tensorflow', 'webgpu', 'wasm']);
    expect(sel.skipped[2]!.why).toBe(
      "@tensorflow/tfjs-backend-wasm loaded, but backend 'wasm' failed to initialize (the .wasm files were looked for in /nonexistent-dir/)",
    );
    const err = await selectBackend('wasm', { importer: noOptional, wasmPaths: '/nonexistent-dir/' }).catch((e: unknown) => e);
    expect(isTensorslimError(err, 'TS_BACKEND')).toBe(true);
    expect((err as Error).message).toMatch(/^backend wasm cannot start: .*failed to initialize/);
  });
});
