import { Rng, relError } from '@tensorslim/core';
import { register, hooi, hosvd, reconstructTucker, tuckerParamCount } from '@tensorslim/decomp-tucker';

register(); // makes format "tucker" available to the CLI / ADMM solver (and registers the layers)

// a conv kernel in core's layout [Cout, kh·kw, Cin]: Tucker-2 on the channel modes 0 and 2
const W = { shape: [64, 9, 32], data: new Rng(1).normalArray(64 * 9 * 32) };
const f = hooi(W, { ranks: [16, 8] }, { modes: [0, 2], maxSweeps: 10, tol: 1e-6 });
// or { maxRank: 8 }, { ratio: 10 }, { eps: 0.1 }, { auto: true } (EVBMF, Kim et al. 2016)
console.log(f.ranks, f.meta, tuckerParamCount(W.shape, f.ranks, [0, 2]), relError(W, reconstructTucker(f)));
