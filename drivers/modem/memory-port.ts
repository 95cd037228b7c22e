/**
 * An in-process port to the modem simulator, for machines without socat: bytes go straight to
 * the simulator and back, asynchronously, as a serial line would deliver them.
 */
import { Emitter } from '../../runtime/emitter.js';
import { DriverError } from '../../runtime/errors.js';
import type { ModemPort, PortEvents } from './port.js';
import type { SimModem } from './sim/modem.js';

export class MemoryPort implements ModemPort {
  readonly path = 'sim:memory';
  readonly events = new Emitter<PortEvents>();
  readonly #sim: SimModem;
  #link: { input(chunk: Buffer): void; detach(): void } | undefined;

  constructor(sim: SimModem) {
    this.#sim = sim;
  }

  get isOpen(): boolean {
    return this.#link !== undefined;
  }

  async open(): Promise<void> {
    this.#link ??= this.#sim.connect({ write: (chunk) => setImmediate(() => this.events.emit('data', Buffer.from(chunk))) });
  }

  async write(data: string | Buffer): Promise<void> {
    const link = this.#link;
    if (!link) throw new DriverError('modem', 'modem sim:memory: the port is not open', { code: 'PORT_CLOSED' });
    const chunk = Buffer.from(data);
    setImmediate(() => link.input(chunk));
  }

  async close(): Promise<void> {
    this.#link?.detach();
    this.#link = undefined;
  }
}
