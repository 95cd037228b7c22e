/**
 * SensorDataThresholdTrigger end to end on the simulated bus: the seed's movement semantics,
 * level crossing with hysteresis that survives a restart, the registration errors, and a sensor
 * that vanishes and comes back without stopping anything or firing on garbage.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { formatStatus } from '../bin/status.js';
import type { SensorReading } from '../drivers/i2c/hub.js';
import type { SimChip } from '../drivers/i2c/sim/chip.js';
import { RegistrationError } from '../runtime/errors.js';
import { statePaths } from '../runtime/paths.js';
import type { Runtime } from '../runtime/runtime.js';
import { BackgroundTaskBuilder } from '../runtime/builder.js';
import { moved } from '../runtime/triggers/sensor-kinds.js';
import { startHarness, type Harness } from './helpers/harness.js';

const sensors = {
  air: { type: 'bme280', address: '0x76', pollMs: 40, simulate: { temperature: 20, pressure: 1000, humidity: 50 }, logEverySec: 0 },
  rh: { type: 'sht3x', address: '0x44', pollMs: 40, simulate: { temperature: 20, humidity: 40 } },
  lux: { type: 'bh1750', pollMs: 1000 },
};

const noop = 'export default function run() {}';
const tasks = [
  { name: 'baro', entry: 'noop.js', isolation: 'inprocess', trigger: { type: 'SensorDataThresholdTrigger', sensor: 'air', threshold: { kind: 'Barometer', hectopascals: 1 } } },
  { name: 'hot', entry: 'noop.js', isolation: 'inprocess', trigger: { type: 'SensorDataThresholdTrigger', sensor: 'air', threshold: { kind: 'Temperature', above: 30, rearmBelow: 29 } } },
  { name: 'damp', entry: 'noop.js', isolation: 'inprocess', trigger: { type: 'SensorDataThresholdTrigger', sensor: 'rh', threshold: { kind: 'Humidity', relativeHumidity: 5 } } },
];

/** Every activation of the named tasks, with its details, as the dispatcher sees them. */
function recordFires(rt: Runtime): Map<string, Record<string, unknown>[]> {
  const fires = new Map<string, Record<string, unknown>[]>();
  const names = new Map(rt.registry.records().map((r) => [r.taskId, r.name]));
  const dispatcher = rt.dispatcher as unknown as { activate(taskId: string, details: unknown): unknown };
  const original = dispatcher.activate.bind(rt.dispatcher);
  dispatcher.activate = (taskId, details) => {
    const name = names.get(taskId) ?? taskId;
    fires.set(name, [...(fires.get(name) ?? []), details as Record<string, unknown>]);
    return original(taskId, details);
  };
  return fires;
}

/** Resolves after `n` further readings of `sensor` (each a full poll of the chip). */
function readings(rt: Runtime, sensor: string, n = 2): Promise<SensorReading> {
  return new Promise((resolve) => {
    let seen = 0;
    const off = rt.sensors!.events.on('reading', (r) => {
      if (r.sensor !== sensor || ++seen < n) return;
      off();
      resolve(r);
    });
  });
}

describe('SensorDataThresholdTrigger', () => {
  let h: Harness;
  let fires: Map<string, Record<string, unknown>[]>;
  let air: SimChip;
  const count = (name: string) => fires.get(name)?.length ?? 0;

  before(async () => {
    h = await startHarness({ config: { drivers: { i2c: { binding: 'sim', sensors } } }, bundles: [{ name: 'th', tasks, files: { 'noop.js': noop } }] });
    fires = recordFires(h.runtime);
    air = h.bus!.chip(0x76)!;
    await readings(h.runtime, 'air');
  });
  after(() => h.close());

  it('movement: the first reading is the reference; it fires once the reading has moved by the threshold, then measures from there', async () => {
    assert.equal(count('baro'), 0, 'no report for the reference reading');
    air.set({ pressure: 1000.6 });
    await readings(h.runtime, 'air');
    assert.equal(count('baro'), 0, '0.6 hPa is below the 1 hPa threshold');
    air.set({ pressure: 1001.2 });
    await readings(h.runtime, 'air');
    assert.equal(count('baro'), 1, 'cumulative 1.2 hPa since the last report');
    const d = fires.get('baro')![0]!;
    const changed = (d.changed as Record<string, { from: number; to: number }>).pressure!;
    assert.ok(Math.abs(changed.from - 1000) < 0.05 && Math.abs(changed.to - 1001.2) < 0.05, JSON.stringify(changed));
    assert.equal(d.sensor, 'air');
    assert.equal(d.kind, 'Barometer');
    assert.ok(!Number.isNaN(Date.parse(String(d.time))), 'the reading time');
    assert.ok(Math.abs((d.values as Record<string, number>).temperature! - 20) < 0.05, 'the whole reading is in triggerDetails');
    air.set({ pressure: 1001.9 });
    await readings(h.runtime, 'air');
    assert.equal(count('baro'), 1, '0.7 hPa from the new reference: no report');
    air.set({ pressure: 1000.1 });
    await readings(h.runtime, 'air');
    assert.equal(count('baro'), 2, 'a fall counts as a move');
  });

  it('level crossing fires once above 30 °C and re-arms only below 29 °C', async () => {
    for (const [t, fired] of [
      [31, 1],
      [29.5, 1],
      [31.5, 1],
      [28.5, 1],
      [30.5, 2],
    ] as const) {
      air.set({ temperature: t });
      await readings(h.runtime, 'air');
      assert.equal(count('hot'), fired, `at ${t} °C`);
    }
    const crossed = fires.get('hot')![1]!.crossed as Record<string, number>;
    assert.equal(crossed.above, 30);
    assert.equal(crossed.rearm, 29);
    assert.ok(Math.abs(crossed.value! - 30.5) < 0.05);
  });

  it('the crossing state is persisted: after a restart, a reading still above the level does not fire again', async () => {
    const rt = await h.restart();
    fires = recordFires(rt);
    h.bus!.chip(0x76)!.set({ temperature: 31, pressure: 1000.1 });
    await readings(rt, 'air', 3);
    assert.equal(count('hot'), 0, 'still above 30 after the restart: already reported');
    assert.equal(count('baro'), 0, 'the reference pressure survived the restart too');
    air = h.bus!.chip(0x76)!;
  });

  it('a sensor that vanishes is logged once, fires nothing, and resumes when it comes back', async () => {
    const rt = h.runtime;
    const rh = h.bus!.detach(0x44)!;
    const faulted = new Promise((resolve) => rt.sensors!.events.once('fault', resolve));
    await faulted;
    // The hub keeps retrying with backoff; the rest of the runtime goes on (air is still read).
    await readings(rt, 'air', 10);
    assert.equal(count('damp'), 0);
    const logged = () =>
      readFileSync(statePaths(h.stateDir).logFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((r) => r.evt === 'driver' && r.sensor === 'rh');
    const failures = logged().filter((r) => r.state === 'failed');
    assert.equal(failures.length, 1, 'one DriverError for the outage, not one per retry');
    assert.match(JSON.stringify(failures[0]!.err), /sensor rh \(sht3x at 0x44 on sim\).*ENXIO/);
    assert.equal(rt.status().sensors!.find((s) => s.name === 'rh')!.state, 'failed');
    const text = formatStatus(rt.status(), Date.now());
    assert.match(text, /^sensor {6}rh \(sht3x @0x44\): FAILED sensor rh .*ENXIO/m);
    assert.match(text, /^sensor {6}air \(bme280 @0x76\): temperature [\d.]+ °C, pressure [\d.]+ hPa, humidity [\d.]+ %RH$/m);
    rh.set({ humidity: 60 });
    h.bus!.attach(0x44, rh);
    await new Promise((resolve) => rt.sensors!.events.once('recovered', resolve));
    await readings(rt, 'rh', 2);
    assert.ok(logged().some((r) => r.state === 'ok'), 'the recovery is logged');
    assert.equal(count('damp'), 1, 'the change measured across the outage fires once the sensor is back');
  });

  it('a reading with a bad CRC is dropped, never reported', async () => {
    const rt = h.runtime;
    const rh = h.bus!.chip(0x44) as SimChip & { corruptNextCrc(word?: string): void };
    const before = count('damp');
    rh.set({ humidity: 20 });
    rh.corruptNextCrc('humidity');
    const fault = new Promise<{ error: Error }>((resolve) => rt.sensors!.events.once('fault', resolve));
    const err = (await fault).error as Error & { code: string };
    assert.equal(err.code, 'SENSOR_CRC');
    assert.equal(count('damp'), before, 'no trigger on the corrupted reading');
    await new Promise((resolve) => rt.sensors!.events.once('recovered', resolve));
    await readings(rt, 'rh', 1);
    assert.equal(count('damp'), before + 1, 'the next good reading is reported');
  });

  it('registration errors name the sensor, the kind and what is expected', () => {
    const register = (trigger: Record<string, unknown>) => {
      const b = new BackgroundTaskBuilder();
      b.name = 'bad';
      b.taskEntryPoint = 'th/noop.js';
      b.setTrigger(trigger as never);
      return b.register();
    };
    const rejects = (trigger: Record<string, unknown>, pattern: RegExp) =>
      assert.throws(() => register({ type: 'SensorDataThresholdTrigger', ...trigger }), (err: unknown) => err instanceof RegistrationError && pattern.test(err.message), JSON.stringify(trigger));
    rejects({ sensor: 'attic', threshold: { kind: 'Temperature', degreesCelsius: 1 } }, /no sensor named "attic" on this device \(sensors: air, rh, lux\)/);
    rejects({ sensor: 'lux', threshold: { kind: 'Barometer', hectopascals: 1 } }, /sensor "lux" has no pressure channel for a Barometer threshold \(its channels: illuminance\)/);
    rejects({ sensor: 'air', threshold: { kind: 'Barometer', hectopascals: 0 } }, /expected a change above 0 in hectopascals/);
    rejects({ sensor: 'air', threshold: { kind: 'Temperature', above: 30, rearmBelow: 31 } }, /rearmBelow \(31\) is above "above" \(30\)/);
    rejects({ sensor: 'air', threshold: { kind: 'Temperature', degreesCelsius: 'warm' } }, /degreesCelsius is "warm": expected a number/);
    rejects({ sensor: 'air', threshold: { kind: 'Thermometer' } }, /threshold\.kind/);
    rejects({ sensor: 'air', threshold: { kind: 'Accelerometer', above: 2 } }, /sensor "air" has no|needs "axis"/);
  });
});

describe('threshold arithmetic', () => {
  it('compass headings wrap: 359° to 1° is 2°, not 358°', () => {
    const compass = { field: 'degrees', channel: 'heading', circular: true };
    assert.equal(moved(compass, 359, 1), 2);
    assert.equal(moved(compass, 10, 200), 170);
    assert.equal(moved(compass, 90, 270), 180);
  });

  it('lux percentage is relative to the last report', () => {
    const pct = { field: 'luxPercentage', channel: 'illuminance', relative: true };
    assert.equal(moved(pct, 200, 300), 50);
    assert.equal(moved(pct, 200, 100), 50);
    assert.equal(moved(pct, 0, 0), 0);
    assert.equal(moved(pct, 0, 5), Number.POSITIVE_INFINITY);
  });
});
