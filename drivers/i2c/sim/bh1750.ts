/**
 * A simulated ROHM BH1750FVI ambient light sensor, at the level of its one-byte instructions
 * (datasheet "Instruction Set Architecture"): no register map, every write is an opecode and every
 * read returns the 16-bit data register, high byte first.
 *
 * What the chip does and the simulator reproduces:
 * - It starts in Power Down with the data register at 0 and MTreg at 69.
 * - Reset (0000_0111) clears the data register, and is "not acceptable in Power Down mode".
 * - A measurement takes the datasheet's maximum time (H-resolution 180 ms, L-resolution 24 ms,
 *   "Electrical Characteristics") scaled by MTreg/69. Until it completes a read returns the
 *   previous result, so a driver that reads too early gets stale data, as on the part.
 * - One-time modes power the chip down when the measurement completes; continuous modes repeat.
 * - MTreg is set with 01000_MT[7:5] and 011_MT[4:0]; counts scale by MTreg/69 and the result
 *   saturates at 0xFFFF.
 *
 * The simulator measures with the maximum conversion time on purpose: a real chip may finish
 * sooner (typ. 120 ms / 16 ms), and a driver must be right for the slowest one.
 */
import { DriverError } from '../../../runtime/errors.js';
import type { SensorValues } from '../sensor.js';
import type { SimChip } from './chip.js';

type Resolution = 'high' | 'high2' | 'low';

/** Opecode → resolution, and whether the mode repeats. */
const MEASURE: ReadonlyMap<number, { resolution: Resolution; continuous: boolean }> = new Map([
  [0x10, { resolution: 'high', continuous: true }],
  [0x11, { resolution: 'high2', continuous: true }],
  [0x13, { resolution: 'low', continuous: true }],
  [0x20, { resolution: 'high', continuous: false }],
  [0x21, { resolution: 'high2', continuous: false }],
  [0x23, { resolution: 'low', continuous: false }],
]);

/** Maximum measurement time at MTreg = 69 ("Electrical Characteristics": tHR max 180 ms, tLR max 24 ms). */
const MAX_MS: Record<Resolution, number> = { high: 180, high2: 180, low: 24 };

const DEFAULT_MTREG = 69;

interface Measurement {
  resolution: Resolution;
  continuous: boolean;
  end: number;
}

export class Bh1750Sim implements SimChip {
  readonly type = 'bh1750';
  #powered = false;
  /** Written in two halves (MT[7:5], MT[4:0]); each instruction replaces only its own bits. */
  #mtreg = DEFAULT_MTREG;
  #data = 0;
  #lux = 0;
  #measurement: Measurement | undefined;

  constructor(values?: SensorValues) {
    if (values) this.set(values);
  }

  write(data: Uint8Array, now: number): void {
    this.#settle(now);
    for (const opecode of data) this.#instruction(opecode, now);
  }

  read(length: number, now: number): Uint8Array {
    this.#settle(now);
    // The datasheet defines a 2-byte read; what the chip sends after that is not specified, and
    // an idle SDA line reads as 1s.
    const out = new Uint8Array(length).fill(0xff);
    if (length > 0) out[0] = this.#data >> 8;
    if (length > 1) out[1] = this.#data & 0xff;
    return out;
  }

  set(values: SensorValues): void {
    for (const [channel, value] of Object.entries(values)) {
      if (!Number.isFinite(value)) throw new DriverError('bh1750', `simulated ${channel} ${value} is not a finite number`, { code: 'SIM_BAD_VALUE' });
      if (channel !== 'illuminance') {
        throw new DriverError('bh1750', `the simulated BH1750 has no channel "${channel}": it measures illuminance (lx)`, { code: 'SIM_BAD_VALUE' });
      }
      this.#lux = value;
    }
  }

  /** Whether the chip is powered on (for tests: one-time modes power it down when done). */
  get poweredOn(): boolean {
    return this.#powered;
  }

  #instruction(opecode: number, now: number): void {
    if (opecode === 0x00) {
      this.#powered = false;
      this.#measurement = undefined;
    } else if (opecode === 0x01) {
      this.#powered = true;
    } else if (opecode === 0x07) {
      if (this.#powered) this.#data = 0;
    } else if ((opecode & 0xf8) === 0x40) {
      this.#mtreg = ((opecode & 0x07) << 5) | (this.#mtreg & 0x1f);
    } else if ((opecode & 0xe0) === 0x60) {
      this.#mtreg = (this.#mtreg & 0xe0) | (opecode & 0x1f);
    } else {
      const mode = MEASURE.get(opecode);
      // A measurement instruction is accepted from Power Down too (the datasheet's measurement
      // examples send it alone); opecodes the datasheet does not define are ignored.
      if (!mode) return;
      this.#powered = true;
      this.#measurement = { ...mode, end: now + this.#durationMs(mode.resolution) };
    }
  }

  #durationMs(resolution: Resolution): number {
    // "Measurement time is ... scaled by MTreg"; an MTreg of 0 (outside 31–254) is kept from
    // stalling the simulation.
    return (MAX_MS[resolution] * Math.max(this.#mtreg, 1)) / DEFAULT_MTREG;
  }

  #settle(now: number): void {
    let m = this.#measurement;
    while (m && now >= m.end) {
      this.#data = this.#counts(m.resolution);
      if (m.continuous) {
        m.end += this.#durationMs(m.resolution);
      } else {
        this.#powered = false;
        m = undefined;
      }
    }
    this.#measurement = m;
  }

  /** lx = counts / 1.2 × 69/MTreg (÷2 in H-resolution mode2), so counts = lx × 1.2 × MTreg/69 (×2). */
  #counts(resolution: Resolution): number {
    let counts = (Math.max(this.#lux, 0) * 1.2 * this.#mtreg) / DEFAULT_MTREG;
    if (resolution === 'high2') counts *= 2;
    // L-resolution is specified as 4 lx, i.e. 4.8 counts whatever MTreg is: model it as steps of 4.8.
    if (resolution === 'low') counts = Math.round(counts / 4.8) * 4.8;
    return Math.min(Math.round(counts), 0xffff);
  }
}
