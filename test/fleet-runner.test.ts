import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFleet, FleetError, type FleetResult, type FleetTarget } from '../deploy/fleet/runner.js';
import type { ProgressDisplay } from '../deploy/fleet/progress.js';
import { VigilError } from '../runtime/errors.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const targets = (n: number): FleetTarget[] => Array.from({ length: n }, (_, i) => ({ name: `pi-${i + 1}` }));
const tick = () => new Promise((r) => setImmediate(r));

/** Records what runFleet tells a display, in order. */
class RecordingDisplay implements ProgressDisplay {
  events: string[] = [];
  start(t: readonly FleetTarget[]) {
    this.events.push(`start ${t.map((x) => x.name).join(',')}`);
  }
  hostStarted(t: FleetTarget) {
    this.events.push(`started ${t.name}`);
  }
  hostProgress(t: FleetTarget, phase: string, fraction?: number) {
    this.events.push(`progress ${t.name} ${phase}${fraction === undefined ? '' : ` ${fraction}`}`);
  }
  hostDone(r: FleetResult<unknown>) {
    this.events.push(`done ${r.target.name} ${r.status}`);
  }
  close() {
    this.events.push('close');
  }
}

/** Fails the test if anything rejects unhandled while `fn` runs. */
async function noUnhandled<T>(fn: () => Promise<T>): Promise<T> {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', onRejection);
  try {
    const out = await fn();
    await tick();
    await tick();
    assert.deepEqual(seen, [], 'no unhandled rejection');
    return out;
  } finally {
    process.off('unhandledRejection', onRejection);
  }
}

test('never more than `concurrency` at once, all run, started and reported in target order', async () => {
  const list = targets(10);
  const gates = new Map<string, Deferred<string>>();
  const started: string[] = [];
  let inFlight = 0;
  let most = 0;
  const run = runFleet(
    list,
    async (t) => {
      started.push(t.name);
      inFlight++;
      most = Math.max(most, inFlight);
      const gate = deferred<string>();
      gates.set(t.name, gate);
      try {
        return await gate.promise;
      } finally {
        inFlight--;
      }
    },
    { concurrency: 3 },
  );
  await tick();
  assert.deepEqual(started, ['pi-1', 'pi-2', 'pi-3'], 'the first three start at once');
  assert.equal(inFlight, 3);
  // Finish them out of order: the 3rd first, then the 1st, …; a new one starts only as one ends.
  const finishOrder = ['pi-3', 'pi-1', 'pi-5', 'pi-2', 'pi-4', 'pi-8', 'pi-6', 'pi-10', 'pi-7', 'pi-9'];
  for (const name of finishOrder) {
    await tick();
    assert.ok(inFlight <= 3);
    gates.get(name)!.resolve(`v-${name}`);
    await tick();
  }
  const results = await run;
  assert.equal(most, 3, 'the limit was reached and never passed');
  assert.deepEqual(started, list.map((t) => t.name), 'started in target order');
  assert.deepEqual(results.map((r) => r.target.name), list.map((t) => t.name), 'results in target order');
  assert.deepEqual(results.map((r) => r.value), list.map((t) => `v-${t.name}`));
  assert.ok(results.every((r) => r.ok && !r.skipped && r.status === 'ok' && r.error === undefined));
});

test('concurrency 1 runs one after another; more than the targets runs them all at once', async () => {
  for (const [concurrency, expected] of [[1, 1], [50, 4]] as const) {
    let inFlight = 0;
    let most = 0;
    const results = await runFleet(
      targets(4),
      async () => {
        most = Math.max(most, ++inFlight);
        await tick();
        inFlight--;
        return 1;
      },
      { concurrency },
    );
    assert.equal(most, expected);
    assert.equal(results.length, 4);
  }
});

test('a worker that throws synchronously, one that rejects, one that throws a string: failed hosts, the others go on', async () => {
  const results = await noUnhandled(() =>
    runFleet<string>(
      targets(5),
      ((t: FleetTarget) => {
        if (t.name === 'pi-2') throw new VigilError('SSH_REFUSED', 'connection refused by pi-2');
        if (t.name === 'pi-3') return Promise.reject(new Error('upload broke'));
        if (t.name === 'pi-4') return Promise.reject('just a string');
        return Promise.resolve(`ok-${t.name}`);
      }) as (t: FleetTarget) => Promise<string>,
      { concurrency: 2 },
    ),
  );
  assert.deepEqual(
    results.map((r) => [r.target.name, r.ok, r.status, r.error?.code, r.error?.message, r.value]),
    [
      ['pi-1', true, 'ok', undefined, undefined, 'ok-pi-1'],
      ['pi-2', false, 'FAILED', 'SSH_REFUSED', 'connection refused by pi-2', undefined],
      ['pi-3', false, 'FAILED', 'FAILED', 'upload broke', undefined],
      ['pi-4', false, 'FAILED', 'FAILED', 'just a string', undefined],
      ['pi-5', true, 'ok', undefined, undefined, 'ok-pi-5'],
    ],
  );
});

test('status words: from the value, from the thrown error; a value with ok: false is a failure', async () => {
  const results = await runFleet<unknown>(
    targets(4),
    async (t) => {
      if (t.name === 'pi-1') return { status: 'unchanged', version: '1.2.0' };
      if (t.name === 'pi-2') throw Object.assign(new VigilError('HEALTH_CHECK_FAILED', 'new version did not start; previous restored'), { status: 'rolled back' });
      if (t.name === 'pi-3') return { ok: false, status: 'rolled back', code: 'HEALTH', message: 'restored 1.1.0' };
      return { version: '1.2.0' };
    },
    { concurrency: 4 },
  );
  assert.deepEqual(
    results.map((r) => [r.status, r.ok, r.error?.code]),
    [
      ['unchanged', true, undefined],
      ['rolled back', false, 'HEALTH_CHECK_FAILED'],
      ['rolled back', false, 'HEALTH'],
      ['ok', true, undefined],
    ],
  );
  assert.equal(results[2]!.error!.message, 'restored 1.1.0');
});

test('abort: no new host starts, the running ones get the signal, the rest are skipped in order', async () => {
  const controller = new AbortController();
  const display = new RecordingDisplay();
  const signals: AbortSignal[] = [];
  const run = noUnhandled(() =>
    runFleet(
      targets(5),
      (t, _progress, signal) => {
        signals.push(signal);
        return new Promise<string>((resolve, reject) => {
          if (t.name === 'pi-1') setTimeout(() => resolve('finished'), 1);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      },
      { concurrency: 2, signal: controller.signal, display },
    ),
  );
  await new Promise((r) => setTimeout(r, 20)); // pi-1 finishes, pi-3 starts
  controller.abort();
  const results = await run;
  assert.equal(signals.length, 3, 'pi-1, pi-2, pi-3 started; nothing after the abort');
  assert.ok(signals.every((s) => s.aborted));
  assert.deepEqual(
    results.map((r) => [r.target.name, r.status, r.skipped, r.error?.code]),
    [
      ['pi-1', 'ok', false, undefined],
      ['pi-2', 'FAILED', false, 'ABORTED'],
      ['pi-3', 'FAILED', false, 'ABORTED'],
      ['pi-4', 'skipped', true, 'SKIPPED'],
      ['pi-5', 'skipped', true, 'SKIPPED'],
    ],
  );
  assert.equal(results[3]!.error!.message, 'not started: the run was aborted');
  assert.equal(results[3]!.ms, 0);
  assert.deepEqual(display.events.filter((e) => e.startsWith('done')).slice(-2), ['done pi-4 skipped', 'done pi-5 skipped']);
  assert.equal(display.events.at(-1), 'close');
});

test('aborted before the start: every host skipped, the reason given', async () => {
  let calls = 0;
  const results = await runFleet(
    targets(3),
    async () => {
      calls++;
    },
    { concurrency: 2, signal: AbortSignal.abort(new Error('Ctrl-C')) },
  );
  assert.equal(calls, 0);
  assert.deepEqual(results.map((r) => r.status), ['skipped', 'skipped', 'skipped']);
  assert.equal(results[0]!.error!.message, 'not started: the run was aborted (Ctrl-C)');
});

test('the display hears start, each phase, each end, then close; late progress is dropped', async () => {
  const display = new RecordingDisplay();
  let late: ((phase: string) => void) | undefined;
  let clock = 1000;
  const results = await runFleet(
    targets(2),
    async (t, progress) => {
      progress('connecting');
      progress('uploading', 0.5);
      progress('uploading', 7); // clamped
      progress('uploading', Number.NaN); // no fraction
      clock += t.name === 'pi-1' ? 1500 : 250;
      late = progress;
      return 'v';
    },
    { concurrency: 1, display, now: () => clock },
  );
  late!('too late');
  assert.deepEqual(display.events, [
    'start pi-1,pi-2',
    'started pi-1',
    'progress pi-1 connecting',
    'progress pi-1 uploading 0.5',
    'progress pi-1 uploading 1',
    'progress pi-1 uploading',
    'done pi-1 ok',
    'started pi-2',
    'progress pi-2 connecting',
    'progress pi-2 uploading 0.5',
    'progress pi-2 uploading 1',
    'progress pi-2 uploading',
    'done pi-2 ok',
    'close',
  ]);
  assert.deepEqual(results.map((r) => r.ms), [1500, 250]);
});

test('concurrency must be a whole number of 1 or more', async () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(runFleet(targets(1), async () => 1, { concurrency: bad }), (err: unknown) => err instanceof FleetError && err.code === 'CONCURRENCY_INVALID');
  }
});

test('no targets: an empty result, the display still opened and closed', async () => {
  const display = new RecordingDisplay();
  assert.deepEqual(await runFleet([], async () => 1, { concurrency: 3, display }), []);
  assert.deepEqual(display.events, ['start ', 'close']);
});
