import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.js';
import { DriverError } from '../runtime/errors.js';
import { SimSystem } from '../drivers/system/sim.js';
import type { SimStep } from '../drivers/system/sim.js';
import type { SystemEvents } from '../drivers/system/system.js';

function record(sys: SimSystem) {
  const seen: { [K in keyof SystemEvents]: SystemEvents[K][0][] } = {
    readings: [], timeZone: [], sessions: [], network: [], supply: [], deviceEvent: [], error: [],
  };
  for (const name of Object.keys(seen) as (keyof SystemEvents)[]) {
    sys.events.on(name, ((arg: unknown) => void (seen[name] as unknown[]).push(arg)) as never);
  }
  return seen;
}

test('defaults are an idle Pi 4 on Wi-Fi, and each instance holds its own state', async () => {
  const clock = new FakeClock();
  const a = new SimSystem({ clock });
  const b = new SimSystem({ clock, initial: { cores: 2, timeZone: 'Asia/Tokyo' } });
  const r = a.readings();
  assert.ok(r.memTotalKb > 3_500_000 && r.memTotalKb < 4_100_000);
  assert.ok(r.memAvailableKb < r.memTotalKb && r.memAvailableKb > 3_000_000);
  assert.equal(r.cores, 4);
  assert.equal(r.socTempC, 48);
  assert.equal(r.throttled?.raw, 0);
  assert.equal(a.timeZone(), 'Europe/London');
  assert.deepEqual(a.network(), { defaultRoute: { iface: 'wlan0', kind: 'wifi' }, internet: true, metered: false });
  assert.equal(a.supplyGood(), true);
  assert.equal(b.readings().cores, 2);
  assert.equal(b.timeZone(), 'Asia/Tokyo');
  a.login('pi');
  assert.equal(b.sessions().length, 0);
});

test('controls emit the events the linux binding would', async () => {
  const clock = new FakeClock();
  const sys = new SimSystem({ clock });
  const seen = record(sys);
  await sys.open();

  sys.set({ memAvailableKb: 100_000, socTempC: 82.5 });
  assert.equal(seen.readings.length, 1);
  assert.equal(seen.readings[0]?.memAvailableKb, 100_000);
  assert.equal(sys.readings().socTempC, 82.5);

  sys.setThrottled(0x50005);
  assert.deepEqual(seen.supply, [{ good: false, cause: 'under-voltage reported by the SoC firmware' }]);
  assert.equal(sys.readings().throttled?.throttled, true);
  assert.equal(sys.supplyGood(), false);
  sys.setThrottled(0x50004); // still throttled, supply no longer low: one transition
  sys.setThrottled(0x50000);
  assert.deepEqual(seen.supply.map((s) => s.good), [false, true]);
  assert.throws(() => sys.setThrottled(-1), DriverError);

  sys.setTimeZone('Europe/Berlin');
  sys.setTimeZone('Europe/Berlin');
  assert.deepEqual(seen.timeZone, [{ from: 'Europe/London', to: 'Europe/Berlin' }]);

  const s1 = sys.login('pi');
  const s2 = sys.login('admin', { host: '10.0.0.5' });
  const s3 = sys.login('pi', { line: 'tty1' });
  assert.deepEqual([s1.line, s2.line, s3.line], ['pts/0', 'pts/1', 'tty1']);
  assert.equal(s2.host, '10.0.0.5');
  assert.equal(new Set([s1.pid, s2.pid, s3.pid]).size, 3);
  assert.deepEqual(seen.sessions[1]?.added, [s2]);
  assert.equal(seen.sessions[2]?.sessions.length, 3);
  assert.deepEqual(sys.logout('pts/1'), s2);
  assert.deepEqual(sys.logout('pi'), s3, "the user's most recent session");
  assert.equal(sys.logout('nobody'), undefined);
  assert.deepEqual(seen.sessions.slice(3).map((e) => e.removed), [[s2], [s3]]);
  assert.deepEqual(sys.sessions(), [s1]);

  sys.setNetwork({ defaultRoute: { iface: 'wwan0', kind: 'cellular' } });
  assert.deepEqual(seen.network.at(-1), { defaultRoute: { iface: 'wwan0', kind: 'cellular' }, internet: true, metered: true });
  sys.setNetwork({ internet: false });
  sys.setNetwork({ internet: false });
  assert.equal(seen.network.length, 2);
  sys.setNetwork({ defaultRoute: undefined });
  assert.deepEqual(sys.network(), { internet: false, metered: false });
  sys.setNetwork({ internet: true }); // the upstream answers, but there is no route to it
  assert.equal(sys.network().internet, false);
  assert.equal(seen.network.length, 3);

  sys.raise('button', { pin: 17 });
  sys.raise('door');
  assert.deepEqual(seen.deviceEvent, [{ id: 'button', details: { pin: 17 } }, { id: 'door' }]);
  await sys.close();
});

test('readings are emitted every pollMs while open', async () => {
  const clock = new FakeClock();
  const sys = new SimSystem({ clock, pollMs: 500 });
  const seen = record(sys);
  await sys.open();
  clock.advance(1999);
  assert.equal(seen.readings.length, 3);
  clock.advance(1);
  assert.equal(seen.readings.length, 4);
  assert.equal(seen.readings[3]?.at, clock.now());
  await sys.close();
  clock.advance(5000);
  assert.equal(seen.readings.length, 4);
});

const demo: SimStep[] = [
  { at: 5, set: { memAvailablePct: 8, memPressureSome10: 45 }, note: 'a task leaks memory' },
  { at: 10, throttled: '0x50005' },
  { at: 10, timeZone: 'America/New_York' },
  { at: 20, login: 'pi', emit: 'button', details: { pin: 17 } },
  { at: 30, link: 'cellular' },
  { at: 31, internet: false },
  { at: 40, logout: 'pi', link: null },
];

test('timeline steps run in order at their times', async () => {
  const clock = new FakeClock();
  const sys = new SimSystem({ clock, timeline: demo, pollMs: 60_000 });
  const seen = record(sys);
  await sys.open();
  clock.advance(4999);
  assert.equal(seen.readings.length, 0);
  clock.advance(1);
  assert.equal(seen.readings.length, 1);
  const total = sys.readings().memTotalKb;
  assert.equal(sys.readings().memAvailableKb, Math.round(total * 0.08));
  assert.equal(sys.readings().memPressure?.some10, 45);
  clock.advance(5000);
  assert.deepEqual(seen.supply, [{ good: false, cause: 'under-voltage reported by the SoC firmware' }]);
  assert.deepEqual(seen.timeZone, [{ from: 'Europe/London', to: 'America/New_York' }]);
  clock.advance(10_000);
  assert.deepEqual(seen.sessions.map((e) => e.added.map((s) => s.user)), [['pi']]);
  assert.equal(seen.sessions[0]?.added[0]?.loginAt, clock.now());
  assert.deepEqual(seen.deviceEvent, [{ id: 'button', details: { pin: 17 } }]);
  clock.advance(10_000);
  assert.deepEqual(sys.network(), { defaultRoute: { iface: 'wwan0', kind: 'cellular' }, internet: true, metered: true });
  clock.advance(1000);
  assert.equal(sys.network().internet, false);
  clock.advance(9000);
  assert.deepEqual(sys.network(), { internet: false, metered: false });
  assert.equal(sys.sessions().length, 0);
  assert.equal(seen.network.length, 3);
  clock.advance(100_000);
  assert.equal(seen.deviceEvent.length, 1, 'without repeatSec the timeline runs once');
  await sys.close();
});

test('a repeating timeline restarts every repeatSec', async () => {
  const clock = new FakeClock();
  const start = clock.now();
  const sys = new SimSystem({ clock, pollMs: 1e9, repeatSec: 10, timeline: [{ at: 0, emit: 'tick' }, { at: 4, emit: 'tock' }] });
  const times: [string, number][] = [];
  sys.events.on('deviceEvent', (e) => times.push([e.id, (clock.now() - start) / 1000]));
  await sys.open();
  clock.advance(0);
  clock.advance(25_000);
  assert.deepEqual(times, [
    ['tick', 0], ['tock', 4], ['tick', 10], ['tock', 14], ['tick', 20], ['tock', 24],
  ]);
  await sys.close();
  clock.advance(60_000);
  assert.equal(times.length, 6);
});

test('invalid timelines are rejected on construction, naming the step', () => {
  const bad = (timeline: unknown[], repeatSec?: number) => () => new SimSystem({ timeline: timeline as SimStep[], repeatSec });
  assert.throws(bad([{ at: 0 }, { at: 1, throttled: '0xZZ' }]), (e: unknown) => e instanceof DriverError && /step 1/.test(e.message) && /"0xZZ"/.test(e.message));
  assert.throws(bad([{ at: -1 }]), /step 0: at -1/);
  assert.throws(bad([{ at: 1, link: 'satellite' }]), /step 0: link "satellite"/);
  assert.throws(bad([{ at: 5 }, { at: 2 }]), /step 1: at 2/);
  assert.throws(bad([{ at: 1, set: { memAvailablePct: 120 } }]), /memAvailablePct 120/);
  assert.throws(bad([{ at: 1, set: { swap: 1 } }]), /set key "swap"/);
  assert.throws(bad([{ at: 1, thottled: 5 }]), /key "thottled"/);
  assert.throws(bad([{ at: 1, internet: 'yes' }]), /internet "yes"/);
  assert.throws(bad([{ at: 1, login: '' }]), /login ""/);
  assert.throws(bad([{ at: 0 }, { at: 30 }], 30), /repeatSec 30/);
  assert.throws(bad([{ at: 0 }, { at: 30 }], 20), /repeatSec 20/);
  assert.doesNotThrow(bad([{ at: 0, throttled: 0x50005 }, { at: 30, throttled: '50000', link: null }], 31));
});
