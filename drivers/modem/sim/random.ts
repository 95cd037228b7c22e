/**
 * A small seeded generator (mulberry32) so a simulated modem with the same seed makes the same
 * IMEI, message references, jitter and noise on every run: a failing test replays exactly.
 */
import { simError } from './sim-error.js';

export class Random {
  #state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw simError(`seed must be a finite number, got ${String(seed)}`);
    this.#state = Math.trunc(seed) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  digits(count: number): string {
    let out = '';
    for (let i = 0; i < count; i++) out += String(this.int(0, 9));
    return out;
  }

  bytes(count: number): Buffer {
    const out = Buffer.alloc(count);
    for (let i = 0; i < count; i++) out[i] = this.int(0, 255);
    return out;
  }
}
