/**
 * QST QMC5883L 3-axis magnetometer (0x0D; the "HMC5883L" on most cheap GY-271 boards). Datasheet
 * rev 1.0, section 9.
 *
 * init: check the chip ID (0x0D = 0xFF), soft-reset, write the SET/RESET period 0x01 as the
 * datasheet recommends (9.2.5), then continuous mode with the range, rate and oversampling asked
 * for, read back.
 * read: wait for DRDY, read X/Y/Z (little-endian) which also clears DRDY, and refuse a sample that
 * overflowed: the chip clamps it to ±32767, a value that is not the field.
 *
 * Heading: the direction the chip's X axis points, in degrees clockwise from north, with the
 * chip level and its Z axis up. The chip's axes are right-handed (X and Y in the package plane,
 * Z out of the top face), so seen from above Y is 90° counter-clockwise from X. The horizontal
 * field points to magnetic north: with X pointing north it lies along +X; with X pointing east,
 * north is along +Y. In general it lies θ counter-clockwise from X when X points θ clockwise from
 * north, so heading = atan2(Y, X). A board mounted upside down mirrors this; nothing corrects
 * for tilt. With `declination` (degrees, east positive) the heading is from true north instead of
 * magnetic north.
 */
import { DriverError } from '../../../runtime/errors.js';
import type { ChannelInfo, SensorContext, SensorDriver, SensorType, SensorValues } from '../sensor.js';
import { Qmc5883lSim } from '../sim/qmc5883l.js';
import { hex } from '../bus.js';

const DATA_X_LSB = 0x00;
const STATUS = 0x06;
const CONTROL_1 = 0x09;
const CONTROL_2 = 0x0a;
const SET_RESET_PERIOD = 0x0b;
const CHIP_ID = 0x0d;

const DRDY = 0x01;
const OVL = 0x02;
const SOFT_RST = 0x80;
const MODE_CONTINUOUS = 0x01;

const QMC5883L_ID = 0xff;
/** 9.2.5: "it is recommended that the register 0BH is written by 0x01". */
const SET_RESET_PERIOD_VALUE = 0x01;
/** The datasheet gives no time for a soft reset; a few milliseconds is ample for a register reload. */
const SOFT_RESET_WAIT_MS = 5;

/** Control 1 fields (Table 18): RNG[5:4] with LSB per gauss, ODR[3:2], OSR[7:6]. */
const RANGES: ReadonlyMap<number, { bits: number; lsbPerGauss: number }> = new Map([
  [2, { bits: 0b00, lsbPerGauss: 12000 }],
  [8, { bits: 0b01, lsbPerGauss: 3000 }],
]);
const RATES: ReadonlyMap<number, number> = new Map([
  [10, 0b00],
  [50, 0b01],
  [100, 0b10],
  [200, 0b11],
]);
const OVERSAMPLING: ReadonlyMap<number, number> = new Map([
  [512, 0b00],
  [256, 0b01],
  [128, 0b10],
  [64, 0b11],
]);

const MICROTESLA_PER_GAUSS = 100;

const CHANNELS: Readonly<Record<string, ChannelInfo>> = Object.freeze({
  magX: { unit: 'µT' },
  magY: { unit: 'µT' },
  magZ: { unit: 'µT' },
  heading: { unit: '°' },
});
const OPTIONS = ['range', 'rate', 'oversampling', 'declination'];

function checkOptions(options: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) return `unknown qmc5883l option "${key}": expected one of ${OPTIONS.join(', ')}`;
  }
  const { range, rate, oversampling, declination } = options;
  if (range !== undefined && !(typeof range === 'number' && RANGES.has(range))) {
    return `qmc5883l range ${JSON.stringify(range)} is invalid: expected 2 or 8 (±gauss)`;
  }
  if (rate !== undefined && !(typeof rate === 'number' && RATES.has(rate))) {
    return `qmc5883l rate ${JSON.stringify(rate)} is invalid: expected 10, 50, 100 or 200 (Hz)`;
  }
  if (oversampling !== undefined && !(typeof oversampling === 'number' && OVERSAMPLING.has(oversampling))) {
    return `qmc5883l oversampling ${JSON.stringify(oversampling)} is invalid: expected 512, 256, 128 or 64`;
  }
  if (declination !== undefined && !(typeof declination === 'number' && declination >= -180 && declination <= 180)) {
    return `qmc5883l declination ${JSON.stringify(declination)} is invalid: expected degrees from -180 to 180, east positive`;
  }
  return undefined;
}

class Qmc5883l implements SensorDriver {
  readonly type = 'qmc5883l';
  readonly channels = CHANNELS;
  readonly #ctx: SensorContext;
  readonly #lsbPerGauss: number;
  readonly #rangeGauss: number;
  readonly #periodMs: number;
  readonly #control1: number;
  readonly #declination: number;

  constructor(ctx: SensorContext) {
    const problem = checkOptions(ctx.options);
    if (problem) throw new DriverError('qmc5883l', problem, { code: 'SENSOR_OPTIONS' });
    this.#ctx = ctx;
    const o = ctx.options as { range?: number; rate?: number; oversampling?: number; declination?: number };
    // ±2 G is the most sensitive range and holds the Earth's field (0.25–0.65 G) with room to
    // spare; 10 Hz is the rate the datasheet recommends for compassing (9.2.4).
    this.#rangeGauss = o.range ?? 2;
    const range = RANGES.get(this.#rangeGauss)!;
    const rate = o.rate ?? 10;
    this.#lsbPerGauss = range.lsbPerGauss;
    this.#periodMs = 1000 / rate;
    this.#control1 = (OVERSAMPLING.get(o.oversampling ?? 512)! << 6) | (range.bits << 4) | (RATES.get(rate)! << 2) | MODE_CONTINUOUS;
    this.#declination = o.declination ?? 0;
  }

  async init(): Promise<void> {
    const { bus, address, sleep } = this.#ctx;
    const id = await bus.readByte(address, CHIP_ID);
    if (id !== QMC5883L_ID) {
      throw new DriverError('qmc5883l', `no QMC5883L at ${hex(address)}: chip ID register 0x0D reads ${hex(id)}, expected 0xff`, {
        code: 'SENSOR_WRONG_CHIP',
      });
    }
    await bus.writeByte(address, CONTROL_2, SOFT_RST);
    await sleep(SOFT_RESET_WAIT_MS);
    await bus.writeByte(address, SET_RESET_PERIOD, SET_RESET_PERIOD_VALUE);
    await bus.writeByte(address, CONTROL_1, this.#control1);
    const control1 = await bus.readByte(address, CONTROL_1);
    const period = await bus.readByte(address, SET_RESET_PERIOD);
    if (control1 !== this.#control1 || period !== SET_RESET_PERIOD_VALUE) {
      throw new DriverError(
        'qmc5883l',
        `QMC5883L at ${hex(address)} did not keep its configuration: control 1 and SET/RESET period read ` +
          `${hex(control1)} ${hex(period)}, expected ${hex(this.#control1)} ${hex(SET_RESET_PERIOD_VALUE)}`,
        { code: 'SENSOR_CONFIG' },
      );
    }
  }

  async read(): Promise<SensorValues> {
    const { bus, address } = this.#ctx;
    let status = await this.#waitForSample();
    if (status === undefined) {
      // No sample: a chip that lost power comes back in standby (9.2.4). Configure it again once.
      if ((await bus.readByte(address, CONTROL_1)) === this.#control1) throw this.#timeout();
      await this.init();
      status = await this.#waitForSample();
      if (status === undefined) throw this.#timeout();
    }
    // Reading the data registers clears DRDY (and DOR), so the next read waits for a new sample.
    const data = await bus.readBlock(address, DATA_X_LSB, 6);
    const counts = [data.readInt16LE(0), data.readInt16LE(2), data.readInt16LE(4)] as const;
    // OVL flags a clamped sample (9.2.2). The status was read before the data, and a new sample
    // could have landed between the two, so a clamped count is treated as overflow too.
    if (status & OVL || counts.some((c) => c === 32767 || c === -32768)) {
      const full = ((32767 / this.#lsbPerGauss) * MICROTESLA_PER_GAUSS).toFixed(0);
      throw new DriverError(
        'qmc5883l',
        `QMC5883L at ${hex(address)}: the field overflowed the ±${this.#rangeGauss} G range (X/Y/Z counts ${counts.join(', ')}; ` +
          `the ADC clamps at ±${full} µT); no reading for this sample${this.#rangeGauss === 2 ? ', set range 8 for strong fields' : ''}`,
        { code: 'SENSOR_OVERFLOW' },
      );
    }
    const [x, y, z] = counts.map((c) => (c / this.#lsbPerGauss) * MICROTESLA_PER_GAUSS) as [number, number, number];
    const values: SensorValues = { magX: x, magY: y, magZ: z };
    // With no horizontal field at all there is no direction: leave heading out rather than
    // report atan2(0, 0) = 0 as north.
    if (counts[0] !== 0 || counts[1] !== 0) {
      const degrees = (Math.atan2(counts[1], counts[0]) * 180) / Math.PI + this.#declination;
      values.heading = ((degrees % 360) + 360) % 360;
    }
    return values;
  }

  /** Poll DRDY for up to two sample periods; the status byte, or undefined if no sample came. */
  async #waitForSample(): Promise<number | undefined> {
    const { bus, address, sleep } = this.#ctx;
    const step = Math.max(1, Math.ceil(this.#periodMs / 4));
    for (let waited = 0; ; waited += step) {
      const status = await bus.readByte(address, STATUS);
      if (status & DRDY) return status;
      if (waited >= 2 * this.#periodMs + 10) return undefined;
      await sleep(step);
    }
  }

  #timeout(): DriverError {
    return new DriverError(
      'qmc5883l',
      `QMC5883L at ${hex(this.#ctx.address)} produced no sample (DRDY) within two periods at ${1000 / this.#periodMs} Hz`,
      { code: 'SENSOR_TIMEOUT' },
    );
  }
}


export const qmc5883lType: SensorType = {
  type: 'qmc5883l',
  description: 'QST QMC5883L 3-axis magnetometer with compass heading',
  addresses: [0x0d],
  checkOptions,
  channels: () => ({ ...CHANNELS }),
  create: (ctx) => new Qmc5883l(ctx),
  simulate: (_options, values) => new Qmc5883lSim(values),
};
