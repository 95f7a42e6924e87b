/**
 * `tensorslim bench train` (images per second of a full training step per backend; on wasm also
 * data-parallel on N worker threads, beside PyTorch on CPU at 1 and N threads) and
 * `tensorslim bench layers` (each registered format's factorized convolution against the dense
 * one it replaces: FLOP ratio and measured time ratio side by side): @tensorslim/bench's
 * benchmarks, their flags and their tables.
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { availableParallelism } from 'node:os';
import { opt } from '@tensorslim/core';
import { benchLayersOptionsSchema, benchTrainOptionsSchema, runBenchLayers, runBenchTrain, torchRatios, type BenchTrainResult } from '@tensorslim/bench';
import { FLAGS } from '../context.js';
import { addFlags, parseFlags, withDefaults, type FlagsInput } from '../schema-flags.js';

/** The flags of `bench train`: @tensorslim/bench's options (the PyTorch reference runs unless `--no-torch`) and `--json`. */
export const benchTrainCliSchema = withDefaults(
  z.strictObject({
    ...benchTrainOptionsSchema.shape,
    json: opt(FLAGS.json, { description: 'one JSON line per backend {model, backend, batch, imgPerSec, ...}' }),
  }),
  { torch: { default: true } },
);

/** Flags of `bench train` (typed values, or the strings of a command line). */
export type BenchTrainFlags = FlagsInput<typeof benchTrainCliSchema>;

/** The flags of `bench layers`: @tensorslim/bench's options and `--json`. */
export const benchLayersFlagsSchema = z.strictObject({
  ...benchLayersOptionsSchema.shape,
  json: opt(FLAGS.json, { description: 'one JSON line per format' }),
});

/** Flags of `bench layers` (typed values, or the strings of a command line). */
export type BenchLayersFlags = FlagsInput<typeof benchLayersFlagsSchema>;

const f2 = (v: number | null) => (v === null ? '—' : v.toFixed(2));

/** Adds `bench train` and `bench layers` to the program. */
export function benchCommand(program: Command): void {
  const bench = program.command('bench').description('Measure training throughput per backend, and factorized layers against dense ones.');
  addFlags(
    bench.command('train').description('Images per second of a full training step (forward, backward, SGD momentum) of a built-in model, per backend.'),
    benchTrainCliSchema,
  ).action(async (flags: BenchTrainFlags) => {
    const { json, ...options } = parseFlags(benchTrainCliSchema, { ...flags, threads: flags.threads ?? availableParallelism() });
    const results = await runBenchTrain(options, { log: (l) => process.stderr.write(`tensorslim: ${l}\n`) });
    if (json) {
      for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    const lines = [`model ${options.model}`, 'backend                 batch  steps   ms/step  cpu ms/step    img/s'];
    const label = (r: BenchTrainResult) =>
      r.threads !== undefined ? `${r.backend} ${r.threads} thread${r.threads > 1 ? 's' : ''}` : r.workers ? `${r.backend} ${r.workers} workers` : r.backend;
    for (const r of results) {
      lines.push(
        `${label(r).padEnd(21)} ${String(r.batch).padStart(7)} ${String(r.steps).padStart(6)} ${f2(r.msPerStep).padStart(9)} ${f2(r.cpuMsPerStep ?? null).padStart(12)} ${f2(r.imgPerSec).padStart(8)}`,
      );
    }
    const cpu = results.find((r) => r.backend === 'cpu' && r.imgPerSec);
    for (const r of results)
      if (cpu && r !== cpu && r.imgPerSec && r.backend !== 'pytorch')
        lines.push(`${label(r)} / cpu: ${(r.imgPerSec / cpu.imgPerSec!).toFixed(1)}× the images per second`);
    const one = results.find((r) => r.backend === 'wasm' && !r.workers && r.imgPerSec);
    for (const r of results)
      if (one && r.workers && r.imgPerSec) lines.push(`wasm ${r.workers} workers / 1: ${(r.imgPerSec / one.imgPerSec!).toFixed(2)}× the images per second`);
    lines.push(...torchRatios(results));
    for (const r of results) if (r.note) lines.push(`note (${r.backend}): ${r.note}`);
    process.stdout.write(lines.join('\n') + '\n');
  });
  addFlags(
    bench
      .command('layers')
      .description("Each registered format's factorized conv (about 3× fewer parameters) against the dense Conv2D it replaces: FLOP ratio and time ratio."),
    benchLayersFlagsSchema,
  ).action(async (flags: BenchLayersFlags) => {
    const { json, ...options } = parseFlags(benchLayersFlagsSchema, flags);
    const results = await runBenchLayers(options, { log: (l) => process.stderr.write(`tensorslim: ${l}\n`) });
    if (json) {
      for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    const lines = ['format   ranks                 params ratio  FLOP ratio  dense ms  fact. ms  time ratio  efficiency  (by CPU time)'];
    for (const r of results) {
      lines.push(
        `${r.format.padEnd(8)} ${`[${r.ranks.join(',')}]`.padEnd(20)} ${f2(r.paramRatio).padStart(12)} ${f2(r.flopRatio).padStart(11)} ${f2(r.denseMs).padStart(9)} ${f2(r.factorizedMs).padStart(9)} ${f2(r.timeRatio).padStart(11)} ${f2(r.efficiency).padStart(11)} ${f2(r.cpuEfficiency ?? null).padStart(14)}`,
      );
    }
    lines.push('efficiency = time ratio / FLOP ratio (the target is ≥ 0.8)');
    for (const r of results) if (r.note) lines.push(`note (${r.format}): ${r.note}`);
    process.stdout.write(lines.join('\n') + '\n');
  });
}
