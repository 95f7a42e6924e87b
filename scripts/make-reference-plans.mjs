#!/usr/bin/env node
// Writes docs/plans/resnet{20,32,56}-tt-reference.json: TT plans with the modes and ranks of the
// reference implementation's ResNet-32 CIFAR runs at ~3× (shared/reference/field-notes.md), keyed
// by the layer names of @tensorslim/models. 32→64 convs are not listed there: our choice is marked.
// Usage: npm run build && node scripts/make-reference-plans.mjs
import { writeFileSync, mkdirSync } from 'node:fs';
import { compressibleLayers } from '@tensorslim/models';

const BY_CHANNELS = {
  '16->16': { outModes: [16], inModes: [16], ranks: [1, 16, 16, 1] },
  '32->32': { outModes: [8, 4], inModes: [4, 8], ranks: [1, 8, 16, 16, 8, 1] },
  '16->32': { outModes: [8, 4], inModes: [4, 4], ranks: [1, 8, 32, 16, 4, 1] },
  '64->64': { outModes: [8, 8], inModes: [8, 8], ranks: [1, 8, 28, 28, 8, 1] },
  '32->64': { outModes: [8, 8], inModes: [4, 8], ranks: [1, 8, 28, 16, 8, 1] }, // not in the reference: ours
};

mkdirSync('docs/plans', { recursive: true });
for (const model of ['resnet20', 'resnet32', 'resnet56']) {
  const layers = {};
  for (const l of compressibleLayers(model)) {
    const e = BY_CHANNELS[`${l.cin}->${l.cout}`];
    if (!e) throw new Error(`${model}: no reference entry for ${l.name} (${l.cin}->${l.cout})`);
    layers[l.name] = { format: 'tt', ...e };
  }
  writeFileSync(`docs/plans/${model}-tt-reference.json`, JSON.stringify({ version: 1, layers }, null, 2) + '\n');
  console.log(`docs/plans/${model}-tt-reference.json: ${Object.keys(layers).length} layers`);
}
