// Types of assemble-kernels.mjs, for test/kernels.test.ts.
/** Where the .wat sources are. */
export const KERNEL_DIR: string;
/** The generated TypeScript module. */
export const OUTPUT: string;
/** The name of the constant that holds the module assembled from `file` (gemm.wat → GEMM_WASM). */
export function constantName(file: string): string;
/** Assembles every src/kernels/*.wat; returns the binaries by file name, in file-name order. */
export function assembleKernels(): Promise<Record<string, Uint8Array>>;
/** The TypeScript module that embeds `binaries`. */
export function renderModule(binaries: Record<string, Uint8Array>): string;
