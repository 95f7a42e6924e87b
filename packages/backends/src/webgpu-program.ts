/**
 * What tensorslim's own webgpu shaders share: the part of tfjs-backend-webgpu's backend that runs
 * them, and the skeleton of a one-dimensional program (one invocation per output element). A
 * WebGPUProgram of tfjs-backend-webgpu declares its inputs, uniforms, output shape and dispatch;
 * the backend generates the bindings, the uniform struct and the accessors
 * (`get<Input>ByOutputIndex`, `setOutputAtIndex`), and the program supplies `main`.
 *
 * @module
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-webgpu's backend a tensorslim shader needs. */
export interface WebgpuRunner {
  runWebGPUProgram(program: object, inputs: TensorInfo[], outputDtype: string, uniforms?: { type: string; data: number[] }[]): TensorInfo;
  disposeData(dataId: object): void;
}

/** Invocations per workgroup of a {@link FlatProgram}. */
export const FLAT_WORKGROUP = 64;

/**
 * A program with one invocation per element of a 1-D output of n elements (`main(index)`, guarded
 * by `uniforms.size`). Subclasses name their inputs (every one must be read by the shader: the
 * pipeline's bind group has only the bindings the shader uses), their uniforms and shader key.
 */
export abstract class FlatProgram {
  abstract readonly variableNames: string[];
  abstract readonly uniforms: string;
  abstract readonly shaderKey: string;
  readonly workgroupSize: [number, number, number] = [FLAT_WORKGROUP, 1, 1];
  readonly size = true;
  readonly outputShape: number[];
  readonly dispatchLayout = { x: [0] };
  /** Workgroups (the backend reshapes it to 2-D or 3-D past the per-dimension limit). */
  dispatch: [number, number, number];

  constructor(n: number) {
    this.outputShape = [n];
    this.dispatch = [Math.ceil(n / FLAT_WORKGROUP), 1, 1];
  }

  /** The WGSL of `main(index : i32)`. */
  abstract getUserCode(): string;
}
