/**
 * InvenSense MPU-6050 accelerometer + gyroscope (0x68 with AD0 low, 0x69 with AD0 high).
 * Register Map and Descriptions RM-MPU-6000A-00 rev 4.2; Product Specification PS-MPU-6000A-00
 * rev 3.4.
 *
 * init: check WHO_AM_I, reset the chip to known defaults, wake it with the X gyro's PLL as the
 * clock, set the sample rate, filter and ranges, read them back, and wait for the first sample.
 * read: one 14-byte burst from ACCEL_XOUT_H, so all seven values come from one sampling instant.
 */
import { DriverError } from '../../../runtime/errors.js';
import type { ChannelInfo, SensorContext, SensorDriver, SensorType, SensorValues } from '../sensor.js';
import { Mpu6050Sim } from '../sim/mpu6050.js';
import { hex } from '../bus.js';

const SMPLRT_DIV = 0x19;
const ACCEL_XOUT_H = 0x3b;
const PWR_MGMT_1 = 0x6b;
const WHO_AM_I = 0x75;

const DEVICE_RESET = 0x80;
const SLEEP = 0x40;
/** CLKSEL 1: PLL with the X gyro reference, which the register map recommends over the internal oscillator. */
const CLOCK_PLL_X_GYRO = 0x01;

const MPU6050_ID = 0x68;
/**
 * Other parts that answer WHO_AM_I at 0x75 (vendor register maps), named in the error so a
 * board sold as an "MPU-6050" that carries one of them is recognised. They are not accepted: the
 * temperature scale and several registers differ.
 */
const OTHER_IDS: ReadonlyMap<number, string> = new Map([
  [0x70, 'an MPU-6500'],
  [0x71, 'an MPU-9250'],
  [0x73, 'an MPU-9255'],
  [0x12, 'an ICM-20602'],
  [0x98, 'an ICM-20689'],
]);

/** Register map: "wait 100 ms" after DEVICE_RESET (note under register 107). */
const RESET_WAIT_MS = 100;
/** Product specification 6.1: gyroscope start-up time (ZRO settling) 30 ms. */
const GYRO_STARTUP_MS = 30;
/** The driver samples at 100 Hz: plenty for thresholds and activity, and any DLPF setting fits. */
const SAMPLE_RATE_HZ = 100;

/** Full scale → FS_SEL/AFS_SEL value and LSB per unit (product specification 6.1 and 6.2). */
const ACCEL_RANGES: ReadonlyMap<number, { bits: number; lsb: number }> = new Map([
  [2, { bits: 0, lsb: 16384 }],
  [4, { bits: 1, lsb: 8192 }],
  [8, { bits: 2, lsb: 4096 }],
  [16, { bits: 3, lsb: 2048 }],
]);
const GYRO_RANGES: ReadonlyMap<number, { bits: number; lsb: number }> = new Map([
  [250, { bits: 0, lsb: 131 }],
  [500, { bits: 1, lsb: 65.5 }],
  [1000, { bits: 2, lsb: 32.8 }],
  [2000, { bits: 3, lsb: 16.4 }],
]);

const CHANNELS: Readonly<Record<string, ChannelInfo>> = Object.freeze({
  accelX: { unit: 'g' },
  accelY: { unit: 'g' },
  accelZ: { unit: 'g' },
  gyroX: { unit: '°/s' },
  gyroY: { unit: '°/s' },
  gyroZ: { unit: '°/s' },
  temperature: { unit: '°C' },
});
const OPTIONS = ['accelRange', 'gyroRange', 'dlpf'];

function checkOptions(options: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) return `unknown mpu6050 option "${key}": expected one of ${OPTIONS.join(', ')}`;
  }
  const { accelRange, gyroRange, dlpf } = options;
  if (accelRange !== undefined && !(typeof accelRange === 'number' && ACCEL_RANGES.has(accelRange))) {
    return `mpu6050 accelRange ${JSON.stringify(accelRange)} is invalid: expected 2, 4, 8 or 16 (±g)`;
  }
  if (gyroRange !== undefined && !(typeof gyroRange === 'number' && GYRO_RANGES.has(gyroRange))) {
    return `mpu6050 gyroRange ${JSON.stringify(gyroRange)} is invalid: expected 250, 500, 1000 or 2000 (±°/s)`;
  }
  if (dlpf !== undefined && !(typeof dlpf === 'number' && Number.isInteger(dlpf) && dlpf >= 0 && dlpf <= 6)) {
    return `mpu6050 dlpf ${JSON.stringify(dlpf)} is invalid: expected DLPF_CFG 0 (260 Hz, off) to 6 (5 Hz)`;
  }
  return undefined;
}

class Mpu6050 implements SensorDriver {
  readonly type = 'mpu6050';
  readonly channels = CHANNELS;
  readonly #ctx: SensorContext;
  readonly #accel: { bits: number; lsb: number };
  readonly #gyro: { bits: number; lsb: number };
  /** SMPLRT_DIV, CONFIG, GYRO_CONFIG, ACCEL_CONFIG as written (and read back). */
  readonly #config: Buffer;
  readonly #samplePeriodMs = 1000 / SAMPLE_RATE_HZ;

  constructor(ctx: SensorContext) {
    const problem = checkOptions(ctx.options);
    if (problem) throw new DriverError('mpu6050', problem, { code: 'SENSOR_OPTIONS' });
    this.#ctx = ctx;
    this.#accel = ACCEL_RANGES.get((ctx.options.accelRange as number | undefined) ?? 2)!;
    this.#gyro = GYRO_RANGES.get((ctx.options.gyroRange as number | undefined) ?? 250)!;
    const dlpf = (ctx.options.dlpf as number | undefined) ?? 3;
    // Sample Rate = Gyroscope Output Rate / (1 + SMPLRT_DIV); that rate is 8 kHz with the DLPF
    // off (DLPF_CFG 0) and 1 kHz with it on (register 25).
    const gyroOutputHz = dlpf === 0 ? 8000 : 1000;
    this.#config = Buffer.from([gyroOutputHz / SAMPLE_RATE_HZ - 1, dlpf, this.#gyro.bits << 3, this.#accel.bits << 3]);
  }

  async init(): Promise<void> {
    const { bus, address, sleep } = this.#ctx;
    const id = await bus.readByte(address, WHO_AM_I);
    if (id !== MPU6050_ID) {
      const what = OTHER_IDS.get(id) ?? 'not an InvenSense part this driver knows';
      throw new DriverError(
        'mpu6050',
        `no MPU-6050 at ${hex(address)}: WHO_AM_I (0x75) reads ${hex(id)} (${what}), expected 0x68`,
        { code: 'SENSOR_WRONG_CHIP' },
      );
    }
    // Reset first: the chip keeps its registers across a restart of this process, and the
    // driver wants the documented defaults under whatever it sets.
    await bus.writeByte(address, PWR_MGMT_1, DEVICE_RESET);
    await sleep(RESET_WAIT_MS);
    for (let tries = 0; (await bus.readByte(address, PWR_MGMT_1)) & DEVICE_RESET; tries++) {
      if (tries === 10) {
        throw new DriverError('mpu6050', `MPU-6050 at ${hex(address)} still reports DEVICE_RESET 200 ms after the reset was asked for`, {
          code: 'SENSOR_TIMEOUT',
        });
      }
      await sleep(10);
    }
    await bus.writeByte(address, PWR_MGMT_1, CLOCK_PLL_X_GYRO);
    await bus.writeBlock(address, SMPLRT_DIV, this.#config);
    const power = await bus.readByte(address, PWR_MGMT_1);
    const config = await bus.readBlock(address, SMPLRT_DIV, this.#config.length);
    if (power !== CLOCK_PLL_X_GYRO || !config.equals(this.#config)) {
      throw new DriverError(
        'mpu6050',
        `MPU-6050 at ${hex(address)} did not keep its configuration: PWR_MGMT_1 and 0x19–0x1C read ` +
          `${hex(power)} ${config.toString('hex')}, expected ${hex(CLOCK_PLL_X_GYRO)} ${this.#config.toString('hex')}`,
        { code: 'SENSOR_CONFIG' },
      );
    }
    // The data registers hold zeros until the first sample after waking, and the gyro needs its
    // start-up time to settle.
    await sleep(GYRO_STARTUP_MS + Math.ceil(this.#samplePeriodMs));
  }

  async read(): Promise<SensorValues> {
    const { bus, address } = this.#ctx;
    // A supply dip resets the chip into SLEEP without any bus error, and its data registers then
    // stop changing: stale values would look like a motionless sensor. Check and start over.
    if ((await bus.readByte(address, PWR_MGMT_1)) & (SLEEP | DEVICE_RESET)) await this.init();
    const data = await bus.readBlock(address, ACCEL_XOUT_H, 14);
    const word = (i: number): number => data.readInt16BE(2 * i);
    return {
      accelX: word(0) / this.#accel.lsb,
      accelY: word(1) / this.#accel.lsb,
      accelZ: word(2) / this.#accel.lsb,
      // Registers 65–66: "Temperature in degrees C = (TEMP_OUT as a signed quantity)/340 + 36.53".
      temperature: word(3) / 340 + 36.53,
      gyroX: word(4) / this.#gyro.lsb,
      gyroY: word(5) / this.#gyro.lsb,
      gyroZ: word(6) / this.#gyro.lsb,
    };
  }
}


export const mpu6050Type: SensorType = {
  type: 'mpu6050',
  description: 'InvenSense MPU-6050 3-axis accelerometer and gyroscope, with die temperature',
  addresses: [0x68, 0x69],
  checkOptions,
  channels: () => ({ ...CHANNELS }),
  create: (ctx) => new Mpu6050(ctx),
  simulate: (_options, values) => new Mpu6050Sim(values),
};
