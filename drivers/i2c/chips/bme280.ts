/**
 * Bosch BME280 (temperature, pressure, humidity) and BMP280 (temperature, pressure): one register
 * map and one driver, with humidity where the chip has it. Datasheets: BME280 BST-BME280-DS002,
 * BMP280 BST-BMP280-DS001; section numbers below are the BME280's.
 *
 * The driver reads in forced mode (§3.3.3): one conversion per read, then the chip sleeps, which
 * is what a sensor polled every few seconds wants. Compensation uses Bosch's integer code (§4.2.3
 * / §8.2), so a reading is bit-for-bit what the datasheet's reference code gives; the double
 * variant (§8.1) is here too because published test vectors were computed with it.
 */
import { DriverError } from '../../../runtime/errors.js';
import type { ChannelInfo, SensorContext, SensorDriver, SensorType, SensorValues } from '../sensor.js';
import { Bme280Sim } from '../sim/bme280.js';
import {
  compensateHumidity,
  compensatePressure,
  compensateTemperature,
  decodeAdc,
  maxMeasurementMs,
  parseHumidityCalibration,
  parseTemperaturePressureCalibration,
  type Bmx280Calibration,
  type Bmx280Variant,
} from './bme280-compensation.js';
import { hex } from '../bus.js';

export * from './bme280-compensation.js';

/** Register addresses (§5.3). */
export const REG = {
  calibTP: 0x88,
  calibH1: 0xa1,
  id: 0xd0,
  reset: 0xe0,
  calibH2: 0xe1,
  ctrlHum: 0xf2,
  status: 0xf3,
  ctrlMeas: 0xf4,
  config: 0xf5,
  data: 0xf7,
} as const;
export const RESET_COMMAND = 0xb6;
export const STATUS_MEASURING = 0x08;
export const STATUS_IM_UPDATE = 0x01;
export const MODE_SLEEP = 0b00;
export const MODE_FORCED = 0b01;

/** What the ID register (0xD0) reads on Bosch's pressure sensors that share these addresses. */
export const BOSCH_CHIP_IDS: Readonly<Record<number, string>> = {
  0x55: 'BMP180',
  0x56: 'BMP280', // engineering samples
  0x57: 'BMP280', // engineering samples
  0x58: 'BMP280',
  0x60: 'BME280',
  0x61: 'BME680',
};

export const OVERSAMPLING = [1, 2, 4, 8, 16] as const;
export type Oversampling = (typeof OVERSAMPLING)[number];
export const FILTERS = ['off', 2, 4, 8, 16] as const;
export type Filter = (typeof FILTERS)[number];

export interface Bmx280Settings {
  temperature: Oversampling;
  pressure: Oversampling;
  /** Ignored on the BMP280. */
  humidity: Oversampling;
  filter: Filter;
}

/** The 3-bit osrs_x field for an oversampling factor (§5.4.3): ×1 → 001 … ×16 → 101. */
export function oversamplingCode(os: Oversampling): number {
  return Math.log2(os) + 1;
}

/** The 3-bit filter field (§5.4.6): off → 000, 2 → 001 … 16 → 100. */
export function filterCode(filter: Filter): number {
  return filter === 'off' ? 0 : Math.log2(filter);
}

/** Start-up time after power-on or soft reset, in which the chip copies its NVM (§1, t_startup). */
export const STARTUP_MS = 2;

interface VariantInfo {
  variant: Bmx280Variant;
  name: string;
  ids: readonly number[];
  humidity: boolean;
}

const VARIANTS: Record<Bmx280Variant, VariantInfo> = {
  bme280: { variant: 'bme280', name: 'BME280', ids: [0x60], humidity: true },
  bmp280: { variant: 'bmp280', name: 'BMP280', ids: [0x58, 0x57, 0x56], humidity: false },
};


/** The SENSOR_WRONG_CHIP error for an ID register that is not this variant's, or undefined. */
export function checkChipId(variant: Bmx280Variant, id: number, address: number): DriverError | undefined {
  const info = VARIANTS[variant];
  if (info.ids.includes(id)) return undefined;
  const found = BOSCH_CHIP_IDS[id];
  const other = Object.values(VARIANTS).find((v) => v.ids.includes(id));
  const hint = other ? `; configure type "${other.variant}" for it` : found ? '' : '; no Bosch pressure sensor has that ID';
  return new DriverError(
    variant,
    `found chip id ${hex(id)}${found ? ` (${found})` : ''} at ${hex(address)}, expected ${info.ids.map((i) => hex(i)).join('/')} (${info.name})${hint}`,
    { code: 'SENSOR_WRONG_CHIP' },
  );
}

/** Check a sensor's options; a message naming the bad value and what was expected, or undefined. */
export function checkBmx280Options(variant: Bmx280Variant, options: Record<string, unknown>): string | undefined {
  const quantities = VARIANTS[variant].humidity ? ['temperature', 'pressure', 'humidity'] : ['temperature', 'pressure'];
  for (const key of Object.keys(options)) {
    if (key !== 'oversampling' && key !== 'filter') return `unknown option "${key}": expected "oversampling" or "filter"`;
  }
  const os = options['oversampling'];
  if (os !== undefined) {
    if (typeof os !== 'object' || os === null || Array.isArray(os)) {
      return `oversampling is ${JSON.stringify(os)}: expected an object such as {"temperature": 1, "pressure": 4}`;
    }
    for (const [q, value] of Object.entries(os)) {
      if (!quantities.includes(q)) return `oversampling.${q} is not a ${variant} measurement: expected ${quantities.join(', ')}`;
      if (!(OVERSAMPLING as readonly unknown[]).includes(value)) return `oversampling.${q} is ${JSON.stringify(value)}: expected 1, 2, 4, 8 or 16`;
    }
  }
  const filter = options['filter'];
  if (filter !== undefined && !(FILTERS as readonly unknown[]).includes(filter)) {
    return `filter is ${JSON.stringify(filter)}: expected "off", 2, 4, 8 or 16 (the IIR filter coefficient)`;
  }
  return undefined;
}

/** Options (already checked) with their defaults: oversampling ×1 everywhere, filter off. */
export function bmx280Settings(options: Record<string, unknown>): Bmx280Settings {
  const os = (options['oversampling'] ?? {}) as Partial<Record<'temperature' | 'pressure' | 'humidity', Oversampling>>;
  return {
    temperature: os.temperature ?? 1,
    pressure: os.pressure ?? 1,
    humidity: os.humidity ?? 1,
    filter: (options['filter'] as Filter | undefined) ?? 'off',
  };
}

/** Polls of a status bit before giving up, 1 ms apart, after the datasheet time has passed. */
const POLLS = 10;

class Bmx280Driver implements SensorDriver {
  readonly type: Bmx280Variant;
  readonly channels: Readonly<Record<string, ChannelInfo>>;
  readonly #info: VariantInfo;
  readonly #settings: Bmx280Settings;
  #calibration: Bmx280Calibration | undefined;

  constructor(
    variant: Bmx280Variant,
    private readonly ctx: SensorContext,
  ) {
    this.type = variant;
    this.#info = VARIANTS[variant];
    this.#settings = bmx280Settings(ctx.options);
    this.channels = channelsOf(variant);
  }

  async init(): Promise<void> {
    const { bus, address } = this.ctx;
    this.#calibration = undefined;
    const wrong = checkChipId(this.type, await bus.readByte(address, REG.id), address);
    if (wrong) throw wrong;
    // A soft reset puts the chip in sleep mode with default settings, whatever a previous run left:
    // config (0xF5) writes are only reliable in sleep mode (§5.4.6).
    await bus.writeByte(address, REG.reset, RESET_COMMAND);
    await this.ctx.sleep(STARTUP_MS);
    await this.#poll(STATUS_IM_UPDATE, `the NVM copy after reset (${STARTUP_MS} ms start-up time)`);
    this.#calibration = await this.#readCalibration();
    const s = this.#settings;
    await bus.writeByte(address, REG.config, filterCode(s.filter) << 2);
    // ctrl_hum only takes effect once ctrl_meas is written (§5.4.3), so it goes first.
    if (this.#info.humidity) await bus.writeByte(address, REG.ctrlHum, oversamplingCode(s.humidity));
    await bus.writeByte(address, REG.ctrlMeas, this.#ctrlMeas(MODE_SLEEP));
  }

  async read(): Promise<SensorValues> {
    const cal = this.#calibration;
    if (!cal) throw new DriverError(this.type, `the ${this.#info.name} at ${hex(this.ctx.address)} is not initialised: call init() first`, { code: 'SENSOR_NOT_READY' });
    const { bus, address } = this.ctx;
    const s = this.#settings;
    await bus.writeByte(address, REG.ctrlMeas, this.#ctrlMeas(MODE_FORCED));
    // Waiting the maximum first matters: right after the write the measuring bit may not be set
    // yet, so polling alone could return the previous conversion's data.
    const maxMs = maxMeasurementMs(s.temperature, s.pressure, this.#info.humidity ? s.humidity : 0);
    await this.ctx.sleep(Math.ceil(maxMs));
    await this.#poll(STATUS_MEASURING, `the forced conversion (datasheet maximum ${maxMs.toFixed(2)} ms)`);
    const adc = decodeAdc(await bus.readBlock(address, REG.data, this.#info.humidity ? 8 : 6));
    const t = compensateTemperature(adc.adcT, cal);
    const values: SensorValues = {
      temperature: t.centiCelsius / 100,
      pressure: compensatePressure(adc.adcP, t.tFine, cal) / 256 / 100,
    };
    if (this.#info.humidity && adc.adcH !== undefined && cal.humidity) {
      values['humidity'] = compensateHumidity(adc.adcH, t.tFine, cal.humidity) / 1024;
    }
    return values;
  }

  #ctrlMeas(mode: number): number {
    const s = this.#settings;
    return (oversamplingCode(s.temperature) << 5) | (oversamplingCode(s.pressure) << 2) | mode;
  }

  async #readCalibration(): Promise<Bmx280Calibration> {
    const { bus, address } = this.ctx;
    const tp = parseTemperaturePressureCalibration(await bus.readBlock(address, REG.calibTP, 24));
    if (!this.#info.humidity) return tp;
    const h1 = await bus.readByte(address, REG.calibH1);
    return { ...tp, humidity: parseHumidityCalibration(h1, await bus.readBlock(address, REG.calibH2, 7)) };
  }

  /** Wait until `bit` of the status register clears; a DriverError naming `what` if it does not. */
  async #poll(bit: number, what: string): Promise<void> {
    const { bus, address } = this.ctx;
    let status = 0;
    for (let i = 0; i < POLLS; i++) {
      status = await bus.readByte(address, REG.status);
      if ((status & bit) === 0) return;
      await this.ctx.sleep(1);
    }
    throw new DriverError(this.type, `the ${this.#info.name} at ${hex(address)} did not finish ${what}: status ${hex(status)} still has bit ${hex(bit)} set after ${POLLS} more polls`, {
      code: 'SENSOR_TIMEOUT',
    });
  }
}

function channelsOf(variant: Bmx280Variant): Record<string, ChannelInfo> {
  const channels: Record<string, ChannelInfo> = { temperature: { unit: '°C' }, pressure: { unit: 'hPa' } };
  if (VARIANTS[variant].humidity) channels['humidity'] = { unit: '%RH' };
  return channels;
}

function sensorType(variant: Bmx280Variant, description: string): SensorType {
  return {
    type: variant,
    description,
    addresses: [0x76, 0x77],
    checkOptions: (options) => checkBmx280Options(variant, options),
    channels: () => channelsOf(variant),
    create: (ctx) => new Bmx280Driver(variant, ctx),
    simulate: (_options, values) => new Bme280Sim({ variant, ...(values ? { values } : {}) }),
  };
}

export const bme280Type: SensorType = sensorType('bme280', 'Bosch BME280 temperature, pressure and humidity sensor');
export const bmp280Type: SensorType = sensorType('bmp280', 'Bosch BMP280 temperature and pressure sensor');
