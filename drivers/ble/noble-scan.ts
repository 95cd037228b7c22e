/**
 * Keeps the central's scan on while it is wanted, on an adapter it shares with others: the kernel
 * scans on its own to find a device to connect to, bluetoothd or hcitool may switch on a scan of
 * their own, a power cycle ends ours.
 *
 * noble cannot tell those apart. It sees every LE Set Scan Enable sent on the adapter (the kernel
 * copies them to raw sockets) and takes each for a change to its own scan: after someone else's
 * enable with duplicate filtering on, even the confirmation of our own scan is reported as
 * "filtering duplicates" (noble's gap.js keeps the foreign flag until its next startScanning).
 * A scan reported as filtering duplicates is not ours (we never ask for one), so the keeper does
 * not trust the picture: whenever its scan is not known to be on and the adapter is free, it asks
 * again (disable, parameters, enable, which also takes the controller back from a foreign scan
 * that would give one report per device), backing off while that keeps failing, and reports once
 * when the wanted scan has been off for SCAN_OFF_REPORT_MS.
 */
import { DriverError, errorMessage } from '../../runtime/errors.js';
import { hciStatusName } from './hci-errors.js';

/** After someone else stopped our scan, ask again this much later (the controller may be busy). */
export const RESUME_DELAY_MS = 500;
/** A scan someone else switched on is taken back after this (their own commands may still be in flight). */
export const TAKE_BACK_DELAY_MS = 1000;
/** How long noble has to confirm a start before the attempt counts as failed. */
export const START_TIMEOUT_MS = 5000;
/** Retries after failed starts: from RETRY_FIRST_MS, doubling, at most RETRY_MAX_MS apart. */
export const RETRY_FIRST_MS = 250;
export const RETRY_MAX_MS = 10_000;
/** A wanted scan that has been off this long, on a free adapter, is reported (once until it is back). */
export const SCAN_OFF_REPORT_MS = 10_000;

export interface ScanPort {
  /** For messages: "hci1". */
  readonly adapter: string;
  /** noble.startScanning([], true): LE Set Scan Enable (off), Set Scan Parameters, Set Scan Enable (on). */
  startScanning(): void;
  /** The adapter can take our scan now: open, powered on, no connection attempt of ours under way. */
  free(): boolean;
  /** A scan that stays off (the runtime logs it). */
  report(err: DriverError): void;
}

interface Attempt {
  promise: Promise<void>;
  /** Scan Enable replies seen since the attempt began: the first answers our disable, the second our enable. */
  replies: number;
  settle(err?: DriverError): void;
}

export class ScanKeeper {
  readonly #port: ScanPort;
  #wanted = false;
  /** Our scan (duplicates reported) is on, as far as noble's confirmations tell. */
  #on = false;
  #attempt: Attempt | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #retryDue = 0;
  #failures = 0;
  #offSince: number | undefined;
  #reported = false;

  constructor(port: ScanPort) {
    this.#port = port;
  }

  get wanted(): boolean {
    return this.#wanted;
  }

  /** Our scan is running (whether or not still wanted: stopScan() needs to know). */
  get active(): boolean {
    return this.#on;
  }

  /** Wanted and on. */
  get on(): boolean {
    return this.#wanted && this.#on;
  }

  /**
   * Want the scan, and start it now if the adapter is free. Rejects when this attempt fails;
   * the keeper goes on trying either way.
   */
  start(): Promise<void> {
    if (!this.#wanted) {
      this.#wanted = true;
      this.#offSince = Date.now();
    }
    if (this.#on || !this.#port.free()) return Promise.resolve();
    return this.#start();
  }

  /** No longer wanted: no more retries, nothing to report. */
  unwant(): void {
    this.#wanted = false;
    this.#cancelRetry();
    this.#failures = 0;
    this.#offSince = undefined;
    this.#reported = false;
  }

  /** Try again `delay` ms from now (after a connection attempt, a power-on), unless a retry is due sooner. */
  resume(delay: number): void {
    if (this.#wanted) this.#schedule(delay);
  }

  /** noble's scanStart. */
  started(filterDuplicates: boolean): void {
    if (filterDuplicates) {
      this.#on = false;
      if (!this.#wanted) return;
      this.#offSince ??= Date.now();
      if (this.#attempt) this.#attempt.settle(this.#failure("another program's scan command (duplicates filtered) reached the adapter meanwhile"));
      else this.#schedule(TAKE_BACK_DELAY_MS);
      return;
    }
    this.#on = true;
    this.#failures = 0;
    this.#offSince = undefined;
    this.#reported = false;
    this.#cancelRetry();
    this.#attempt?.settle();
  }

  /** noble's scanStop: someone (the kernel, before connecting; another program) ended the scan. */
  stopped(): void {
    this.#on = false;
    if (!this.#wanted) return;
    this.#offSince ??= Date.now();
    this.#schedule(RESUME_DELAY_MS);
  }

  /** The status of a Command Complete for LE Set Scan Enable (ours or anyone's). */
  status(status: number): void {
    const attempt = this.#attempt;
    if (!attempt) return;
    attempt.replies++;
    // The disable that opens noble's sequence is refused when nothing was scanning: expected.
    if (attempt.replies >= 2 && status !== 0) attempt.settle(this.#failure(`the controller refused it (HCI status ${hciStatusName(status)})`));
  }

  /** Our scan ended without noble saying so (a stop it never confirmed, the adapter gone). */
  off(): void {
    this.#on = false;
  }

  /** The adapter left poweredOn: the scan is off, and that is the adapter's state, not a failure to report. */
  adapterOff(why: string): void {
    this.#on = false;
    this.#cancelRetry();
    this.#failures = 0;
    this.#offSince = undefined;
    this.#reported = false;
    this.#attempt?.settle(this.#failure(why));
  }

  /** Nothing more: the central is closing. */
  close(): void {
    this.unwant();
    this.#on = false;
    this.#attempt?.settle(this.#failure('the central was closed'));
  }

  #start(): Promise<void> {
    if (this.#attempt) return this.#attempt.promise;
    this.#cancelRetry();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt: Attempt = { promise: Promise.resolve(), replies: 0, settle: () => undefined };
    attempt.promise = new Promise<void>((resolve, reject) => {
      attempt.settle = (err) => {
        if (this.#attempt !== attempt) return;
        this.#attempt = undefined;
        clearTimeout(timer);
        if (!err) return resolve();
        reject(err);
        this.#failed(err);
      };
    });
    this.#attempt = attempt;
    timer = setTimeout(() => attempt.settle(this.#failure(`no confirmation within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    try {
      this.#port.startScanning();
    } catch (err) {
      attempt.settle(this.#failure(errorMessage(err), err));
    }
    return attempt.promise;
  }

  #failed(err: DriverError): void {
    this.#failures++;
    if (!this.#wanted || !this.#port.free()) return;
    const since = (this.#offSince ??= Date.now());
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.#failures - 1));
    const off = Date.now() - since;
    if (!this.#reported && off >= SCAN_OFF_REPORT_MS) {
      this.#reported = true;
      this.#port.report(
        new DriverError('ble', `${this.#port.adapter}: scanning has been off for ${Math.round(off / 1000)} s (${this.#failures} attempts; the last: ${err.message.replace(/^[^:]*: cannot start scanning: /, '')}); trying again every ${Math.round(Math.min(RETRY_MAX_MS, delay * 2) / 1000)} s at most`, {
          code: 'BLE_SCAN_FAILED',
          cause: err,
        }),
      );
    }
    this.#schedule(delay);
  }

  #schedule(delay: number): void {
    const due = Date.now() + delay;
    if (this.#retry !== undefined && this.#retryDue <= due) return;
    this.#cancelRetry();
    this.#retryDue = due;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#wanted || this.#on || this.#attempt || !this.#port.free()) return;
      // A failure schedules its own retry and is reported when it lasts.
      this.#start().catch(() => undefined);
    }, delay);
    this.#retry.unref();
  }

  #cancelRetry(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  #failure(why: string, cause?: unknown): DriverError {
    return new DriverError('ble', `${this.#port.adapter}: cannot start scanning: ${why}`, { code: 'BLE_SCAN_FAILED', ...(cause === undefined ? {} : { cause }) });
  }
}
