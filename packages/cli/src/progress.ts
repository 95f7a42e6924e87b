/**
 * Progress bars with ETA for long phases (cli-progress, on stderr). Quiet with `--json` or
 * when stderr is not a terminal, so logs and pipes stay clean.
 *
 * @module
 */
import cliProgress from 'cli-progress';

/** A progress reporter for one phase at a time. */
export interface Progress {
  /** Starts a phase of `total` units. */
  start(phase: string, total: number): void;
  /** Moves to `value` units done, with optional figures shown after the bar. */
  update(value: number, info?: Record<string, string | number>): void;
  /** Ends the current phase. */
  stop(): void;
  /** Prints a line above the bars (or to stderr when quiet is false and no bar runs). */
  log(line: string): void;
}

/** Whether bars should show: not in JSON mode, and stderr is a terminal. */
export function progressEnabled(json: boolean | undefined): boolean {
  return !json && Boolean(process.stderr.isTTY);
}

function formatInfo(info?: Record<string, string | number>): string {
  if (!info) return '';
  return Object.entries(info)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2)) : v}`)
    .join('  ');
}

/** Creates a progress reporter; `enabled: false` gives one that prints only `log` lines (unless `silent`). */
export function createProgress(enabled: boolean, silent = false): Progress {
  if (!enabled) {
    return {
      start() {},
      update() {},
      stop() {},
      log(line) {
        if (!silent) process.stderr.write(line + '\n');
      },
    };
  }
  let bar: cliProgress.SingleBar | null = null;
  return {
    start(phase, total) {
      bar?.stop();
      bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `${phase.padEnd(10)} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {info}`,
          barsize: 24,
          hideCursor: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { info: '' });
    },
    update(value, info) {
      bar?.update(value, { info: formatInfo(info) });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
    log(line) {
      if (bar) {
        bar.stop();
        process.stderr.write(line + '\n');
      } else process.stderr.write(line + '\n');
    },
  };
}

/** The subset of the pipeline's events a progress reporter shows (structurally typed, so the CLI does not depend on the event union's every member). */
export type ShownEvent =
  | { type: 'phase-start'; phase: string; epochs?: number; stepsPerEpoch?: number }
  | { type: 'phase-end'; phase: string; ms: number }
  | { type: 'step'; phase: string; globalStep: number; totalSteps: number; loss: number; rho: number | null }
  | { type: 'epoch'; record: { phase: string; epoch: number; trainLoss: number; valAccuracy: number | null; ms: number } }
  | { type: 'admm-update'; record: { update: number; primal: number; dual: number } }
  | { type: 'evaluate'; what: string; loss: number; accuracy: number | null }
  | { type: 'saved'; what: string; path: string }
  | { type: 'checkpoint'; path: string }
  | { type: 'resume'; path: string; phase: string; epoch: number; step: number }
  | { type: 'early-stop'; phase: string; epoch: number; primal: number; dual: number }
  | { type: string };

/** Turns pipeline events into progress bars and log lines. */
export function progressListener(progress: Progress): (e: ShownEvent) => void {
  let started = false;
  let lastPrimal: number | null = null;
  return (ev) => {
    const e = ev as ShownEvent & Record<string, unknown>;
    switch (e.type) {
      case 'phase-start':
        started = false;
        break;
      case 'step': {
        const s = e as Extract<ShownEvent, { type: 'step' }>;
        if (!started) {
          progress.start(s.phase, s.totalSteps);
          started = true;
        }
        progress.update(s.globalStep, {
          loss: s.loss,
          ...(lastPrimal !== null && s.rho !== null ? { primal: lastPrimal } : {}),
        });
        break;
      }
      case 'phase-end':
        progress.stop();
        started = false;
        break;
      case 'epoch': {
        const r = (e as Extract<ShownEvent, { type: 'epoch' }>).record;
        progress.log(
          `${r.phase} epoch ${r.epoch + 1}: loss ${r.trainLoss.toFixed(4)}` +
            (r.valAccuracy !== null ? `, val accuracy ${(100 * r.valAccuracy).toFixed(2)}%` : '') +
            ` (${(r.ms / 1000).toFixed(1)} s)`,
        );
        started = false;
        break;
      }
      case 'admm-update': {
        const r = (e as Extract<ShownEvent, { type: 'admm-update' }>).record;
        lastPrimal = r.primal;
        progress.log(`admm update ${r.update}: primal ${r.primal.toExponential(3)}, dual ${r.dual.toExponential(3)}`);
        break;
      }
      case 'evaluate': {
        const v = e as Extract<ShownEvent, { type: 'evaluate' }>;
        progress.log(`${v.what}: loss ${v.loss.toFixed(4)}${v.accuracy !== null ? `, accuracy ${(100 * v.accuracy).toFixed(2)}%` : ''}`);
        break;
      }
      case 'saved':
        progress.log(`saved ${(e as { what: string }).what}: ${(e as { path: string }).path}`);
        break;
      case 'resume': {
        const r = e as Extract<ShownEvent, { type: 'resume' }>;
        progress.log(`resumed from ${r.path} (${r.phase}, epoch ${r.epoch + 1}, step ${r.step})`);
        break;
      }
      case 'early-stop': {
        const r = e as Extract<ShownEvent, { type: 'early-stop' }>;
        progress.log(`ADMM stopped early at epoch ${r.epoch + 1}: primal ${r.primal.toExponential(2)}, dual ${r.dual.toExponential(2)}`);
        break;
      }
      default:
        break;
    }
  };
}
