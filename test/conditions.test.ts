/**
 * Conditions are evaluated when a trigger fires: an unmet one holds the activation until it is
 * met (counted as suspension and throttling); a lost one cancels tasks that asked for that.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SimSystem } from '../drivers/system/sim.js';
import { FakeClock } from '../runtime/clock.js';
import { conditionHolds } from '../runtime/conditions.js';
import type { DeviceStateValues } from '../runtime/device-state.js';
import { SystemConditionType } from '../runtime/enums.js';
import { finished, next, startHarness, taskId, tick, type Harness } from './helpers/harness.js';

test('every SystemConditionType is evaluated against the device state', () => {
  const base: DeviceStateValues = { internet: true, metered: false, userPresent: true, sessionConnected: true, workCost: 'Low', supplyGood: true, energySaver: false };
  const expect: Record<SystemConditionType, [Partial<DeviceStateValues>, boolean][]> = {
    UserPresent: [[{}, true], [{ userPresent: false }, false]],
    UserNotPresent: [[{}, false], [{ userPresent: false }, true]],
    InternetAvailable: [[{}, true], [{ internet: false }, false]],
    InternetNotAvailable: [[{}, false], [{ internet: false }, true]],
    SessionConnected: [[{}, true], [{ sessionConnected: false }, false]],
    SessionDisconnected: [[{}, false], [{ sessionConnected: false }, true]],
    FreeNetworkAvailable: [[{}, true], [{ metered: true }, false], [{ internet: false }, false]],
    BackgroundWorkCostNotHigh: [[{}, true], [{ workCost: 'Medium' }, true], [{ workCost: 'High' }, false]],
  };
  for (const type of SystemConditionType.all) {
    for (const [change, holds] of expect[type]) assert.equal(conditionHolds(type, { ...base, ...change }), holds, `${type} with ${JSON.stringify(change)}`);
  }
});

const code = `
export async function upload(instance) {
  (globalThis.condRuns ??= []).push({ suspended: instance.suspendedCount, network: instance.getThrottleCount('Network'), all: instance.getThrottleCount('All') });
  const d = instance.getDeferral();
  instance.on('canceled', () => d.complete());
  setTimeout(() => d.complete(), 300);
}
export function report(instance) {
  (globalThis.condRuns ??= []).push({ cost: instance.workCost, cpu: instance.getThrottleCount('Cpu') });
}
export function presence(instance) { (globalThis.condRuns ??= []).push({ present: true }); }
`;

declare global {
  var condRuns: Record<string, unknown>[] | undefined;
}

let h: Harness;
before(async () => {
  h = await startHarness({
    bundles: [
      {
        name: 'cond',
        tasks: [
          { name: 'upload', entry: 'c.js', export: 'upload', isolation: 'inprocess', trigger: { type: 'ApplicationTrigger' }, conditions: ['InternetAvailable'], cancelOnConditionLoss: true },
          { name: 'upload-lenient', entry: 'c.js', export: 'upload', isolation: 'inprocess', trigger: { type: 'ApplicationTrigger' }, conditions: ['InternetAvailable'] },
          { name: 'greet', entry: 'c.js', export: 'presence', isolation: 'inprocess', trigger: { type: 'ApplicationTrigger' }, conditions: ['UserPresent'] },
        ],
        files: { 'c.js': code },
      },
    ],
  });
});
after(() => h.close());

test('an activation waits for InternetAvailable, then runs with its suspension and throttle counts', async () => {
  globalThis.condRuns = [];
  h.system.setNetwork({ defaultRoute: undefined, internet: false });
  assert.equal(h.runtime.state.values.internet, false);
  assert.equal(h.runtime.trigger('upload-lenient').result, 'Allowed');
  await tick(20);
  assert.equal(globalThis.condRuns.length, 0, 'held while offline');
  const id = taskId(h.runtime, 'upload-lenient');
  assert.equal(h.runtime.store.data.triggerState[id]?.pending?.length, 1, 'the held activation is persisted');
  assert.equal(h.runtime.status().tasks.find((t) => t.name === 'upload-lenient')?.state, 'waiting');
  const done = finished(h.runtime, 'upload-lenient');
  h.system.setNetwork({ defaultRoute: { iface: 'wlan0', kind: 'wifi' }, internet: true });
  assert.equal((await done).outcome, 'succeeded');
  assert.deepEqual(globalThis.condRuns, [{ suspended: 1, network: 1, all: 1 }]);
  assert.equal(h.runtime.store.data.triggerState[id]?.pending, undefined);
});

test('cancelOnConditionLoss: the link drops mid-run and the task is cancelled with ConditionLoss', async () => {
  const started = next(h.runtime, 'started', (e) => e.name === 'upload');
  h.runtime.trigger('upload');
  await started;
  const done = finished(h.runtime, 'upload');
  h.system.setNetwork({ defaultRoute: undefined, internet: false });
  const result = await done;
  assert.equal(result.outcome, 'canceled');
  assert.equal(result.reason, 'ConditionLoss');
  assert.match(result.error!.message, /condition InternetAvailable no longer holds/);
  h.system.setNetwork({ defaultRoute: { iface: 'wlan0', kind: 'wifi' }, internet: true });
});

test('without cancelOnConditionLoss a task runs on when its condition is lost', async () => {
  const started = next(h.runtime, 'started', (e) => e.name === 'upload-lenient');
  h.runtime.trigger('upload-lenient');
  await started;
  const done = finished(h.runtime, 'upload-lenient');
  h.system.setNetwork({ defaultRoute: undefined, internet: false });
  assert.equal((await done).outcome, 'succeeded');
  h.system.setNetwork({ defaultRoute: { iface: 'wlan0', kind: 'wifi' }, internet: true });
});

test('BackgroundWorkCostNotHigh holds work while the cost is High and counts it against the CPU', async () => {
  globalThis.condRuns = [];
  const clock = new FakeClock();
  const system = new SimSystem({ clock, pollMs: 1000 });
  const fc = await startHarness({ clock, system, bundles: [{ name: 'cost', tasks: [{ name: 'report', entry: 'c.js', export: 'report', isolation: 'inprocess', trigger: { type: 'ApplicationTrigger' }, conditions: [{ type: 'SystemCondition', conditionType: 'BackgroundWorkCostNotHigh' }] }], files: { 'c.js': code } }] });
  try {
    system.set({ memAvailableKb: 100_000 }); // ~2.6 % of RAM available
    assert.equal(fc.runtime.workCost.value, 'High');
    fc.runtime.trigger('report');
    fc.runtime.trigger('report');
    assert.equal(globalThis.condRuns.length, 0);
    const id = taskId(fc.runtime, 'report');
    assert.equal(fc.runtime.store.data.triggerState[id]?.pending?.length, 2, 'both activations wait');
    assert.equal(fc.runtime.store.data.throttle[id]?.Cpu, 1, 'one hold is counted once');
    system.set({ memAvailableKb: 3_000_000 });
    clock.advance(5_000);
    assert.equal(fc.runtime.workCost.value, 'High', 'the cost falls only after the hold-down');
    assert.equal(globalThis.condRuns.length, 0);
    clock.advance(6_000);
    assert.equal(fc.runtime.workCost.value, 'Low');
    assert.equal(globalThis.condRuns.length, 2, 'both held activations ran, in order');
    assert.deepEqual(globalThis.condRuns[0], { cost: 'Low', cpu: 1 });
  } finally {
    await fc.close();
  }
});

test('without a presence input, presence follows operator sessions', async () => {
  globalThis.condRuns = [];
  assert.equal(h.runtime.state.values.userPresent, false);
  h.runtime.trigger('greet');
  await tick(10);
  assert.equal(globalThis.condRuns.length, 0);
  const done = finished(h.runtime, 'greet');
  h.system.login('pi', { line: 'pts/0', host: '192.0.2.7' });
  assert.equal((await done).outcome, 'succeeded');
  assert.equal(h.runtime.state.values.sessionConnected, true);
  h.system.logout('pi');
  assert.equal(h.runtime.state.values.userPresent, false);
});
