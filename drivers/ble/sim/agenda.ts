/**
 * One timer for everything a simulated device does on its own (advertising events, periodic
 * notifications, slow discoveries): a radio with hundreds of devices costs one pending timer
 * per device, however many things each has due.
 */
import type { Clock, TimerHandle } from '../../../runtime/clock.js';
import { errorMessage } from '../../../runtime/errors.js';

interface Entry {
  due: number;
  run: (due: number) => void;
}

export class Agenda {
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  #timer: TimerHandle | undefined;
  #armedAt = Infinity;
  #firing = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Run `run` at clock time `due` (replacing whatever was due under `key`). */
  set(key: string, due: number, run: (due: number) => void): void {
    this.#entries.set(key, { due, run });
    if (!this.#firing) this.#arm();
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  delete(key: string): void {
    if (this.#entries.delete(key) && !this.#firing) this.#arm();
  }

  clear(): void {
    this.#entries.clear();
    this.#arm();
  }

  #arm(): void {
    let next = Infinity;
    for (const entry of this.#entries.values()) if (entry.due < next) next = entry.due;
    if (next === this.#armedAt) return;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = next;
    if (next === Infinity) return;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), next - this.#clock.now());
    // A simulated device must never keep the process alive on its own.
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const now = this.#clock.now();
    this.#firing = true;
    try {
      // Earliest first, as they would have happened (a late wake-up can find several due).
      const due = [...this.#entries].filter(([, e]) => e.due <= now).sort((a, b) => a[1].due - b[1].due);
      for (const [key, entry] of due) {
        // Skipped if an earlier entry's run replaced or deleted it.
        if (this.#entries.get(key) !== entry) continue;
        // Removed before running, so `run` may schedule the next one under the same key.
        this.#entries.delete(key);
        try {
          entry.run(entry.due);
        } catch (err) {
          // A listener's mistake (a notification callback that throws) must not stop the air.
          process.emitWarning(`a simulated Bluetooth device's ${key.split(':')[0]} callback threw: ${errorMessage(err)}`);
        }
      }
    } finally {
      this.#firing = false;
      this.#arm();
    }
  }
}
