/**
 * The common shape of register-mapped chips: a 256-byte register file with a pointer that the
 * first byte of a write sets and that reads auto-increment. Chip simulators extend it and hook
 * the registers with behaviour (a reset command, a start-conversion bit, a status flag).
 */
import type { SensorValues } from '../sensor.js';
import type { SimChip } from './chip.js';

export abstract class RegisterChip implements SimChip {
  abstract readonly type: string;
  protected readonly regs = new Uint8Array(256);
  protected pointer = 0;

  write(data: Uint8Array, now: number): void {
    if (data.length === 0) return;
    this.pointer = data[0]!;
    for (let i = 1; i < data.length; i++) {
      this.writeRegister(this.pointer, data[i]!, now);
      this.pointer = (this.pointer + 1) & 0xff;
    }
  }

  read(length: number, now: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = this.readRegister(this.pointer, now);
      this.pointer = (this.pointer + 1) & 0xff;
    }
    return out;
  }

  /** A register write from the master; override to add behaviour (read-only bits, commands). */
  protected writeRegister(register: number, value: number, _now: number): void {
    this.regs[register] = value;
  }

  /** A register read; override to update measurement registers when a conversion completes. */
  protected readRegister(register: number, _now: number): number {
    return this.regs[register]!;
  }

  load(registers: ReadonlyMap<number, number>): void {
    for (const [register, value] of registers) this.regs[register] = value;
  }

  abstract set(values: SensorValues): void;
}
