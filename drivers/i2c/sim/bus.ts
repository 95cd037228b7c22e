/**
 * The simulated I2C bus: chips attached at addresses, SMBus calls turned into the transactions
 * an adapter would put on the wire. An address with nothing attached (or a chip taken off with
 * `detach`, as when a sensor's cable comes loose) NACKs: ENXIO, as the kernel reports it.
 */
import { busError, hex, type I2cBus } from '../bus.js';
import type { SimChip } from './chip.js';

export interface SimBusOptions {
  /** The bus clock in ms (chips' conversion timing); performance.now by default. */
  now?: () => number;
}

export class SimI2cBus implements I2cBus {
  readonly name = 'sim';
  readonly #chips = new Map<number, SimChip>();
  readonly #faults = new Map<number, NodeJS.ErrnoException['code']>();
  readonly #now: () => number;
  #closed = false;
  /** Transactions performed, for tests and benchmarks. */
  transactions = 0;

  constructor(options: SimBusOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
  }

  attach(address: number, chip: SimChip): SimChip {
    this.#chips.set(address, chip);
    return chip;
  }

  /** Take the chip off the bus: its address NACKs until it is attached again. */
  detach(address: number): SimChip | undefined {
    const chip = this.#chips.get(address);
    this.#chips.delete(address);
    return chip;
  }

  chip(address: number): SimChip | undefined {
    return this.#chips.get(address);
  }

  /** Make every transfer to `address` fail with `code` (EIO: a glitching line) until cleared with undefined. */
  fault(address: number, code: 'EIO' | 'ETIMEDOUT' | 'EREMOTEIO' | undefined): void {
    if (code === undefined) this.#faults.delete(address);
    else this.#faults.set(address, code);
  }

  #target(address: number): SimChip {
    if (this.#closed) throw busError('EINVAL', 'the bus is closed');
    if (!Number.isInteger(address) || address < 0 || address > 0x7f) throw busError('EINVAL', `address ${address} is not a 7-bit I2C address`);
    this.transactions++;
    const fault = this.#faults.get(address);
    if (fault) throw busError(fault as 'EIO', `transfer to ${hex(address)} failed`);
    const chip = this.#chips.get(address);
    if (!chip) throw busError('ENXIO', `no device answered at ${hex(address)}`);
    return chip;
  }

  #xfer(address: number, write: number[] | Uint8Array | undefined, readLength: number): Uint8Array {
    const chip = this.#target(address);
    const now = this.#now();
    if (write) chip.write(Uint8Array.from(write), now);
    return readLength > 0 ? chip.read(readLength, now) : new Uint8Array(0);
  }

  async readByte(address: number, register: number): Promise<number> {
    return this.#xfer(address, [byte(register)], 1)[0]!;
  }

  async writeByte(address: number, register: number, value: number): Promise<void> {
    this.#xfer(address, [byte(register), byte(value)], 0);
  }

  async readWord(address: number, register: number): Promise<number> {
    const b = this.#xfer(address, [byte(register)], 2);
    return b[0]! | (b[1]! << 8);
  }

  async writeWord(address: number, register: number, value: number): Promise<void> {
    this.#xfer(address, [byte(register), value & 0xff, (value >> 8) & 0xff], 0);
  }

  async readBlock(address: number, register: number, length: number): Promise<Buffer> {
    checkLength(length);
    return Buffer.from(this.#xfer(address, [byte(register)], length));
  }

  async writeBlock(address: number, register: number, data: Buffer): Promise<void> {
    checkLength(data.length);
    this.#xfer(address, [byte(register), ...data], 0);
  }

  async sendByte(address: number, value: number): Promise<void> {
    this.#xfer(address, [byte(value)], 0);
  }

  async write(address: number, data: Buffer): Promise<void> {
    this.#xfer(address, data, 0);
  }

  async read(address: number, length: number): Promise<Buffer> {
    return Buffer.from(this.#xfer(address, undefined, length));
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

function byte(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw busError('EINVAL', `${n} is not a byte (0–255)`);
  return n;
}

function checkLength(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 32) throw busError('EINVAL', `block length ${n} is invalid: expected 1–32 bytes`);
}

