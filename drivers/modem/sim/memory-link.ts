/**
 * An in-process stand-in for the pseudo-terminal, for machines without socat: a Duplex stream
 * with the parts of serialport's SerialPort a host uses (write, 'data', close, drain, set), its
 * bytes going to the simulator and back on later turns of the event loop, as a line would.
 */
import { Duplex } from 'node:stream';
import type { ModemConnection, SimModem } from './modem.js';
import { simError } from './sim-error.js';

export class SimPortStream extends Duplex {
  readonly path = 'sim:memory';
  readonly baudRate = 115200;
  #link: ModemConnection | undefined;

  constructor(sim: SimModem) {
    super();
    this.#link = sim.connect({ write: (chunk) => setImmediate(() => this.#link && this.push(Buffer.from(chunk))) });
  }

  get isOpen(): boolean {
    return this.#link !== undefined;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const link = this.#link;
    if (!link) {
      callback(simError('sim:memory: the port is closed', 'SIM_BAD_STATE'));
      return;
    }
    setImmediate(() => link.input(Buffer.from(chunk)));
    callback();
  }

  override _read(): void {}

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#link?.detach();
    this.#link = undefined;
    callback(error);
  }

  /** Like SerialPort#close: detaches from the simulator and emits 'close'. */
  close(callback?: (err: Error | null) => void): void {
    this.once('close', () => callback?.(null));
    this.destroy();
  }

  drain(callback?: (err: Error | null) => void): void {
    setImmediate(() => callback?.(null));
  }

  /** DTR/RTS and friends: accepted, nothing to model. */
  set(_options: object, callback?: (err: Error | null) => void): void {
    setImmediate(() => callback?.(null));
  }

  flush(callback?: (err: Error | null) => void): void {
    setImmediate(() => callback?.(null));
  }
}

export interface MemoryLink {
  port: SimPortStream;
  close(): void;
}

/** Connect a host to the simulator without a pseudo-terminal. */
export function linkInMemory(sim: SimModem): MemoryLink {
  const port = new SimPortStream(sim);
  return { port, close: () => port.destroy() };
}
