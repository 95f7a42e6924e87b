// Types of assemble-kernels.mjs, for test/kernels.test.ts (and backends' test/kernels.test.ts).
/** Where the .wat sources are. */
export const KERNEL_DIR: string;
/** The generated TypeScript module. */
export const OUTPUT: string;
/** The name of the constant that holds the module assembled from `file` (gemm.wat → GEMM_WASM). */
export function constantName(file: string): string;
/** Assembles every *.wat of `dir` (default src/kernels); returns the binaries by file name, in file-name order. */
export function assembleKernels(dir?: string): Promise<Record<string, Uint8Array>>;
/** The TypeScript module that embeds `binaries`; its header names `pkg` (default packages/linalg) as the place to regenerate it. */
export function renderModule(binaries: Record<string, Uint8Array>, pkg?: string): string;
