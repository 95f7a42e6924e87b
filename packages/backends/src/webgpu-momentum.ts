/**
 * The momentum-SGD update of one variable as tensorslim's own webgpu shaders: TF.js's
 * MomentumOptimizer runs four elementwise kernels per variable and step (m·a, + g, c·a', + v),
 * each one compute dispatch; {@link MOMENTUM_UPDATE_KERNEL} computes the new accumulation
 * a' = m·a + g and the new value v' = v − lr·a' in two (one shader program each, reading v, a and
 * g once). {@link FusedMomentumOptimizer} runs it where it is registered (webgpu, by
 * `registerWebgpuTrainingKernels`) and is TF.js's MomentumOptimizer everywhere else, so results
 * on cpu and wasm do not change.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { FlatProgram, type WebgpuRunner } from './webgpu-program.js';

/** The kernel's name: inputs value, accumulation, gradient; attrs momentum, learningRate; outputs [new value, new accumulation]. */
export const MOMENTUM_UPDATE_KERNEL = 'TensorslimMomentumUpdate';

/** The attributes of {@link MOMENTUM_UPDATE_KERNEL}. */
export interface MomentumUpdateAttrs {
  /** The momentum m. */
  readonly momentum: number;
  /** The learning rate lr. */
  readonly learningRate: number;
}

/** What each of the two programs writes. */
type MomentumOutput = 'accumulation' | 'value';

/** One elementwise pass over the flattened variable. */
class MomentumProgram extends FlatProgram {
  /** Its inputs, in order (a program binds only what its shader reads: the accumulation's pass does not read the value). */
  readonly variableNames: string[];
  readonly uniforms = 'momentum : f32, negLr : f32,';
  readonly shaderKey: string;

  constructor(
    n: number,
    private readonly output: MomentumOutput,
  ) {
    super(n);
    this.variableNames = output === 'accumulation' ? ['accumulation', 'gradient'] : ['value', 'accumulation', 'gradient'];
    this.shaderKey = `tensorslimMomentum_${output}`;
  }

  getUserCode(): string {
    const result = this.output === 'accumulation' ? 'a' : 'uniforms.negLr * a + getValueByOutputIndex(index)';
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let a = uniforms.momentum * getAccumulationByOutputIndex(index) + getGradientByOutputIndex(index);
          setOutputAtIndex(index, ${result});
        }
      }`;
  }
}

/** The kernel function of {@link MOMENTUM_UPDATE_KERNEL} on webgpu: two shader programs. */
export const momentumUpdateWebgpu: KernelFunc = ({ inputs, attrs, backend }) => {
  const { value, accumulation, gradient } = inputs as Record<'value' | 'accumulation' | 'gradient', TensorInfo>;
  const { momentum, learningRate } = attrs as unknown as MomentumUpdateAttrs;
  for (const t of [value, accumulation, gradient]) {
    if (t.dtype !== 'float32') throw new Error(`${MOMENTUM_UPDATE_KERNEL}: float32 tensors only, got ${t.dtype}`);
  }
  const n = tf.util.sizeFromShape(value.shape);
  if (tf.util.sizeFromShape(accumulation.shape) !== n || tf.util.sizeFromShape(gradient.shape) !== n) {
    throw new Error(`${MOMENTUM_UPDATE_KERNEL}: value, accumulation and gradient differ in size`);
  }
  const [v, a, g] = [value, accumulation, gradient].map((t) => ({ ...t, shape: [n] }));
  const uniforms = [
    { type: 'float32', data: [momentum] },
    { type: 'float32', data: [-learningRate] },
  ];
  const runner = backend as unknown as WebgpuRunner;
  const newAccumulation = runner.runWebGPUProgram(new MomentumProgram(n, 'accumulation'), [a!, g!], 'float32', uniforms);
  const newValue = runner.runWebGPUProgram(new MomentumProgram(n, 'value'), [v!, a!, g!], 'float32', uniforms);
  return [
    { ...newValue, shape: [...value.shape] },
    { ...newAccumulation, shape: [...value.shape] },
  ];
};

/** The kernel config of {@link MOMENTUM_UPDATE_KERNEL} for the webgpu backend. */
export const momentumUpdateWebgpuConfig: KernelConfig = { kernelName: MOMENTUM_UPDATE_KERNEL, backendName: 'webgpu', kernelFunc: momentumUpdateWebgpu };

/** The MomentumOptimizer fields the fused update reads (private in TF.js's typings). */
interface MomentumState {
  accumulations: { originalName: string; variable: tf.Variable }[];
  learningRate: number;
  momentum: number;
  useNesterov: boolean;
}

/**
 * TF.js's MomentumOptimizer whose update runs {@link MOMENTUM_UPDATE_KERNEL} where the active
 * backend has it (two dispatches per variable on webgpu instead of four), and TF.js's own update
 * elsewhere (and with Nesterov momentum). Its state (`getWeights`/`setWeights`: the iteration
 * count and one accumulation per variable) is TF.js's, so checkpoints hold the same tensors.
 */
export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  override applyGradients(variableGradients: Parameters<tf.MomentumOptimizer['applyGradients']>[0]): void {
    const self = this as unknown as MomentumState;
    if (self.useNesterov || !tf.getKernel(MOMENTUM_UPDATE_KERNEL, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name]!;
      self.accumulations[i] ??= { originalName: `${name}/momentum`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      const accumulation = self.accumulations[i]!.variable;
      const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
      if (!gradient) return;
      tf.tidy(() => {
        const attrs: MomentumUpdateAttrs = { momentum: self.momentum, learningRate: self.learningRate };
        const [v, a] = tf.engine().runKernel(MOMENTUM_UPDATE_KERNEL, { value, accumulation, gradient }, attrs as unknown as NamedAttrMap) as tf.Tensor[];
        accumulation.assign(a!);
        value.assign(v!);
      });
    });
    this.incrementIterations();
  }
}

/**
 * A momentum-SGD optimizer: {@link FusedMomentumOptimizer} (TF.js's update on backends without
 * the fused kernel, so the same numbers there as `tf.train.momentum(lr, momentum)`).
 */
export function makeMomentumOptimizer(opts: { readonly lr: number; readonly momentum: number }): tf.Optimizer {
  return new FusedMomentumOptimizer(opts.lr, opts.momentum);
}
