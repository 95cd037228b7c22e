/**
 * TimeTrigger and MaintenanceTrigger on a fake clock: no sleeping. Due times persist across
 * restarts; a run missed while the device was off runs once at start, not once per period.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimSystem } from '../drivers/system/sim.js';
import { FakeClock } from '../runtime/clock.js';
import type { Runtime } from '../runtime/runtime.js';
import { startHarness, taskId, tick, type BundleSpec } from './helpers/harness.js';

const MIN = 60_000;

declare global {
  // in-process fixture tasks record what they saw here
  var timeRuns: { task: string; details: Record<string, unknown> }[] | undefined;
}

const recorder = `export default function run(instance) {
  (globalThis.timeRuns ??= []).push({ task: instance.task.name, details: instance.triggerDetails });
}`;

function bundle(tasks: Record<string, unknown>[], extraFiles: Record<string, string> = {}): BundleSpec {
  return { name: 'timed', tasks: tasks.map((t) => ({ entry: 'run.js', isolation: 'inprocess', ...t })), files: { 'run.js': recorder, ...extraFiles } };
}

function runsOf(name: string) {
  return (globalThis.timeRuns ?? []).filter((r) => r.task === name);
}

function runCount(rt: Runtime, name: string): number {
  return rt.store.data.runs[taskId(rt, name)]?.length ?? 0;
}

test('a TimeTrigger fires every freshnessTime minutes, not before', async () => {
  globalThis.timeRuns = [];
  const clock = new FakeClock();
  const h = await startHarness({ clock, bundles: [bundle([{ name: 'every15', trigger: { type: 'TimeTrigger', freshnessTime: 15, oneShot: false } }])] });
  try {
    clock.advance(14 * MIN);
    assert.equal(runsOf('every15').length, 0);
    clock.advance(1 * MIN);
    assert.equal(runsOf('every15').length, 1);
    assert.equal(runsOf('every15')[0]!.details.missed, false);
    clock.advance(15 * MIN);
    assert.equal(runsOf('every15').length, 2);
    const state = h.runtime.store.data.triggerState[taskId(h.runtime, 'every15')]!;
    assert.equal(state.dueAt, clock.now() + 15 * MIN);
    assert.equal(state.fireCount, 2);
  } finally {
    await h.close();
  }
});

test('the default policy refuses a TimeTrigger under 15 minutes, naming the field and the minimum', async () => {
  const h = await startHarness({ bundles: [bundle([{ name: 'tooOften', trigger: { type: 'TimeTrigger', freshnessTime: 5 } }])] });
  try {
    const rejected = h.runtime.bundles.rejected.get('timed');
    assert.equal(rejected?.error.code, 'TRIGGER_BELOW_MINIMUM');
    assert.match(rejected!.error.message, /tasks\[0\]\.trigger\.freshnessTime is 5 minutes: the device policy's minimum is 15/);
    assert.equal(h.runtime.registry.records().length, 0);
  } finally {
    await h.close();
  }
});

test('config may lower the minimum for development', async () => {
  globalThis.timeRuns = [];
  const clock = new FakeClock();
  const h = await startHarness({ clock, policy: { minTimeTriggerMinutes: 0.1 }, bundles: [bundle([{ name: 'fast', trigger: { type: 'TimeTrigger', freshnessTime: 0.25 } }])] });
  try {
    clock.advance(15_000);
    assert.equal(runsOf('fast').length, 1);
  } finally {
    await h.close();
  }
});

test('a oneShot TimeTrigger runs once, and not again after a restart', async () => {
  globalThis.timeRuns = [];
  const clock = new FakeClock();
  const h = await startHarness({ clock, bundles: [bundle([{ name: 'once', trigger: { type: 'TimeTrigger', freshnessTime: 15, oneShot: true } }])] });
  try {
    clock.advance(15 * MIN);
    clock.advance(45 * MIN);
    assert.equal(runsOf('once').length, 1);
    const clock2 = new FakeClock(clock.now());
    const rt = await h.restart({ clock: clock2, system: new SimSystem({ clock: clock2 }) });
    clock2.advance(60 * MIN);
    await tick();
    assert.equal(runsOf('once').length, 1);
    assert.equal(rt.store.data.triggerState[taskId(rt, 'once')]?.done, true);
  } finally {
    await h.close();
  }
});

test('due times persist; runs missed while the device was off run once at start', async () => {
  globalThis.timeRuns = [];
  const clock = new FakeClock();
  const h = await startHarness({ clock, bundles: [bundle([{ name: 'periodic', trigger: { type: 'TimeTrigger', freshnessTime: 15 } }])] });
  try {
    clock.advance(15 * MIN);
    assert.equal(runsOf('periodic').length, 1);
    const dueBefore = h.runtime.store.data.triggerState[taskId(h.runtime, 'periodic')]!.dueAt!;
    // The device is off for 100 minutes: six periods pass.
    const clock2 = new FakeClock(clock.now() + 100 * MIN);
    const rt = await h.restart({ clock: clock2, system: new SimSystem({ clock: clock2 }) });
    assert.equal(rt.store.data.triggerState[taskId(rt, 'periodic')]!.fireCount, 1, 'the fire count survived the restart');
    clock2.advance(0);
    assert.equal(runsOf('periodic').length, 2, 'exactly one catch-up run');
    const caughtUp = runsOf('periodic')[1]!.details;
    assert.equal(caughtUp.missed, true);
    assert.equal(caughtUp.scheduledAt, new Date(dueBefore).toISOString());
    clock2.advance(14 * MIN);
    assert.equal(runsOf('periodic').length, 2);
    clock2.advance(1 * MIN);
    assert.equal(runsOf('periodic').length, 3, 'the next run is a period after the catch-up');
  } finally {
    await h.close();
  }
});

test('a wall clock that jumps forward (NTP after boot) is noticed within a minute', async () => {
  globalThis.timeRuns = [];
  const clock = new FakeClock();
  const h = await startHarness({ clock, bundles: [bundle([{ name: 'jumpy', trigger: { type: 'TimeTrigger', freshnessTime: 30 } }])] });
  try {
    // set() moves time without the intermediate timers seeing each minute: like a clock step.
    clock.set(clock.now() + 31 * MIN);
    assert.equal(runsOf('jumpy').length, 1);
  } finally {
    await h.close();
  }
});

const holdsUntilCanceled = `export default function run(instance) {
  const deferral = instance.getDeferral();
  (globalThis.timeRuns ??= []).push({ task: instance.task.name, details: instance.triggerDetails });
  instance.on('canceled', () => deferral.complete());
}`;

test('MaintenanceTrigger waits for a good supply, and is aborted when the supply goes bad', async () => {
  globalThis.timeRuns = [];
  const clock = new FakeClock();
  const system = new SimSystem({ clock });
  const h = await startHarness({
    clock,
    system,
    bundles: [bundle([{ name: 'maint', entry: 'hold.js', trigger: { type: 'MaintenanceTrigger', freshnessTime: 15 } }], { 'hold.js': holdsUntilCanceled })],
  });
  try {
    system.setThrottled(0x50005); // under-voltage now
    assert.equal(h.runtime.state.values.supplyGood, false);
    clock.advance(20 * MIN);
    assert.equal(runsOf('maint').length, 0, 'no maintenance on a bad supply');
    system.setThrottled(0x50000); // recovered
    assert.equal(runsOf('maint').length, 1, 'it runs as soon as the supply is good');
    const id = taskId(h.runtime, 'maint');
    assert.ok(h.runtime.dispatcher.isRunning(id));
    system.setThrottled(0x50001); // under-voltage again while it runs
    await tick();
    const runs = h.runtime.store.data.runs[id]!;
    assert.equal(runs.at(-1)?.outcome, 'canceled');
    assert.equal(runs.at(-1)?.reason, 'Abort');
  } finally {
    await h.close();
  }
});

test('MaintenanceTrigger registers with the long-running quota', async () => {
  const clock = new FakeClock();
  // A quiet task: the idle limit is set past the quota so only the quota can end it.
  const h = await startHarness({
    clock,
    policy: { idleSec: 3600 },
    bundles: [bundle([{ name: 'long', entry: 'hold.js', trigger: { type: 'MaintenanceTrigger', freshnessTime: 15 } }], { 'hold.js': holdsUntilCanceled })],
  });
  try {
    clock.advance(15 * MIN);
    const id = taskId(h.runtime, 'long');
    assert.ok(h.runtime.dispatcher.isRunning(id));
    clock.advance(599_000);
    assert.ok(h.runtime.dispatcher.isRunning(id), 'still within 10 minutes');
    clock.advance(1_000);
    await tick();
    assert.equal(h.runtime.store.data.runs[id]?.at(-1)?.reason, 'ExecutionTimeExceeded');
    assert.equal(runCount(h.runtime, 'long'), 1);
  } finally {
    await h.close();
  }
});
