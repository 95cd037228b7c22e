/**
 * The real i2c-bus binding on a real kernel: i2c-stub at 0x76 holding a BME280's registers from
 * the Bosch datasheet example. `vigil sensors` (the real CLI) reads 25.08 °C and 100653 Pa, and a
 * threshold trigger fires when the test rewrites the measurement registers, as a warming room
 * would change them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createBoard } from '../../drivers/board.js';
import { compensateTemperature, parseTemperaturePressureCalibration } from '../../drivers/i2c/chips/bme280.js';
import { parseConfig } from '../../runtime/config.js';
import { packageRoot } from '../../runtime/paths.js';
import { Runtime } from '../../runtime/runtime.js';
import { finished, tempDir, writeBundle } from '../helpers/harness.js';
import { inLab, loadI2cStub } from './kernel.js';

inLab();
const run = promisify(execFile);
const corpus = JSON.parse(readFileSync(join(packageRoot(), '..', 'shared', 'corpora', 'sensors_i2c.json'), 'utf8')) as {
  bmx280: { id: string; calibration_regs_0x88_hex: string; data_regs_0xF7_hex: string }[];
};
const bosch = corpus.bmx280.find((v) => v.id === 'bosch_bmp280_datasheet_worked_example')!;
const calibration = Buffer.from(bosch.calibration_regs_0x88_hex, 'hex');

interface SmBus {
  writeByte(addr: number, cmd: number, byte: number): Promise<void>;
  close(): Promise<void>;
}

/** The raw temperature ADC value the chip would report for `celsius` with this calibration. */
function adcFor(celsius: number): number {
  const cal = parseTemperaturePressureCalibration(calibration);
  let lo = 0;
  let hi = (1 << 20) - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compensateTemperature(mid, cal).centiCelsius < celsius * 100) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

describe('I2C on a real kernel (i2c-stub, i2c-bus)', () => {
  let busNumber: number;
  let smbus: SmBus;
  let root: string;
  let configFile: string;
  const poke = async (register: number, bytes: Buffer | number[]) => {
    for (let i = 0; i < bytes.length; i++) await smbus.writeByte(0x76, register + i, bytes[i]!);
  };

  before(async () => {
    busNumber = loadI2cStub([0x76]);
    const lib = (await import('i2c-bus')) as unknown as { openPromisified(n: number): Promise<SmBus> };
    smbus = await lib.openPromisified(busNumber);
    await poke(0xd0, [0x60]); // BME280 chip id
    await poke(0x88, calibration);
    await poke(0xf7, Buffer.from(bosch.data_regs_0xF7_hex, 'hex'));
    root = tempDir();
    configFile = join(root, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        stateDir: 'state',
        bundlesDir: 'bundles',
        drivers: { system: { binding: 'sim' }, i2c: { binding: 'i2c-bus', bus: busNumber, sensors: { room: { type: 'bme280', address: '0x76', pollMs: 200 } } } },
      }),
    );
  });
  after(() => smbus?.close());

  it('vigil sensors reads the Bosch worked example: 25.08 °C and 100653 Pa', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(packageRoot(), 'bin', 'vigil.ts'), 'sensors', '--config', configFile, '--json'], { cwd: packageRoot() });
    const [row] = JSON.parse(stdout) as { name: string; bus: string; ok: boolean; values: Record<string, { value: number; unit: string }> }[];
    assert.equal(row!.ok, true, stdout);
    assert.equal(row!.bus, `/dev/i2c-${busNumber}`);
    assert.equal(row!.values.temperature!.value, 25.08);
    assert.equal(Math.floor(row!.values.pressure!.value * 100), 100653);
    assert.equal(row!.values.pressure!.unit, 'hPa');
  });

  it('a threshold trigger fires when the measurement registers change', async () => {
    writeBundle(join(root, 'bundles'), {
      name: 'lab',
      tasks: [{ name: 'warm', entry: 'noop.js', isolation: 'inprocess', trigger: { type: 'SensorDataThresholdTrigger', sensor: 'room', threshold: { kind: 'Temperature', above: 30, rearmBelow: 29 } } }],
      files: { 'noop.js': 'export default function run() {}' },
    });
    const config = parseConfig(JSON.parse(readFileSync(configFile, 'utf8')), configFile);
    const rt = await Runtime.start({ config, drivers: await createBoard(config), logSync: true });
    try {
      const first = await new Promise<Record<string, number>>((resolve) => rt.sensors!.events.once('reading', (r) => resolve(r.values)));
      assert.equal(first.temperature, 25.08, 'the real driver through the runtime');
      const fired = finished(rt, 'warm', 60_000);
      const adc = adcFor(31.5);
      await poke(0xfa, [adc >> 12, (adc >> 4) & 0xff, (adc & 0x0f) << 4]);
      assert.equal((await fired).outcome, 'succeeded');
      const last = rt.sensors!.info('room')[0]!.last!.values.temperature!;
      assert.ok(Math.abs(last - 31.5) < 0.02, `read back ${last} °C`);
    } finally {
      await rt.stop();
    }
  });
});
