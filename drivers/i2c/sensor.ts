/**
 * What a sensor driver is: it probes its chip's ID, configures it, and reads one measurement
 * converted to physical units, with the datasheet's timing. Each chip type also supplies a
 * register-level simulator of itself (see sim/chip.ts), so the same driver code runs on the
 * simulated bus, on i2c-stub in the lab, and on a Pi.
 *
 * Channel names are shared across types so thresholds read the same whatever the chip:
 *   temperature °C, humidity %RH, pressure hPa, illuminance lx,
 *   accelX/Y/Z g, gyroX/Y/Z °/s, magX/Y/Z µT, heading ° (0 = magnetic north, clockwise),
 *   ain0..ain3 V (ADC inputs; "ain0_1" for a differential pair).
 */
import type { I2cBus } from './bus.js';
import type { SimChip } from './sim/chip.js';

export interface ChannelInfo {
  unit: string;
}

/** One measurement: channel name → value in the channel's unit. */
export type SensorValues = Record<string, number>;

export interface SensorContext {
  bus: I2cBus;
  address: number;
  /** Type-specific options from the config, already checked by the type's `checkOptions`. */
  options: Record<string, unknown>;
  /** Wait for a conversion; injected so tests and the simulated bus share one notion of time. */
  sleep(ms: number): Promise<void>;
}

export interface SensorDriver {
  readonly type: string;
  readonly channels: Readonly<Record<string, ChannelInfo>>;
  /**
   * Probe the ID register (a DriverError naming the chip that was found instead, if any) and
   * configure the chip. Called again after the chip vanished and came back.
   */
  init(): Promise<void>;
  /** One measurement, waiting as long as the datasheet says a conversion takes. */
  read(): Promise<SensorValues>;
}

export interface SensorType {
  /** The config's `type` ("bme280"). */
  readonly type: string;
  readonly description: string;
  /** Addresses the chip can be strapped to; the first is the default. */
  readonly addresses: readonly number[];
  /** Check type-specific options; return a message naming what is wrong, or undefined. */
  checkOptions(options: Record<string, unknown>): string | undefined;
  /** The channels a sensor of this type with these options reports. */
  channels(options: Record<string, unknown>): Record<string, ChannelInfo>;
  create(ctx: SensorContext): SensorDriver;
  /** A register-level simulator of this chip, measuring `values` (channel → value) initially. */
  simulate(options: Record<string, unknown>, values?: SensorValues): SimChip;
}
