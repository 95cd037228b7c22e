/**
 * Device policy and the cancellation reasons it causes: SystemPolicy when access is revoked,
 * EnergySaver on SoC throttling, Terminating at stop; and capabilities, which a task may use
 * only as its manifest declares and policy allows — isolated or in-process alike.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DevicePolicy } from '../runtime/policy.js';
import { parseConfig } from '../runtime/config.js';
import { finished, next, startHarness, taskId, type BundleSpec } from './helpers/harness.js';

const waitForCancel = `export default async function run(instance) {
  await new Promise((resolve) => instance.signal.addEventListener('abort', resolve));
}`;

function waiter(name: string, extra: Record<string, unknown> = {}): BundleSpec {
  return { name, tasks: [{ name: `${name}-task`, entry: 'w.js', trigger: { type: 'CustomSystemEventTrigger', triggerId: `${name}.go` }, ...extra }], files: { 'w.js': waitForCancel } };
}

test('revoking access by policy cancels the bundle\'s running task with SystemPolicy', async () => {
  const h = await startHarness({ bundles: [waiter('p')] });
  try {
    const started = next(h.runtime, 'started', (e) => e.name === 'p-task');
    h.runtime.emit('p.go');
    await started;
    const done = finished(h.runtime, 'p-task');
    const stricter = parseConfig({ stateDir: 's', bundlesDir: 'b', policy: { access: { bundles: { p: { access: 'DeniedBySystemPolicy' } } } } }, join(h.root, 'config.json'));
    h.runtime.setPolicy(new DevicePolicy(stricter.policy));
    const result = await done;
    assert.equal(result.reason, 'SystemPolicy');
    assert.equal(h.runtime.access.getAccessStatus('p'), 'DeniedBySystemPolicy');
    // Still registered, but nothing runs while access is denied.
    assert.equal(h.runtime.emit('p.go'), 1);
    assert.equal(h.runtime.dispatcher.isRunning(taskId(h.runtime, 'p-task')), false);
  } finally {
    await h.close();
  }
});

test('a trigger type the policy does not list for a bundle is refused at load', async () => {
  const h = await startHarness({ bundles: [waiter('q')], policy: { access: { bundles: { q: { triggers: ['TimeTrigger', 'SystemTrigger:TimeZoneChange'] } } } } });
  try {
    assert.equal(h.runtime.bundles.rejected.get('q')?.error.code, 'TRIGGER_NOT_ALLOWED');
    assert.match(h.runtime.bundles.rejected.get('q')!.error.message, /may not register CustomSystemEventTrigger/);
  } finally {
    await h.close();
  }
});

test('SoC throttling cancels running tasks with EnergySaver, unless the policy says ignore', async () => {
  const h = await startHarness({ bundles: [waiter('e')] });
  try {
    const started = next(h.runtime, 'started', (e) => e.name === 'e-task');
    h.runtime.emit('e.go');
    await started;
    const done = finished(h.runtime, 'e-task');
    h.system.setThrottled(0x4); // throttled now; the supply itself is fine
    const result = await done;
    assert.equal(result.reason, 'EnergySaver');
    assert.equal(h.runtime.state.values.supplyGood, true);
    assert.equal(h.runtime.workCost.value, 'High');
  } finally {
    await h.close();
  }
  const lenient = await startHarness({ bundles: [waiter('e', { timeoutSec: 1 })], policy: { energySaver: 'ignore' } });
  try {
    const done = finished(lenient.runtime, 'e-task');
    lenient.runtime.emit('e.go');
    await next(lenient.runtime, 'started');
    lenient.system.setThrottled(0x4);
    assert.equal((await done).reason, 'ExecutionTimeExceeded', 'only its own quota ended it');
  } finally {
    await lenient.close();
  }
});

test('stopping the runtime cancels running tasks with Terminating and records the run', async () => {
  const h = await startHarness({ bundles: [waiter('t')] });
  const started = next(h.runtime, 'started', (e) => e.name === 't-task');
  h.runtime.emit('t.go');
  await started;
  const done = finished(h.runtime, 't-task');
  const id = taskId(h.runtime, 't-task');
  await h.runtime.stop();
  assert.equal((await done).reason, 'Terminating');
  const onDisk = JSON.parse(readFileSync(join(h.stateDir, 'store.json'), 'utf8')) as { runs: Record<string, { reason?: string }[]> };
  assert.equal(onDisk.runs[id]?.at(-1)?.reason, 'Terminating');
  await h.close();
});

const caller = `
async function attempt(instance, ...args) {
  try {
    const value = await instance.call(...args);
    instance.log.info('allowed', { value });
    return 'allowed';
  } catch (err) {
    instance.log.info('refused', { code: err.code, message: err.message });
    return err.code;
  }
}
export async function declared(instance) {
  const results = [
    await attempt(instance, 'events.emit', 'cap.pong', { from: 'declared' }),
    await attempt(instance, 'events.emit', 'cap.other'),
    await attempt(instance, 'tasks.trigger', 'anything'),
    await attempt(instance, 'gpio.write', 'led', 1),
  ];
  if (results.join() !== 'allowed,CAPABILITY_DENIED,CAPABILITY_DENIED,CAPABILITY_UNAVAILABLE') throw new Error('unexpected: ' + results.join());
  instance.progress = 100;
}
export function pong(instance) { (globalThis.pongs ??= []).push(instance.triggerDetails); }
`;

declare global {
  var pongs: Record<string, unknown>[] | undefined;
}

for (const isolation of ['worker', 'inprocess'] as const) {
  test(`a ${isolation} task may use only the capabilities it declares`, async () => {
    globalThis.pongs = [];
    const h = await startHarness({
      bundles: [
        {
          name: 'cap',
          tasks: [
            { name: 'declared', entry: 'c.js', export: 'declared', isolation, trigger: { type: 'CustomSystemEventTrigger', triggerId: 'cap.go' }, capabilities: ['events.emit:cap.pong', 'gpio.write:led'] },
            { name: 'pong', entry: 'c.js', export: 'pong', isolation: 'inprocess', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'cap.pong' } },
          ],
          files: { 'c.js': caller },
        },
      ],
    });
    try {
      const done = finished(h.runtime, 'declared');
      h.runtime.emit('cap.go');
      const result = await done;
      assert.equal(result.outcome, 'succeeded', result.error?.message);
      assert.equal(result.progress, 100);
      assert.equal(globalThis.pongs.length, 1);
      assert.equal(globalThis.pongs[0]!.from, 'declared');
      assert.equal(globalThis.pongs[0]!.source, 'task cap/declared');
      const log = readFileSync(join(h.stateDir, 'logs', 'vigil.log'), 'utf8');
      assert.match(log, /used capability events\.emit:cap\.other, which its manifest does not declare \(it declares: events\.emit:cap\.pong, gpio\.write:led\)/);
    } finally {
      await h.close();
    }
  });
}

test('policy limits which capabilities and hosts a bundle may declare', async () => {
  const h = await startHarness({
    bundles: [
      { name: 'greedy', tasks: [{ name: 'g', entry: 'c.js', export: 'pong', trigger: { type: 'ApplicationTrigger' }, capabilities: ['tasks.trigger'] }], files: { 'c.js': caller } },
      { name: 'inproc', tasks: [{ name: 'i', entry: 'c.js', export: 'pong', isolation: 'inprocess', trigger: { type: 'ApplicationTrigger' } }], files: { 'c.js': caller } },
    ],
    policy: { access: { bundles: { greedy: { capabilities: ['events.emit'] }, inproc: { inProcess: false } } } },
  });
  try {
    assert.equal(h.runtime.bundles.rejected.get('greedy')?.error.code, 'CAPABILITY_NOT_ALLOWED');
    assert.equal(h.runtime.bundles.rejected.get('inproc')?.error.code, 'INPROCESS_NOT_ALLOWED');
  } finally {
    await h.close();
  }
});
