import { Rng, relError } from '@tensorslim/core';
import { register, trSvd, trAls, trReconstruct, trParamCount } from '@tensorslim/decomp-tr';

register(); // makes format "tr" available to the CLI / ADMM solver (and registers the layers)

const A = { shape: [16, 16, 9, 8], data: new Rng(1).normalArray(16 * 16 * 9 * 8) };
const f = trSvd(A, { ranks: [4, 4, 8, 8] }); // or { maxRank: 8 }, { ratio: 10 }, { eps: 0.1 }
const g = trAls(A, f, { maxSweeps: 5 }); // refine; never worse than f
console.log(f.ranks, trParamCount(A.shape, f.ranks), relError(A, trReconstruct(g)));
