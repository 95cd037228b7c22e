import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { DriverError } from '../runtime/errors.js';
import { ads1115Config, ads1115Type } from '../drivers/i2c/chips/ads1115.js';
import type { I2cBus } from '../drivers/i2c/bus.js';
import type { SensorContext } from '../drivers/i2c/sensor.js';
import { Ads1115Sim } from '../drivers/i2c/sim/ads1115.js';
import { SimI2cBus } from '../drivers/i2c/sim/bus.js';
import type { SimChip } from '../drivers/i2c/sim/chip.js';

interface Vector {
  name: string;
  gain: number;
  dataRate: number;
  conv_hex: string;
  want: number;
  config_hex: string;
}
const corpus = JSON.parse(await readFile(new URL('../../shared/corpora/sensors_i2c.json', import.meta.url), 'utf8')) as {
  ads1115: [{ protocol: string; vectors: Vector[] }];
};
const { vectors } = corpus.ads1115[0];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const ADDRESS = 0x48;
/** Full scale in volts for PGA field 0..7 (datasheet: 110 and 111 are ±0.256 V too). */
const FULL_SCALE = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256, 0.256, 0.256];

/** A bus that records every call as "method arg…" (buffers in hex), after the address. */
function recording(bus: I2cBus): { bus: I2cBus; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(bus, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push([String(prop), ...args.slice(1).map((a) => (Buffer.isBuffer(a) ? a.toString('hex') : String(a)))].join(' '));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { bus: proxy, calls };
}

function rig(options: Record<string, unknown> = {}, sim: SimChip = new Ads1115Sim(), address = ADDRESS) {
  const simBus = new SimI2cBus();
  simBus.attach(address, sim);
  const { bus, calls } = recording(simBus);
  const slept: number[] = [];
  const ctx: SensorContext = { bus, address, options, sleep: (ms) => (slept.push(ms), sleep(ms)) };
  return { bus: simBus, sim, calls, slept, driver: ads1115Type.create(ctx) };
}

const reg = async (bus: I2cBus, pointer: number) => (await bus.readBlock(ADDRESS, pointer, 2)).toString('hex');

test('corpus: the Config word for each vector (AIN0–AIN3, PGA, data rate, single-shot, comparator off)', () => {
  assert.ok(vectors.length >= 9);
  for (const v of vectors) {
    assert.equal(ads1115Config('ain0_3', v.gain, v.dataRate).toString(16), v.config_hex, v.name);
  }
});

test('corpus: end to end, the driver writes each vector\'s Config and reads its conversion code', async () => {
  for (const v of vectors.filter((vector) => vector.gain <= 5)) {
    const fullScale = FULL_SCALE[v.gain]!;
    // ±FS vectors are driven past full scale, to show the clamp; the others exactly.
    const volts = v.want === 32767 ? 2 * fullScale : v.want === -32768 ? -2 * fullScale : (v.want * fullScale) / 32768;
    const { bus, calls, driver } = rig({ inputs: 'ain0_3', gain: fullScale, rate: v.dataRate }, new Ads1115Sim({ ain0_3: volts }));
    await driver.init();
    calls.length = 0;
    const { ain0_3 } = await driver.read();
    assert.equal(calls[0], `writeBlock 1 ${v.config_hex}`, `${v.name}: first the Config write`);
    assert.equal(await reg(bus, 0x01), v.config_hex, `${v.name}: Config reads back with OS = 1 once done`);
    assert.equal(await reg(bus, 0x00), v.conv_hex, `${v.name}: conversion register`);
    assert.ok(Math.abs((ain0_3! * 32768) / fullScale - v.want) < 1e-6, `${v.name}: read ${ain0_3} V, expected code ${v.want}`);
  }
});

test('corpus: PGA 110 and 111 are ±0.256 V in the sim, as in the datasheet', async () => {
  for (const v of vectors.filter((vector) => vector.gain > 5)) {
    const clock = { t: 0 };
    const bus = new SimI2cBus({ now: () => clock.t });
    const sim = bus.attach(ADDRESS, new Ads1115Sim({ ain0_3: 0.3 }));
    const config = Buffer.from(v.config_hex, 'hex');
    await bus.writeBlock(ADDRESS, 0x01, config);
    clock.t += 1000 / v.dataRate;
    assert.equal(await reg(bus, 0x00), v.conv_hex, v.name);
    sim.set({ ain0_3: 0.128 });
    await bus.writeBlock(ADDRESS, 0x01, config);
    clock.t += 1000 / v.dataRate;
    assert.equal(await reg(bus, 0x00), '4000', `${v.name}: half of ±0.256 V`);
  }
});

test('corpus protocol: Config written, Config polled until OS = 1, then the conversion read, all as big-endian blocks', async () => {
  assert.match(corpus.ads1115[0].protocol, /poll config until bit15 \(OS\)=1/);
  const { calls, driver } = rig({ inputs: ['ain1', 'ain2_3'], rate: 860 }, new Ads1115Sim({ ain1: 1 }));
  await driver.init();
  calls.length = 0;
  await driver.read();
  const perInput = calls.join('\n').split(/\n(?=writeBlock)/);
  assert.equal(perInput.length, 2);
  for (const sequence of perInput) {
    const lines = sequence.split('\n');
    assert.match(lines[0]!, /^writeBlock 1 [0-9a-f]{4}$/);
    assert.ok(lines.length >= 3);
    assert.ok(lines.slice(1, -1).every((line) => line === 'readBlock 1 2'), lines.join(', '));
    assert.equal(lines.at(-1), 'readBlock 0 2');
  }
  assert.ok(!calls.some((c) => /Word/.test(c)), 'SMBus word transfers are little-endian: never used');
});

test('single-ended and differential inputs, negatives included, within one LSB', async () => {
  const pins = { ain0: 1.25, ain1: 1.75, ain2: 3.3, ain3: 0.05 };
  const inputs = ['ain0', 'ain1', 'ain2', 'ain3', 'ain0_1', 'ain0_3', 'ain1_3', 'ain2_3'];
  const { driver } = rig({ inputs, gain: 4.096, rate: 860 }, new Ads1115Sim(pins));
  await driver.init();
  const read = await driver.read();
  const want: Record<string, number> = { ...pins, ain0_1: -0.5, ain0_3: 1.2, ain1_3: 1.7, ain2_3: 3.25 };
  assert.deepEqual(Object.keys(read), inputs);
  for (const input of inputs) {
    assert.ok(Math.abs(read[input]! - want[input]!) <= 4.096 / 32768, `${input}: read ${read[input]} V, set ${want[input]}`);
  }
});

test('each gain: a reading within one LSB, and beyond full scale the code clamps', async () => {
  for (const [pga, fullScale] of FULL_SCALE.slice(0, 6).entries()) {
    const { sim, driver } = rig({ inputs: ['ain0_1'], gain: fullScale, rate: 475 }, new Ads1115Sim({ ain0_1: -0.7 * fullScale }));
    await driver.init();
    const lsb = fullScale / 32768;
    assert.ok(Math.abs((await driver.read()).ain0_1! + 0.7 * fullScale) <= lsb, `PGA ${pga}`);
    sim.set({ ain0_1: fullScale * 1.5 });
    assert.equal((await driver.read()).ain0_1, (32767 * fullScale) / 32768, `PGA ${pga} +clamp`);
    sim.set({ ain0_1: -fullScale * 1.5 });
    assert.equal((await driver.read()).ain0_1, -fullScale, `PGA ${pga} -clamp`);
  }
});

test('the driver waits 1/DR plus the oscillator\'s 10 % before polling', async () => {
  const { slept, driver } = rig({ rate: 8 });
  await driver.init();
  await driver.read();
  assert.ok(slept[0]! >= 137.5, `first wait ${slept[0]} ms, 1/8 s × 1.1 = 137.5 ms`);
});

/** The sim on a clock the test moves by hand. */
function manualRig(values = {}) {
  const clock = { t: 0 };
  const bus = new SimI2cBus({ now: () => clock.t });
  const sim = bus.attach(ADDRESS, new Ads1115Sim(values));
  return { clock, bus, sim };
}

test('sim: power-up registers, and a conversion takes 1/DR with OS = 0 and the old result meanwhile', async () => {
  const { clock, bus, sim } = manualRig({ ain0: 1 });
  assert.equal(await reg(bus, 0x01), '8583');
  assert.equal(await reg(bus, 0x02), '8000');
  assert.equal(await reg(bus, 0x03), '7fff');
  assert.equal(await reg(bus, 0x00), '0000');

  const start = ads1115Config('ain0', 0b001, 8); // ±4.096 V: 1 V = 8000 = 0x1f40
  await bus.writeBlock(ADDRESS, 0x01, Buffer.from([start >> 8, start & 0xff]));
  assert.equal(await reg(bus, 0x01), (start & 0x7fff).toString(16).padStart(4, '0'), 'OS reads 0 while converting');
  clock.t = 124.9;
  assert.equal(await reg(bus, 0x00), '0000', 'the previous result until the conversion completes');
  clock.t = 125;
  assert.equal(await reg(bus, 0x00), '1f40');
  assert.equal(await reg(bus, 0x01), start.toString(16));

  sim.set({ ain0: 2 });
  await bus.writeBlock(ADDRESS, 0x01, Buffer.from([start >> 8, start & 0xff]));
  clock.t = 130;
  await bus.writeBlock(ADDRESS, 0x01, Buffer.from([start >> 8, start & 0xff]));
  clock.t = 250;
  assert.equal(await reg(bus, 0x00), '3e80', 'OS = 1 during a conversion does not restart it');
});

test('sim: comparator bits and thresholds are stored; a register changes only when both bytes arrive', async () => {
  const { bus } = manualRig();
  await bus.writeBlock(ADDRESS, 0x01, Buffer.from([0x05, 0x9c])); // COMP_MODE, COMP_POL, COMP_LAT set; COMP_QUE 00
  assert.equal(await reg(bus, 0x01), '859c');
  await bus.writeBlock(ADDRESS, 0x02, Buffer.from([0x12, 0x34]));
  await bus.writeBlock(ADDRESS, 0x03, Buffer.from([0x56, 0x78]));
  assert.equal(await reg(bus, 0x02), '1234');
  assert.equal(await reg(bus, 0x03), '5678');
  await bus.writeByte(ADDRESS, 0x02, 0xff);
  assert.equal(await reg(bus, 0x02), '1234');
  assert.equal(await bus.readWord(ADDRESS, 0x03), 0x7856, 'an SMBus word read sees the bytes swapped');
});

test('sim: continuous mode converts every 1/DR and OS reads 0', async () => {
  const { clock, bus, sim } = manualRig({ ain3: 0.512 });
  await bus.writeBlock(ADDRESS, 0x01, Buffer.from([0x74, 0xe3])); // AIN3, ±2.048 V, continuous, 860 SPS
  clock.t = 1000 / 860;
  assert.equal(await reg(bus, 0x00), '2000');
  sim.set({ ain3: -0.512 });
  clock.t = 2000 / 860;
  assert.equal(await reg(bus, 0x00), 'e000');
  assert.equal(await reg(bus, 0x01), '74e3');
});

test('probe: the power-up thresholds pass; a TMP102/LM75 or changed thresholds are the wrong chip', async () => {
  const { driver } = rig();
  await driver.init();

  const tmp102Registers = [0x0c80, 0x60a0, 0x4b00, 0x5000];
  let pointer = 0;
  const tmp102: SimChip = {
    type: 'tmp102',
    write: (data) => void (pointer = data[0]! & 3),
    read: (n) => Uint8Array.from({ length: n }, (_, i) => (i % 2 ? tmp102Registers[pointer]! & 0xff : tmp102Registers[pointer]! >> 8)),
    set() {},
  };
  const other = rig({}, tmp102);
  await assert.rejects(other.driver.init(), (err: unknown) => {
    assert.ok(err instanceof DriverError);
    assert.equal(err.code, 'SENSOR_WRONG_CHIP');
    assert.match(err.message, /0x4b00\/0x5000 \(the 75 °C \/ 80 °C limits of a TMP102 or LM75\)/);
    assert.match(err.message, /expected the power-up 0x8000\/0x7fff/);
    return true;
  });

  const changed = rig();
  await changed.bus.writeBlock(ADDRESS, 0x02, Buffer.from([0x00, 0x00]));
  await changed.bus.writeBlock(ADDRESS, 0x03, Buffer.from([0x80, 0x00]));
  await assert.rejects(changed.driver.init(), /0x0000\/0x8000/);
});

test('an absent chip: the bus ENXIO propagates', async () => {
  const bus = new SimI2cBus();
  const driver = ads1115Type.create({ bus, address: 0x4b, options: {}, sleep });
  await assert.rejects(driver.init(), { code: 'ENXIO' });
  await assert.rejects(driver.read(), { code: 'ENXIO' });
});

test('options: bad values are named, good ones pass; channels follow the inputs', () => {
  assert.equal(ads1115Type.checkOptions({}), undefined);
  assert.equal(ads1115Type.checkOptions({ inputs: ['ain0', 'ain2_3'], gain: 0.256, rate: 860 }), undefined);
  assert.equal(ads1115Type.checkOptions({ inputs: 'ain1_3' }), undefined);
  assert.match(ads1115Type.checkOptions({ inputs: ['ain4'] })!, /input "ain4"/);
  assert.match(ads1115Type.checkOptions({ inputs: 'ain0_2' })!, /input "ain0_2"/);
  assert.match(ads1115Type.checkOptions({ inputs: [] })!, /inputs \[\]/);
  assert.match(ads1115Type.checkOptions({ inputs: ['ain0', 'ain0'] })!, /twice/);
  assert.match(ads1115Type.checkOptions({ gain: 5 })!, /gain 5.*6.144/);
  assert.match(ads1115Type.checkOptions({ gain: 1 })!, /gain 1/);
  assert.match(ads1115Type.checkOptions({ rate: 100 })!, /rate 100/);
  assert.match(ads1115Type.checkOptions({ pga: 1 })!, /unknown ads1115 option "pga"/);
  assert.deepEqual(ads1115Type.channels({}), { ain0: { unit: 'V' } });
  assert.deepEqual(ads1115Type.channels({ inputs: ['ain3', 'ain0_1'] }), { ain3: { unit: 'V' }, ain0_1: { unit: 'V' } });
  assert.throws(() => new Ads1115Sim({ ain4: 1 }), { code: 'SIM_BAD_VALUE' });
});
