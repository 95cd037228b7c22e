import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriverError } from '../runtime/errors.js';
import { bh1750Type } from '../drivers/i2c/chips/bh1750.js';
import type { SensorContext } from '../drivers/i2c/sensor.js';
import { Bh1750Sim } from '../drivers/i2c/sim/bh1750.js';
import { SimI2cBus } from '../drivers/i2c/sim/bus.js';
import type { SimChip } from '../drivers/i2c/sim/chip.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function rig(options: Record<string, unknown> = {}, address = 0x23) {
  const bus = new SimI2cBus();
  const sim = bus.attach(address, bh1750Type.simulate(options)) as Bh1750Sim;
  const slept: number[] = [];
  const ctx: SensorContext = { bus, address, options, sleep: (ms) => (slept.push(ms), sleep(ms)) };
  return { bus, sim, slept, driver: bh1750Type.create(ctx) };
}

/** A bus on a clock the test moves by hand. */
function manualRig() {
  const clock = { t: 0 };
  const bus = new SimI2cBus({ now: () => clock.t });
  const sim = bus.attach(0x23, new Bh1750Sim()) as Bh1750Sim;
  const counts = async () => (await bus.read(0x23, 2)).readUInt16BE(0);
  return { clock, bus, sim, counts };
}

test('probe and read: illuminance within the 1 lx resolution of H-resolution mode', async () => {
  const { sim, driver } = rig();
  sim.set({ illuminance: 523.4 });
  await driver.init();
  const { illuminance } = await driver.read();
  assert.ok(Math.abs(illuminance! - 523.4) <= 1 / 1.2, `read ${illuminance} lx for 523.4 lx`);
});

test('the 0x5C address works the same', async () => {
  const { sim, driver } = rig({}, 0x5c);
  sim.set({ illuminance: 80 });
  await driver.init();
  assert.ok(Math.abs((await driver.read()).illuminance! - 80) <= 1 / 1.2);
});

test('each mode and MTreg reads back within its resolution', async () => {
  const cases = [
    { options: { mode: 'high2' }, lux: 12.3, resolution: 0.5 },
    { options: { mode: 'low' }, lux: 1000, resolution: 4 },
    { options: { mode: 'high', mtreg: 254 }, lux: 3.7, resolution: 69 / 254 },
    { options: { mode: 'high2', mtreg: 254 }, lux: 0.8, resolution: (0.5 * 69) / 254 },
    // MTreg 31 trades resolution for range: 80 000 lx is beyond the 54 612 lx ceiling at 69.
    { options: { mode: 'high', mtreg: 31 }, lux: 80000, resolution: 69 / 31 },
  ];
  for (const { options, lux, resolution } of cases) {
    const { sim, driver } = rig(options);
    sim.set({ illuminance: lux });
    await driver.init();
    const { illuminance } = await driver.read();
    assert.ok(Math.abs(illuminance! - lux) <= resolution, `${JSON.stringify(options)}: read ${illuminance} lx for ${lux} lx`);
  }
});

test('brighter than the counter holds saturates at 65535 counts (54612.5 lx at MTreg 69)', async () => {
  const { sim, driver } = rig();
  sim.set({ illuminance: 100000 });
  await driver.init();
  assert.equal((await driver.read()).illuminance, 65535 / 1.2);
});

test('the driver waits the datasheet maximum, scaled by MTreg', async () => {
  for (const [options, atLeast] of [
    [{}, 180],
    [{ mode: 'low' }, 24],
    [{ mtreg: 138 }, 360],
  ] as const) {
    const { sim, driver, slept } = rig(options);
    sim.set({ illuminance: 400 });
    await driver.init();
    slept.length = 0;
    const { illuminance } = await driver.read();
    assert.ok(slept.reduce((a, b) => a + b, 0) >= atLeast, `${JSON.stringify(options)} waited ${slept} ms, expected at least ${atLeast}`);
    assert.ok(Math.abs(illuminance! - 400) <= 4, `${JSON.stringify(options)} read ${illuminance}`);
  }
});

test('the sim enforces the timing: a read before the measurement completes gets the previous result', async () => {
  const { clock, bus, sim, counts } = manualRig();
  sim.set({ illuminance: 100 });
  await bus.sendByte(0x23, 0x01);
  await bus.sendByte(0x23, 0x20);
  clock.t = 179;
  assert.equal(await counts(), 0, 'after power-on the data register is 0 until the first measurement completes');
  clock.t = 180;
  assert.equal(await counts(), 120);
  assert.equal(sim.poweredOn, false, 'a one-time measurement powers the chip down');

  sim.set({ illuminance: 200 });
  clock.t = 1000;
  await bus.sendByte(0x23, 0x23); // one-time L-resolution: 24 ms max
  clock.t = 1023;
  assert.equal(await counts(), 120, 'still the previous result');
  clock.t = 1024;
  assert.equal(await counts(), 240);

  // MTreg 138 doubles both the measurement time and the counts.
  await bus.sendByte(0x23, 0x40 | (138 >> 5));
  await bus.sendByte(0x23, 0x60 | (138 & 0x1f));
  clock.t = 2000;
  await bus.sendByte(0x23, 0x20);
  clock.t = 2359;
  assert.equal(await counts(), 240);
  clock.t = 2360;
  assert.equal(await counts(), 480);
});

test('sim: L-resolution reads in 4 lx steps, H-resolution in 1 lx steps', async () => {
  const { clock, bus, sim, counts } = manualRig();
  const measure = async (opecode: number, lux: number) => {
    sim.set({ illuminance: lux });
    await bus.sendByte(0x23, opecode);
    clock.t += 200;
    return counts();
  };
  assert.equal(await measure(0x23, 1001), await measure(0x23, 1002));
  assert.notEqual(await measure(0x23, 1001), await measure(0x23, 1005));
  assert.notEqual(await measure(0x20, 1001), await measure(0x20, 1002));
});

test('a driver that does not wait reads stale data from the sim', async () => {
  const bus = new SimI2cBus();
  bus.attach(0x23, new Bh1750Sim({ illuminance: 500 }));
  const driver = bh1750Type.create({ bus, address: 0x23, options: {}, sleep: async () => {} });
  await driver.init();
  assert.equal((await driver.read()).illuminance, 0);
});

test('continuous mode measures again every period', async () => {
  const { clock, bus, sim, counts } = manualRig();
  sim.set({ illuminance: 10 });
  await bus.sendByte(0x23, 0x10);
  clock.t = 180;
  assert.equal(await counts(), 12);
  sim.set({ illuminance: 20 });
  clock.t = 359;
  assert.equal(await counts(), 12);
  clock.t = 360;
  assert.equal(await counts(), 24);
  assert.equal(sim.poweredOn, true, 'continuous mode stays powered');
  await bus.sendByte(0x23, 0x00);
  sim.set({ illuminance: 30 });
  clock.t = 1000;
  assert.equal(await counts(), 24, 'Power Down stops measuring and keeps the last result');
});

test('Reset clears the data register only when powered on', async () => {
  const { clock, bus, sim, counts } = manualRig();
  sim.set({ illuminance: 50 });
  await bus.sendByte(0x23, 0x20);
  clock.t = 200;
  assert.equal(await counts(), 60);
  await bus.sendByte(0x23, 0x07);
  assert.equal(await counts(), 60, 'Reset is not accepted in Power Down');
  await bus.sendByte(0x23, 0x01);
  await bus.sendByte(0x23, 0x07);
  assert.equal(await counts(), 0);
});

test('a device that does not read 0 after Reset is the wrong chip, and the message says what it read', async () => {
  const bus = new SimI2cBus();
  const impostor: SimChip = { type: 'impostor', write() {}, read: (n) => new Uint8Array(n).fill(0x5a), set() {} };
  bus.attach(0x23, impostor);
  const driver = bh1750Type.create({ bus, address: 0x23, options: {}, sleep });
  await assert.rejects(driver.init(), (err: unknown) => {
    assert.ok(err instanceof DriverError);
    assert.equal(err.code, 'SENSOR_WRONG_CHIP');
    assert.match(err.message, /0x5a5a/);
    assert.match(err.message, /0x0000/);
    return true;
  });
});

test('an absent chip: the bus ENXIO propagates from init and read', async () => {
  const bus = new SimI2cBus();
  const driver = bh1750Type.create({ bus, address: 0x23, options: {}, sleep });
  await assert.rejects(driver.init(), { code: 'ENXIO' });
  await assert.rejects(driver.read(), { code: 'ENXIO' });
});

test('options: bad values are named, good ones pass', () => {
  assert.equal(bh1750Type.checkOptions({}), undefined);
  assert.equal(bh1750Type.checkOptions({ mode: 'low', mtreg: 31 }), undefined);
  assert.equal(bh1750Type.checkOptions({ mode: 'high2', mtreg: 254 }), undefined);
  assert.match(bh1750Type.checkOptions({ mode: 'medium' })!, /mode "medium".*"high"/);
  assert.match(bh1750Type.checkOptions({ mode: 'toString' })!, /mode "toString"/);
  assert.match(bh1750Type.checkOptions({ mtreg: 30 })!, /mtreg 30.*31–254/);
  assert.match(bh1750Type.checkOptions({ mtreg: 255 })!, /mtreg 255/);
  assert.match(bh1750Type.checkOptions({ mtreg: 69.5 })!, /mtreg 69.5/);
  assert.match(bh1750Type.checkOptions({ mtReg: 69 })!, /unknown bh1750 option "mtReg"/);
  assert.throws(() => bh1750Type.create({ bus: new SimI2cBus(), address: 0x23, options: { mtreg: 9 }, sleep }), { code: 'SENSOR_OPTIONS' });
  assert.deepEqual(bh1750Type.channels({}), { illuminance: { unit: 'lx' } });
});

test('the sim refuses channels it does not measure', () => {
  assert.throws(() => new Bh1750Sim({ temperature: 20 }), { code: 'SIM_BAD_VALUE' });
  assert.throws(() => new Bh1750Sim({ illuminance: Number.NaN }), { code: 'SIM_BAD_VALUE' });
});
