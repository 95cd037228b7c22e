import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriverError } from '../runtime/errors.js';
import { qmc5883lType } from '../drivers/i2c/chips/qmc5883l.js';
import type { SensorContext, SensorValues } from '../drivers/i2c/sensor.js';
import { SimI2cBus } from '../drivers/i2c/sim/bus.js';
import { Qmc5883lSim } from '../drivers/i2c/sim/qmc5883l.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const ADDRESS = 0x0d;

function rig(options: Record<string, unknown> = {}, sim = new Qmc5883lSim()) {
  const bus = new SimI2cBus();
  bus.attach(ADDRESS, sim);
  const ctx: SensorContext = { bus, address: ADDRESS, options, sleep };
  return { bus, sim, driver: qmc5883lType.create(ctx) };
}

/** µT per count: 1 G = 100 µT at 12000 (±2 G) or 3000 (±8 G) LSB per gauss. */
const resolution = (range: number) => 100 / (range === 2 ? 12000 : 3000);

function assertField(read: SensorValues, want: Record<'magX' | 'magY' | 'magZ', number>, range: number): void {
  for (const [axis, value] of Object.entries(want)) {
    assert.ok(Math.abs(read[axis]! - value) <= resolution(range) / 2 + 1e-9, `±${range} G: ${axis} read ${read[axis]} µT, set ${value}`);
  }
}

/** Smallest difference between two angles in degrees. */
const angleBetween = (a: number, b: number) => Math.abs(((a - b + 540) % 360) - 180);

test('probe and read: X/Y/Z in µT within one count, negatives included, in both ranges', async () => {
  const want = { magX: 21.3, magY: -4.75, magZ: -43.1 };
  for (const range of [2, 8]) {
    const { driver } = rig({ range, rate: 50 }, new Qmc5883lSim(want));
    await driver.init();
    assertField(await driver.read(), want, range);
  }
});

test('heading for known field directions, with and without declination', async () => {
  const cases = [
    { field: { magX: 25, magY: 0 }, declination: 0, heading: 0 },
    { field: { magX: 0, magY: 25 }, declination: 0, heading: 90 },
    { field: { magX: -25, magY: 0 }, declination: 0, heading: 180 },
    { field: { magX: 0, magY: -25 }, declination: 0, heading: 270 },
    { field: { magX: 18, magY: 18 }, declination: 0, heading: 45 },
    { field: { magX: -10, magY: -17.3205 }, declination: 0, heading: 240 },
    { field: { magX: 25, magY: 0 }, declination: 10, heading: 10 },
    { field: { magX: 25, magY: 0 }, declination: -10, heading: 350 },
    { field: { magX: 0, magY: -25 }, declination: 95, heading: 5 },
  ];
  for (const { field, declination, heading } of cases) {
    const { driver } = rig({ rate: 200, declination }, new Qmc5883lSim({ ...field, magZ: -40 }));
    await driver.init();
    const read = (await driver.read()).heading!;
    assert.ok(read >= 0 && read < 360, `heading ${read} is outside 0–360`);
    assert.ok(angleBetween(read, heading) < 0.1, `field ${JSON.stringify(field)}, declination ${declination}: heading ${read}, expected ${heading}`);
  }
});

test('the sim turns the field to a heading it is given, and the driver reads that heading back', async () => {
  const { sim, driver } = rig({ rate: 200 });
  await driver.init();
  for (const heading of [0, 33, 123.4, 270, 359]) {
    sim.set({ heading });
    await sleep(10);
    assert.ok(angleBetween((await driver.read()).heading!, heading) < 0.2, `heading ${heading}`);
  }
});

test('no horizontal field: heading is left out rather than reported as north', async () => {
  const { driver } = rig({ rate: 200 }, new Qmc5883lSim({ magX: 0, magY: 0, magZ: -50 }));
  await driver.init();
  const read = await driver.read();
  assert.equal(read.heading, undefined);
  assert.ok(Math.abs(read.magZ! + 50) < 0.01);
});

test('overflow: no reading for that sample, a SENSOR_OVERFLOW error, and the next in-range sample reads again', async () => {
  const { sim, driver } = rig({ range: 2, rate: 200 }, new Qmc5883lSim({ magX: 300, magY: 0, magZ: -40 }));
  await driver.init();
  await assert.rejects(driver.read(), (err: unknown) => {
    assert.ok(err instanceof DriverError);
    assert.equal(err.code, 'SENSOR_OVERFLOW');
    assert.match(err.message, /±2 G/);
    assert.match(err.message, /32767/);
    return true;
  });
  sim.set({ magX: -280 });
  await assert.rejects(driver.read(), { code: 'SENSOR_OVERFLOW' });
  sim.set({ magX: 150 });
  await sleep(10);
  assertField(await driver.read(), { magX: 150, magY: 0, magZ: -40 }, 2);
});

test('a sample that overflowed between the status read and the data read is refused too', async () => {
  const clock = { t: 0 };
  const bus = new SimI2cBus({ now: () => clock.t });
  const sim = bus.attach(ADDRESS, new Qmc5883lSim({ magX: 20, magY: 0, magZ: -40 }));
  // After the driver reads an in-range status, a new overflowing sample lands before the data read.
  const readByte = async (address: number, register: number) => {
    const value = await bus.readByte(address, register);
    if (register === 0x06 && value & 0x01) {
      sim.set({ magX: 500 });
      clock.t += 5;
    }
    return value;
  };
  const racing = new Proxy(bus, {
    get: (target, prop) => (prop === 'readByte' ? readByte : (Reflect.get(target, prop, target) as () => unknown).bind(target)),
  });
  const driver = qmc5883lType.create({ bus: racing, address: ADDRESS, options: { rate: 200 }, sleep: async (ms) => void (clock.t += ms) });
  await driver.init();
  await assert.rejects(driver.read(), { code: 'SENSOR_OVERFLOW' });
});

test('control 1 holds OSR, RNG, ODR and continuous mode as the datasheet lays them out', async () => {
  for (const [options, control1] of [
    [{}, 0b00_00_00_01],
    [{ range: 8, rate: 200, oversampling: 64 }, 0b11_01_11_01],
    [{ range: 2, rate: 50, oversampling: 256 }, 0b01_00_01_01],
    [{ range: 8, rate: 100, oversampling: 128 }, 0b10_01_10_01],
  ] as const) {
    const { bus, driver } = rig(options);
    await driver.init();
    assert.equal(await bus.readByte(ADDRESS, 0x09), control1, JSON.stringify(options));
    assert.equal(await bus.readByte(ADDRESS, 0x0b), 0x01, 'SET/RESET period');
  }
});

test('the ±8 G range reads a field that overflows ±2 G', async () => {
  const { driver } = rig({ range: 8, rate: 200 }, new Qmc5883lSim({ magX: 300, magY: -650, magZ: 700 }));
  await driver.init();
  assertField(await driver.read(), { magX: 300, magY: -650, magZ: 700 }, 8);
});

test('OVL is the ADC clamping, not the nominal range: 2.5 G still reads at ±2 G', async () => {
  const { driver } = rig({ range: 2, rate: 200 }, new Qmc5883lSim({ magX: 250, magY: 0, magZ: 0 }));
  await driver.init();
  assertField(await driver.read(), { magX: 250, magY: 0, magZ: 0 }, 2);
});

test('the driver waits for DRDY: the first read after init returns the field, not the reset zeros', async () => {
  const { driver } = rig({ rate: 10 }, new Qmc5883lSim({ magX: 12, magY: 34, magZ: -56 }));
  await driver.init();
  const started = performance.now();
  assertField(await driver.read(), { magX: 12, magY: 34, magZ: -56 }, 2);
  assert.ok(performance.now() - started >= 99, 'at 10 Hz the first sample lands 100 ms after continuous mode starts');
});

test('a chip that lost power (standby, registers cleared) is configured again', async () => {
  const { bus, sim, driver } = rig({ rate: 200 });
  await driver.init();
  await bus.writeByte(ADDRESS, 0x0a, 0x80);
  sim.set({ magX: -7, magY: 8, magZ: 9 });
  assertField(await driver.read(), { magX: -7, magY: 8, magZ: 9 }, 2);
  assert.equal(await bus.readByte(ADDRESS, 0x0b), 0x01, 'SET/RESET period written again');
});

test('wrong chip ID: SENSOR_WRONG_CHIP naming what was read', async () => {
  const { driver } = rig({}, new Qmc5883lSim(undefined, { chipId: 0x80 }));
  await assert.rejects(driver.init(), (err: unknown) => {
    assert.ok(err instanceof DriverError);
    assert.equal(err.code, 'SENSOR_WRONG_CHIP');
    assert.match(err.message, /reads 0x80, expected 0xff/);
    return true;
  });
});

test('an absent chip: the bus ENXIO propagates', async () => {
  const bus = new SimI2cBus();
  const driver = qmc5883lType.create({ bus, address: ADDRESS, options: {}, sleep });
  await assert.rejects(driver.init(), { code: 'ENXIO' });
  await assert.rejects(driver.read(), { code: 'ENXIO' });
});

/** The sim on a clock the test moves by hand. */
function manualRig(values?: SensorValues) {
  const clock = { t: 0 };
  const bus = new SimI2cBus({ now: () => clock.t });
  const sim = bus.attach(ADDRESS, new Qmc5883lSim(values));
  const status = () => bus.readByte(ADDRESS, 0x06);
  return { clock, bus, sim, status };
}

test('sim: DRDY after 1/ODR, cleared by reading data; DOR when a sample is skipped', async () => {
  const { clock, bus, status } = manualRig({ magX: 1, magY: -1, magZ: 0 });
  assert.equal(await bus.readByte(ADDRESS, 0x0d), 0xff);
  assert.equal(await bus.readByte(ADDRESS, 0x09), 0x00, 'standby after power-on');
  clock.t = 500;
  assert.equal(await status(), 0, 'no samples in standby');

  await bus.writeByte(ADDRESS, 0x09, 0x01); // continuous, 10 Hz, ±2 G
  clock.t = 599.9;
  assert.equal(await status(), 0);
  clock.t = 600;
  assert.equal(await status(), 0x01);
  // 1 µT = 120 counts at ±2 G, little-endian: X 0x0078, Y 0xFF88.
  assert.deepEqual([...(await bus.readBlock(ADDRESS, 0x00, 6))], [0x78, 0x00, 0x88, 0xff, 0x00, 0x00]);
  assert.equal(await status(), 0, 'reading the data cleared DRDY');

  clock.t = 700;
  assert.equal(await status(), 0x01);
  clock.t = 800;
  assert.equal(await status(), 0x05, 'the 700 ms sample was never read: DOR');
  await bus.readByte(ADDRESS, 0x00);
  assert.equal(await status(), 0, 'reading a data register clears DRDY and DOR');
  clock.t = 1100;
  assert.equal(await status(), 0x05, 'samples at 900 and 1000 ms were skipped');
});

test('sim: OVL follows each sample; the output clamps at ±32767', async () => {
  const { clock, bus, sim, status } = manualRig({ magX: 0, magY: 0, magZ: -300 });
  await bus.writeByte(ADDRESS, 0x09, 0x0d); // continuous, 200 Hz, ±2 G
  clock.t = 5;
  assert.equal(await status(), 0x03);
  assert.equal((await bus.readBlock(ADDRESS, 0x00, 6)).readInt16LE(4), -32768);
  sim.set({ magZ: -30 });
  clock.t = 10;
  assert.equal(await status(), 0x01, 'back in range: OVL cleared');
  assert.equal((await bus.readBlock(ADDRESS, 0x00, 6)).readInt16LE(4), -3600);
});

test('sim: soft reset restores the defaults and stops measuring', async () => {
  const { clock, bus, status } = manualRig();
  await bus.writeByte(ADDRESS, 0x0b, 0x01);
  await bus.writeByte(ADDRESS, 0x09, 0x1d); // continuous, 200 Hz, ±8 G
  clock.t = 5;
  assert.equal(await status(), 0x01);
  await bus.writeByte(ADDRESS, 0x0a, 0x80);
  assert.equal(await bus.readByte(ADDRESS, 0x09), 0);
  assert.equal(await bus.readByte(ADDRESS, 0x0a), 0, 'SOFT_RST clears itself');
  assert.equal(await bus.readByte(ADDRESS, 0x0b), 0);
  assert.equal(await bus.readByte(ADDRESS, 0x0d), 0xff);
  clock.t = 1000;
  assert.equal(await status(), 0);
});

test('options: bad values are named, good ones pass', () => {
  assert.equal(qmc5883lType.checkOptions({}), undefined);
  assert.equal(qmc5883lType.checkOptions({ range: 8, rate: 200, oversampling: 64, declination: -4.5 }), undefined);
  assert.match(qmc5883lType.checkOptions({ range: 4 })!, /range 4.*2 or 8/);
  assert.match(qmc5883lType.checkOptions({ rate: 20 })!, /rate 20/);
  assert.match(qmc5883lType.checkOptions({ oversampling: 100 })!, /oversampling 100/);
  assert.match(qmc5883lType.checkOptions({ declination: 200 })!, /declination 200/);
  assert.match(qmc5883lType.checkOptions({ declination: '3E' })!, /declination "3E"/);
  assert.match(qmc5883lType.checkOptions({ gain: 2 })!, /unknown qmc5883l option "gain"/);
  assert.throws(() => new Qmc5883lSim({ illuminance: 1 }), { code: 'SIM_BAD_VALUE' });
});
