/**
 * The modem's transmit side: everything it says goes through one ordered queue, so an echo, a
 * delayed response and a URC never overtake each other. Delays run on the injected clock, and
 * the chunking misbehaviour splits writes the way a USB modem's bulk transfers do.
 */
import type { Clock, TimerHandle } from '../../../runtime/clock.js';
import type { Random } from './random.js';
import { simError } from './sim-error.js';

export interface ModemIo {
  write(chunk: Buffer): void;
}

export interface Chunking {
  minBytes: number;
  maxBytes: number;
  maxDelayMs: number;
}

interface Pending {
  data: Buffer;
  delayMs: number;
  onWritten: (() => void) | undefined;
}

export class Wire {
  readonly #clock: Clock;
  readonly #random: Random;
  #io: ModemIo | undefined;
  #queue: Pending[] = [];
  #timer: TimerHandle | undefined;
  #chunking: Chunking | undefined;
  /** Powered down or hung: what would be sent is lost. */
  muted = false;

  constructor(clock: Clock, random: Random) {
    this.#clock = clock;
    this.#random = random;
  }

  get attached(): boolean {
    return this.#io !== undefined;
  }

  attach(io: ModemIo): void {
    this.#io = io;
  }

  detach(): void {
    this.#io = undefined;
    this.clear();
  }

  setChunking(chunking: Chunking | undefined): void {
    if (chunking) {
      const { minBytes, maxBytes, maxDelayMs } = chunking;
      if (!Number.isInteger(minBytes) || minBytes < 1 || !Number.isInteger(maxBytes) || maxBytes < minBytes) {
        throw simError(`chunking {minBytes: ${minBytes}, maxBytes: ${maxBytes}} is not a size range: expected integers with 1 <= minBytes <= maxBytes`);
      }
      if (!(maxDelayMs >= 0)) throw simError(`chunking maxDelayMs ${String(maxDelayMs)} must be 0 or more`);
    }
    this.#chunking = chunking;
  }

  /**
   * Queue bytes to go out `delayMs` after what is already queued. `onWritten` runs once they are
   * out (or were dropped because the modem is muted or unplugged), never when a reset cleared them.
   */
  send(data: string | Buffer, delayMs = 0, onWritten?: () => void): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.muted || !this.#io || bytes.length === 0) {
      onWritten?.();
      return;
    }
    const c = this.#chunking;
    if (!c) {
      this.#queue.push({ data: bytes, delayMs, onWritten });
    } else {
      let offset = 0;
      let first = true;
      while (offset < bytes.length) {
        const size = this.#random.int(c.minBytes, c.maxBytes);
        const piece = bytes.subarray(offset, offset + size);
        offset += size;
        const last = offset >= bytes.length;
        const jitter = this.#random.int(0, Math.floor(c.maxDelayMs));
        this.#queue.push({ data: piece, delayMs: (first ? delayMs : 0) + jitter, onWritten: last ? onWritten : undefined });
        first = false;
      }
    }
    this.#pump();
  }

  /** Forget everything not yet sent (a reset or power loss). */
  clear(): void {
    this.#queue = [];
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #pump(): void {
    while (!this.#timer) {
      const next = this.#queue[0];
      if (!next) return;
      if (next.delayMs > 0) {
        this.#timer = this.#clock.setTimeout(() => {
          this.#timer = undefined;
          next.delayMs = 0;
          this.#pump();
        }, next.delayMs);
        return;
      }
      this.#queue.shift();
      if (!this.muted) this.#io?.write(next.data);
      next.onWritten?.();
    }
  }
}
