/**
 * An MCP9808 at the transaction level: a pointer byte, 16-bit registers sent MSB first, the 8-bit
 * resolution register, ID registers, and continuous conversions back to back, each taking the
 * datasheet's (typical) time for the resolution it started with. The ambient register keeps the
 * last finished conversion, 0x0000 until the first (the sim powers up when the bus first
 * addresses it) and again after leaving shutdown. Its flag bits 15:13 compare the temperature
 * with T_CRIT, T_UPPER and T_LOWER as the chip does: with the power-up limits of 0 °C any warm
 * reading has flags set, so a driver that does not mask them reads nonsense.
 *
 * Not modelled: the ALERT output and the configuration lock bits. A word dump
 * (`i2cdump -y 1 0x18 w`) loads the limits and the ambient temperature, which it then measures.
 */
import { DriverError } from '../../../runtime/errors.js';
import { MCP9808_REG, MCP9808_RESOLUTIONS, MCP9808_SHUTDOWN, mcp9808Celsius, mcp9808Field } from '../chips/mcp9808.js';
import { swap16 } from '../bus.js';
import type { SensorValues } from '../sensor.js';
import type { SimChip } from './chip.js';

const LIMIT_MASK = 0x1ffc; // sign + 10.2 bits, 0.25 °C steps

export class Mcp9808Sim implements SimChip {
  readonly type = 'mcp9808';
  #pointer = 0;
  #config = 0x0000;
  #limits: Record<number, number> = { [MCP9808_REG.tUpper]: 0, [MCP9808_REG.tLower]: 0, [MCP9808_REG.tCrit]: 0 };
  #resolution = 3;
  #celsius = 20;
  #ambient = 0;
  /** The running conversion: when it began and at which resolution; undefined until power-up. */
  #conversion: { start: number; code: number } | undefined;
  /** Conversions finished, for tests. */
  conversions = 0;

  constructor(values?: SensorValues) {
    if (values) this.set(values);
  }

  set(values: SensorValues): void {
    for (const [channel, value] of Object.entries(values)) {
      if (channel !== 'temperature') throw new DriverError('mcp9808', `the simulated MCP9808 has no channel "${channel}": expected temperature`, { code: 'SIM_BAD_VALUE' });
      if (!Number.isFinite(value)) throw new DriverError('mcp9808', `simulated temperature ${value} is not a finite number`, { code: 'SIM_BAD_VALUE' });
      this.#celsius = value;
    }
  }

  loadWords(words: ReadonlyMap<number, number>): void {
    for (const [register, word] of words) {
      const value = swap16(word);
      if (register === MCP9808_REG.ambient) this.#celsius = mcp9808Celsius(value);
      else if (register in this.#limits) this.#limits[register] = value & LIMIT_MASK;
    }
  }

  write(data: Uint8Array, now: number): void {
    this.#advance(now);
    if (data.length === 0) return;
    this.#pointer = data[0]! & 0x0f;
    if (this.#pointer === MCP9808_REG.resolution) {
      if (data.length >= 2) this.#resolution = data[1]! & 0x03;
      return;
    }
    if (data.length < 3) return; // a pointer write, or half a word, which the chip does not latch
    const value = (data[1]! << 8) | data[2]!;
    if (this.#pointer === MCP9808_REG.config) {
      const wasShutdown = (this.#config & MCP9808_SHUTDOWN) !== 0;
      this.#config = value & 0x07ff;
      if (wasShutdown && !(this.#config & MCP9808_SHUTDOWN)) this.#conversion = { start: now, code: this.#resolution };
    } else if (this.#pointer in this.#limits) {
      this.#limits[this.#pointer] = value & LIMIT_MASK;
    }
    // Ambient temperature, IDs and the reserved pointers are read-only.
  }

  read(length: number, now: number): Uint8Array {
    this.#advance(now);
    const out = new Uint8Array(length);
    if (this.#pointer === MCP9808_REG.resolution) return out.fill(this.#resolution);
    const value = this.#register(this.#pointer);
    for (let i = 0; i < length; i++) out[i] = i % 2 === 0 ? value >> 8 : value & 0xff;
    return out;
  }

  #register(pointer: number): number {
    switch (pointer) {
      case MCP9808_REG.config:
        return this.#config;
      case MCP9808_REG.ambient:
        return this.#ambient | this.#flags();
      case MCP9808_REG.manufacturerId:
        return 0x0054;
      case MCP9808_REG.deviceId:
        return 0x0400; // device ID 0x04, revision 0x00
      default:
        return this.#limits[pointer] ?? 0x0000;
    }
  }

  /** Bit 15: T_A ≥ T_CRIT; bit 14: T_A > T_UPPER; bit 13: T_A < T_LOWER. */
  #flags(): number {
    const t = mcp9808Celsius(this.#ambient);
    const limit = (reg: number) => mcp9808Celsius(this.#limits[reg]!);
    return (t >= limit(MCP9808_REG.tCrit) ? 0x8000 : 0) | (t > limit(MCP9808_REG.tUpper) ? 0x4000 : 0) | (t < limit(MCP9808_REG.tLower) ? 0x2000 : 0);
  }

  /** Finish the conversions whose time has come; the last one sets the ambient register. */
  #advance(now: number): void {
    this.#conversion ??= { start: now, code: this.#resolution };
    if (this.#config & MCP9808_SHUTDOWN) return;
    const c = this.#conversion;
    for (;;) {
      const ms = MCP9808_RESOLUTIONS[c.code]!.ms;
      if (now < c.start + ms) return;
      // Back-to-back conversions at an unchanged resolution: skip to the last one that finished.
      const n = c.code === this.#resolution ? Math.floor((now - c.start) / ms) : 1;
      c.start += n * ms;
      this.conversions += n;
      this.#ambient = mcp9808Field(this.#celsius, MCP9808_RESOLUTIONS[c.code]!.step);
      c.code = this.#resolution;
    }
  }
}
