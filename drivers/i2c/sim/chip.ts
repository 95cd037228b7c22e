/**
 * A simulated chip, at the level of I2C transactions: what the master writes (a register
 * pointer, a command, data) and what it reads back. The simulated bus turns SMBus calls into
 * these transactions exactly as an adapter puts them on the wire, so a driver that uses the
 * wrong transfer, register or byte order fails against the simulator as it would on a board.
 *
 * `now` is the bus clock in milliseconds; chips use it for conversion times (a result read
 * before it is ready is stale or flagged, as on the real part).
 */
import type { SensorValues } from '../sensor.js';

export interface SimChip {
  readonly type: string;
  /** A write transaction (START, address+W, bytes, STOP or repeated START). */
  write(data: Uint8Array, now: number): void;
  /** A read transaction of `length` bytes. */
  read(length: number, now: number): Uint8Array;
  /** Change what the chip measures (channel names as the driver reports them). */
  set(values: SensorValues): void;
  /**
   * Registers as an i2cdump of the chip would show them (register → byte), for chips that
   * have a register map; loading a dump sets them (see i2cdump.ts).
   */
  load?(registers: ReadonlyMap<number, number>): void;
  /**
   * For chips with 16-bit registers: words as `i2cdump … w` prints them (SMBus order, low byte
   * first, so the chip's MSB-first register is the word byte-swapped).
   */
  loadWords?(words: ReadonlyMap<number, number>): void;
}
