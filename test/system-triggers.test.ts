/**
 * The SystemTriggers the core serves, from the (simulated) board's own reports; a trigger type
 * added through the broker's source interface, as a driver adds one; and the task-host rules
 * that depend on device state: budgets scaled by the work cost, quotas by trigger class.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { TriggerDefinition } from '../runtime/broker.js';
import { RegistrationError } from '../runtime/errors.js';
import { DevicePolicy } from '../runtime/policy.js';
import { finished, next, startHarness, taskId, tick, type Harness } from './helpers/harness.js';

declare global {
  var sysRuns: { task: string; details: unknown }[] | undefined;
}

const record = `export default function run(instance) {
  (globalThis.sysRuns ??= []).push({ task: instance.task.name, details: instance.triggerDetails });
}
export function deferred(instance) {
  const d = instance.getDeferral();
  (globalThis.sysRuns ??= []).push({ task: 'deferred-start', details: null });
  setTimeout(() => { (globalThis.sysRuns ??= []).push({ task: 'deferred-complete', details: null }); d.complete(); }, 150);
}
export async function hold(instance) { await new Promise((r) => instance.signal.addEventListener('abort', r)); }
`;

const task = (name: string, trigger: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name, entry: 'r.js', isolation: 'inprocess', trigger, ...extra });

// A trigger type a driver would add: readings of a made-up "gauge", armed per registration with
// a threshold, fired only when a reading passes it.
function gaugeTrigger(): TriggerDefinition {
  return {
    id: 'GaugeThresholdTrigger',
    parse: (data, ctx) => {
      if (typeof data.above !== 'number') throw new RegistrationError('TRIGGER_INVALID', `${ctx.field}.above is ${JSON.stringify(data.above)}: expected a number`);
      return { type: 'GaugeThresholdTrigger', above: data.above };
    },
    key: () => 'gauge',
    arm: (registration, port) => {
      const above = (registration.trigger as unknown as { above: number }).above;
      const listener = (value: number) => {
        if (value > above) port.fire(registration.taskId, { value });
      };
      gaugeReadings.add(listener);
      return () => void gaugeReadings.delete(listener);
    },
  };
}
const gaugeReadings = new Set<(value: number) => void>();

let h: Harness;
before(async () => {
  h = await startHarness({
    bundles: [
      {
        name: 'sys',
        tasks: [
          task('zone', { type: 'SystemTrigger', triggerType: 'TimeZoneChange' }),
          task('session', { type: 'SystemTrigger', triggerType: 'SessionConnected' }),
          task('cost', { type: 'SystemTrigger', triggerType: 'BackgroundWorkCostChange', oneShot: true }),
          task('button', { type: 'CustomSystemEventTrigger', triggerId: 'button.pressed' }),
          task('gauge', { type: 'GaugeThresholdTrigger', above: 10 }),
          task('deferred', { type: 'ApplicationTrigger' }, { export: 'deferred' }),
          task('app-hold', { type: 'ApplicationTrigger' }, { export: 'hold', isolation: 'worker' }),
          task('event-hold', { type: 'CustomSystemEventTrigger', triggerId: 'hold' }, { export: 'hold', isolation: 'worker', memoryMb: 40 }),
        ],
        files: { 'r.js': record },
      },
    ],
    triggers: [gaugeTrigger()],
    policy: { access: { bundles: { locked: { access: 'DeniedBySystemPolicy' } } } },
  });
});
after(() => h.close());

const runsOf = (name: string) => (globalThis.sysRuns ?? []).filter((r) => r.task === name);

test('TimeZoneChange, SessionConnected and device events come from the board', async () => {
  globalThis.sysRuns = [];
  h.system.setTimeZone('Asia/Tokyo');
  h.system.login('ops', { line: 'pts/3', host: '198.51.100.4' });
  h.system.raise('button.pressed', { pin: 17 });
  await tick(10);
  assert.deepEqual(runsOf('zone').map((r) => r.details), [{ from: 'Europe/London', to: 'Asia/Tokyo' }]);
  assert.deepEqual(runsOf('session').map((r) => r.details), [{ user: 'ops', line: 'pts/3', host: '198.51.100.4' }]);
  assert.deepEqual(runsOf('button').map((r) => r.details), [{ id: 'button.pressed', source: 'system/sim', pin: 17 }]);
  h.system.logout('ops');
});

test('BackgroundWorkCostChange carries the change and its causes; oneShot fires once', async () => {
  globalThis.sysRuns = [];
  h.system.set({ socTempC: 83 });
  h.system.set({ socTempC: 50 });
  h.system.set({ socTempC: 84 });
  await tick(10);
  const runs = runsOf('cost');
  assert.equal(runs.length, 1);
  assert.deepEqual(runs[0]!.details, { from: 'Low', to: 'High', causes: ['SoC 83.0 °C'] });
  assert.equal(h.runtime.store.data.triggerState[taskId(h.runtime, 'cost')]?.done, true);
});

test('a memory budget shrinks with the work cost; quotas follow the trigger class', async () => {
  assert.equal(h.runtime.workCost.value, 'High');
  const started = next(h.runtime, 'started', (e) => e.name === 'event-hold');
  h.runtime.emit('hold');
  await started;
  const held = h.runtime.dispatcher.running(taskId(h.runtime, 'event-hold'))!;
  assert.equal(held.budgetBytes, 20 * 1024 * 1024, '40 MB asked, halved while the cost is High');
  const appStarted = next(h.runtime, 'started', (e) => e.name === 'app-hold');
  h.runtime.trigger('app-hold');
  await appStarted;
  const status = h.runtime.status();
  assert.ok(status.tasks.find((t) => t.name === 'app-hold')?.running);
  const lines = readFileSync(`${h.stateDir}/logs/vigil.log`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.find((l) => l.evt === 'start' && l.task === 'app-hold')?.quotaSec, 600, 'ApplicationTrigger: the long-running quota');
  assert.equal(lines.find((l) => l.evt === 'start' && l.task === 'event-hold')?.quotaSec, 30, 'an event: the default quota');
  const ended = Promise.all([finished(h.runtime, 'event-hold'), finished(h.runtime, 'app-hold')]);
  await h.runtime.dispatcher.cancelWhere((r) => r.name.endsWith('-hold'), 'Abort', 'test over');
  await ended;
});

test('a trigger type added through the broker interface, armed per registration', async () => {
  globalThis.sysRuns = [];
  for (const read of gaugeReadings) read(7);
  for (const read of gaugeReadings) read(12);
  await tick(10);
  assert.deepEqual(runsOf('gauge').map((r) => r.details), [{ value: 12 }]);
  assert.deepEqual(h.runtime.registry.records().find((r) => r.name === 'gauge')?.trigger, { type: 'GaugeThresholdTrigger', above: 10 });
});

test('a task ends when run() has returned and every deferral is complete', async () => {
  globalThis.sysRuns = [];
  const done = finished(h.runtime, 'deferred');
  h.runtime.trigger('deferred');
  await tick(20);
  assert.ok(h.runtime.dispatcher.isRunning(taskId(h.runtime, 'deferred')), 'still running after run() returned');
  const result = await done;
  assert.equal(result.outcome, 'succeeded');
  assert.ok(result.durationMs >= 140, `ended after the deferral (${result.durationMs} ms)`);
  assert.deepEqual(runsOf('deferred-start').length + runsOf('deferred-complete').length, 2);
});

test('ApplicationTrigger answers DisabledByPolicy for a bundle the policy denies', async () => {
  h.runtime.access.requestAccess('locked');
  const before = h.runtime.trigger('deferred');
  assert.equal(before.result, 'Allowed');
  await finished(h.runtime, 'deferred');
  // Deny the bundle that owns "deferred" by changing the policy, as a config reload would.
  const config = h.runtime.policy.config;
  h.runtime.setPolicy(new DevicePolicy({ ...config, access: { ...config.access, bundles: { sys: { access: 'DeniedBySystemPolicy' } } } }));
  const outcome = h.runtime.trigger('deferred');
  assert.equal(outcome.result, 'DisabledByPolicy');
  assert.deepEqual(outcome.tasks.map((t) => t.result), ['DisabledByPolicy']);
  h.runtime.setPolicy(new DevicePolicy(config));
  assert.equal(h.runtime.trigger('deferred').result, 'Allowed');
  await finished(h.runtime, 'deferred');
});
