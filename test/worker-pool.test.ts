/**
 * The worker pool: warm workers, reuse only for the same module after a clean run, a limit on
 * concurrent isolated tasks, and idle workers let go after the keep-warm period.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finished, next, startHarness, tick, type Harness } from './helpers/harness.js';

// Module state survives only if the same worker runs the module again.
const counter = `
import { threadId } from 'node:worker_threads';
let runs = 0;
export async function count(instance) { runs++; instance.progress = runs; await instance.call('test.thread', threadId); }
export function leaveTimer(instance) { runs++; instance.progress = runs; setTimeout(() => {}, 60_000); }
export async function fail() { runs++; throw new Error('no'); }
export async function hold(instance) { await new Promise((r) => instance.signal.addEventListener('abort', r)); }
`;
const other = `import { threadId } from 'node:worker_threads';
let runs = 0;
export default async function (instance) { runs++; instance.progress = runs; await instance.call('test.thread', threadId); }`;

function bundle() {
  const task = (name: string, extra: Record<string, unknown> = {}) => ({ name, entry: 'c.js', export: name, trigger: { type: 'ApplicationTrigger' }, capabilities: ['test.thread'], ...extra });
  return [
    {
      name: 'pool',
      tasks: [task('count'), task('leaveTimer'), task('fail'), task('hold'), task('hold2', { export: 'hold' }), task('hold3', { export: 'hold' }), { name: 'other', entry: 'o.js', trigger: { type: 'ApplicationTrigger' }, capabilities: ['test.thread'] }],
      files: { 'c.js': counter, 'o.js': other },
    },
  ];
}

async function run(h: Harness, name: string) {
  const done = finished(h.runtime, name);
  assert.equal(h.runtime.trigger(name).result, 'Allowed');
  return done;
}

test('a clean run leaves its worker for the next run of the same module; a dirty or failed one does not', async () => {
  const h = await startHarness({ bundles: bundle() });
  const threads: number[] = [];
  h.runtime.capabilities.define('test.thread', { invoke: (args) => void threads.push(Number(args[0])) });
  try {
    assert.equal((await run(h, 'count')).progress, 1);
    await tick(20);
    assert.equal((await run(h, 'count')).progress, 2, 'the same worker ran it again: its module state is there');
    assert.equal((await run(h, 'count')).progress, 3);
    assert.equal(new Set(threads).size, 1, 'one worker thread served the three runs');
    assert.ok(h.runtime.pool.stats.reusedLeases >= 2);
    // A run that leaves a timer behind: its worker is not kept...
    assert.equal((await run(h, 'leaveTimer')).progress, 4);
    await tick(20);
    // ...so the next run of the module starts in a fresh worker.
    assert.equal((await run(h, 'count')).progress, 1);
    assert.equal((await run(h, 'fail')).outcome, 'failed');
    await tick(20);
    assert.equal((await run(h, 'count')).progress, 1, "a failed run's worker is discarded");
    await tick(20);
    // Another module never gets a worker that ran this one.
    const before = threads.at(-1);
    assert.equal((await run(h, 'other')).progress, 1);
    assert.notEqual(threads.at(-1), before);
  } finally {
    await h.close();
  }
});

test('maxWorkers bounds isolated tasks running at once; the rest wait their turn', async () => {
  const h = await startHarness({ bundles: bundle(), policy: { pool: { warm: 1, maxWorkers: 2 } } });
  try {
    const started = [next(h.runtime, 'started', (e) => e.name === 'hold'), next(h.runtime, 'started', (e) => e.name === 'hold2')];
    for (const name of ['hold', 'hold2', 'hold3']) h.runtime.trigger(name);
    await Promise.all(started);
    await tick(300);
    assert.equal(h.runtime.pool.busy, 2);
    assert.equal(h.runtime.status().tasks.find((t) => t.name === 'hold3')?.state, 'running', 'its activation is taken, waiting for a worker');
    const third = next(h.runtime, 'started', (e) => e.name === 'hold3');
    const done = finished(h.runtime, 'hold');
    h.runtime.registry.get(h.runtime.registry.records().find((r) => r.name === 'hold')!.taskId)!.unregister(true);
    await done;
    await third;
  } finally {
    await h.close();
  }
});

test('idle workers are let go after the keep-warm period; none is started before isolated work', async () => {
  const h = await startHarness({ bundles: bundle(), policy: { pool: { warm: 1, maxWorkers: 4, keepWarmSec: 0.5 } } });
  try {
    await tick(200);
    assert.equal(h.runtime.pool.idle, 0, 'nothing is kept warm before the first isolated run');
    await run(h, 'count');
    for (let i = 0; i < 50 && h.runtime.pool.idle === 0; i++) await tick(20);
    assert.ok(h.runtime.pool.idle >= 1, 'warm after a run');
    await tick(800);
    assert.equal(h.runtime.pool.idle, 0, 'let go when idle');
  } finally {
    await h.close();
  }
  const always = await startHarness({ bundles: bundle(), policy: { pool: { warm: 2, maxWorkers: 4, keepWarmSec: 0 } } });
  try {
    for (let i = 0; i < 100 && always.runtime.pool.idle < 2; i++) await tick(20);
    assert.equal(always.runtime.pool.idle, 2, 'keepWarmSec 0: warm from the start');
  } finally {
    await always.close();
  }
});
