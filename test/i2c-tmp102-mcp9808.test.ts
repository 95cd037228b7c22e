import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MCP9808_MANUFACTURER_ID, MCP9808_RESOLUTIONS, mcp9808Celsius, mcp9808Field, mcp9808Type } from '../drivers/i2c/chips/mcp9808.js';
import { swap16 } from '../drivers/i2c/bus.js';
import { TMP102_CONVERSION_MS, tmp102Celsius, tmp102ConfigProblem, tmp102Register, tmp102Type } from '../drivers/i2c/chips/tmp102.js';
import type { SimChip } from '../drivers/i2c/sim/chip.js';
import { SimI2cBus } from '../drivers/i2c/sim/bus.js';
import { Mcp9808Sim } from '../drivers/i2c/sim/mcp9808.js';
import { Tmp102Sim } from '../drivers/i2c/sim/tmp102.js';
import { DriverError } from '../runtime/errors.js';
import { sensorCorpus, realSleep, fakeClock } from './helpers/i2c.js';

const corpus = sensorCorpus;



/** A chip with fixed 16-bit registers, MSB first: what an unrelated part at the address answers. */
function wordChip(words: Record<number, number>): SimChip {
  let pointer = 0;
  return {
    type: 'other',
    write: (data) => void (pointer = data[0] ?? pointer),
    read: (length) => Uint8Array.from({ length }, (_, i) => (i % 2 === 0 ? (words[pointer] ?? 0) >> 8 : (words[pointer] ?? 0) & 0xff)),
    set: () => {},
  };
}

// ---- TMP102 ----

test('TMP102: every entry of the corpus table (datasheet 12-bit format) converts exactly, both ways', () => {
  const t = corpus.tmp102[0];
  assert.match(t.note, /raw12 = register16 >> 4/);
  // The caveat: upstream only checked bounds; the table values are exact multiples of 0.0625, so
  // exact equality is what the datasheet means.
  assert.match(t.caveat, /exact degC values are the datasheet table values/);
  assert.ok(t.vectors.length >= 11);
  for (const v of t.vectors) {
    const register = parseInt(v.raw12_hex, 16) << 4;
    assert.equal(tmp102Celsius(register), v.degC, `0x${v.raw12_hex}`);
    assert.equal(tmp102Register(v.degC, false), register, `${v.degC} °C`);
  }
});

test('TMP102: extended mode is 13 bits in 15:3 with bit 0 set, reaching 150 °C', () => {
  assert.equal(tmp102Register(150, true), 0x4b01);
  assert.equal(tmp102Celsius(0x4b01), 150);
  assert.equal(tmp102Celsius(tmp102Register(-55, true)), -55);
  assert.equal(tmp102Celsius(tmp102Register(140, false)), 127.9375, '12 bits saturate');
  assert.equal(tmp102Celsius(tmp102Register(140, true)), 140);
});

test('TMP102: the probe accepts the power-up configuration and rejects an ADS1115', () => {
  assert.equal(tmp102ConfigProblem(0x60a0), undefined);
  assert.equal(tmp102ConfigProblem(0x7ab0), undefined);
  assert.match(tmp102ConfigProblem(0x8583)!, /reads 0x8583: a TMP102 always has bits 14:13 = 11 and bits 3:0 = 0/);
  assert.match(tmp102Type.checkOptions({ extended: 'yes' })!, /extended is "yes": expected true/);
  assert.match(tmp102Type.checkOptions({ rate: 4 })!, /unknown option "rate"/);
});

test('TMP102: the driver reads what the sim measures, swapping SMBus word order', async () => {
  const bus = new SimI2cBus();
  const sim = bus.attach(0x49, tmp102Type.simulate({}, { temperature: 23.1875 })) as Tmp102Sim;
  const d = tmp102Type.create({ bus, address: 0x49, options: {}, sleep: realSleep });
  await d.init();
  assert.deepEqual(await d.read(), { temperature: 23.1875 });
  assert.equal(await bus.readWord(0x49, 0x00), 0x3017, 'the chip sends 0x17 0x30: SMBus makes it 0x3017');
  sim.set({ temperature: -12.5 });
  await realSleep(260); // the next 4 Hz conversion
  assert.deepEqual(await d.read(), { temperature: -12.5 });
});

test('TMP102: conversions take time; a driver that does not wait reads the power-up 0 °C', async () => {
  const sim = new Tmp102Sim({ temperature: 25 });
  sim.write(Uint8Array.of(0x00), 0);
  assert.deepEqual([...sim.read(2, TMP102_CONVERSION_MS.typical - 1)], [0, 0]);
  assert.deepEqual([...sim.read(2, TMP102_CONVERSION_MS.typical)], [0x19, 0x00]);
  sim.set({ temperature: 30 });
  assert.deepEqual([...sim.read(2, 200)], [0x19, 0x00], 'until the next conversion (4 Hz)');
  assert.deepEqual([...sim.read(2, 250 + TMP102_CONVERSION_MS.typical)], [0x1e, 0x00]);

  const { bus, clock, sleep } = fakeClock();
  bus.attach(0x48, new Tmp102Sim({ temperature: 25 }));
  const hasty = tmp102Type.create({ bus, address: 0x48, options: {}, sleep: async () => {} });
  await hasty.init();
  assert.deepEqual(await hasty.read(), { temperature: 0 });
  const d = tmp102Type.create({ bus, address: 0x48, options: {}, sleep });
  await d.init();
  const before = clock.t;
  assert.deepEqual(await d.read(), { temperature: 25 });
  assert.equal(clock.t - before, TMP102_CONVERSION_MS.max);
});

test('TMP102: init wakes a chip left in shutdown and sets extended mode when asked', async () => {
  const { bus, sleep } = fakeClock();
  const sim = bus.attach(0x4a, new Tmp102Sim({ temperature: 140 })) as Tmp102Sim;
  await bus.writeWord(0x4a, 0x01, swap16(0x61a0)); // SD set
  const d = tmp102Type.create({ bus, address: 0x4a, options: { extended: true }, sleep });
  await d.init();
  assert.equal(swap16(await bus.readWord(0x4a, 0x01)), 0x60b0, 'SD cleared, EM set, read-only bits kept');
  assert.deepEqual(await d.read(), { temperature: 140 });
  assert.ok(sim.conversions >= 1);
});

test('TMP102: a chip without the fixed configuration bits is refused; an absent one NACKs', async () => {
  const bus = new SimI2cBus();
  bus.attach(0x48, wordChip({ 0x01: 0x8583 }));
  await assert.rejects(tmp102Type.create({ bus, address: 0x48, options: {}, sleep: realSleep }).init(), (err: unknown) => {
    assert.ok(err instanceof DriverError);
    assert.equal(err.code, 'SENSOR_WRONG_CHIP');
    assert.match(err.message, /^no TMP102 at 0x48: configuration register reads 0x8583/);
    return true;
  });
  await assert.rejects(tmp102Type.create({ bus, address: 0x4b, options: {}, sleep: realSleep }).init(), { code: 'ENXIO' });
});

// ---- MCP9808 ----

test('MCP9808: the corpus formula, against a plain 13-bit two\'s complement reading of every register value', () => {
  const note: string = corpus.mcp9808[0].note;
  assert.match(note, /T = \(raw & 0x0FFF\)\/16 - \(bit12 \? 256 : 0\)/);
  assert.equal(parseInt(/Manufacturer ID reg 0x06 = (0x[0-9a-f]+)/i.exec(note)![1]!, 16), MCP9808_MANUFACTURER_ID);
  assert.equal(parseInt(/device ID reg 0x07 = 0x([0-9a-f]{2})/i.exec(note)![1]!, 16), 0x04);
  for (let raw = 0; raw <= 0xffff; raw++) {
    const field = raw & 0x1fff; // bits 15:13 are flags
    const expected = (field >= 0x1000 ? field - 0x2000 : field) / 16;
    if (mcp9808Celsius(raw) !== expected) assert.fail(`0x${raw.toString(16)}: ${mcp9808Celsius(raw)} vs ${expected}`);
  }
  assert.equal(mcp9808Celsius(0xc190), 25, 'flags masked');
  assert.equal(mcp9808Celsius(0x1ff0), -1);
  assert.equal(mcp9808Celsius(mcp9808Field(-40.3125, 0.0625)), -40.3125);
  assert.equal(mcp9808Celsius(mcp9808Field(23.3, 0.5)), 23.5);
});

test('MCP9808: options', () => {
  assert.equal(mcp9808Type.checkOptions({ resolution: 0.125 }), undefined);
  assert.match(mcp9808Type.checkOptions({ resolution: 0.1 })!, /resolution is 0.1: expected 0.5, 0.25, 0.125 or 0.0625/);
  assert.equal(mcp9808Type.addresses.length, 8);
});

test('MCP9808: the driver reads what the sim measures, whatever the alert flags say', async () => {
  const { bus, sleep } = fakeClock();
  const sim = bus.attach(0x18, mcp9808Type.simulate({}, { temperature: 23.4375 })) as Mcp9808Sim;
  const d = mcp9808Type.create({ bus, address: 0x18, options: {}, sleep });
  await d.init();
  assert.deepEqual(await d.read(), { temperature: 23.4375 });
  const raw = swap16(await bus.readWord(0x18, 0x05));
  assert.equal(raw & 0xe000, 0xc000, 'with the power-up limits of 0 °C: T ≥ T_CRIT and T > T_UPPER');
  sim.set({ temperature: -10.25 });
  await sleep(MCP9808_RESOLUTIONS[3].ms);
  assert.deepEqual(await d.read(), { temperature: -10.25 });
  assert.equal(swap16(await bus.readWord(0x18, 0x05)) & 0xe000, 0x2000, 'T < T_LOWER');
});

test('MCP9808: resolution sets the step and the wait; a driver that does not wait reads 0 °C', async () => {
  for (const [i, r] of MCP9808_RESOLUTIONS.entries()) {
    const { bus, clock, sleep } = fakeClock();
    bus.attach(0x1f, new Mcp9808Sim({ temperature: 21.3 }));
    const d = mcp9808Type.create({ bus, address: 0x1f, options: { resolution: r.step }, sleep });
    await d.init();
    assert.equal(await bus.readByte(0x1f, 0x08), i);
    const before = clock.t;
    const t = (await d.read())['temperature']!;
    assert.equal(t, Math.round(21.3 / r.step) * r.step, `resolution ${r.step}`);
    // The chip was running at 0.0625 °C: a new resolution waits for that conversion too.
    assert.ok(clock.t - before >= (i === 3 ? 0 : MCP9808_RESOLUTIONS[3].ms) + r.ms, `waited ${clock.t - before} ms`);
  }
  const { bus } = fakeClock();
  bus.attach(0x18, new Mcp9808Sim({ temperature: 21.3 }));
  const hasty = mcp9808Type.create({ bus, address: 0x18, options: {}, sleep: async () => {} });
  await hasty.init();
  assert.deepEqual(await hasty.read(), { temperature: 0 });
});

test('MCP9808: init wakes a chip from shutdown; real time is honoured end to end', async () => {
  const bus = new SimI2cBus();
  bus.attach(0x1a, new Mcp9808Sim({ temperature: 19.75 }));
  await bus.writeWord(0x1a, 0x01, swap16(0x0100));
  const d = mcp9808Type.create({ bus, address: 0x1a, options: { resolution: 0.25 }, sleep: realSleep });
  await d.init();
  assert.equal(swap16(await bus.readWord(0x1a, 0x01)) & 0x0100, 0);
  assert.deepEqual(await d.read(), { temperature: 19.75 });
});

test('MCP9808: another chip at the address is named by its IDs; an absent one NACKs', async () => {
  const bus = new SimI2cBus();
  bus.attach(0x18, wordChip({ 0x06: 0x0054, 0x07: 0x2001 }));
  bus.attach(0x19, new Tmp102Sim());
  const create = (address: number) => mcp9808Type.create({ bus, address, options: {}, sleep: realSleep });
  await assert.rejects(create(0x18).init(), {
    code: 'SENSOR_WRONG_CHIP',
    message: 'found manufacturer ID 0x0054 and device ID 0x2001 at 0x18 (another Microchip temperature sensor), expected 0x0054 (Microchip) and device ID 0x04xx (MCP9808)',
  });
  await assert.rejects(create(0x19).init(), { code: 'SENSOR_WRONG_CHIP', message: /^found manufacturer ID 0x4b00 and device ID 0x5000 at 0x19, expected/ });
  await assert.rejects(create(0x1c).init(), { code: 'ENXIO' });
});
