/**
 * A simulated TI ADS1115 16-bit ADC (datasheet SBAS444), at the level of its I2C protocol: a
 * 2-bit address pointer and four 16-bit registers sent MSB first ("Register Map"), not a byte
 * register file, so SMBus word transfers (LSB first) read it byte-swapped, as on the part.
 *
 * What the chip does and the simulator reproduces:
 * - Power-up: Config 0x8583, Lo_thresh 0x8000, Hi_thresh 0x7FFF, conversion 0 ("Reset and Power-Up").
 * - A write is the pointer byte, then MSB and LSB; a register changes only when both arrived.
 * - Single-shot (MODE 1): writing OS = 1 in power-down starts one conversion that takes 1/DR
 *   ("Output Data Rate and Conversion Time"); OS reads 0 until it is done and has "no effect when
 *   a conversion is ongoing". Until then the conversion register holds the previous result.
 * - Continuous (MODE 0): a result every 1/DR; OS always reads 0.
 * - MUX[14:12] selects the input, PGA[11:9] the full scale (±6.144 … ±0.256 V; 110 and 111 are
 *   also ±0.256 V), DR[7:5] the rate; the result is round(V / FS × 32768), clamped to 0x7FFF /
 *   0x8000 ("Full-Scale Range (FSR) and LSB Size"). The comparator bits [4:0] and both thresholds
 *   are stored; the ALERT/RDY pin is not modelled.
 *
 * Inputs: ain0..ain3 are pin voltages against GND; a differential pair (ain0_1, ain0_3, ain1_3,
 * ain2_3) measures the difference of its pins unless set explicitly, which then wins.
 */
import { DriverError } from '../../../runtime/errors.js';
import type { SensorValues } from '../sensor.js';
import type { SimChip } from './chip.js';

const CONVERSION = 0;
const CONFIG = 1;
const LO_THRESH = 2;
const HI_THRESH = 3;

const OS = 0x8000;
const MODE_SINGLE = 0x0100;

/** Full scale in volts for PGA 000..111 and samples per second for DR 000..111. */
const FULL_SCALE_V = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256] as const;
const DATA_RATE_SPS = [8, 16, 32, 64, 128, 250, 475, 860] as const;

const PINS = ['ain0', 'ain1', 'ain2', 'ain3'] as const;
/** MUX 000..011: the differential pairs, positive pin first. */
const PAIRS = [
  ['ain0_1', 0, 1],
  ['ain0_3', 0, 3],
  ['ain1_3', 1, 3],
  ['ain2_3', 2, 3],
] as const;

interface Conversion {
  config: number;
  end: number;
}

export class Ads1115Sim implements SimChip {
  readonly type = 'ads1115';
  #pointer = CONVERSION;
  #config = 0x8583 & ~OS;
  #lo = 0x8000;
  #hi = 0x7fff;
  #conversion = 0;
  #single: Conversion | undefined;
  #continuous: Conversion | undefined;
  readonly #pins = [0, 0, 0, 0];
  readonly #pairs = new Map<number, number>();

  constructor(values?: SensorValues) {
    if (values) this.set(values);
  }

  write(data: Uint8Array, now: number): void {
    this.#settle(now);
    if (data.length === 0) return;
    // P[7:2] are reserved and written as 0; the pointer is the low two bits.
    this.#pointer = data[0]! & 0x03;
    if (data.length < 3) return;
    const value = (data[1]! << 8) | data[2]!;
    if (this.#pointer === CONFIG) this.#writeConfig(value, now);
    else if (this.#pointer === LO_THRESH) this.#lo = value;
    else if (this.#pointer === HI_THRESH) this.#hi = value;
    // The conversion register is read-only.
  }

  read(length: number, now: number): Uint8Array {
    this.#settle(now);
    const value = this.#register(this.#pointer);
    // Reading on past the two bytes repeats the register; the datasheet only defines two.
    return Uint8Array.from({ length }, (_, i) => (i % 2 === 0 ? value >> 8 : value & 0xff));
  }

  set(values: SensorValues): void {
    for (const [channel, value] of Object.entries(values)) {
      if (!Number.isFinite(value)) throw new DriverError('ads1115', `simulated ${channel} ${value} is not a finite number`, { code: 'SIM_BAD_VALUE' });
      const pin = (PINS as readonly string[]).indexOf(channel);
      const pair = PAIRS.findIndex(([name]) => name === channel);
      if (pin >= 0) this.#pins[pin] = value;
      else if (pair >= 0) this.#pairs.set(pair, value);
      else {
        throw new DriverError(
          'ads1115',
          `the simulated ADS1115 has no input "${channel}": expected ${[...PINS, ...PAIRS.map(([name]) => name)].join(', ')}`,
          { code: 'SIM_BAD_VALUE' },
        );
      }
    }
  }

  #register(pointer: number): number {
    if (pointer === CONVERSION) return this.#conversion;
    if (pointer === CONFIG) return this.#config | (this.#single || this.#continuous ? 0 : OS);
    return pointer === LO_THRESH ? this.#lo : this.#hi;
  }

  #writeConfig(value: number, now: number): void {
    this.#config = value & ~OS;
    if ((value & MODE_SINGLE) === 0) {
      this.#single = undefined;
      this.#continuous = { config: value, end: now + periodMs(value) };
    } else {
      this.#continuous = undefined;
      if (value & OS && !this.#single) this.#single = { config: value, end: now + periodMs(value) };
    }
  }

  #settle(now: number): void {
    if (this.#single && now >= this.#single.end) {
      this.#conversion = this.#convert(this.#single.config);
      this.#single = undefined;
    }
    const c = this.#continuous;
    if (c && now >= c.end) {
      const period = periodMs(c.config);
      this.#conversion = this.#convert(c.config);
      c.end += period * (Math.floor((now - c.end) / period) + 1);
    }
  }

  #convert(config: number): number {
    const mux = (config >> 12) & 0x07;
    const fullScale = FULL_SCALE_V[(config >> 9) & 0x07]!;
    let volts: number;
    if (mux >= 4) {
      volts = this.#pins[mux - 4]!;
    } else {
      const [, positive, negative] = PAIRS[mux]!;
      volts = this.#pairs.get(mux) ?? this.#pins[positive]! - this.#pins[negative]!;
    }
    const code = Math.max(-32768, Math.min(32767, Math.round((volts / fullScale) * 32768)));
    return code & 0xffff;
  }
}

function periodMs(config: number): number {
  return 1000 / DATA_RATE_SPS[(config >> 5) & 0x07]!;
}
