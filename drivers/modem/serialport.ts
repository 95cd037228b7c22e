/**
 * The real binding: a serial device through the serialport library. serialport is a native
 * module, imported only when a port is opened, so the runtime starts on machines without it and a
 * missing device is a DriverError naming the path, never a crash.
 */
import { existsSync } from 'node:fs';
import { Emitter } from '../../runtime/emitter.js';
import { DriverError, errorMessage } from '../../runtime/errors.js';
import type { ModemPort, PortEvents } from './port.js';

type SerialPortModule = typeof import('serialport');
type SerialPortInstance = InstanceType<SerialPortModule['SerialPort']>;

export interface SerialOptions {
  baudRate: number;
  /** RTS/CTS hardware flow control (USB modems ignore it; a UART modem on the Pi's header may need it). */
  rtscts?: boolean;
}

let loaded: Promise<SerialPortModule> | undefined;

function loadSerialport(path: string): Promise<SerialPortModule> {
  loaded ??= import('serialport').catch((err: unknown) => {
    loaded = undefined;
    throw new DriverError('modem', `modem ${path}: the serialport library cannot be loaded (${errorMessage(err)}): run npm install on this device`, { cause: err, code: 'DRIVER_UNAVAILABLE' });
  });
  return loaded;
}

export class SerialModemPort implements ModemPort {
  readonly path: string;
  readonly events = new Emitter<PortEvents>();
  readonly #options: SerialOptions;
  #port: SerialPortInstance | undefined;
  #closing = false;
  #watch: ReturnType<typeof setInterval> | undefined;

  constructor(path: string, options: SerialOptions) {
    this.path = path;
    this.#options = options;
  }

  get isOpen(): boolean {
    return this.#port?.isOpen === true;
  }

  async open(): Promise<void> {
    if (this.#port?.isOpen) return;
    // Say "not there" plainly: serialport's own message for a missing node is an errno string.
    if (!existsSync(this.path)) throw new DriverError('modem', `modem ${this.path}: no such device (is the modem plugged in, and is the path right?)`, { code: 'DRIVER_NO_DEVICE' });
    const { SerialPort } = await loadSerialport(this.path);
    const port = new SerialPort({ path: this.path, baudRate: this.#options.baudRate, rtscts: this.#options.rtscts ?? false, autoOpen: false, lock: true });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(new DriverError('modem', `modem ${this.path}: cannot open: ${err.message}`, { cause: err })) : resolve()));
    });
    this.#closing = false;
    this.#port = port;
    port.on('data', (chunk: Buffer) => this.events.emit('data', chunk));
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      if (this.#port !== port) return;
      clearInterval(this.#watch);
      this.#port = undefined;
      const unexpected = !this.#closing;
      this.events.emit('close', unexpected ? new DriverError('modem', `modem ${this.path}: the port closed${err ? `: ${err.message}` : ''} (device unplugged?)`, { cause: err }) : undefined);
    });
    // An error without a close (a failed write) is reported by write(); keep the process alive.
    port.on('error', () => undefined);
    // An unplugged device's node disappears. serialport normally notices through a read error,
    // but on a hang-up that reads as end of file its read loop spins without ever closing; so the
    // node is checked, and the port closed for it, within a second.
    this.#watch = setInterval(() => {
      if (this.#port === port && !existsSync(this.path)) {
        clearInterval(this.#watch);
        this.#closing = false;
        port.close(() => undefined);
      }
    }, 1000);
    this.#watch.unref();
  }

  write(data: string | Buffer): Promise<void> {
    const port = this.#port;
    if (!port?.isOpen) return Promise.reject(new DriverError('modem', `modem ${this.path}: the port is not open`, { code: 'PORT_CLOSED' }));
    return new Promise((resolve, reject) => {
      port.write(data, (err) => {
        if (err) return reject(new DriverError('modem', `modem ${this.path}: write failed: ${err.message}`, { cause: err }));
        port.drain((e) => (e ? reject(new DriverError('modem', `modem ${this.path}: write failed: ${e.message}`, { cause: e })) : resolve()));
      });
    });
  }

  async close(): Promise<void> {
    const port = this.#port;
    if (!port) return;
    this.#closing = true;
    if (!port.isOpen) {
      this.#port = undefined;
      return;
    }
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
