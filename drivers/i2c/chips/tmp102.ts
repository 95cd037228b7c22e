/**
 * Texas Instruments TMP102 temperature sensor (datasheet SBOS397). Four 16-bit registers selected
 * by a pointer byte, sent most significant byte first. SMBus "read word" takes the first byte as
 * the low one, so every word is byte-swapped on the way in and out.
 *
 * The driver keeps the chip in continuous conversion (4 Hz after power-up): a conversion takes
 * 26 ms typical, 35 ms maximum (Electrical Characteristics), so after init it waits 35 ms once; from then on the
 * temperature register always holds the latest finished conversion.
 *
 * There is no ID register. The probe reads the configuration register and checks the bits that
 * are fixed: R1:R0 (bits 14:13, converter resolution) always read 11 and bits 3:0 always read 0.
 * That tells a TMP102 from an ADS1115 (power-up 0x8583, also strapped to 0x48–0x4B) but not from
 * the TMP112 or other parts with the same register layout, which would work with this driver.
 */
import { hex, swap16 } from '../bus.js';
import { DriverError } from '../../../runtime/errors.js';
import type { ChannelInfo, SensorContext, SensorDriver, SensorType, SensorValues } from '../sensor.js';
import { Tmp102Sim } from '../sim/tmp102.js';

export const TMP102_REG = { temperature: 0x00, config: 0x01, tLow: 0x02, tHigh: 0x03 } as const;

/** Configuration register bits (datasheet: Configuration Register). */
export const TMP102_CONFIG = {
  powerUp: 0x60a0,
  oneShot: 0x8000,
  resolution: 0x6000, // R1:R0, read-only 11
  shutdown: 0x0100,
  extended: 0x0010, // EM: 13-bit format, range to 150 °C
  fixedMask: 0x600f, // bits whose value never changes
  fixedValue: 0x6000,
} as const;

/** Conversion time, typical and maximum ms (Electrical Characteristics). */
export const TMP102_CONVERSION_MS = { typical: 26, max: 35 } as const;

/**
 * °C from the temperature register (datasheet: Temperature Register): two's complement in 0.0625 °C steps, left-justified;
 * bit 0 says which format: 0 → 12 bits in 15:4, 1 → extended mode, 13 bits in 15:3.
 */
export function tmp102Celsius(register: number): number {
  const extended = (register & 0x0001) !== 0;
  const bits = extended ? 13 : 12;
  const raw = register >> (16 - bits);
  return (raw >= 1 << (bits - 1) ? raw - (1 << bits) : raw) / 16;
}

/** The temperature register for °C (rounded to 0.0625 °C, saturated at the format's range). */
export function tmp102Register(celsius: number, extended: boolean): number {
  const bits = extended ? 13 : 12;
  const raw = Math.min((1 << (bits - 1)) - 1, Math.max(-(1 << (bits - 1)), Math.round(celsius * 16)));
  return (((raw & ((1 << bits) - 1)) << (16 - bits)) | (extended ? 1 : 0)) & 0xffff;
}


/** Whether a configuration register value has the TMP102's fixed bits; undefined if so, else why not. */
export function tmp102ConfigProblem(config: number): string | undefined {
  if ((config & TMP102_CONFIG.fixedMask) === TMP102_CONFIG.fixedValue) return undefined;
  return `configuration register reads ${hex(config, 4)}: a TMP102 always has bits 14:13 = 11 and bits 3:0 = 0 (${hex(TMP102_CONFIG.powerUp, 4)} after power-up)`;
}

export function checkTmp102Options(options: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(options)) if (key !== 'extended') return `unknown option "${key}": expected "extended"`;
  const e = options['extended'];
  if (e !== undefined && typeof e !== 'boolean') return `extended is ${JSON.stringify(e)}: expected true (13-bit, to 150 °C) or false (12-bit, to 128 °C)`;
  return undefined;
}

const CHANNELS: Record<string, ChannelInfo> = { temperature: { unit: '°C' } };

class Tmp102Driver implements SensorDriver {
  readonly type = 'tmp102';
  readonly channels = CHANNELS;
  readonly #extended: boolean;
  #settleMs: number | undefined;

  constructor(private readonly ctx: SensorContext) {
    this.#extended = ctx.options['extended'] === true;
  }

  async init(): Promise<void> {
    const { bus, address } = this.ctx;
    this.#settleMs = undefined;
    const config = swap16(await bus.readWord(address, TMP102_REG.config));
    const problem = tmp102ConfigProblem(config);
    if (problem) throw new DriverError('tmp102', `no TMP102 at ${hex(address)}: ${problem}`, { code: 'SENSOR_WRONG_CHIP' });
    // Continuous conversion (shutdown off) in the format asked for; the rest is kept as found.
    let next = config & ~(TMP102_CONFIG.shutdown | TMP102_CONFIG.oneShot | TMP102_CONFIG.extended);
    if (this.#extended) next |= TMP102_CONFIG.extended;
    if (next !== config) await bus.writeWord(address, TMP102_REG.config, swap16(next));
    // Leaving shutdown starts a conversion; a chip that just powered up is within its first one.
    this.#settleMs = TMP102_CONVERSION_MS.max;
  }

  async read(): Promise<SensorValues> {
    const { bus, address } = this.ctx;
    if (this.#settleMs === undefined) throw new DriverError('tmp102', `the TMP102 at ${hex(address)} is not initialised: call init() first`, { code: 'SENSOR_NOT_READY' });
    if (this.#settleMs > 0) {
      await this.ctx.sleep(this.#settleMs);
      this.#settleMs = 0;
    }
    return { temperature: tmp102Celsius(swap16(await bus.readWord(address, TMP102_REG.temperature))) };
  }
}

export const tmp102Type: SensorType = {
  type: 'tmp102',
  description: 'Texas Instruments TMP102 temperature sensor',
  addresses: [0x48, 0x49, 0x4a, 0x4b],
  checkOptions: checkTmp102Options,
  channels: () => ({ ...CHANNELS }),
  create: (ctx) => new Tmp102Driver(ctx),
  simulate: (_options, values) => new Tmp102Sim(values),
};
