/** The store: what is saved is what is loaded, and changes are coalesced into few writes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeClock } from '../runtime/clock.js';
import { Store } from '../runtime/store.js';
import { emptyStore } from '../runtime/store-types.js';
import { baseRegistration, runRecord } from './fixtures/store-registrations.js';
import { isStoreError, readJson, tempDir, until } from './helpers/store.js';

test('round trip: what is saved is what is loaded, in a private file', async (t) => {
  const dir = join(await tempDir(t), 'state');
  const store = await Store.open({ dir });
  assert.deepEqual(store.data, emptyStore());
  const reg = baseRegistration(3);
  store.data.registrations[reg.taskId] = reg;
  store.data.triggerState[reg.taskId] = { dueAt: Date.UTC(2026, 0, 1, 12), fireCount: 4 };
  store.data.runs[reg.taskId] = [runRecord(reg.taskId, 11, Date.UTC(2026, 0, 1))];
  store.data.throttle[reg.taskId] = { Cpu: 2, Network: 1 };
  store.data.groups['greenhouse-group'] = { id: 'greenhouse-group', name: 'Greenhouse' };
  store.data.access['greenhouse'] = { status: 'AlwaysAllowed', at: 5 };
  store.changed();
  await store.close();

  const again = await Store.open({ dir });
  assert.deepEqual(again.data, store.data);
  assert.equal(again.stats.bytes, (await stat(join(dir, 'store.json'))).size);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.equal((await stat(join(dir, 'store.json'))).mode & 0o777, 0o600);
  await again.close();
});

test('a burst of 10,000 changes is a handful of writes and the file holds the final state', async (t) => {
  const dir = await tempDir(t);
  const store = await Store.open({ dir });
  for (let i = 0; i < 10_000; i++) {
    store.data.triggerState['t'] = { fireCount: i, lastFiredAt: 1_000 + i };
    store.changed();
  }
  assert.equal(store.stats.writes, 0, 'nothing is written synchronously');
  await store.flush();
  const { writes, changes } = store.stats;
  t.diagnostic(`10,000 changes → ${writes} write(s)`);
  assert.equal(changes, 10_000);
  assert.ok(writes >= 1 && writes <= 3, `expected at most a handful of writes, got ${writes}`);
  assert.deepEqual((await readJson(join(dir, 'store.json'))).triggerState['t'], { fireCount: 9_999, lastFiredAt: 10_999 });
  await store.close();
});

test('changes wait for the flush delay on the injected clock, then become one write', async (t) => {
  const dir = await tempDir(t);
  const clock = new FakeClock();
  const store = await Store.open({ dir, clock, flushDelayMs: 25 });
  for (let i = 0; i < 10_000; i++) {
    store.data.triggerState['t'] = { fireCount: i };
    store.changed();
  }
  await new Promise((r) => setTimeout(r, 30));
  clock.advance(24);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(store.stats.writes, 0, 'no write before the delay has passed on the clock');
  await assert.rejects(stat(join(dir, 'store.json')), { code: 'ENOENT' });
  clock.advance(1);
  await until(() => store.stats.writes === 1, 'the coalesced write');
  assert.equal(clock.pending, 0, 'no second write was scheduled');
  assert.deepEqual((await readJson(join(dir, 'store.json'))).triggerState['t'], { fireCount: 9_999 });
  await store.close();
  assert.equal(store.stats.writes, 1);
});

test('changes made while a write is in flight become exactly one more write', async (t) => {
  const dir = await tempDir(t);
  const clock = new FakeClock();
  const store = await Store.open({ dir, clock });
  store.data.triggerState['t'] = { fireCount: 0 };
  store.changed();
  clock.advance(25); // starts the write; it completes asynchronously
  for (let i = 1; i <= 100; i++) {
    store.data.triggerState['t'] = { fireCount: i };
    store.changed();
  }
  await until(() => store.stats.writes === 1, 'the first write');
  assert.equal(clock.pending, 1, 'the changes made during the write are scheduled once');
  clock.advance(25);
  await until(() => store.stats.writes === 2, 'the follow-up write');
  assert.deepEqual((await readJson(join(dir, 'store.json'))).triggerState['t'], { fireCount: 100 });
  assert.equal(clock.pending, 0);
  await store.close();
  assert.equal(store.stats.writes, 2);
});

test('flush() puts every earlier change on disk at once, and writes nothing when nothing changed', async (t) => {
  const dir = await tempDir(t);
  const clock = new FakeClock();
  const store = await Store.open({ dir, clock, flushDelayMs: 60_000 });
  await store.flush();
  assert.equal(store.stats.writes, 0);
  store.data.registrations['a'] = baseRegistration(0);
  store.changed();
  await Promise.all([store.flush(), store.flush(), store.flush()]);
  assert.equal(store.stats.writes, 1, 'concurrent flushes share one write');
  assert.deepEqual((await readJson(join(dir, 'store.json'))).registrations['a'], baseRegistration(0));
  assert.equal(clock.pending, 0, 'the pending timer was superseded by the flush');
  await store.flush();
  assert.equal(store.stats.writes, 1);
  assert.equal(store.stats.bytes, (await stat(join(dir, 'store.json'))).size);
  await store.close();
});

test('close() writes what is pending, stops the timer, and later changes throw STORE_CLOSED', async (t) => {
  const dir = await tempDir(t);
  const clock = new FakeClock();
  const store = await Store.open({ dir, clock });
  store.data.registrations['a'] = baseRegistration(4);
  store.changed();
  assert.equal(clock.pending, 1);
  await store.close();
  assert.equal(clock.pending, 0);
  assert.deepEqual((await readJson(join(dir, 'store.json'))).registrations['a'], baseRegistration(4));
  assert.throws(() => store.changed(), isStoreError('STORE_CLOSED', /store\.json is closed/));
  await store.close(); // idempotent
});
