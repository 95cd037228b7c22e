/**
 * One run() of the simulated NetworkManager (nm.ts) in progress. A command may end by its
 * result, its -w timeout or the runner's kill, whichever comes first; the others must then do
 * nothing, so a Call finishes once and clears what it set up for the rest.
 */
import type { Clock, TimerHandle } from '../../../runtime/clock.js';
import type { CommandResult } from '../commands.js';

export class Call {
  #done = false;
  readonly #clock: Clock;
  readonly #resolve: (result: CommandResult) => void;
  readonly #timers: TimerHandle[] = [];
  readonly #cleanups: Array<() => void> = [];

  constructor(clock: Clock, resolve: (result: CommandResult) => void) {
    this.#clock = clock;
    this.#resolve = resolve;
  }

  get done(): boolean {
    return this.#done;
  }

  finish(result: CommandResult): void {
    if (this.#done) return;
    this.#done = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    for (const fn of this.#cleanups) fn();
    this.#resolve(result);
  }

  after(ms: number, fn: () => void): void {
    const t = this.#clock.setTimeout(fn, ms);
    t.unref();
    this.#timers.push(t);
  }

  onEnd(fn: () => void): void {
    this.#cleanups.push(fn);
  }
}
