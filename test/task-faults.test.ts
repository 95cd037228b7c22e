/**
 * Isolated tasks that misbehave in every way a task can: each ends as a completed event whose
 * checkResult() names the cause, a log line and a run record — and the runtime keeps serving.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TaskCanceledError, TaskError } from '../runtime/errors.js';
import type { BackgroundTaskCompletedEventArgs } from '../runtime/registration.js';
import { finished, startHarness, taskId, type Harness } from './helpers/harness.js';

const faults = `
export function throws() { throw new Error('boom'); }
export async function rejects() { await null; throw new RangeError('late boom'); }
export function throwsString() { throw 'just a string'; }
export function leaks(instance) { const d = instance.getDeferral(); Promise.reject(new Error('nobody caught me')); setTimeout(() => d.complete(), 2000); }
export function uncaught(instance) { const d = instance.getDeferral(); setTimeout(() => { throw new TypeError('thrown from a timer'); }, 10); }
export function exits() { process.exit(3); }
export function loops() { for (;;) {} }
export function heap() { const a = []; for (;;) a.push({ n: Math.random(), s: 'x'.repeat(64) }); }
export async function buffers(instance) {
  const held = [];
  for (let i = 0; i < 256; i++) {
    held.push(Buffer.alloc(1024 * 1024, 1));
    if (i % 4 === 0) await new Promise((r) => setImmediate(r));
  }
  instance.log.info('allocated ' + held.length + ' MB');
}
export function quiet(instance) { instance.getDeferral(); }
export async function chatty(instance) {
  console.log('hello from stdout');
  console.error('and from stderr');
  for (let i = 1; i <= 4; i++) { instance.progress = i * 25; await new Promise((r) => setTimeout(r, 20)); }
}
export const notAFunction = 42;
`;

const tasks = [
  ['throws', {}],
  ['rejects', {}],
  ['throwsString', {}],
  ['leaks', {}],
  ['uncaught', {}],
  ['exits', {}],
  ['loops', { timeoutSec: 1 }],
  ['heap', {}],
  ['buffers', { memoryMb: 32 }],
  ['quiet', {}],
  ['chatty', {}],
  ['notAFunction', {}],
  ['missing', {}],
].map(([name, extra]) => ({
  name,
  entry: 'faults.js',
  export: name,
  trigger: { type: 'CustomSystemEventTrigger', triggerId: `fault.${name as string}` },
  ...(extra as object),
}));

let h: Harness;

before(async () => {
  h = await startHarness({
    bundles: [
      { name: 'faults', tasks, files: { 'faults.js': faults } },
      {
        name: 'steady',
        tasks: [{ name: 'tick', entry: 'tick.js', isolation: 'inprocess', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'tick' } }],
        files: { 'tick.js': 'export default function run(i) { i.progress = 100; }' },
      },
    ],
    // A small heap ceiling makes heap exhaustion quick; the idle limit is short for the idle test.
    policy: { memory: { defaultMb: 32, maxMb: 48 }, idleSec: 1, cancelGraceMs: 300 },
  });
});

after(() => h.close());

async function runFault(name: string): Promise<{ completed: BackgroundTaskCompletedEventArgs; error: unknown }> {
  const registration = h.runtime.registry.get(taskId(h.runtime, name))!;
  const completed = new Promise<BackgroundTaskCompletedEventArgs>((resolve) => {
    const off = registration.on('completed', (args) => {
      off();
      resolve(args);
    });
  });
  assert.equal(h.runtime.emit(`fault.${name}`), 1);
  const args = await completed;
  let error: unknown;
  try {
    args.checkResult();
  } catch (err) {
    error = err;
  }
  return { completed: args, error };
}

function lastRun(name: string) {
  const runs = h.runtime.store.data.runs[taskId(h.runtime, name)];
  return runs?.[runs.length - 1];
}

function logLines(): Record<string, unknown>[] {
  return readFileSync(join(h.stateDir, 'logs', 'vigil.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function assertStillServing(): Promise<void> {
  const done = finished(h.runtime, 'tick');
  h.runtime.emit('tick');
  assert.equal((await done).outcome, 'succeeded');
}

const cases: [string, string, RegExp, string?][] = [
  ['throws', 'TASK_THREW', /run\(\) threw: boom/],
  ['rejects', 'TASK_REJECTED', /run\(\) rejected: late boom/],
  ['throwsString', 'TASK_THREW', /just a string/],
  ['leaks', 'UNHANDLED_REJECTION', /nobody caught me/],
  ['uncaught', 'UNCAUGHT_EXCEPTION', /thrown from a timer/],
  ['exits', 'TASK_EXITED', /process\.exit\(3\)/],
  ['notAFunction', 'TASK_LOAD_FAILED', /is number: expected a function/],
  ['missing', 'TASK_LOAD_FAILED', /has no export "missing".*it exports: .*throws/],
];

for (const [name, code, message] of cases) {
  test(`a task that ${name} fails with ${code}, and the runtime keeps serving`, async () => {
    const { completed, error } = await runFault(name);
    assert.equal(completed.outcome, 'failed');
    assert.ok(error instanceof TaskError, `checkResult threw ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    const run = lastRun(name);
    assert.equal(run?.outcome, 'failed');
    assert.equal(run?.error?.code, code);
    assert.ok(logLines().some((l) => l.evt === 'complete' && l.task === name && (l.err as { code?: string })?.code === code), 'a completion log line names the cause');
    await assertStillServing();
  });
}

test('an infinite loop is cancelled at its quota (ExecutionTimeExceeded) and its worker stopped', async () => {
  const t0 = Date.now();
  const { completed, error } = await runFault('loops');
  assert.equal(completed.outcome, 'canceled');
  assert.equal(completed.reason, 'ExecutionTimeExceeded');
  assert.ok(error instanceof TaskCanceledError);
  assert.equal(error.code, 'QUOTA_EXCEEDED');
  // quota 1 s + grace 0.3 s: it was stopped, not left spinning.
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(h.runtime.pool.busy, 0);
  await assertStillServing();
});

test('a task that exhausts its heap is revoked (HEAP_EXHAUSTED), the runtime unharmed', async () => {
  const { completed, error } = await runFault('heap');
  assert.equal(completed.outcome, 'canceled');
  assert.equal(completed.reason, 'ResourceRevocation');
  assert.ok(error instanceof TaskCanceledError);
  assert.ok(error.code === 'HEAP_EXHAUSTED' || error.code === 'MEMORY_BUDGET_EXCEEDED', error.code);
  await assertStillServing();
});

test('256 MB of Buffers under a 32 MB budget: ResourceRevocation, while other tasks keep running', async () => {
  const rss0 = process.memoryUsage().rss;
  const ticks: Promise<unknown>[] = [];
  const interval = setInterval(() => {
    const done = finished(h.runtime, 'tick');
    h.runtime.emit('tick');
    ticks.push(done);
  }, 5);
  const { completed, error } = await runFault('buffers');
  clearInterval(interval);
  assert.equal(completed.outcome, 'canceled');
  assert.equal(completed.reason, 'ResourceRevocation');
  assert.ok(error instanceof TaskCanceledError && error.code === 'MEMORY_BUDGET_EXCEEDED', String(error));
  assert.ok(completed.peakBytes! > 32 * 1024 * 1024, `peak ${completed.peakBytes}`);
  assert.ok(completed.peakBytes! < 128 * 1024 * 1024, `stopped long before 256 MB (peak ${completed.peakBytes})`);
  assert.equal(completed.energy, 'OverBudget');
  const results = (await Promise.all(ticks)) as { outcome: string }[];
  assert.ok(results.length > 0 && results.every((r) => r.outcome === 'succeeded'), 'other tasks ran meanwhile');
  assert.ok(process.memoryUsage().rss - rss0 < 200 * 1024 * 1024);
});

test('a task holding a deferral without progress is cancelled as IdleTask', async () => {
  const { completed, error } = await runFault('quiet');
  assert.equal(completed.reason, 'IdleTask');
  assert.ok(error instanceof TaskCanceledError && error.reason === 'IdleTask');
});

test('progress reaches the registration; console output of a worker becomes task log lines', async () => {
  const registration = h.runtime.registry.get(taskId(h.runtime, 'chatty'))!;
  const seen: number[] = [];
  const off = registration.on('progress', (p) => seen.push(p.progress));
  const { completed } = await runFault('chatty');
  off();
  assert.equal(completed.outcome, 'succeeded');
  assert.deepEqual(seen, [25, 50, 75, 100]);
  assert.equal(lastRun('chatty')?.progress, 100);
  const lines = logLines().filter((l) => l.evt === 'task' && l.task === 'chatty');
  assert.ok(lines.some((l) => l.msg === 'hello from stdout' && l.stream === 'stdout'));
  assert.ok(lines.some((l) => l.msg === 'and from stderr' && l.stream === 'stderr' && l.level === 40));
});
