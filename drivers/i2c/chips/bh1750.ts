/**
 * ROHM BH1750FVI ambient light sensor (0x23 with ADDR low, 0x5C with ADDR high). It has no
 * registers: the driver sends one-byte instructions with SMBus send-byte and reads the 16-bit
 * result with a raw 2-byte read, high byte first (datasheet "Instruction Set Architecture").
 *
 * Probe: there is no ID register. What a BH1750 does for certain is clear its data register on
 * Reset, so the probe sends Power Down (ends any continuous measurement someone left running),
 * Power On, Reset, and reads the result, which must be 0x0000. That proves a device at the
 * address takes raw one-byte commands and answers a raw read; it cannot tell a BH1750 from
 * another chip that happens to read 0 there. Any other value is reported as the wrong chip.
 *
 * Each read is a one-time measurement: the chip measures once and powers down, so it draws
 * nothing between readings.
 */
import { DriverError } from '../../../runtime/errors.js';
import type { ChannelInfo, SensorContext, SensorDriver, SensorType, SensorValues } from '../sensor.js';
import { Bh1750Sim } from '../sim/bh1750.js';
import { hex } from '../bus.js';

const POWER_DOWN = 0x00;
const POWER_ON = 0x01;
const RESET = 0x07;
const MTREG_HIGH = 0x40; // 01000_MT[7:5]
const MTREG_LOW = 0x60; // 011_MT[4:0]

type Mode = 'high' | 'high2' | 'low';

/**
 * One-time measurement instructions. maxMs is the datasheet's maximum at MTreg 69
 * ("Electrical Characteristics": H-resolution typ 120 / max 180 ms, L-resolution typ 16 / max
 * 24 ms); resolution 1 lx, 0.5 lx (mode2 halves the count's weight) and 4 lx.
 */
const MODES: Record<Mode, { command: number; maxMs: number; lxPerCount: number }> = {
  high: { command: 0x20, maxMs: 180, lxPerCount: 1 / 1.2 },
  high2: { command: 0x21, maxMs: 180, lxPerCount: 1 / 1.2 / 2 },
  low: { command: 0x23, maxMs: 24, lxPerCount: 1 / 1.2 },
};

/** MTreg range and default (datasheet "Adjust measurement result for influence of optical window": 31–254, default 69). */
const MTREG_MIN = 31;
const MTREG_MAX = 254;
const MTREG_DEFAULT = 69;

/** The host's timer may fire up to a millisecond early; a margin keeps the wait past the maximum. */
const TIMER_MARGIN_MS = 2;

const CHANNELS: Readonly<Record<string, ChannelInfo>> = Object.freeze({ illuminance: { unit: 'lx' } });
const OPTIONS = ['mode', 'mtreg'];

function checkOptions(options: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) return `unknown bh1750 option "${key}": expected one of ${OPTIONS.join(', ')}`;
  }
  const { mode, mtreg } = options;
  if (mode !== undefined && !(typeof mode === 'string' && Object.hasOwn(MODES, mode))) {
    return `bh1750 mode ${JSON.stringify(mode)} is invalid: expected "high" (1 lx), "high2" (0.5 lx) or "low" (4 lx)`;
  }
  if (mtreg !== undefined && !(typeof mtreg === 'number' && Number.isInteger(mtreg) && mtreg >= MTREG_MIN && mtreg <= MTREG_MAX)) {
    return `bh1750 mtreg ${JSON.stringify(mtreg)} is invalid: expected an integer ${MTREG_MIN}–${MTREG_MAX} (${MTREG_DEFAULT} is the chip's default)`;
  }
  return undefined;
}

class Bh1750 implements SensorDriver {
  readonly type = 'bh1750';
  readonly channels = CHANNELS;
  readonly #ctx: SensorContext;
  readonly #mode: Mode;
  readonly #mtreg: number;

  constructor(ctx: SensorContext) {
    const problem = checkOptions(ctx.options);
    if (problem) throw new DriverError('bh1750', problem, { code: 'SENSOR_OPTIONS' });
    this.#ctx = ctx;
    this.#mode = (ctx.options.mode as Mode | undefined) ?? 'high';
    this.#mtreg = (ctx.options.mtreg as number | undefined) ?? MTREG_DEFAULT;
  }

  async init(): Promise<void> {
    const { bus, address } = this.#ctx;
    await bus.sendByte(address, POWER_DOWN);
    await bus.sendByte(address, POWER_ON);
    await bus.sendByte(address, RESET);
    const raw = (await bus.read(address, 2)).readUInt16BE(0);
    if (raw !== 0) {
      throw new DriverError(
        'bh1750',
        `no BH1750 at ${hex(address)}: after Power On and Reset its data register must read 0x0000, it read 0x${raw.toString(16).padStart(4, '0')}`,
        { code: 'SENSOR_WRONG_CHIP' },
      );
    }
  }

  async read(): Promise<SensorValues> {
    const { bus, address } = this.#ctx;
    const mode = MODES[this.#mode];
    // MTreg is sent before every measurement: a chip that lost power meanwhile is back at 69 and
    // would otherwise be read with the wrong scale. Power On before the measurement follows the
    // datasheet's state diagram (Power Down → Power On → measurement) for one extra transfer.
    await bus.sendByte(address, MTREG_HIGH | (this.#mtreg >> 5));
    await bus.sendByte(address, MTREG_LOW | (this.#mtreg & 0x1f));
    await bus.sendByte(address, POWER_ON);
    await bus.sendByte(address, mode.command);
    // No status bit says "done": a read before the measurement completes returns the previous
    // result, so wait the maximum time, which grows with MTreg.
    await this.#ctx.sleep(Math.ceil((mode.maxMs * this.#mtreg) / MTREG_DEFAULT) + TIMER_MARGIN_MS);
    const counts = (await bus.read(address, 2)).readUInt16BE(0);
    // lx = counts / 1.2 × 69/MTreg (÷2 in mode2). 0xFFFF is the chip's ceiling: the light is at
    // least that bright, which is still a true lower bound, not a garbage value.
    return { illuminance: (counts * mode.lxPerCount * MTREG_DEFAULT) / this.#mtreg };
  }
}


export const bh1750Type: SensorType = {
  type: 'bh1750',
  description: 'ROHM BH1750FVI ambient light sensor (illuminance in lx)',
  addresses: [0x23, 0x5c],
  checkOptions,
  channels: () => ({ ...CHANNELS }),
  create: (ctx) => new Bh1750(ctx),
  simulate: (_options, values) => new Bh1750Sim(values),
};
