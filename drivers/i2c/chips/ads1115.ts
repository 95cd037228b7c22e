/**
 * TI ADS1115 16-bit ADC (0x48–0x4B by the ADDR pin; datasheet SBAS444). Its registers are 16 bits
 * sent MSB first, while SMBus word transfers send the LSB first, so the driver moves them as
 * 2-byte I2C block transfers: a pointer byte then MSB, LSB.
 *
 * Each read converts every configured input in single-shot mode, as the datasheet's
 * single-shot example does: write Config with OS = 1 (pointer 0x01), wait the conversion time,
 * poll Config until OS reads 1, then read the Conversion register (pointer 0x00).
 *
 * Probe: there is no ID register. At power-up Lo_thresh is 0x8000 and Hi_thresh 0x7FFF ("Reset
 * and Power-Up"), and this driver never writes them, so the probe reads both and expects those
 * values. That tells an ADS1115 from the usual neighbours at these addresses (a TMP102 or an
 * LM75 shows 75 °C / 80 °C limits there) but not from an ADS1015 or ADS1114, which have the same
 * registers; and it refuses an ADS1115 whose thresholds another program changed, until it is
 * power-cycled.
 */
import { DriverError } from '../../../runtime/errors.js';
import type { ChannelInfo, SensorContext, SensorDriver, SensorType, SensorValues } from '../sensor.js';
import { Ads1115Sim } from '../sim/ads1115.js';
import { hex } from '../bus.js';

const CONVERSION = 0x00;
const CONFIG = 0x01;
const LO_THRESH = 0x02;
const HI_THRESH = 0x03;

const OS = 0x8000;
const MODE_SINGLE_SHOT = 0x0100;
/** COMP_QUE = 11 disables the comparator and leaves ALERT/RDY high-impedance; the other comparator bits at their defaults. */
const COMPARATOR_DISABLED = 0b00011;

/** Input name → MUX[14:12] ("Config Register Field Descriptions"). */
const MUX: ReadonlyMap<string, number> = new Map([
  ['ain0_1', 0b000],
  ['ain0_3', 0b001],
  ['ain1_3', 0b010],
  ['ain2_3', 0b011],
  ['ain0', 0b100],
  ['ain1', 0b101],
  ['ain2', 0b110],
  ['ain3', 0b111],
]);
/** Full-scale volts → PGA[11:9]. */
const PGA: ReadonlyMap<number, number> = new Map([
  [6.144, 0b000],
  [4.096, 0b001],
  [2.048, 0b010],
  [1.024, 0b011],
  [0.512, 0b100],
  [0.256, 0b101],
]);
/** Samples per second → DR[7:5]. */
const DATA_RATE: ReadonlyMap<number, number> = new Map([
  [8, 0b000],
  [16, 0b001],
  [32, 0b010],
  [64, 0b011],
  [128, 0b100],
  [250, 0b101],
  [475, 0b110],
  [860, 0b111],
]);

/**
 * The internal oscillator is good to ±10 %, so a conversion can take 1.1/DR; waking from
 * power-down adds tens of µs. Wait that, then poll OS in 1 ms steps for up to one more period.
 */
const OSCILLATOR_TOLERANCE = 1.1;
const WAKE_MS = 1;

const POWER_UP_LO = 0x8000;
const POWER_UP_HI = 0x7fff;

const OPTIONS = ['inputs', 'gain', 'rate'];

/**
 * The Config word that starts a single-shot conversion of `input` with PGA field `pga` (0–7) at
 * `rate` samples per second, comparator disabled.
 */
export function ads1115Config(input: string, pga: number, rate: number): number {
  const mux = MUX.get(input);
  const dr = DATA_RATE.get(rate);
  if (mux === undefined || dr === undefined || !Number.isInteger(pga) || pga < 0 || pga > 7) {
    throw new RangeError(`no ADS1115 config for input ${JSON.stringify(input)}, PGA ${pga}, ${rate} SPS`);
  }
  return OS | (mux << 12) | (pga << 9) | MODE_SINGLE_SHOT | (dr << 5) | COMPARATOR_DISABLED;
}

function inputsOf(options: Record<string, unknown>): string[] {
  const inputs = options.inputs ?? ['ain0'];
  return typeof inputs === 'string' ? [inputs] : (inputs as string[]);
}

function checkOptions(options: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) return `unknown ads1115 option "${key}": expected one of ${OPTIONS.join(', ')}`;
  }
  const { inputs, gain, rate } = options;
  const list = typeof inputs === 'string' ? [inputs] : inputs;
  if (list !== undefined) {
    const expected = `expected "ain0".."ain3" or a pair "ain0_1", "ain0_3", "ain1_3", "ain2_3"`;
    if (!Array.isArray(list) || list.length === 0) return `ads1115 inputs ${JSON.stringify(inputs)} is invalid: ${expected}, or a list of them`;
    for (const input of list) {
      if (typeof input !== 'string' || !MUX.has(input)) return `ads1115 input ${JSON.stringify(input)} is invalid: ${expected}`;
    }
    if (new Set(list).size !== list.length) return `ads1115 inputs ${JSON.stringify(inputs)} name an input twice`;
  }
  if (gain !== undefined && !(typeof gain === 'number' && PGA.has(gain))) {
    return `ads1115 gain ${JSON.stringify(gain)} is invalid: expected the full scale in volts, 6.144, 4.096, 2.048, 1.024, 0.512 or 0.256`;
  }
  if (rate !== undefined && !(typeof rate === 'number' && DATA_RATE.has(rate))) {
    return `ads1115 rate ${JSON.stringify(rate)} is invalid: expected 8, 16, 32, 64, 128, 250, 475 or 860 (samples per second)`;
  }
  return undefined;
}

function channels(options: Record<string, unknown>): Record<string, ChannelInfo> {
  return Object.fromEntries(inputsOf(options).map((input) => [input, { unit: 'V' }]));
}

class Ads1115 implements SensorDriver {
  readonly type = 'ads1115';
  readonly channels: Readonly<Record<string, ChannelInfo>>;
  readonly #ctx: SensorContext;
  readonly #inputs: string[];
  readonly #fullScale: number;
  readonly #pga: number;
  readonly #rate: number;

  constructor(ctx: SensorContext) {
    const problem = checkOptions(ctx.options);
    if (problem) throw new DriverError('ads1115', problem, { code: 'SENSOR_OPTIONS' });
    this.#ctx = ctx;
    this.#inputs = inputsOf(ctx.options);
    this.channels = Object.freeze(channels(ctx.options));
    // ±4.096 V holds a 3.3 V signal, the usual case on a Pi; the chip's own default is ±2.048 V.
    this.#fullScale = (ctx.options.gain as number | undefined) ?? 4.096;
    this.#pga = PGA.get(this.#fullScale)!;
    this.#rate = (ctx.options.rate as number | undefined) ?? 128;
  }

  async init(): Promise<void> {
    const lo = await this.#readRegister(LO_THRESH);
    const hi = await this.#readRegister(HI_THRESH);
    if (lo !== POWER_UP_LO || hi !== POWER_UP_HI) {
      const temperatureSensor = lo === 0x4b00 && hi === 0x5000 ? ' (the 75 °C / 80 °C limits of a TMP102 or LM75)' : '';
      throw new DriverError(
        'ads1115',
        `no ADS1115 at 0x${this.#ctx.address.toString(16)}: Lo_thresh/Hi_thresh read ${hex(lo, 4)}/${hex(hi, 4)}${temperatureSensor}, ` +
          `expected the power-up 0x8000/0x7fff (an ADS1115 whose thresholds were changed by another program reads differently until power-cycled)`,
        { code: 'SENSOR_WRONG_CHIP' },
      );
    }
  }

  async read(): Promise<SensorValues> {
    const values: SensorValues = {};
    for (const input of this.#inputs) values[input] = await this.#convert(input);
    return values;
  }

  async #convert(input: string): Promise<number> {
    const { bus, address, sleep } = this.#ctx;
    const config = ads1115Config(input, this.#pga, this.#rate);
    await bus.writeBlock(address, CONFIG, Buffer.from([config >> 8, config & 0xff]));
    const periodMs = 1000 / this.#rate;
    await sleep(Math.ceil(periodMs * OSCILLATOR_TOLERANCE) + WAKE_MS);
    for (let waited = 0; ((await this.#readRegister(CONFIG)) & OS) === 0; waited++) {
      if (waited >= periodMs + 10) {
        throw new DriverError(
          'ads1115',
          `ADS1115 at 0x${address.toString(16)} did not finish converting ${input} (Config OS still 0) ${waited} ms after the expected ${periodMs.toFixed(1)} ms`,
          { code: 'SENSOR_TIMEOUT' },
        );
      }
      await sleep(1);
    }
    const code = (await bus.readBlock(address, CONVERSION, 2)).readInt16BE(0);
    // One LSB is FS/32768 ("Full-Scale Range (FSR) and LSB Size"). The chip clamps at
    // 0x7FFF/0x8000, so a clamped code means "at least full scale", still a true bound.
    return (code * this.#fullScale) / 32768;
  }

  async #readRegister(pointer: number): Promise<number> {
    return (await this.#ctx.bus.readBlock(this.#ctx.address, pointer, 2)).readUInt16BE(0);
  }
}


export const ads1115Type: SensorType = {
  type: 'ads1115',
  description: 'TI ADS1115 16-bit 4-channel ADC (single-ended or differential inputs, volts)',
  addresses: [0x48, 0x49, 0x4a, 0x4b],
  checkOptions,
  channels,
  create: (ctx) => new Ads1115(ctx),
  simulate: (_options, values) => new Ads1115Sim(values),
};
