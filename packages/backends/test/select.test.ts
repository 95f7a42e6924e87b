/**
 * Backend selection with the optional packages simulated through the importer: missing, present
 * but failing to load, loading without starting, a GPU package without an adapter, a working one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { isTensorslimError } from '@tensorslim/linalg';
import {
  describeBackend,
  isNotInstalledError,
  selectBackend,
  softwareAdapterReason,
  unregisterWebgpuTrainingKernels,
  webgpuTrainingKernelsRegistered,
  type ModuleImporter,
} from '../src/index.js';

/** The error Node throws for a package that is not installed. */
function notFound(spec: string): Error {
  return Object.assign(new Error(`Cannot find package '${spec}' imported from /somewhere/select.js`), { code: 'ERR_MODULE_NOT_FOUND' });
}

const OPTIONAL = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'webgpu', '@tensorflow/tfjs-backend-webgpu'];

/** An importer where the optional packages are as `fakes` says (absent unless given), the rest real. */
function importer(fakes: Record<string, () => unknown> = {}): ModuleImporter & { calls: string[] } {
  const calls: string[] = [];
  const f = async (spec: string) => {
    calls.push(spec);
    if (fakes[spec]) return fakes[spec]!();
    if (OPTIONAL.some((o) => spec === o || spec.startsWith(`${o}/`))) throw notFound(spec);
    return import(/* @vite-ignore */ spec);
  };
  return Object.assign(f, { calls });
}

/**
 * What the real @tensorflow/tfjs-backend-webgpu does on import: register a backend named 'webgpu'
 * and its kernels (here the cpu backend's Conv2D, under the name 'webgpu').
 */
function fakeWebgpuBackend(): Record<string, never> {
  tf.registerBackend('webgpu', () => new MathBackendCPU());
  if (!tf.getKernel('Conv2D', 'webgpu')) tf.registerKernel({ ...tf.getKernel('Conv2D', 'cpu')!, backendName: 'webgpu' });
  return {};
}

/** A GPU object whose adapter is `adapter`. */
function fakeGpu(adapter: unknown) {
  return { requestAdapter: async () => adapter };
}

afterEach(() => {
  unregisterWebgpuTrainingKernels();
  for (const name of ['tensorflow', 'webgpu']) if (tf.findBackendFactory(name)) tf.removeBackend(name);
  delete (globalThis as { navigator?: unknown }).navigator;
});

describe('auto', () => {
  it('with no optional package installed lands on wasm and says why the others were skipped', async () => {
    const imp = importer();
    const sel = await selectBackend('auto', { importer: imp });
    expect(sel.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(sel.skipped.map((s) => s.name)).toEqual(['tensorflow', 'webgpu']);
    expect(sel.skipped[0]!.why).toBe('package @tensorflow/tfjs-node-gpu is not installed; package @tensorflow/tfjs-node is not installed');
    expect(sel.skipped[1]!.why).toBe('package webgpu is not installed');
    expect(sel.details['threads']).toBeGreaterThanOrEqual(1);
    expect(sel.details['trainingKernels']).toContain('Conv2DBackpropFilter');
    expect(imp.calls.slice(0, 3)).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'webgpu']);
    expect(describeBackend(sel)).toMatch(
      /^backend wasm \(\d+ threads?(, SIMD)?\): auto: .*skipped tensorflow \(package @tensorflow\/tfjs-node-gpu is not installed; .*\), webgpu \(package webgpu is not installed\)$/,
    );
  });

  it('moves on from a package that is present but fails to load, and says why', async () => {
    const sel = await selectBackend('auto', {
      importer: importer({
        '@tensorflow/tfjs-node-gpu': () => {
          throw new Error('libcudnn.so.8: cannot open shared object file: No such file or directory');
        },
        '@tensorflow/tfjs-node': () => {
          // a broken dependency of the package: still "failed to load", not "not installed"
          throw notFound('@tensorflow/tfjs');
        },
      }),
    });
    expect(sel.name).toBe('wasm');
    expect(sel.skipped[0]!.why).toBe(
      '@tensorflow/tfjs-node-gpu failed to load: libcudnn.so.8: cannot open shared object file: No such file or directory; ' +
        "@tensorflow/tfjs-node failed to load: Cannot find package '@tensorflow/tfjs' imported from /somewhere/select.js",
    );
  });

  it('moves on from a package that loads but registers no backend', async () => {
    const sel = await selectBackend('auto', { importer: importer({ '@tensorflow/tfjs-node': () => ({}) }) });
    expect(sel.name).toBe('wasm');
    expect(sel.skipped[0]!.why).toMatch(/@tensorflow\/tfjs-node loaded, but backend 'tensorflow' did not start: .*tensorflow/);
  });

  it('skips webgpu when the GPU package finds no adapter', async () => {
    const sel = await selectBackend('auto', { importer: importer({ webgpu: () => ({ create: () => fakeGpu(null), globals: {} }) }) });
    expect(sel.name).toBe('wasm');
    expect(sel.skipped[1]).toEqual({ name: 'webgpu', why: 'no adapter (webgpu (Dawn) found no usable GPU)' });
  });

  it('skips webgpu when there is an adapter but no tfjs-backend-webgpu', async () => {
    const sel = await selectBackend('auto', { importer: importer({ webgpu: () => ({ create: () => fakeGpu({ limits: {} }), globals: {} }) }) });
    expect(sel.skipped[1]!.why).toBe('package @tensorflow/tfjs-backend-webgpu is not installed');
  });

  it('takes webgpu when it starts, and reports the adapter and its limits', async () => {
    const adapter = {
      info: { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100' },
      limits: { maxBufferSize: 2 ** 34, maxStorageBufferBindingSize: 2 ** 31, maxComputeWorkgroupStorageSize: 32768, other: 1 },
      features: new Set(['timestamp-query', 'shader-f16']),
    };
    const dawnOptions: string[][] = [];
    const sel = await selectBackend('auto', {
      dawnOptions: ['backend=vulkan'],
      importer: importer({
        webgpu: () => ({
          create: (o: string[]) => (dawnOptions.push(o), fakeGpu(adapter)),
          globals: { GPUBufferUsage: { MAP_READ: 1 } },
        }),
        '@tensorflow/tfjs-backend-webgpu': fakeWebgpuBackend,
      }),
    });
    expect(sel.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(sel.skipped.map((s) => s.name)).toEqual(['tensorflow']);
    expect(sel.details).toEqual({
      source: 'webgpu (Dawn)',
      adapter: { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100' },
      limits: { maxBufferSize: 2 ** 34, maxStorageBufferBindingSize: 2 ** 31, maxComputeWorkgroupStorageSize: 32768 },
      features: ['shader-f16', 'timestamp-query'],
      trainingKernels: ['Conv2DBackpropFilter', 'TensorslimMomentumUpdate', 'TensorslimBatchNormGrad'],
    });
    expect(webgpuTrainingKernelsRegistered()?.filterGrad).toBe('im2col'); // tensorslim's filter gradient, as with --backend webgpu below
    expect(dawnOptions).toEqual([['backend=vulkan']]);
    expect((globalThis as unknown as { navigator: { gpu: unknown } }).navigator.gpu).toBeDefined();
    expect((globalThis as unknown as { GPUBufferUsage: unknown }).GPUBufferUsage).toEqual({ MAP_READ: 1 });
    expect(describeBackend(sel)).toBe(
      'backend webgpu (nvidia hopper NVIDIA H100): auto: the first of tensorflow → webgpu → wasm → cpu that started; skipped tensorflow (package @tensorflow/tfjs-node-gpu is not installed; package @tensorflow/tfjs-node is not installed)',
    );
    await tf.setBackend('wasm');
  });

  /** Dawn's GPUAdapterInfo on Mesa lavapipe (Mesa 25), its fields as getters on the prototype as in Dawn. */
  class LavapipeInfo {
    get vendor() {
      return 'mesa';
    }
    get architecture() {
      return 'software';
    }
    get device() {
      return 'llvmpipe-llvm-15-0-6-256-bits-';
    }
    get description() {
      return 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1';
    }
    get isFallbackAdapter() {
      return true;
    }
  }
  const webgpuPackages = (info: unknown) =>
    importer({
      webgpu: () => ({ create: () => fakeGpu({ info, limits: {} }), globals: {} }),
      '@tensorflow/tfjs-backend-webgpu': fakeWebgpuBackend,
    });

  it('skips a software adapter (lavapipe), which only an explicit --backend webgpu takes', async () => {
    const sel = await selectBackend('auto', { importer: webgpuPackages(new LavapipeInfo()) });
    expect(sel.name).toBe('wasm');
    expect(sel.skipped[1]).toEqual({ name: 'webgpu', why: 'only a fallback adapter, slower than the CPU backends (use --backend webgpu to take it anyway)' });
    const forced = await selectBackend('webgpu', { importer: webgpuPackages(new LavapipeInfo()) });
    expect(forced.name).toBe('webgpu');
    expect(forced.details['software']).toBe('a fallback adapter');
    expect(forced.details['trainingKernels']).toEqual(['Conv2DBackpropFilter', 'TensorslimMomentumUpdate', 'TensorslimBatchNormGrad']); // registered as auto registers it
    expect(webgpuTrainingKernelsRegistered()).toMatchObject({ backendName: 'webgpu', filterGrad: 'im2col' });
    expect(forced.details['adapter']).toEqual({
      vendor: 'mesa',
      architecture: 'software',
      device: 'llvmpipe-llvm-15-0-6-256-bits-',
      description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
      isFallbackAdapter: true,
    });
    await tf.setBackend('wasm');
  });

  it('recognizes software adapters by flag or by name, and not GPUs', () => {
    expect(softwareAdapterReason({ vendor: 'google', description: 'SwiftShader Device (Subzero)' })).toBe(
      'a software adapter (description "SwiftShader Device (Subzero)" names SwiftShader)',
    );
    expect(softwareAdapterReason({ device: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toMatch(/names llvmpipe\)$/);
    expect(softwareAdapterReason({ description: 'Lavapipe' })).toMatch(/names Lavapipe\)$/);
    expect(softwareAdapterReason({ vendor: 'nvidia' }, true)).toBe('a fallback adapter');
    expect(softwareAdapterReason({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100', isFallbackAdapter: false })).toBeUndefined();
    expect(softwareAdapterReason({})).toBeUndefined();
  });

  it('takes tensorflow first when tfjs-node-gpu starts', async () => {
    const imp = importer({
      '@tensorflow/tfjs-node-gpu': () => {
        tf.registerBackend('tensorflow', () => new MathBackendCPU());
        return { version: { 'tfjs-node': '4.22.0' } };
      },
    });
    const sel = await selectBackend('auto', { importer: imp });
    expect(sel).toEqual({
      name: 'tensorflow',
      reason: 'auto: the first choice started',
      skipped: [],
      details: { package: '@tensorflow/tfjs-node-gpu', version: '4.22.0', gpu: true },
    });
    expect(imp.calls).toEqual(['@tensorflow/tfjs-node-gpu']); // nothing else imported
    await tf.setBackend('wasm');
  });
});

describe('forced', () => {
  it('starts the named backend', async () => {
    const sel = await selectBackend('cpu', { importer: importer() });
    expect(sel).toEqual({ name: 'cpu', reason: 'requested (--backend cpu)', skipped: [], details: { leanGradients: ['FusedBatchNorm', 'Mean'] } });
    expect(tf.getBackend()).toBe('cpu');
    const w = await selectBackend('wasm', { importer: importer(), threads: 2 });
    expect(w.name).toBe('wasm');
    expect(w.details['threadsRequested']).toBe(2);
  });

  it('fails with TS_BACKEND and the reason when it cannot start', async () => {
    const err = await selectBackend('tensorflow', { importer: importer() }).catch((e: unknown) => e);
    expect(isTensorslimError(err, 'TS_BACKEND')).toBe(true);
    expect((err as Error).message).toBe(
      'backend tensorflow cannot start: package @tensorflow/tfjs-node-gpu is not installed; package @tensorflow/tfjs-node is not installed — install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu with CUDA), or use --backend auto',
    );
    const gpu = await selectBackend('webgpu', { importer: importer({ webgpu: () => ({ create: () => fakeGpu(null) }) }) }).catch((e: unknown) => e);
    expect(isTensorslimError(gpu, 'TS_BACKEND')).toBe(true);
    expect((gpu as Error).message).toMatch(/^backend webgpu cannot start: no adapter/);
  });

  it('rejects an unknown name with TS_UNKNOWN_NAME listing the known ones', async () => {
    const err = await selectBackend('webgl').catch((e: unknown) => e);
    expect(isTensorslimError(err, 'TS_UNKNOWN_NAME')).toBe(true);
    expect((err as Error).message).toMatch(/use one of: auto, tensorflow, webgpu, wasm, cpu/);
  });
});

describe('isNotInstalledError', () => {
  it('is true only for the package itself missing', () => {
    expect(isNotInstalledError(notFound('webgpu'), 'webgpu')).toBe(true);
    expect(isNotInstalledError(Object.assign(new Error("Cannot find module 'webgpu'"), { code: 'MODULE_NOT_FOUND' }), 'webgpu')).toBe(true);
    expect(isNotInstalledError(notFound('bindings'), 'webgpu')).toBe(false);
    expect(isNotInstalledError(new Error('Could not resolve "webgpu" imported by "@tensorslim/backends".'), 'webgpu')).toBe(true); // vite
    expect(isNotInstalledError(new Error('Could not resolve "bindings" imported by "webgpu"'), 'webgpu')).toBe(false);
    expect(isNotInstalledError(new Error("webgpu: 'webgpu' adapter lost"), 'webgpu')).toBe(false);
  });
});
