/**
 * How a fleet run shows itself while it runs. On a terminal, one line per host redrawn in place
 * (progress-tty.ts); anywhere else (a pipe, a CI log, TERM=dumb) one plain line each time a host
 * enters a new phase, `garden-1: uploading`, and one when it ends, so a log reads top to bottom.
 */
import { systemClock, type Clock } from '../../runtime/clock.js';
import { firstLine, formatDuration, resultMessage } from './format.js';
import { TtyProgress } from './progress-tty.js';
import type { FleetResult, FleetTarget } from './runner.js';

/** What runFleet tells a display; runFleet calls close() when the run is over. */
export interface ProgressDisplay {
  start(targets: readonly FleetTarget[]): void;
  hostStarted(target: FleetTarget): void;
  hostProgress(target: FleetTarget, phase: string, fraction?: number): void;
  hostDone(result: FleetResult<unknown>): void;
  close(): void;
}

/** process.stderr, or a stand-in: a terminal says so with isTTY and gives its size. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface ProgressOptions {
  stream: ProgressStream;
  /** For NO_COLOR and TERM; process.env by default. */
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

export function createProgressDisplay(options: ProgressOptions): ProgressDisplay {
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  // A dumb terminal cannot move its cursor: it gets the plain lines too.
  if (options.stream.isTTY && env.TERM !== 'dumb') return new TtyProgress(options.stream, { env, clock });
  return new PlainProgress(options.stream);
}

export class PlainProgress implements ProgressDisplay {
  readonly #out: ProgressStream;
  readonly #phase = new Map<FleetTarget, string>();

  constructor(out: ProgressStream) {
    this.#out = out;
  }

  start(_targets: readonly FleetTarget[]): void {}

  hostStarted(_target: FleetTarget): void {}

  /** The fraction is left out: a log line per percent would drown the phases. */
  hostProgress(target: FleetTarget, phase: string, _fraction?: number): void {
    if (this.#phase.get(target) === phase) return;
    this.#phase.set(target, phase);
    this.#out.write(`${target.name}: ${firstLine(phase)}\n`);
  }

  hostDone(result: FleetResult<unknown>): void {
    this.#out.write(`${doneLine(result)}\n`);
  }

  close(): void {}
}

/** `garden-1: ok (3.2 s)`, `garden-2: FAILED (1.1 s): connection refused`, `garden-3: skipped: not started: …`. */
export function doneLine(result: FleetResult<unknown>): string {
  const time = result.skipped ? '' : ` (${formatDuration(result.ms)})`;
  const message = resultMessage(result);
  return `${result.target.name}: ${result.status}${time}${message ? `: ${message}` : ''}`;
}
