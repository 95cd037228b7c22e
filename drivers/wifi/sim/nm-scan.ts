/**
 * Scans for the simulated NetworkManager (nm.ts): each device keeps the list of its last scan,
 * a snapshot of the air that nmcli shows until the next scan, as NetworkManager's does.
 */
import type { Clock } from '../../../runtime/clock.js';
import type { WifiEnvironment } from './environment.js';
import type { Device } from './nm-state.js';

/** Scanning takes this long (NetworkManager waits for the supplicant's scan to finish). */
const SCAN_MS = 1000;
/** `--rescan auto` rescans when the last scan is older than this. */
const RESCAN_AUTO_AGE_MS = 30_000;

export type Rescan = 'yes' | 'no' | 'auto';

export class Scanner {
  readonly #clock: Clock;
  readonly #environment: WifiEnvironment;

  constructor(clock: Clock, environment: WifiEnvironment) {
    this.#clock = clock;
    this.#environment = environment;
  }

  /** NetworkManager refuses to scan in AP mode and while activating; nmcli then lists what it has. */
  wants(d: Device, rescan: Rescan): boolean {
    if (d.active && (d.active.profile.mode === 'ap' || !d.active.activated)) return false;
    if (rescan === 'yes') return true;
    return rescan === 'auto' && this.#clock.now() - d.scannedAt > RESCAN_AUTO_AGE_MS;
  }

  /** Scan (or join the scan already running); `done(false)` when it is cut short. */
  request(d: Device, done: (ok: boolean) => void): void {
    d.scanWaiters.push(done);
    if (d.scanTimer) return;
    d.scanTimer = this.#clock.setTimeout(() => {
      d.scanTimer = undefined;
      this.snapshot(d);
      const waiters = d.scanWaiters.splice(0);
      for (const w of waiters) w(true);
    }, SCAN_MS);
    d.scanTimer.unref();
  }

  cancel(d: Device): void {
    if (d.scanTimer) this.#clock.clearTimeout(d.scanTimer);
    d.scanTimer = undefined;
    const waiters = d.scanWaiters.splice(0);
    for (const w of waiters) w(false);
  }

  /** The device's list becomes the air as it is now. */
  snapshot(d: Device): void {
    d.scan = this.#environment.scan();
    d.scannedAt = this.#clock.now();
  }
}
