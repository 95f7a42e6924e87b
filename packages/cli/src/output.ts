/**
 * What the command prints: one-line errors, JSON lines, medians.
 *
 * @module
 */
import { TensorslimError } from '@tensorslim/core';

/** Formats an error as the single stderr line the command prints. */
export function errorLine(e: unknown): string {
  if (e instanceof TensorslimError) return `tensorslim: error ${e.code}: ${e.message.replace(/\s*\n\s*/g, ' ')}`;
  const err = e as { code?: string; message?: string };
  if (err && err.code === 'ENOENT') return `tensorslim: error TS_DATA: ${err.message}`;
  return `tensorslim: error: ${err?.message ?? String(e)}`;
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
