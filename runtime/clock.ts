/**
 * Time is injected: triggers, quotas and schedulers take a Clock, so tests advance a FakeClock
 * instead of sleeping and a run missed while the device was off is a matter of setting `now`.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  /** Let the process exit even if this timer is pending. */
  unref(): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, clampDelay(ms)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Node's timers overflow past 2^31-1 ms (and then fire at once); long waits are re-armed. */
export const MAX_TIMER_MS = 2_147_483_647;

function clampDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
  cleared: boolean;
}

/** A clock for tests: time moves only when `advance` or `set` is called; due timers run in order. */
export class FakeClock implements Clock {
  #now: number;
  #timers: FakeTimer[] = [];
  #nextId = 1;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn, cleared: false };
    this.#timers.push(timer);
    return Object.assign(timer, { unref() {} });
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as unknown as FakeTimer).cleared = true;
    this.#timers = this.#timers.filter((t) => t !== (handle as unknown as FakeTimer));
  }

  /** Pending timers, for assertions. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Move time forward by `ms`, running every timer that falls due, earliest first. */
  advance(ms: number): void {
    this.set(this.#now + ms);
  }

  /** Move time to `target` (never backwards), running due timers in order. */
  set(target: number): void {
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      if (!due.cleared) due.fn();
    }
    this.#now = Math.max(this.#now, target);
  }
}
