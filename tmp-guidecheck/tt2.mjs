import { Rng, relError } from '@tensorslim/core';
import { ttSvd, ttReconstruct, ttRound } from '@tensorslim/decomp-tt';

const x = { shape: [16, 16, 9, 16, 16], data: new Rng(1).normalArray(16 * 16 * 9 * 16 * 16) };
const f = ttSvd(x, { ranks: [1, 16, 16, 16, 16, 1] });     // or { maxRank: 16 }, { ratio: 10 }, { eps: 0.05 }
console.log(f.ranks, relError(x, ttReconstruct(f)));
const g = ttRound(f, { eps: 0.1 });                        // re-truncate without going dense
console.log(g.ranks);
