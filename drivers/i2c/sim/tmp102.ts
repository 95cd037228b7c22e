/**
 * A TMP102 at the transaction level: a pointer byte selects one of four 16-bit registers, sent
 * MSB first. Conversions run continuously at the configured rate (4 Hz after power-up) and take
 * the typical 26 ms; the temperature register keeps the last finished conversion, 0x0000 until
 * the first one after power-up (the sim powers up when the bus first addresses it) or after
 * leaving shutdown. A driver that reads too early reads 0 °C.
 *
 * Not modelled: one-shot conversions (OS in shutdown), the ALERT comparator (AL reads inactive).
 * A word dump (`i2cdump -y 1 0x48 w`) loads its registers: the dumped temperature is what it
 * then measures.
 */
import { DriverError } from '../../../runtime/errors.js';
import { swap16 } from '../bus.js';
import { TMP102_CONFIG, TMP102_CONVERSION_MS, TMP102_REG, tmp102Celsius, tmp102Register } from '../chips/tmp102.js';
import type { SensorValues } from '../sensor.js';
import type { SimChip } from './chip.js';

/** Conversion period by CR1:CR0 (bits 7:6): 0.25, 1, 4, 8 Hz. */
const PERIOD_MS = [4000, 1000, 250, 125];
/** Bits a write can change: F1:F0, POL, TM, SD, CR1:CR0, EM (R1:R0, AL and 3:0 are read-only). */
const WRITABLE = 0x1fd0;
const POL = 0x0400;
const AL = 0x0020;

export class Tmp102Sim implements SimChip {
  readonly type = 'tmp102';
  #pointer: number = TMP102_REG.temperature;
  #config: number = TMP102_CONFIG.powerUp & ~AL;
  #limits = { [TMP102_REG.tLow]: 0x4b00, [TMP102_REG.tHigh]: 0x5000 } as Record<number, number>;
  #celsius = 20;
  #temperatureRegister = 0x0000;
  /** When the current run of conversions began; undefined until power-up. */
  #cycleStart: number | undefined;
  #finished = -1;
  /** Conversions finished, for tests. */
  conversions = 0;

  constructor(values?: SensorValues) {
    if (values) this.set(values);
  }

  set(values: SensorValues): void {
    for (const [channel, value] of Object.entries(values)) {
      if (channel !== 'temperature') throw new DriverError('tmp102', `the simulated TMP102 has no channel "${channel}": expected temperature`, { code: 'SIM_BAD_VALUE' });
      if (!Number.isFinite(value)) throw new DriverError('tmp102', `simulated temperature ${value} is not a finite number`, { code: 'SIM_BAD_VALUE' });
      this.#celsius = value;
    }
  }

  loadWords(words: ReadonlyMap<number, number>): void {
    for (const [register, word] of words) {
      const value = swap16(word);
      if (register === TMP102_REG.temperature) {
        this.#celsius = tmp102Celsius(value);
        this.#temperatureRegister = value;
      } else if (register === TMP102_REG.config) this.#config = value & ~AL;
      else if (register === TMP102_REG.tLow || register === TMP102_REG.tHigh) this.#limits[register] = value;
    }
  }

  write(data: Uint8Array, now: number): void {
    this.#advance(now);
    if (data.length === 0) return;
    // Pointer bits P7–P2 must be 0 (datasheet: Pointer Register); the sim ignores them.
    this.#pointer = data[0]! & 0x03;
    if (data.length < 3) return; // a pointer write, or an incomplete word the chip does not latch
    const value = (data[1]! << 8) | data[2]!;
    if (this.#pointer === TMP102_REG.config) this.#writeConfig(value, now);
    else if (this.#pointer !== TMP102_REG.temperature) this.#limits[this.#pointer] = value & (this.#config & TMP102_CONFIG.extended ? 0xfff8 : 0xfff0);
  }

  read(length: number, now: number): Uint8Array {
    this.#advance(now);
    const value = this.#register(this.#pointer);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = i % 2 === 0 ? value >> 8 : value & 0xff;
    return out;
  }

  #register(pointer: number): number {
    if (pointer === TMP102_REG.temperature) return this.#temperatureRegister;
    if (pointer === TMP102_REG.config) return this.#config | (this.#config & POL ? 0 : AL);
    return this.#limits[pointer]!;
  }

  #writeConfig(value: number, now: number): void {
    const before = this.#config;
    this.#config = (before & ~WRITABLE) | (value & WRITABLE);
    const running = (this.#config & TMP102_CONFIG.shutdown) === 0;
    const woke = running && (before & TMP102_CONFIG.shutdown) !== 0;
    const rateChanged = ((before ^ this.#config) & 0x00c0) !== 0;
    if (woke || (running && rateChanged)) this.#restart(now);
  }

  #restart(now: number): void {
    this.#cycleStart = now;
    this.#finished = -1;
  }

  /** Latch the conversion that finished most recently, if it is newer than the register's. */
  #advance(now: number): void {
    if (this.#cycleStart === undefined) this.#restart(now);
    if (this.#config & TMP102_CONFIG.shutdown) return;
    const elapsed = now - this.#cycleStart! - TMP102_CONVERSION_MS.typical;
    if (elapsed < 0) return;
    const index = Math.floor(elapsed / PERIOD_MS[(this.#config >> 6) & 0x03]!);
    if (index <= this.#finished) return;
    this.#finished = index;
    this.conversions++;
    this.#temperatureRegister = tmp102Register(this.#celsius, (this.#config & TMP102_CONFIG.extended) !== 0);
  }
}
