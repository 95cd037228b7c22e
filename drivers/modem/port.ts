/**
 * The byte pipe under the AT engine: a serial device (a USB modem's /dev/ttyUSB2, the Pi's UART)
 * or, for the simulator without socat, an in-process stream. The engine only writes bytes and
 * hears bytes; `close` says the pipe went away, with the cause when it was not our doing (a USB
 * modem unplugged), so the driver knows to reopen it.
 */
import type { Emitter } from '../../runtime/emitter.js';

export type PortEvents = {
  data: [Buffer];
  /** The port closed; `err` is set when it was not closed by us (device gone, I/O error). */
  close: [Error | undefined];
};

export interface ModemPort {
  readonly path: string;
  readonly events: Emitter<PortEvents>;
  readonly isOpen: boolean;
  /** Opens the device; rejects with a DriverError naming the path and the cause. */
  open(): Promise<void>;
  /** Resolves once the bytes are handed to the OS (drained). */
  write(data: string | Buffer): Promise<void>;
  close(): Promise<void>;
}
