import type { Decomposition } from '@tensorslim/core';
// @ts-ignore
import { cpDecomposition as ex } from '@tensorslim-examples/decomp-cp';
export const cpDecomposition = ex as Decomposition;
