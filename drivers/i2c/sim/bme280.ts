/**
 * A BME280 (or BMP280) at the register level: chip ID, calibration NVM, soft reset, the ctrl_hum
 * latch, conversions that take the datasheet's time, the measuring and im_update status bits, and
 * data registers holding raw ADC codes. Physical values given to `set` are turned into the ADC
 * codes whose compensation gives them back, by searching the (monotonic) compensation functions,
 * so a driver above reads what was set to the chip's resolution.
 *
 * Modelled: sleep, forced and normal mode (normal mode's periodic conversions with the standby
 * time from config), with each conversion's settings taken when it is started as the datasheet
 * describes. The IIR filter's smoothing is not: with a steady input the filter's output is the
 * input, which is what a test sets; the filter's 20-bit resolution is. Timing is that of a typical
 * part (Appendix B typical times), so a driver waiting the maximum is always late enough.
 */
import { DriverError } from '../../../runtime/errors.js';
import {
  compensateHumidity,
  compensatePressure,
  compensateTemperature,
  decodeAdc,
  parseHumidityCalibration,
  parseTemperaturePressureCalibration,
  typicalMeasurementMs,
  type Bmx280Calibration,
  type Bmx280Variant,
} from '../chips/bme280-compensation.js';
import type { SensorValues } from '../sensor.js';
import { RegisterChip } from './registers.js';

// Register addresses are the simulator's own copy: a mistake in the driver's table must not be
// mirrored here, or the tests could not catch it.
const ID = 0xd0;
const RESET = 0xe0;
const CTRL_HUM = 0xf2;
const STATUS = 0xf3;
const CTRL_MEAS = 0xf4;
const CONFIG = 0xf5;
const DATA = 0xf7;

/**
 * Power-up calibration: the BMP280 datasheet's computation example table for temperature and
 * pressure, and humidity trimming typical of production BME280s.
 */
const EXAMPLE_CALIBRATION_0X88 = '706b436718fc7d8e43d6d00b270b8c00f9ff8c3cf8c67017';
const HUMIDITY_H1 = 75;
const HUMIDITY_0XE1 = [0x72, 0x01, 0x00, 0x12, 0x2c, 0x03, 0x1e]; // H2 370, H3 0, H4 300, H5 50, H6 30

/** NVM copy after a soft reset; the datasheet's 2 ms start-up time is the maximum. */
const NVM_COPY_MS = 1;

/** Standby time between normal-mode conversions by config t_sb (§5.4.6); the BMP280 differs in the last two. */
const STANDBY_MS = { bme280: [0.5, 62.5, 125, 250, 500, 1000, 10, 20], bmp280: [0.5, 62.5, 125, 250, 500, 1000, 2000, 4000] };

export interface Bme280SimOptions {
  variant?: Bmx280Variant;
  /** temperature °C, pressure hPa, humidity %RH; defaults 20 °C, 1013.25 hPa, 50 %RH. */
  values?: SensorValues;
}

interface Measured {
  temperature: number;
  pressure: number;
  humidity: number;
}

/** What a conversion measures: oversampling factors (0 = skipped) and whether the filter is on. */
interface Settings {
  osrsT: number;
  osrsP: number;
  osrsH: number;
  filtered: boolean;
}

export class Bme280Sim extends RegisterChip {
  readonly type: Bmx280Variant;
  readonly #humidity: boolean;
  /** What the chip measures; undefined after a dump was loaded, until `set` (replay the dump's data). */
  #values: Measured | undefined;
  /** ctrl_hum's osrs_h as latched by the last ctrl_meas write (§5.4.3). */
  #osrsH = 0;
  #forced: { settings: Settings; doneAt: number } | undefined;
  #normal: { settings: Settings; start: number; measureMs: number; periodMs: number; finished: number } | undefined;
  /** The data registers of a loaded dump: what every conversion yields until `set`. */
  #dumpedData: Uint8Array | undefined;
  #nvmReadyAt = -Infinity;
  /** Conversions completed, for tests. */
  conversions = 0;

  constructor(options: Bme280SimOptions = {}) {
    super();
    this.type = options.variant ?? 'bme280';
    this.#humidity = this.type === 'bme280';
    this.regs[ID] = this.#humidity ? 0x60 : 0x58;
    this.regs.set(Buffer.from(EXAMPLE_CALIBRATION_0X88, 'hex'), 0x88);
    if (this.#humidity) {
      this.regs[0xa1] = HUMIDITY_H1;
      this.regs.set(HUMIDITY_0XE1, 0xe1);
    }
    this.#resetRegisters();
    this.#values = { temperature: 20, pressure: 1013.25, humidity: 50 };
    if (options.values) this.set(options.values);
  }

  set(values: SensorValues): void {
    const next = { ...(this.#values ?? this.#fromDataRegisters()) };
    for (const [channel, value] of Object.entries(values)) {
      if (channel !== 'temperature' && channel !== 'pressure' && !(channel === 'humidity' && this.#humidity)) {
        throw new DriverError(this.type, `the simulated ${this.type} has no channel "${channel}": expected temperature, pressure${this.#humidity ? ', humidity' : ''}`, { code: 'SIM_BAD_VALUE' });
      }
      if (!Number.isFinite(value)) throw new DriverError(this.type, `simulated ${channel} ${value} is not a finite number`, { code: 'SIM_BAD_VALUE' });
      next[channel] = value;
    }
    this.#values = next;
  }

  /** Registers from an i2cdump: calibration, ID and data as the real chip had them. Conversions replay the dumped data until `set`. */
  override load(registers: ReadonlyMap<number, number>): void {
    super.load(registers);
    this.#values = undefined;
    this.#dumpedData = this.regs.slice(DATA, DATA + 8);
    this.#forced = undefined;
    this.#normal = undefined;
    this.#osrsH = this.regs[CTRL_HUM]! & 0x07;
  }

  /** The calibration the registers hold now (a dump may have replaced the default). */
  calibration(): Bmx280Calibration {
    const tp = parseTemperaturePressureCalibration(this.regs.subarray(0x88, 0xa0));
    return this.#humidity ? { ...tp, humidity: parseHumidityCalibration(this.regs[0xa1]!, this.regs.subarray(0xe1, 0xe8)) } : tp;
  }

  protected override writeRegister(register: number, value: number, now: number): void {
    this.#advance(now);
    if (register === RESET) {
      if (value === 0xb6) this.#softReset(now);
    } else if (register === CTRL_HUM) {
      if (this.#humidity) this.regs[CTRL_HUM] = value & 0x07;
    } else if (register === CTRL_MEAS) {
      this.regs[CTRL_MEAS] = value;
      this.#osrsH = this.#humidity ? this.regs[CTRL_HUM]! & 0x07 : 0;
      this.#startMode(value & 0x03, now);
    } else if (register === CONFIG) {
      this.regs[CONFIG] = value;
    }
    // Everything else (ID, calibration NVM, status, data) is read-only.
  }

  protected override readRegister(register: number, now: number): number {
    this.#advance(now);
    if (register === STATUS) return (this.#measuring(now) ? 0x08 : 0) | (now < this.#nvmReadyAt ? 0x01 : 0);
    if (register === RESET) return 0;
    // While the NVM is being copied the calibration image is not there yet: a driver that reads it
    // too early gets zeros, and readings that are far off.
    if (now < this.#nvmReadyAt && isCalibration(register)) return 0;
    return this.regs[register]!;
  }

  #softReset(now: number): void {
    this.#resetRegisters();
    this.#forced = undefined;
    this.#normal = undefined;
    this.#osrsH = 0;
    this.#nvmReadyAt = now + NVM_COPY_MS;
  }

  /** Reset values (§5.3): control registers 0, data registers 0x80000 / 0x8000 ("no data"). */
  #resetRegisters(): void {
    this.regs[CTRL_HUM] = 0;
    this.regs[CTRL_MEAS] = 0;
    this.regs[CONFIG] = 0;
    this.regs.set([0x80, 0x00, 0x00, 0x80, 0x00, 0x00], DATA);
    if (this.#humidity) this.regs.set([0x80, 0x00], DATA + 6);
  }

  /** ctrl_meas was written: forced mode starts one conversion, normal mode a periodic run. */
  #startMode(mode: number, now: number): void {
    if (mode === 0b00) this.#normal = undefined;
    else if (mode === 0b11) {
      const settings = this.#settings();
      const measureMs = typicalMeasurementMs(settings.osrsT, settings.osrsP, settings.osrsH);
      const periodMs = measureMs + STANDBY_MS[this.type][this.regs[CONFIG]! >> 5]!;
      this.#normal = { settings, start: now, measureMs, periodMs, finished: -1 };
      this.#forced = undefined;
    } else if (!this.#forced) {
      const settings = this.#settings();
      this.#forced = { settings, doneAt: now + typicalMeasurementMs(settings.osrsT, settings.osrsP, settings.osrsH) };
      this.#normal = undefined;
    }
  }

  /** The settings a conversion started now uses: ctrl_meas, the latched osrs_h, the filter. */
  #settings(): Settings {
    const ctrl = this.regs[CTRL_MEAS]!;
    const factor = (code: number) => (code === 0 ? 0 : 1 << (Math.min(code, 5) - 1));
    return { osrsT: factor(ctrl >> 5), osrsP: factor((ctrl >> 2) & 0x07), osrsH: factor(this.#osrsH), filtered: ((this.regs[CONFIG]! >> 2) & 0x07) !== 0 };
  }

  #measuring(now: number): boolean {
    const n = this.#normal;
    return this.#forced !== undefined || (n !== undefined && (now - n.start) % n.periodMs < n.measureMs);
  }

  /** Complete the conversions whose time has come: forced mode then returns to sleep. */
  #advance(now: number): void {
    if (this.#forced && now >= this.#forced.doneAt) {
      const { settings } = this.#forced;
      this.#forced = undefined;
      this.regs[CTRL_MEAS] = this.regs[CTRL_MEAS]! & ~0x03;
      this.#complete(settings);
    }
    const n = this.#normal;
    if (n && now - n.start >= n.measureMs) {
      const last = Math.floor((now - n.start - n.measureMs) / n.periodMs);
      if (last > n.finished) {
        n.finished = last;
        this.#complete(n.settings);
      }
    }
  }

  /** The data registers after a conversion: ADC codes for the set values, or the dump's replayed. */
  #complete(c: Settings): void {
    this.conversions++;
    const values = this.#values;
    if (!values) {
      // Replaying a dump: the real chip's last measurement, even after a reset cleared it.
      if (this.#dumpedData) this.regs.set(this.#dumpedData.subarray(0, this.#humidity ? 8 : 6), DATA);
      return;
    }
    const cal = this.calibration();
    // Resolution without the filter is 16 + (osrs − 1) bits of the 20 (§3.4.2, §3.4.3).
    const step = (os: number) => (c.filtered ? 1 : 1 << (4 - Math.log2(os)));
    let tFine = 0;
    if (c.osrsT) {
      const adcT = search((code) => compensateTemperature(code, cal).centiCelsius / 100, values.temperature, 0xfffff, step(c.osrsT));
      tFine = compensateTemperature(adcT, cal).tFine;
      this.#writeAdc20(DATA + 3, adcT);
    } else this.#writeAdc20(DATA + 3, 0x80000);
    if (c.osrsP) {
      this.#writeAdc20(DATA, search((code) => compensatePressure(code, tFine, cal) / 25600, values.pressure, 0xfffff, step(c.osrsP)));
    } else this.#writeAdc20(DATA, 0x80000);
    if (this.#humidity) {
      const h = cal.humidity!;
      const adcH = c.osrsH ? search((code) => compensateHumidity(code, tFine, h) / 1024, values.humidity, 0xffff, 1) : 0x8000;
      this.regs.set([adcH >> 8, adcH & 0xff], DATA + 6);
    }
  }

  #writeAdc20(at: number, code: number): void {
    this.regs.set([code >> 12, (code >> 4) & 0xff, (code & 0x0f) << 4], at);
  }

  /** The physical values the data registers hold, for a partial `set` after a dump was loaded. */
  #fromDataRegisters(): Measured {
    const cal = this.calibration();
    const adc = decodeAdc(this.regs.subarray(DATA, DATA + 8));
    const t = compensateTemperature(adc.adcT, cal);
    return {
      temperature: t.centiCelsius / 100,
      pressure: compensatePressure(adc.adcP, t.tFine, cal) / 25600,
      humidity: cal.humidity && adc.adcH !== undefined ? compensateHumidity(adc.adcH, t.tFine, cal.humidity) / 1024 : 0,
    };
  }
}

function isCalibration(register: number): boolean {
  return (register >= 0x88 && register <= 0xa1) || (register >= 0xe1 && register <= 0xf0);
}

/**
 * The ADC code (a multiple of `step` in 0…max) whose compensated value is nearest `target`, by
 * binary search on a function that is monotonic in the code, rising or falling.
 */
function search(f: (code: number) => number, target: number, max: number, step: number): number {
  const n = Math.floor(max / step);
  const rising = f(n * step) >= f(0);
  const below = (k: number) => (rising ? f(k * step) < target : f(k * step) > target);
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (below(mid)) lo = mid + 1;
    else hi = mid;
  }
  const k = lo > 0 && Math.abs(f((lo - 1) * step) - target) <= Math.abs(f(lo * step) - target) ? lo - 1 : lo;
  return k * step;
}
