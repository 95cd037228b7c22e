import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MEASUREMENT_MS, sht3xCrc, sht3xHumidity, sht3xTemperature, sht3xType, sht3xWords, type Repeatability } from '../drivers/i2c/chips/sht3x.js';
import { SimI2cBus } from '../drivers/i2c/sim/bus.js';
import { Sht3xSim } from '../drivers/i2c/sim/sht3x.js';
import { Tmp102Sim } from '../drivers/i2c/sim/tmp102.js';
import { DriverError } from '../runtime/errors.js';
import { sensorCorpus, realSleep, fakeClock } from './helpers/i2c.js';

const corpus = sensorCorpus;
const sht = corpus.sht3x[0] as Record<string, any>;



const cmd = (code: number) => Uint8Array.of(code >> 8, code & 0xff);

test('CRC-8 matches the corpus: polynomial 0x31, initial 0xFF, no reflection or final XOR', () => {
  assert.equal(sht.crc8.poly, '0x31');
  assert.equal(sht.crc8.init, '0xFF');
  assert.ok(sht.crc8.vectors.length >= 3);
  for (const v of sht.crc8.vectors) assert.equal(sht3xCrc(Buffer.from(v.data_hex, 'hex')), parseInt(v.crc, 16), v.data_hex);
});

test('the corpus sample frame converts to its temperature and humidity', () => {
  const [t, rh] = sht3xWords(Buffer.from(sht.sample.frame_hex, 'hex'), ['temperature', 'humidity'], 0x44) as [number, number];
  assert.equal(t, 0xbeef);
  // The upstream truncates to 0.0001 in integer arithmetic and returns float32: do the same to ours.
  const upstream = (x: number) => Math.fround(Math.floor(x * 1e4) / 1e4);
  assert.equal(upstream(sht3xTemperature(t)), Math.fround(sht.sample.expected.T_degC_float32));
  assert.equal(upstream(sht3xHumidity(rh)), Math.fround(sht.sample.expected.RH_pct_float32));
  assert.equal(sht3xTemperature(0), -45);
  assert.equal(sht3xTemperature(0xffff), 130);
  assert.equal(sht3xHumidity(0xffff), 100);
});

test('a CRC mismatch in either word is a SENSOR_CRC error, never a reading (corpus bad_crc)', () => {
  assert.match(sht.bad_crc, /either word -> error/);
  const good = Buffer.from(sht.sample.frame_hex, 'hex');
  for (const [at, word] of [[2, 'temperature'], [5, 'humidity']] as const) {
    const bad = Buffer.from(good);
    bad[at] = bad[at]! ^ 0x80;
    assert.throws(() => sht3xWords(bad, ['temperature', 'humidity'], 0x44), (err: unknown) => {
      assert.ok(err instanceof DriverError);
      assert.equal(err.code, 'SENSOR_CRC');
      assert.match(err.message, new RegExp(`CRC mismatch in the ${word} word 0xbeef from the SHT3x at 0x44: received 0x12, expected 0x92`));
      return true;
    });
  }
  assert.throws(() => sht3xWords(good.subarray(0, 4), ['temperature', 'humidity'], 0x44), { code: 'SENSOR_SHORT_READ' });
});

test('options', () => {
  assert.equal(sht3xType.checkOptions({ repeatability: 'low' }), undefined);
  assert.match(sht3xType.checkOptions({ repeatability: 'max' })!, /repeatability is "max": expected "high", "medium" or "low"/);
  assert.match(sht3xType.checkOptions({ clockStretching: true })!, /unknown option "clockStretching"/);
  assert.deepEqual(sht3xType.addresses, [0x44, 0x45]);
});

test('the driver probes, then reads back what the simulated SHT3x measures', async () => {
  const bus = new SimI2cBus();
  const sim = bus.attach(0x45, sht3xType.simulate({}, { temperature: 23.4, humidity: 56.7 })) as Sht3xSim;
  const d = sht3xType.create({ bus, address: 0x45, options: {}, sleep: realSleep });
  await d.init();
  let r = await d.read();
  assert.ok(Math.abs(r['temperature']! - 23.4) <= 175 / 65535 / 2 + 1e-9, `${r['temperature']}`);
  assert.ok(Math.abs(r['humidity']! - 56.7) <= 100 / 65535 / 2 + 1e-9, `${r['humidity']}`);
  sim.set({ temperature: -20, humidity: 3 });
  r = await d.read();
  assert.ok(Math.abs(r['temperature']! + 20) <= 0.0014);
  assert.ok(Math.abs(r['humidity']! - 3) <= 0.0008);
  assert.equal(sim.measurements, 2);
});

test('a chip whose status answer fails the CRC is not taken for an SHT3x', async () => {
  const bus = new SimI2cBus();
  bus.attach(0x44, new Tmp102Sim()); // a register chip: it answers, but not with CRCs
  const d = sht3xType.create({ bus, address: 0x44, options: {}, sleep: realSleep });
  await assert.rejects(d.init(), (err: unknown) => {
    assert.ok(err instanceof DriverError);
    assert.equal(err.code, 'SENSOR_WRONG_CHIP');
    assert.match(err.message, /^no SHT3x at 0x44: the status read answered 500050, whose CRC does not check/);
    assert.match(err.message, /no ID register/);
    return true;
  });
});

test('an absent chip NACKs: ENXIO reaches the caller', async () => {
  const bus = new SimI2cBus();
  await assert.rejects(sht3xType.create({ bus, address: 0x44, options: {}, sleep: realSleep }).init(), { code: 'ENXIO' });
});

test('the sim NACKs a read until the measurement is done, and has nothing to send after', () => {
  for (const [r, timing] of Object.entries(MEASUREMENT_MS)) {
    const sim = new Sht3xSim({ temperature: 25 });
    sim.write(cmd(timing.command), 0);
    assert.throws(() => sim.read(6, timing.typical - 0.1), { code: 'ENXIO', message: /still measuring/ }, r);
    assert.throws(() => sim.write(cmd(0xf32d), timing.typical - 0.1), { code: 'ENXIO' }, 'busy: commands are not acknowledged');
    const frame = sim.read(6, timing.typical);
    assert.ok(Math.abs(sht3xTemperature((frame[0]! << 8) | frame[1]!) - 25) < 0.002);
    assert.throws(() => sim.read(6, timing.typical + 1), { code: 'ENXIO', message: /no data/ });
  }
});

test('the driver waits the maximum measurement time; one that does not gets a NACK', async () => {
  for (const repeatability of ['high', 'medium', 'low'] as Repeatability[]) {
    const { bus, clock, sleep } = fakeClock();
    bus.attach(0x44, new Sht3xSim({ temperature: 21 }));
    const d = sht3xType.create({ bus, address: 0x44, options: { repeatability }, sleep });
    await d.init();
    const before = clock.t;
    assert.ok(Math.abs((await d.read())['temperature']! - 21) < 0.002);
    assert.ok(clock.t - before >= MEASUREMENT_MS[repeatability].max, `${repeatability}: waited ${clock.t - before} ms`);
  }
  const { bus, sleep } = fakeClock();
  bus.attach(0x44, new Sht3xSim());
  let frozen = false;
  const hasty = sht3xType.create({ bus, address: 0x44, options: {}, sleep: (ms) => (frozen ? Promise.resolve() : sleep(ms)) });
  await hasty.init();
  frozen = true;
  await assert.rejects(hasty.read(), { code: 'ENXIO' });
});

test('soft reset: NACKs for the reset time, then the status shows "reset detected" until cleared', () => {
  const sim = new Sht3xSim();
  const status = (now: number) => {
    sim.write(cmd(0xf32d), now);
    const b = sim.read(3, now);
    assert.equal(b[2], sht3xCrc([b[0]!, b[1]!]));
    return (b[0]! << 8) | b[1]!;
  };
  assert.equal(status(0) & 0x0010, 0x0010, 'reset detected after power-up');
  sim.write(cmd(0x3041), 0);
  assert.equal(status(0) & 0x0010, 0);
  sim.write(cmd(0x2400), 1);
  sim.write(cmd(0x30a2), 20); // a reset after the measurement: its result is gone
  assert.throws(() => sim.write(cmd(0xf32d), 20.2), { code: 'ENXIO', message: /resetting/ });
  assert.equal(status(20.5) & 0x0010, 0x0010);
  assert.throws(() => sim.read(6, 21), { code: 'ENXIO', message: /no data/ });
  assert.throws(() => sim.write(cmd(0x1234), 22), { code: 'EREMOTEIO', message: /does not know command 0x1234/ });
  assert.equal(status(22) & 0x0002, 0x0002, 'the status records the refused command');
});

test('a corrupted CRC in a reading is an error; the next reading is fine', async () => {
  const bus = new SimI2cBus();
  const sim = bus.attach(0x44, new Sht3xSim({ temperature: 22, humidity: 40 })) as Sht3xSim;
  const d = sht3xType.create({ bus, address: 0x44, options: { repeatability: 'low' }, sleep: realSleep });
  await d.init();
  for (const word of ['temperature', 'humidity'] as const) {
    sim.corruptNextCrc(word);
    await assert.rejects(d.read(), { code: 'SENSOR_CRC', message: new RegExp(`CRC mismatch in the ${word} word`) });
    const r = await d.read();
    assert.ok(Math.abs(r['humidity']! - 40) < 0.002);
  }
});
