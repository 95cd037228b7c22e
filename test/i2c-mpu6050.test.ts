import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriverError } from '../runtime/errors.js';
import { mpu6050Type } from '../drivers/i2c/chips/mpu6050.js';
import type { SensorContext, SensorValues } from '../drivers/i2c/sensor.js';
import { SimI2cBus } from '../drivers/i2c/sim/bus.js';
import { Mpu6050Sim } from '../drivers/i2c/sim/mpu6050.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const ADDRESS = 0x68;

function rig(options: Record<string, unknown> = {}, sim = new Mpu6050Sim(), address = ADDRESS) {
  const bus = new SimI2cBus();
  bus.attach(address, sim);
  const slept: number[] = [];
  const ctx: SensorContext = { bus, address, options, sleep: (ms) => (slept.push(ms), sleep(ms)) };
  return { bus, sim, slept, driver: mpu6050Type.create(ctx) };
}

/** Each channel within `lsb` counts of what was set, given the LSB per unit of its range. */
function assertClose(read: SensorValues, want: SensorValues, perUnit: Record<string, number>, label: string): void {
  for (const [channel, value] of Object.entries(want)) {
    const got = read[channel];
    assert.ok(got !== undefined && Math.abs(got - value) <= 0.5 / perUnit[channel]! + 1e-9, `${label}: ${channel} read ${got}, set ${value}`);
  }
}

const accelPerG: Record<number, number> = { 2: 16384, 4: 8192, 8: 4096, 16: 2048 };
const gyroPerDps: Record<number, number> = { 250: 131, 500: 65.5, 1000: 32.8, 2000: 16.4 };

function perUnit(accelRange: number, gyroRange: number): Record<string, number> {
  const a = accelPerG[accelRange]!;
  const g = gyroPerDps[gyroRange]!;
  return { accelX: a, accelY: a, accelZ: a, gyroX: g, gyroY: g, gyroZ: g, temperature: 340 };
}

test('probe and read: every channel within one LSB at the default ranges, negatives included', async () => {
  const want = { accelX: 0.5, accelY: -0.25, accelZ: 0.98, gyroX: 10.5, gyroY: -20.25, gyroZ: 125, temperature: 24.6 };
  const { driver } = rig({}, new Mpu6050Sim(want));
  await driver.init();
  assertClose(await driver.read(), want, perUnit(2, 250), 'defaults');
  assert.deepEqual(Object.keys(await driver.read()).sort(), Object.keys(mpu6050Type.channels({})).sort());
});

test('every accelerometer and gyro range reads back ±90 % of full scale', async () => {
  for (const [accelRange, gyroRange] of [
    [2, 250],
    [4, 500],
    [8, 1000],
    [16, 2000],
  ] as const) {
    const want = {
      accelX: 0.9 * accelRange,
      accelY: -0.9 * accelRange,
      accelZ: 0.1,
      gyroX: -0.9 * gyroRange,
      gyroY: 0.9 * gyroRange,
      gyroZ: -1,
      temperature: -10,
    };
    const { driver } = rig({ accelRange, gyroRange }, new Mpu6050Sim(want), 0x69);
    await driver.init();
    assertClose(await driver.read(), want, perUnit(accelRange, gyroRange), `±${accelRange} g, ±${gyroRange} °/s`);
  }
});

test('the driver sets 100 Hz (SMPLRT_DIV 9 with the DLPF on, 79 with it off), the DLPF and the range bits', async () => {
  for (const [options, registers] of [
    [{}, [9, 3, 0x00, 0x00]],
    [{ dlpf: 0, accelRange: 16, gyroRange: 500 }, [79, 0, 0x08, 0x18]],
    [{ dlpf: 6, accelRange: 4, gyroRange: 2000 }, [9, 6, 0x18, 0x08]],
  ] as const) {
    const { bus, driver } = rig(options);
    await driver.init();
    assert.deepEqual([...(await bus.readBlock(ADDRESS, 0x19, 4))], registers, JSON.stringify(options));
    assert.equal(await bus.readByte(ADDRESS, 0x6b), 0x01, 'awake, clocked from the X gyro PLL');
  }
});

test('beyond full scale the output saturates at 0x7FFF / 0x8000', async () => {
  const { sim, driver } = rig();
  sim.set({ accelX: 3, accelY: -3, gyroX: 400, gyroY: -400 });
  await driver.init();
  const v = await driver.read();
  assert.equal(v.accelX, 32767 / 16384);
  assert.equal(v.accelY, -2);
  assert.equal(v.gyroX, 32767 / 131);
  assert.equal(v.gyroY, -32768 / 131);
});

test('the driver waits 100 ms after DEVICE_RESET and the gyro start-up plus a sample before reading', async () => {
  const { driver, slept } = rig();
  await driver.init();
  assert.equal(slept[0], 100);
  assert.ok(slept.at(-1)! >= 30 + 10, `last wait ${slept.at(-1)} ms`);
});

test('a chip that went back to sleep (a supply dip) is configured again before reading', async () => {
  const { bus, sim, driver } = rig();
  await driver.init();
  await bus.writeByte(ADDRESS, 0x6b, 0x40);
  sim.set({ accelX: -0.75 });
  assert.ok(Math.abs((await driver.read()).accelX! + 0.75) < 1e-3);
});

test('WHO_AM_I other than 0x68 is the wrong chip, named when known', async () => {
  for (const [id, name] of [
    [0x70, /0x70 \(an MPU-6500\)/],
    [0x71, /0x71 \(an MPU-9250\)/],
    [0x42, /0x42 \(not an InvenSense part/],
  ] as const) {
    const { driver } = rig({}, new Mpu6050Sim(undefined, { whoAmI: id }));
    await assert.rejects(driver.init(), (err: unknown) => {
      assert.ok(err instanceof DriverError);
      assert.equal(err.code, 'SENSOR_WRONG_CHIP');
      assert.match(err.message, name);
      assert.match(err.message, /expected 0x68/);
      return true;
    });
  }
});

test('an absent chip: the bus ENXIO propagates', async () => {
  const bus = new SimI2cBus();
  const driver = mpu6050Type.create({ bus, address: ADDRESS, options: {}, sleep });
  await assert.rejects(driver.init(), { code: 'ENXIO' });
  await assert.rejects(driver.read(), { code: 'ENXIO' });
});

/** The sim on a clock the test moves by hand. */
function manualRig(values?: SensorValues) {
  const clock = { t: 0 };
  const bus = new SimI2cBus({ now: () => clock.t });
  const sim = bus.attach(ADDRESS, new Mpu6050Sim(values));
  const accelX = async () => (await bus.readBlock(ADDRESS, 0x3b, 14)).readInt16BE(0);
  return { clock, bus, sim, accelX };
}

test('sim: asleep after power-on, data frozen at 0; samples at the configured rate once awake', async () => {
  const { clock, bus, sim, accelX } = manualRig({ accelX: 0.5 });
  assert.equal(await bus.readByte(ADDRESS, 0x6b), 0x40);
  assert.equal(await bus.readByte(ADDRESS, 0x75), 0x68);
  clock.t = 1000;
  assert.equal(await accelX(), 0, 'no samples while asleep');

  // 1 kHz / (1 + 9) = 100 Hz with the DLPF on.
  await bus.writeBlock(ADDRESS, 0x19, Buffer.from([9, 3]));
  await bus.writeByte(ADDRESS, 0x6b, 0x01);
  clock.t = 1009.9;
  assert.equal(await accelX(), 0, 'no sample yet 9.9 ms after waking');
  clock.t = 1010;
  assert.equal(await accelX(), 8192);

  sim.set({ accelX: -0.25 });
  clock.t = 1019.9;
  assert.equal(await accelX(), 8192, 'a read between samples gets the previous sample');
  clock.t = 1020;
  assert.equal(await accelX(), -4096);

  // DLPF off and SMPLRT_DIV 0: the gyro output rate, 8 kHz.
  await bus.writeBlock(ADDRESS, 0x19, Buffer.from([0, 0]));
  sim.set({ accelX: 1 });
  clock.t = 1030;
  assert.equal(await accelX(), 16384);
  sim.set({ accelX: 0.125 });
  clock.t = 1030.125;
  assert.equal(await accelX(), 2048, 'at 8 kHz a sample lands every 0.125 ms');

  await bus.writeByte(ADDRESS, 0x6b, 0x41);
  sim.set({ accelX: 0.5 });
  clock.t = 2000;
  assert.equal(await accelX(), 2048, 'asleep again: frozen at the last sample');
});

test('sim: DEVICE_RESET restores the defaults, reads 1 for 100 ms, and drops writes until then', async () => {
  const { clock, bus, accelX } = manualRig({ accelX: 0.5 });
  await bus.writeByte(ADDRESS, 0x1c, 0x18);
  await bus.writeByte(ADDRESS, 0x6b, 0x01);
  clock.t = 10;
  assert.notEqual(await accelX(), 0);
  await bus.writeByte(ADDRESS, 0x6b, 0x80);
  assert.equal(await bus.readByte(ADDRESS, 0x6b), 0xc0, 'DEVICE_RESET reads 1 while resetting');
  assert.equal(await bus.readByte(ADDRESS, 0x1c), 0x00);
  await bus.writeByte(ADDRESS, 0x1c, 0x08);
  clock.t = 109.9;
  assert.equal(await bus.readByte(ADDRESS, 0x6b), 0xc0);
  clock.t = 110;
  assert.equal(await bus.readByte(ADDRESS, 0x6b), 0x40, 'asleep after the reset');
  assert.equal(await bus.readByte(ADDRESS, 0x1c), 0x00, 'the write during the reset was lost');
  assert.equal(await bus.readByte(ADDRESS, 0x75), 0x68);
  await bus.writeByte(ADDRESS, 0x1c, 0x08);
  assert.equal(await bus.readByte(ADDRESS, 0x1c), 0x08);
});

test('a driver that does not wait after DEVICE_RESET fails to configure the sim', async () => {
  const bus = new SimI2cBus();
  bus.attach(ADDRESS, new Mpu6050Sim());
  const driver = mpu6050Type.create({ bus, address: ADDRESS, options: {}, sleep: async () => {} });
  await assert.rejects(driver.init(), { code: 'SENSOR_TIMEOUT' });
});

test('sim: data are big-endian, and a new sample is latched when a read transaction starts', async () => {
  const { clock, bus, sim } = manualRig({ accelX: 1, temperature: 36.53 });
  await bus.writeBlock(ADDRESS, 0x19, Buffer.from([9, 3]));
  await bus.writeByte(ADDRESS, 0x6b, 0x01);
  clock.t = 10;
  const first = await bus.readBlock(ADDRESS, 0x3b, 14);
  assert.deepEqual([...first.subarray(0, 2)], [0x40, 0x00]);
  assert.deepEqual([...first.subarray(6, 8)], [0x00, 0x00], 'TEMP_OUT 0 is 36.53 °C');
  // The low byte read on its own after the next sample landed belongs to that sample (0x40FF).
  sim.set({ accelX: 1 + 255 / 16384 });
  clock.t = 20;
  assert.equal(await bus.readByte(ADDRESS, 0x3c), 0xff);
});

test('options: bad values are named, good ones pass', () => {
  assert.equal(mpu6050Type.checkOptions({}), undefined);
  assert.equal(mpu6050Type.checkOptions({ accelRange: 16, gyroRange: 2000, dlpf: 0 }), undefined);
  assert.match(mpu6050Type.checkOptions({ accelRange: 3 })!, /accelRange 3.*2, 4, 8 or 16/);
  assert.match(mpu6050Type.checkOptions({ gyroRange: '250' })!, /gyroRange "250"/);
  assert.match(mpu6050Type.checkOptions({ dlpf: 7 })!, /dlpf 7/);
  assert.match(mpu6050Type.checkOptions({ range: 2 })!, /unknown mpu6050 option "range"/);
  assert.throws(() => new Mpu6050Sim({ magX: 1 }), { code: 'SIM_BAD_VALUE' });
});
