/**
 * Sensirion SHT30/SHT31/SHT35 humidity and temperature sensors. They have no registers: the master
 * writes 16-bit commands and reads answers in which every 16-bit word is followed by its CRC-8
 * (datasheet §4, "Operation and Communication"). The driver uses single-shot measurements without
 * clock stretching: the chip NACKs its address until the result is ready, so the driver waits the
 * datasheet's maximum measurement duration (Table 4) before reading.
 *
 * There is no ID register. The probe sends a soft reset and reads the status register; an answer
 * whose CRC checks is the only sign the part is an SHT3x. It cannot tell SHT30, SHT31 and SHT35
 * apart (same protocol, different accuracy), nor a chip that imitates the protocol.
 */
import { DriverError } from '../../../runtime/errors.js';
import type { ChannelInfo, SensorContext, SensorDriver, SensorType, SensorValues } from '../sensor.js';
import { Sht3xSim } from '../sim/sht3x.js';
import { hex } from '../bus.js';

/** Commands (§4.3, §4.9, §4.11). */
export const SHT3X_COMMAND = {
  softReset: 0x30a2,
  readStatus: 0xf32d,
  clearStatus: 0x3041,
  /** Single shot, clock stretching disabled, by repeatability. */
  measureHigh: 0x2400,
  measureMedium: 0x240b,
  measureLow: 0x2416,
} as const;

export type Repeatability = 'high' | 'medium' | 'low';
export const REPEATABILITIES: readonly Repeatability[] = ['high', 'medium', 'low'];

/** Measurement duration by repeatability, typical and maximum ms (Table 4). */
export const MEASUREMENT_MS: Readonly<Record<Repeatability, { typical: number; max: number; command: number }>> = {
  high: { typical: 12.5, max: 15, command: SHT3X_COMMAND.measureHigh },
  medium: { typical: 4.5, max: 6, command: SHT3X_COMMAND.measureMedium },
  low: { typical: 2.5, max: 4, command: SHT3X_COMMAND.measureLow },
};

/** Soft reset time, typical and maximum ms (Table 4). */
export const SOFT_RESET_MS = { typical: 0.5, max: 1.5 } as const;

/** CRC-8 of a data word (§4.12): polynomial 0x31 (x⁸+x⁵+x⁴+1), initial 0xFF, no reflection, no final XOR. */
export function sht3xCrc(data: Uint8Array | readonly number[]): number {
  let crc = 0xff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x31) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** °C from a raw temperature word (§4.13): T = −45 + 175·S / (2¹⁶ − 1). */
export function sht3xTemperature(raw: number): number {
  return -45 + (175 * raw) / 65535;
}

/** %RH from a raw humidity word (§4.13): RH = 100·S / (2¹⁶ − 1). */
export function sht3xHumidity(raw: number): number {
  return (100 * raw) / 65535;
}


/**
 * The words of an answer, each checked against its CRC; a DriverError SENSOR_CRC naming the word
 * (by `names`) and both CRCs on a mismatch.
 */
export function sht3xWords(frame: Uint8Array, names: readonly string[], address: number): number[] {
  const words: number[] = [];
  for (let i = 0; i < names.length; i++) {
    const [msb, lsb, crc] = [frame[3 * i], frame[3 * i + 1], frame[3 * i + 2]];
    if (msb === undefined || lsb === undefined || crc === undefined) {
      throw new DriverError('sht3x', `the SHT3x at ${hex(address)} answered ${frame.length} bytes: expected ${3 * names.length}`, { code: 'SENSOR_SHORT_READ' });
    }
    const expected = sht3xCrc([msb, lsb]);
    if (crc !== expected) {
      throw new DriverError('sht3x', `CRC mismatch in the ${names[i]} word ${hex((msb << 8) | lsb, 4)} from the SHT3x at ${hex(address)}: received ${hex(crc)}, expected ${hex(expected)}`, {
        code: 'SENSOR_CRC',
      });
    }
    words.push((msb << 8) | lsb);
  }
  return words;
}

function command(code: number): Buffer {
  return Buffer.from([code >> 8, code & 0xff]);
}

export function checkSht3xOptions(options: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(options)) if (key !== 'repeatability') return `unknown option "${key}": expected "repeatability"`;
  const r = options['repeatability'];
  if (r !== undefined && !REPEATABILITIES.includes(r as Repeatability)) return `repeatability is ${JSON.stringify(r)}: expected "high", "medium" or "low"`;
  return undefined;
}

const CHANNELS: Record<string, ChannelInfo> = { temperature: { unit: '°C' }, humidity: { unit: '%RH' } };

class Sht3xDriver implements SensorDriver {
  readonly type = 'sht3x';
  readonly channels = CHANNELS;
  readonly #repeatability: Repeatability;

  constructor(private readonly ctx: SensorContext) {
    this.#repeatability = (ctx.options['repeatability'] as Repeatability | undefined) ?? 'high';
  }

  async init(): Promise<void> {
    const { bus, address } = this.ctx;
    await bus.write(address, command(SHT3X_COMMAND.softReset));
    await this.ctx.sleep(Math.ceil(SOFT_RESET_MS.max));
    await bus.write(address, command(SHT3X_COMMAND.readStatus));
    const answer = await bus.read(address, 3);
    try {
      sht3xWords(answer, ['status'], address);
    } catch (err) {
      throw new DriverError(
        'sht3x',
        `no SHT3x at ${hex(address)}: the status read answered ${answer.toString('hex')}, whose CRC does not check (CRC-8 0x31 over the first two bytes); the SHT3x has no ID register, so a CRC-valid status word is the only sign of one`,
        { code: 'SENSOR_WRONG_CHIP', cause: err },
      );
    }
  }

  async read(): Promise<SensorValues> {
    const { bus, address } = this.ctx;
    const m = MEASUREMENT_MS[this.#repeatability];
    await bus.write(address, command(m.command));
    // Without clock stretching a read before the result is ready is NACKed: wait the maximum.
    await this.ctx.sleep(Math.ceil(m.max));
    const [t, rh] = sht3xWords(await bus.read(address, 6), ['temperature', 'humidity'], address) as [number, number];
    return { temperature: sht3xTemperature(t), humidity: sht3xHumidity(rh) };
  }
}

export const sht3xType: SensorType = {
  type: 'sht3x',
  description: 'Sensirion SHT30/SHT31/SHT35 humidity and temperature sensor',
  addresses: [0x44, 0x45],
  checkOptions: checkSht3xOptions,
  channels: () => ({ ...CHANNELS }),
  create: (ctx) => new Sht3xDriver(ctx),
  simulate: (_options, values) => new Sht3xSim(values),
};
