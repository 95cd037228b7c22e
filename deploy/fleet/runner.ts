/**
 * Deploying to many devices at once: `runFleet` runs one piece of work per target, at most
 * `concurrency` at a time and started in the targets' order, and reports every target — done,
 * failed or never started — in that same order. A worker that throws (synchronously or not) is a
 * failed host, never an unhandled rejection and never the end of the others. Aborting stops
 * starting hosts; those running get the signal and are waited for; the rest are `skipped`.
 */
import { describeThrown, VigilError } from '../../runtime/errors.js';
import type { ProgressDisplay } from './progress.js';

/** A device to work on; an InventoryHost is one. */
export interface FleetTarget {
  readonly name: string;
}

export interface FleetFailure {
  code: string;
  message: string;
}

export interface FleetResult<T, X extends FleetTarget = FleetTarget> {
  target: X;
  /** The work finished and did not say it failed. */
  ok: boolean;
  /** Never started, because the run was aborted first. */
  skipped: boolean;
  value?: T;
  error?: FleetFailure;
  /** Wall-clock time of the work; 0 when skipped. */
  ms: number;
  /**
   * The word for the result column: the value's `status` (`unchanged`, `up to date`) or the thrown
   * error's `status` (`rolled back`) when they carry one, else `ok`, `FAILED` or `skipped`.
   */
  status: string;
}

/** What a worker may return; every field is optional and anything else is passed through. */
export interface FleetValue {
  status?: string;
  /** false: the work ran to its end but did not do what was asked (counts as failed). */
  ok?: boolean;
  code?: string;
  version?: string;
  message?: string;
}

export type ProgressReporter = (phase: string, fraction?: number) => void;

export type FleetWork<T, X extends FleetTarget> = (target: X, progress: ProgressReporter, signal: AbortSignal) => Promise<T>;

export interface FleetOptions {
  /** How many targets at once; a whole number of 1 or more. */
  concurrency: number;
  /** Aborting stops starting new targets and is passed on to the running ones. */
  signal?: AbortSignal;
  /** Told of every start, phase and end; closed when the run is over. */
  display?: ProgressDisplay;
  /** For tests; performance.now() otherwise. */
  now?: () => number;
}

export class FleetError extends VigilError {
  constructor(message: string, code = 'FLEET_INVALID') {
    super(code, message);
  }
}

export async function runFleet<T, X extends FleetTarget = FleetTarget>(
  targets: readonly X[],
  work: FleetWork<T, X>,
  options: FleetOptions,
): Promise<FleetResult<T, X>[]> {
  const { concurrency, display } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new FleetError(`concurrency ${JSON.stringify(concurrency)} is not a whole number of 1 or more: expected how many devices to deploy to at once`, 'CONCURRENCY_INVALID');
  }
  const now = options.now ?? (() => performance.now());
  const signal = options.signal ?? new AbortController().signal;
  const results: (FleetResult<T, X> | undefined)[] = new Array(targets.length).fill(undefined);
  let next = 0;

  const runOne = async (target: X): Promise<FleetResult<T, X>> => {
    const started = now();
    let over = false;
    display?.hostStarted(target);
    // A worker may report after it has settled (a stray callback); that must not repaint a finished host.
    const progress: ProgressReporter = (phase, fraction) => {
      if (!over) display?.hostProgress(target, String(phase), normalise(fraction));
    };
    let result: FleetResult<T, X>;
    try {
      const value = await work(target, progress, signal);
      result = fromValue(target, value, now() - started);
    } catch (err) {
      result = { target, ok: false, skipped: false, error: failure(err), ms: now() - started, status: statusOf(err) ?? 'FAILED' };
    }
    over = true;
    display?.hostDone(result);
    return result;
  };

  const lane = async () => {
    while (next < targets.length && !signal.aborted) {
      const index = next++;
      results[index] = await runOne(targets[index]!);
    }
  };

  display?.start(targets);
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, lane));
    const why = abortReason(signal);
    return results.map((done, index) => {
      if (done) return done;
      const skipped: FleetResult<T, X> = { target: targets[index]!, ok: false, skipped: true, error: { code: 'SKIPPED', message: `not started: ${why}` }, ms: 0, status: 'skipped' };
      display?.hostDone(skipped);
      return skipped;
    });
  } finally {
    display?.close();
  }
}

function fromValue<T, X extends FleetTarget>(target: X, value: T, ms: number): FleetResult<T, X> {
  const v = (typeof value === 'object' && value !== null ? value : {}) as FleetValue;
  const status = typeof v.status === 'string' && v.status.trim() !== '' ? v.status : undefined;
  if (v.ok === false) {
    const error = { code: typeof v.code === 'string' ? v.code : 'FAILED', message: typeof v.message === 'string' ? v.message : 'the work reported that it failed' };
    return { target, ok: false, skipped: false, value, error, ms, status: status ?? 'FAILED' };
  }
  return { target, ok: true, skipped: false, value, ms, status: status ?? 'ok' };
}

function failure(err: unknown): FleetFailure {
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | null;
  const code =
    typeof e?.code === 'string' && e.code !== ''
      ? e.code
      : e?.name === 'AbortError'
        ? 'ABORTED'
        : e?.name === 'TimeoutError'
          ? 'TIMEOUT'
          : 'FAILED';
  const message = err instanceof Error ? err.message || err.name : describeThrown(err);
  return { code, message };
}

function statusOf(err: unknown): string | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'string' && status.trim() !== '' ? status : undefined;
}

function normalise(fraction: number | undefined): number | undefined {
  if (typeof fraction !== 'number' || Number.isNaN(fraction)) return undefined;
  return Math.min(1, Math.max(0, fraction));
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name !== 'AbortError' && reason.message) return `the run was aborted (${reason.message})`;
  if (typeof reason === 'string' && reason) return `the run was aborted (${reason})`;
  return 'the run was aborted';
}
