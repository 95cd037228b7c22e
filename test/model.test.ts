/**
 * The seed's programming model: the builder's typed errors, registrations and their events,
 * groups with their own activation, access decided by policy.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BackgroundExecutionManager } from '../runtime/access.js';
import { BackgroundTaskBuilder } from '../runtime/builder.js';
import { AccessDeniedError, RegistrationError, TaskCanceledError, TaskError, UnsupportedTriggerError } from '../runtime/errors.js';
import { BackgroundTaskRegistration, BackgroundTaskRegistrationGroup, type BackgroundTaskCompletedEventArgs } from '../runtime/registration.js';
import { finished, next, startHarness, tick, type Harness } from './helpers/harness.js';

let h: Harness;

const taskCode = `
export default async function run(instance) {
  instance.progress = 10;
  await new Promise((r) => setTimeout(r, 10));
  instance.progress = 100;
}
export class Greeter {
  run(instance) { instance.log.info('hello ' + instance.triggerDetails.arguments.who); }
}
export const objectTask = { run(instance) { instance.progress = 42; } };
export async function failing() { throw new TypeError('bad input'); }
export function waitForCancel(instance) {
  const d = instance.getDeferral();
  instance.on('canceled', () => d.complete());
}
`;

before(async () => {
  h = await startHarness({
    bundles: [{ name: 'app1', tasks: [{ name: 'placeholder', entry: 'task.js', trigger: { type: 'ApplicationTrigger' } }], files: { 'task.js': taskCode } }],
    policy: { access: { default: 'AllowedSubjectToSystemPolicy', bundles: { locked: { access: 'DeniedBySystemPolicy' } } } },
  });
});
after(() => h.close());

function builder(name: string, entry = 'app1/task.js'): BackgroundTaskBuilder {
  const b = new BackgroundTaskBuilder();
  b.name = name;
  b.taskEntryPoint = entry;
  return b;
}

test('register() returns a persisted registration listed in allTasks', async () => {
  const b = builder('api-task');
  b.setTrigger({ type: 'ApplicationTrigger', name: 'api-task' });
  const reg = b.register();
  assert.match(reg.taskId, /^[0-9a-f-]{36}$/);
  assert.equal(reg.name, 'api-task');
  assert.deepEqual(reg.trigger, { type: 'ApplicationTrigger', name: 'api-task' });
  assert.equal(BackgroundTaskRegistration.allTasks.get(reg.taskId), reg);
  await h.runtime.store.flush();
  assert.equal(h.runtime.store.data.registrations[reg.taskId]?.source, 'api');
  const progress: number[] = [];
  reg.on('progress', (p) => progress.push(p.progress));
  const completed = new Promise<BackgroundTaskCompletedEventArgs>((resolve) => reg.on('completed', resolve));
  assert.equal(h.runtime.trigger('api-task').result, 'Allowed');
  const args = await completed;
  assert.equal(args.outcome, 'succeeded');
  args.checkResult();
  assert.deepEqual(progress, [10, 100]);
  reg.unregister(false);
  assert.equal(BackgroundTaskRegistration.allTasks.has(reg.taskId), false);
});

test('class, object and function exports all run; ApplicationTrigger arguments arrive as details', async () => {
  const b = builder('greeter', 'app1/task.js#Greeter');
  b.setTrigger({ type: 'ApplicationTrigger' });
  b.isolation = 'inprocess';
  const reg = b.register();
  assert.deepEqual(reg.trigger, { type: 'ApplicationTrigger', name: 'greeter' }, 'the trigger name defaults to the task name');
  const done = finished(h.runtime, 'greeter');
  assert.equal(h.runtime.trigger('greeter', { who: 'pi' }).result, 'Allowed');
  assert.equal((await done).outcome, 'succeeded');
  const o = builder('objectTask', 'app1/task.js#objectTask');
  o.setTrigger({ type: 'ApplicationTrigger' });
  o.register();
  const doneObject = finished(h.runtime, 'objectTask');
  h.runtime.trigger('objectTask');
  const result = await doneObject;
  assert.equal(result.outcome, 'succeeded');
  assert.equal(result.progress, 42);
});

test('checkResult() throws the task error, typed', async () => {
  const b = builder('failing', 'app1/task.js#failing');
  b.setTrigger({ type: 'ApplicationTrigger' });
  const reg = b.register();
  const completed = new Promise<BackgroundTaskCompletedEventArgs>((resolve) => reg.on('completed', resolve));
  h.runtime.trigger('failing');
  const args = await completed;
  assert.equal(args.outcome, 'failed');
  assert.throws(() => args.checkResult(), (err: unknown) => err instanceof TaskError && err.code === 'TASK_REJECTED' && /bad input/.test(err.message));
});

test('a second trigger while the task runs answers CurrentlyRunning; unregister(true) cancels with Abort', async () => {
  const b = builder('waiter', 'app1/task.js#waitForCancel');
  b.setTrigger({ type: 'ApplicationTrigger' });
  const reg = b.register();
  const started = next(h.runtime, 'started', (e) => e.name === 'waiter');
  assert.equal(h.runtime.trigger('waiter').result, 'Allowed');
  await started;
  assert.equal(h.runtime.trigger('waiter').result, 'CurrentlyRunning');
  const done = finished(h.runtime, 'waiter');
  reg.unregister(true);
  const result = await done;
  assert.equal(result.outcome, 'canceled');
  assert.equal(result.reason, 'Abort');
  assert.ok(result.error instanceof TaskCanceledError);
  assert.throws(() => h.runtime.trigger('waiter'), /no ApplicationTrigger named "waiter"/);
});

test('register() refuses invalid combinations with typed errors', () => {
  BackgroundExecutionManager.requestAccess('app');
  const cases: [string, (b: BackgroundTaskBuilder) => void, new (...a: never[]) => Error, RegExp][] = [
    ['no trigger', () => {}, RegistrationError, /has no trigger: call setTrigger/],
    ['TimeTrigger under the minimum', (b) => b.setTrigger({ type: 'TimeTrigger', freshnessTime: 1, oneShot: false }), RegistrationError, /freshnessTime is 1 minutes: the device policy's minimum is 15/],
    ['unsupported trigger', (b) => b.setTrigger({ type: 'SmsMessageReceivedTrigger' }), UnsupportedTriggerError, /not supported on this device yet: it needs the cellular modem driver/],
    ['unsupported SystemTrigger type', (b) => b.setTrigger({ type: 'SystemTrigger', triggerType: 'SmsReceived', oneShot: false }), UnsupportedTriggerError, /SystemTrigger SmsReceived is not supported/],
    ['misspelt SystemTrigger type', (b) => b.setTrigger({ type: 'SystemTrigger', triggerType: 'TimezoneChange', oneShot: false } as never), RegistrationError, /triggerType is "TimezoneChange": expected one of/],
    ['unknown trigger', (b) => b.setTrigger({ type: 'FooTrigger' }), RegistrationError, /unknown trigger type "FooTrigger": expected one of .*TimeTrigger/],
    ['bad condition', (b) => { b.setTrigger({ type: 'ApplicationTrigger' }); b.addCondition('InternetMaybe' as never); }, RegistrationError, /conditions\[0\] is "InternetMaybe": expected one of UserPresent/],
    ['isolated without an entry point', (b) => { b.taskEntryPoint = undefined; b.isolation = 'worker'; b.setTrigger({ type: 'ApplicationTrigger' }); }, RegistrationError, /no entry point: an isolated task needs taskEntryPoint/],
    ['entry point that does not exist', (b) => { b.taskEntryPoint = 'app1/nope.js'; b.setTrigger({ type: 'ApplicationTrigger' }); }, RegistrationError, /app1\/nope\.js does not exist/],
    ['bad capability', (b) => { b.setTrigger({ type: 'ApplicationTrigger' }); b.capabilities = ['Everything!']; }, RegistrationError, /capabilities\[0\] is "Everything!"/],
    ['negative budget', (b) => { b.setTrigger({ type: 'ApplicationTrigger' }); b.memoryMb = -4; }, RegistrationError, /memoryMb is -4: expected a number > 0/],
    ['bundle denied by policy', (b) => { b.taskEntryPoint = undefined; b.bundle = 'locked'; BackgroundExecutionManager.requestAccess('locked'); b.setTrigger({ type: 'ApplicationTrigger' }); }, AccessDeniedError, /bundle "locked" may not register background tasks \(access DeniedBySystemPolicy\)/],
    ['bundle that never asked for access', (b) => { b.taskEntryPoint = undefined; b.bundle = 'stranger'; b.setTrigger({ type: 'ApplicationTrigger' }); }, AccessDeniedError, /access Unspecified\): call BackgroundExecutionManager.requestAccess\(\) first/],
  ];
  for (const [what, setup, type, message] of cases) {
    const b = builder(`bad-${what}`);
    setup(b);
    assert.throws(() => b.register(), (err: unknown) => {
      assert.ok(err instanceof type, `${what}: got ${String(err)}`);
      assert.match((err as Error).message, message, what);
      return true;
    });
  }
  assert.equal([...BackgroundTaskRegistration.allTasks.values()].filter((r) => r.name.startsWith('bad-')).length, 0);
});

test('requestAccess answers from policy and is remembered; removeAccess unregisters', () => {
  assert.equal(BackgroundExecutionManager.requestAccess('app2'), 'AllowedSubjectToSystemPolicy');
  assert.equal(BackgroundExecutionManager.getAccessStatus('app2'), 'AllowedSubjectToSystemPolicy');
  assert.equal(BackgroundExecutionManager.getAccessStatus('never-asked'), 'Unspecified');
  const b = new BackgroundTaskBuilder();
  b.name = 'app2-task';
  b.bundle = 'app2';
  b.setTrigger({ type: 'CustomSystemEventTrigger', triggerId: 'app2.go', recurrence: 'Always' });
  const reg = b.register();
  BackgroundExecutionManager.removeAccess('app2');
  assert.equal(BackgroundTaskRegistration.allTasks.has(reg.taskId), false);
  assert.equal(BackgroundExecutionManager.getAccessStatus('app2'), 'Unspecified');
});

test('a group keeps its tasks apart and runs entry-point-less tasks through its own backgroundActivated', async () => {
  BackgroundExecutionManager.requestAccess('app');
  const alpha = new BackgroundTaskRegistrationGroup('alpha', 'Alpha group');
  const beta = new BackgroundTaskRegistrationGroup('beta');
  const seen: string[] = [];
  alpha.on('backgroundActivated', ({ taskInstance }) => {
    seen.push(`alpha:${taskInstance.task.name}`);
  });
  beta.on('backgroundActivated', async ({ taskInstance }) => {
    await tick(5);
    seen.push(`beta:${taskInstance.task.name}`);
  });
  for (const [name, group] of [['a1', alpha], ['b1', beta]] as const) {
    const b = new BackgroundTaskBuilder();
    b.name = name;
    b.taskGroup = group;
    b.setTrigger({ type: 'CustomSystemEventTrigger', triggerId: 'groups.go', recurrence: 'Always' });
    b.register();
  }
  assert.equal(BackgroundTaskRegistration.getTaskGroup('alpha'), alpha);
  assert.deepEqual([...alpha.allTasks.values()].map((r) => r.name), ['a1']);
  assert.deepEqual([...beta.allTasks.values()].map((r) => r.name), ['b1']);
  assert.ok(![...BackgroundTaskRegistration.allTasks.values()].some((r) => r.name === 'a1'), 'grouped tasks are not in allTasks');
  assert.ok(BackgroundTaskRegistration.allTaskGroups.has('beta'));
  const both = Promise.all([finished(h.runtime, 'a1'), finished(h.runtime, 'b1')]);
  assert.equal(h.runtime.emit('groups.go'), 2);
  const results = await both;
  assert.deepEqual(results.map((r) => r.outcome), ['succeeded', 'succeeded']);
  assert.deepEqual(seen.sort(), ['alpha:a1', 'beta:b1']);
  for (const reg of [...alpha.allTasks.values(), ...beta.allTasks.values()]) reg.unregister(false);
  assert.equal(BackgroundTaskRegistration.allTaskGroups.has('alpha'), false, 'an empty group goes away');
});

test('a task without an entry point and without a handler fails clearly', async () => {
  BackgroundExecutionManager.requestAccess('app');
  const b = new BackgroundTaskBuilder();
  b.name = 'orphan';
  b.setTrigger({ type: 'CustomSystemEventTrigger', triggerId: 'orphan.go', recurrence: 'Always' });
  b.register();
  const done = finished(h.runtime, 'orphan');
  h.runtime.emit('orphan.go');
  const result = await done;
  assert.equal(result.outcome, 'failed');
  assert.equal(result.error?.code, 'NO_ACTIVATION_HANDLER');
});

test('CustomSystemEventTrigger Once fires a single time; Always every time', async () => {
  BackgroundExecutionManager.requestAccess('app');
  const counts = { once: 0, always: 0 };
  h.runtime.onBackgroundActivated = ({ taskInstance }) => {
    counts[taskInstance.task.name as 'once' | 'always']++;
  };
  for (const [name, recurrence] of [['once', 'Once'], ['always', 'Always']] as const) {
    const b = new BackgroundTaskBuilder();
    b.name = name;
    b.setTrigger({ type: 'CustomSystemEventTrigger', triggerId: 'rec.go', recurrence });
    b.register();
  }
  h.runtime.emit('rec.go');
  h.runtime.emit('rec.go');
  h.runtime.emit('rec.go');
  await tick(10);
  assert.deepEqual(counts, { once: 1, always: 3 });
  assert.throws(() => h.runtime.emit('bad id with spaces'), /event id "bad id with spaces" is not valid/);
});
