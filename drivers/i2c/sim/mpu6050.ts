/**
 * A simulated InvenSense MPU-6050 (Register Map and Descriptions RM-MPU-6000A-00 rev 4.2; Product
 * Specification PS-MPU-6000A-00 rev 3.4), at register level.
 *
 * What the chip does and the simulator reproduces:
 * - Power-on defaults: every register 0x00 except PWR_MGMT_1 = 0x40 (SLEEP) and WHO_AM_I = 0x68
 *   (register map, the reset values under register 107). Asleep, the sensor data registers are not
 *   updated (they read 0 after power-on).
 * - DEVICE_RESET (PWR_MGMT_1 bit 7) restores the defaults; the bit "automatically clears to 0 once
 *   the reset is done". The register map's reset sequence waits 100 ms (note under register 107);
 *   the simulator takes that long, reads the bit as 1 meanwhile, and loses writes made before then.
 * - Sample Rate = Gyroscope Output Rate / (1 + SMPLRT_DIV), the output rate being 8 kHz with the
 *   DLPF off (DLPF_CFG 0 or 7) and 1 kHz otherwise (register 25). The data registers take a new
 *   sample at that rate, counted from the moment SLEEP is cleared.
 * - The user-facing data registers are copied from the internal ones while the serial interface
 *   is idle, so a burst read returns one sampling instant (registers 59–64): the simulator latches
 *   a new sample only at the start of a read transaction.
 * - Data are big-endian two's complement, scaled by FS_SEL / AFS_SEL (product specification 6.1,
 *   6.2) and saturating at full scale; temperature = TEMP_OUT/340 + 36.53 °C (registers 65–66).
 *
 * The scale tables are written out here again, not imported from the driver, so a mistake in
 * one is caught by the other.
 */
import { DriverError } from '../../../runtime/errors.js';
import type { SensorValues } from '../sensor.js';
import { RegisterChip } from './registers.js';

const SMPLRT_DIV = 0x19;
const CONFIG = 0x1a;
const GYRO_CONFIG = 0x1b;
const ACCEL_CONFIG = 0x1c;
const DATA_FIRST = 0x3b;
const DATA_LAST = 0x48;
const PWR_MGMT_1 = 0x6b;
const WHO_AM_I = 0x75;

const DEVICE_RESET = 0x80;
const SLEEP = 0x40;
const RESET_MS = 100;

/** LSB per g for AFS_SEL 0..3 and LSB per °/s for FS_SEL 0..3. */
const ACCEL_LSB = [16384, 8192, 4096, 2048] as const;
const GYRO_LSB = [131, 65.5, 32.8, 16.4] as const;

const CHANNELS = ['accelX', 'accelY', 'accelZ', 'temperature', 'gyroX', 'gyroY', 'gyroZ'] as const;
type Channel = (typeof CHANNELS)[number];

export interface Mpu6050SimOptions {
  /** What WHO_AM_I answers: 0x68 for an MPU-6050; another value plays a different part. */
  whoAmI?: number;
}

export class Mpu6050Sim extends RegisterChip {
  readonly type = 'mpu6050';
  readonly #whoAmI: number;
  /** Lying flat at rest, at room temperature, unless told otherwise. */
  readonly #values: Record<Channel, number> = { accelX: 0, accelY: 0, accelZ: 1, temperature: 25, gyroX: 0, gyroY: 0, gyroZ: 0 };
  #resetUntil = -Infinity;
  #nextSample = Infinity;
  #lastNow = 0;

  constructor(values?: SensorValues, options: Mpu6050SimOptions = {}) {
    super();
    this.#whoAmI = options.whoAmI ?? 0x68;
    this.#powerOnDefaults();
    if (values) this.set(values);
  }

  override write(data: Uint8Array, now: number): void {
    this.#lastNow = now;
    super.write(data, now);
  }

  override read(length: number, now: number): Uint8Array {
    this.#lastNow = now;
    this.#sample(now);
    return super.read(length, now);
  }

  protected override writeRegister(register: number, value: number, now: number): void {
    if (now < this.#resetUntil) return;
    if (register === PWR_MGMT_1) {
      if (value & DEVICE_RESET) {
        this.#powerOnDefaults();
        this.#resetUntil = now + RESET_MS;
        return;
      }
      const wasAsleep = this.#asleep;
      this.regs[PWR_MGMT_1] = value;
      if (wasAsleep && !this.#asleep) this.#nextSample = now + this.#periodMs();
      if (this.#asleep) this.#nextSample = Infinity;
      return;
    }
    if (register === WHO_AM_I || (register >= DATA_FIRST && register <= DATA_LAST)) return;
    super.writeRegister(register, value, now);
  }

  protected override readRegister(register: number, now: number): number {
    if (register === PWR_MGMT_1 && now < this.#resetUntil) return this.regs[PWR_MGMT_1]! | DEVICE_RESET;
    return super.readRegister(register, now);
  }

  override load(registers: ReadonlyMap<number, number>): void {
    super.load(registers);
    this.regs[WHO_AM_I] = this.#whoAmI;
    this.#nextSample = this.#asleep ? Infinity : this.#lastNow + this.#periodMs();
  }

  set(values: SensorValues): void {
    for (const [channel, value] of Object.entries(values)) {
      if (!Number.isFinite(value)) throw new DriverError('mpu6050', `simulated ${channel} ${value} is not a finite number`, { code: 'SIM_BAD_VALUE' });
      if (!(CHANNELS as readonly string[]).includes(channel)) {
        throw new DriverError('mpu6050', `the simulated MPU-6050 has no channel "${channel}": expected one of ${CHANNELS.join(', ')}`, {
          code: 'SIM_BAD_VALUE',
        });
      }
      this.#values[channel as Channel] = value;
    }
  }

  get #asleep(): boolean {
    return (this.regs[PWR_MGMT_1]! & SLEEP) !== 0;
  }

  #powerOnDefaults(): void {
    this.regs.fill(0);
    this.regs[PWR_MGMT_1] = SLEEP;
    this.regs[WHO_AM_I] = this.#whoAmI;
    this.#nextSample = Infinity;
  }

  #periodMs(): number {
    const dlpf = this.regs[CONFIG]! & 0x07;
    const gyroRateHz = dlpf === 0 || dlpf === 7 ? 8000 : 1000;
    return (1000 * (1 + this.regs[SMPLRT_DIV]!)) / gyroRateHz;
  }

  #sample(now: number): void {
    if (now < this.#resetUntil || this.#asleep || now < this.#nextSample) return;
    const accelLsb = ACCEL_LSB[(this.regs[ACCEL_CONFIG]! >> 3) & 0x03]!;
    const gyroLsb = GYRO_LSB[(this.regs[GYRO_CONFIG]! >> 3) & 0x03]!;
    const v = this.#values;
    const words = [
      v.accelX * accelLsb,
      v.accelY * accelLsb,
      v.accelZ * accelLsb,
      (v.temperature - 36.53) * 340,
      v.gyroX * gyroLsb,
      v.gyroY * gyroLsb,
      v.gyroZ * gyroLsb,
    ];
    words.forEach((word, i) => {
      const raw = Math.max(-32768, Math.min(32767, Math.round(word))) & 0xffff;
      this.regs[DATA_FIRST + 2 * i] = raw >> 8;
      this.regs[DATA_FIRST + 2 * i + 1] = raw & 0xff;
    });
    const period = this.#periodMs();
    this.#nextSample += period * (Math.floor((now - this.#nextSample) / period) + 1);
  }
}
