/**
 * Microchip MCP9808 digital temperature sensor (datasheet DS25095). 16-bit registers sent MSB
 * first behind a pointer byte (so SMBus words are byte-swapped), except the 8-bit resolution
 * register. The chip converts continuously; the ambient temperature register holds the last
 * finished conversion.
 *
 * The probe reads the manufacturer ID (0x0054, Microchip) and the device ID (upper byte 0x04); the
 * other JC42.4-style temperature sensors that share addresses 0x18–0x1F (memory-module sensors
 * from several vendors) differ in one or the other.
 */
import { hex, swap16 } from '../bus.js';
import { DriverError } from '../../../runtime/errors.js';
import type { ChannelInfo, SensorContext, SensorDriver, SensorType, SensorValues } from '../sensor.js';
import { Mcp9808Sim } from '../sim/mcp9808.js';

export const MCP9808_REG = {
  config: 0x01,
  tUpper: 0x02,
  tLower: 0x03,
  tCrit: 0x04,
  ambient: 0x05,
  manufacturerId: 0x06,
  deviceId: 0x07,
  resolution: 0x08,
} as const;
export const MCP9808_MANUFACTURER_ID = 0x0054;
export const MCP9808_DEVICE_ID = 0x04;
/** CONFIG bit 8: shutdown (no conversions, lowest current). */
export const MCP9808_SHUTDOWN = 0x0100;

/**
 * Resolution register codes 0–3 (datasheet: Resolution Register): step in °C and conversion time in ms.
 * The datasheet gives typical times only, so the driver waits a quarter longer.
 */
export const MCP9808_RESOLUTIONS = [
  { step: 0.5, ms: 30 },
  { step: 0.25, ms: 65 },
  { step: 0.125, ms: 130 },
  { step: 0.0625, ms: 250 },
] as const;
const MARGIN = 1.25;

/** °C from the ambient temperature register: bits 15:13 are alert flags, bit 12 the sign, 11:0 in 1/16 °C. */
export function mcp9808Celsius(register: number): number {
  return (register & 0x0fff) / 16 - (register & 0x1000 ? 256 : 0);
}

/** The 13-bit two's complement temperature field (bits 12:0) for °C, at a resolution `step`. */
export function mcp9808Field(celsius: number, step: number): number {
  const quantised = Math.round(celsius / step) * step;
  const raw = Math.min(4095, Math.max(-4096, Math.round(quantised * 16)));
  return raw & 0x1fff;
}


export function checkMcp9808Options(options: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(options)) if (key !== 'resolution') return `unknown option "${key}": expected "resolution"`;
  const r = options['resolution'];
  if (r !== undefined && !MCP9808_RESOLUTIONS.some((x) => x.step === r)) return `resolution is ${JSON.stringify(r)}: expected 0.5, 0.25, 0.125 or 0.0625 (°C)`;
  return undefined;
}

const CHANNELS: Record<string, ChannelInfo> = { temperature: { unit: '°C' } };

class Mcp9808Driver implements SensorDriver {
  readonly type = 'mcp9808';
  readonly channels = CHANNELS;
  readonly #code: number;
  #settleMs: number | undefined;

  constructor(private readonly ctx: SensorContext) {
    const step = ctx.options['resolution'] ?? 0.0625;
    this.#code = Math.max(0, MCP9808_RESOLUTIONS.findIndex((r) => r.step === step));
  }

  async init(): Promise<void> {
    const { bus, address } = this.ctx;
    this.#settleMs = undefined;
    const manufacturer = swap16(await bus.readWord(address, MCP9808_REG.manufacturerId));
    const device = swap16(await bus.readWord(address, MCP9808_REG.deviceId));
    if (manufacturer !== MCP9808_MANUFACTURER_ID || device >> 8 !== MCP9808_DEVICE_ID) {
      const other = manufacturer === MCP9808_MANUFACTURER_ID ? ' (another Microchip temperature sensor)' : '';
      throw new DriverError(
        'mcp9808',
        `found manufacturer ID ${hex(manufacturer, 4)} and device ID ${hex(device, 4)} at ${hex(address)}${other}, expected ${hex(MCP9808_MANUFACTURER_ID, 4)} (Microchip) and device ID ${hex(MCP9808_DEVICE_ID)}xx (MCP9808)`,
        { code: 'SENSOR_WRONG_CHIP' },
      );
    }
    const config = swap16(await bus.readWord(address, MCP9808_REG.config));
    const wasShutdown = (config & MCP9808_SHUTDOWN) !== 0;
    const previous = (await bus.readByte(address, MCP9808_REG.resolution)) & 0x03;
    // Resolution first: a conversion runs at the resolution it started with, and waking starts one.
    if (previous !== this.#code) await bus.writeByte(address, MCP9808_REG.resolution, this.#code);
    if (wasShutdown) await bus.writeWord(address, MCP9808_REG.config, swap16(config & ~MCP9808_SHUTDOWN));
    // On a running chip the conversion under way may still finish at the old resolution.
    const running = !wasShutdown && previous !== this.#code ? MCP9808_RESOLUTIONS[previous]!.ms : 0;
    this.#settleMs = Math.ceil((running + MCP9808_RESOLUTIONS[this.#code]!.ms) * MARGIN);
  }

  async read(): Promise<SensorValues> {
    const { bus, address } = this.ctx;
    if (this.#settleMs === undefined) throw new DriverError('mcp9808', `the MCP9808 at ${hex(address)} is not initialised: call init() first`, { code: 'SENSOR_NOT_READY' });
    if (this.#settleMs > 0) {
      await this.ctx.sleep(this.#settleMs);
      this.#settleMs = 0;
    }
    return { temperature: mcp9808Celsius(swap16(await bus.readWord(address, MCP9808_REG.ambient))) };
  }
}

export const mcp9808Type: SensorType = {
  type: 'mcp9808',
  description: 'Microchip MCP9808 temperature sensor',
  addresses: [0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f],
  checkOptions: checkMcp9808Options,
  channels: () => ({ ...CHANNELS }),
  create: (ctx) => new Mcp9808Driver(ctx),
  simulate: (_options, values) => new Mcp9808Sim(values),
};
