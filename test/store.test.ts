import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../runtime/clock.js';
import { DurableFile, describeJsonError } from '../runtime/durable-file.js';
import type { DurableFs } from '../runtime/durable-file.js';
import { StoreError } from '../runtime/errors.js';
import { Store } from '../runtime/store.js';
import type { RecoveryInfo } from '../runtime/store.js';
import { migrateStore, migrations } from '../runtime/store-schema.js';
import { STORE_SCHEMA_VERSION, emptyStore } from '../runtime/store-types.js';
import type { StoreData } from '../runtime/store-types.js';
import { baseRegistration, runRecord } from './fixtures/store-registrations.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function readJson(path: string): Promise<StoreData> {
  return JSON.parse(await readFile(path, 'utf8')) as StoreData;
}

/** A store dir whose store.json holds registration 2 and whose .bak holds registration 1 only. */
async function twoGenerations(dir: string): Promise<{ older: StoreData; newer: StoreData }> {
  const store = await Store.open({ dir });
  store.data.registrations['r1'] = baseRegistration(1);
  store.changed();
  await store.flush();
  const older = structuredClone(store.data);
  store.data.registrations['r2'] = baseRegistration(2);
  store.changed();
  await store.close();
  return { older, newer: structuredClone(store.data) };
}

function isStoreError(code: string, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

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

const corruptions: Array<{ name: string; bytes: (good: Buffer) => Buffer; reason: RegExp }> = [
  {
    name: 'truncated JSON',
    bytes: (good) => good.subarray(0, 120),
    reason: /^store\.json is not valid JSON \(.+ at byte 120\)$/,
  },
  { name: 'an empty file', bytes: () => Buffer.alloc(0), reason: /^store\.json is empty \(0 bytes\)$/ },
  {
    name: 'garbage bytes',
    bytes: () => Buffer.from([0x00, 0xff, 0x13, 0x0a, 0x7b, 0x22, 0xc3, 0x28, 0x0d, 0x01]),
    reason: /^store\.json is not valid JSON \(Unexpected token/,
  },
  {
    name: 'valid JSON of the wrong shape',
    bytes: () => Buffer.from(JSON.stringify({ ...emptyStore(), registrations: [] })),
    reason: /^store\.json does not match the store schema \(registrations is \[\]: expected an object keyed by name, not an array\)$/,
  },
  {
    name: 'a registration without its name',
    bytes: () => Buffer.from(JSON.stringify({ ...emptyStore(), registrations: { x: { taskId: 'x', trigger: { type: 'TimeTrigger' } } } })),
    reason: /^store\.json does not match the store schema \(registrations\.x\.name is missing: expected string/,
  },
  { name: 'a JSON array', bytes: () => Buffer.from('[1,2]'), reason: /^store\.json is not a JSON object \(found an array\)$/ },
  {
    name: 'a bad schemaVersion',
    bytes: () => Buffer.from(JSON.stringify({ ...emptyStore(), schemaVersion: '1' })),
    reason: /^store\.json has no valid schemaVersion \(found "1"; expected a positive integer\)$/,
  },
];

for (const corruption of corruptions) {
  test(`main file is ${corruption.name} → recovered from .bak, reported, bad file kept aside`, async (t) => {
    const dir = await tempDir(t);
    const { older } = await twoGenerations(dir);
    const main = join(dir, 'store.json');
    const bad = corruption.bytes(await readFile(main));
    await writeFile(main, bad);

    const reports: RecoveryInfo[] = [];
    const clock = new FakeClock(Date.UTC(2026, 2, 4, 5, 6, 7, 89));
    const store = await Store.open({ dir, clock, onRecovered: (info) => reports.push(info) });
    assert.deepEqual(store.data, older);
    assert.equal(reports.length, 1);
    const [report] = reports;
    assert.ok(report);
    assert.match(report.reason, corruption.reason);
    assert.ok(!/[\n\r\u0000-\u001f]/.test(report.reason), `reason is one clean line: ${JSON.stringify(report.reason)}`);
    assert.equal(report.file, main);
    assert.equal(report.from, `${main}.bak`);
    const keptAs = `${main}.corrupt-2026-03-04T05-06-07-089Z`;
    assert.equal(report.keptAs, keptAs);
    assert.deepEqual(await readFile(keptAs), bad, 'the bad file is kept byte for byte');
    assert.deepEqual(await readJson(main), older, 'the recovered data was written back');
    assert.deepEqual(await readJson(`${main}.bak`), older, 'the good backup was not replaced by the bad file');
    assert.equal(store.stats.writes, 1);
    await store.close();

    const reopened = await Store.open({ dir, onRecovered: () => assert.fail('no second recovery') });
    assert.deepEqual(reopened.data, older);
    await reopened.close();
  });
}

test('main file missing but .bak good → recovered and reported as missing', async (t) => {
  const dir = await tempDir(t);
  const { older } = await twoGenerations(dir);
  await rm(join(dir, 'store.json'));
  const reports: RecoveryInfo[] = [];
  const store = await Store.open({ dir, onRecovered: (info) => reports.push(info) });
  assert.deepEqual(store.data, older);
  assert.deepEqual(reports, [{ file: join(dir, 'store.json'), reason: 'store.json does not exist', from: join(dir, 'store.json.bak') }]);
  assert.deepEqual(await readJson(join(dir, 'store.json')), older);
  await store.close();
});

test('main and .bak both bad → STORE_CORRUPT naming both, files left untouched', async (t) => {
  const dir = await tempDir(t);
  await twoGenerations(dir);
  await writeFile(join(dir, 'store.json'), '{"schemaVersion": 1, "registrations": {');
  await writeFile(join(dir, 'store.json.bak'), '');
  await assert.rejects(
    Store.open({ dir, onRecovered: () => assert.fail('nothing to recover from') }),
    isStoreError('STORE_CORRUPT', /store\.json is not valid JSON \(.*at byte 39\), and store\.json\.bak is empty \(0 bytes\)/),
  );
  assert.deepEqual((await readdir(dir)).sort(), ['store.json', 'store.json.bak']);
  assert.equal(await readFile(join(dir, 'store.json'), 'utf8'), '{"schemaVersion": 1, "registrations": {');
});

test('main bad and no .bak → STORE_CORRUPT, never an empty start', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'store.json'), 'null');
  await assert.rejects(
    Store.open({ dir }),
    isStoreError('STORE_CORRUPT', /store\.json is not a JSON object \(found null\), and its last good copy store\.json\.bak does not exist/),
  );
});

test('main missing and .bak bad → STORE_CORRUPT', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'store.json.bak'), '{"schemaVersion": 0}');
  await assert.rejects(
    Store.open({ dir }),
    isStoreError('STORE_CORRUPT', /store\.json does not exist, and store\.json\.bak has no valid schemaVersion \(found 0;/),
  );
});

test('a main file that exists but cannot be read is not silently replaced by the backup', async (t) => {
  const dir = await tempDir(t);
  await twoGenerations(dir);
  await rm(join(dir, 'store.json'));
  await mkdir(join(dir, 'store.json'));
  await assert.rejects(Store.open({ dir }), isStoreError('STORE_UNREADABLE', /store\.json could not be read \(.*EISDIR/));
});

test('a schema version newer than this build → STORE_TOO_NEW, even with a good backup', async (t) => {
  const dir = await tempDir(t);
  await twoGenerations(dir);
  const newer = { ...emptyStore(), schemaVersion: STORE_SCHEMA_VERSION + 1, somethingNew: { x: 1 } };
  await writeFile(join(dir, 'store.json'), JSON.stringify(newer));
  await assert.rejects(
    Store.open({ dir, onRecovered: () => assert.fail('a newer file is not corruption') }),
    isStoreError('STORE_TOO_NEW', new RegExp(`schema version ${STORE_SCHEMA_VERSION + 1}, newer than version ${STORE_SCHEMA_VERSION}`)),
  );
  assert.deepEqual(await readJson(join(dir, 'store.json')), newer);
});

test('an older schema version is migrated forward, written back, and the old file kept as .bak', async (t) => {
  assert.deepEqual(migrations, {}, 'no migrations exist while there is one schema version');
  const dir = await tempDir(t);
  const { newer: v1 } = await twoGenerations(dir);
  const seen: number[] = [];
  const store = await Store.open({
    dir,
    schema: {
      version: STORE_SCHEMA_VERSION + 1,
      migrations: {
        [STORE_SCHEMA_VERSION]: (data) => {
          seen.push(data.schemaVersion as number);
          return { ...data, groups: { g: { id: 'g', name: 'added by migration' } } };
        },
      },
    },
  });
  assert.deepEqual(seen, [STORE_SCHEMA_VERSION]);
  assert.equal(store.data.schemaVersion, STORE_SCHEMA_VERSION + 1);
  assert.deepEqual(store.data.groups, { g: { id: 'g', name: 'added by migration' } });
  assert.deepEqual(store.data.registrations, v1.registrations);
  const onDisk = await readJson(join(dir, 'store.json'));
  assert.equal(onDisk.schemaVersion, STORE_SCHEMA_VERSION + 1);
  assert.deepEqual(await readJson(join(dir, 'store.json.bak')), v1);
  await store.close();
});

test('a missing or broken migration fails loudly', async (t) => {
  const dir = await tempDir(t);
  await twoGenerations(dir);
  await assert.rejects(
    Store.open({ dir, schema: { version: STORE_SCHEMA_VERSION + 1, migrations: {} } }),
    isStoreError('STORE_MIGRATION_FAILED', /no migration from 1 to 2/),
  );
  assert.throws(
    () => migrateStore({ ...emptyStore() }, { 1: (d) => ({ ...d, runs: 'oops' }) }, 2),
    isStoreError('STORE_MIGRATION_FAILED', /does not match the store schema \(runs is \"oops\": expected an object keyed by name/),
  );
  assert.throws(
    () => migrateStore({ ...emptyStore() }, { 1: () => { throw new Error('bad field'); } }, 2),
    isStoreError('STORE_MIGRATION_FAILED', /from schema version 1 to 2 failed: bad field/),
  );
});

test('NODE_ENV=test changes nothing: the file really is written', async (t) => {
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = 'test';
  t.after(() => {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  });
  const dir = await tempDir(t);
  const store = await Store.open({ dir });
  store.data.registrations['a'] = baseRegistration(5);
  store.changed();
  await store.close();
  assert.deepEqual((await readJson(join(dir, 'store.json'))).registrations['a'], baseRegistration(5));
  const again = await Store.open({ dir });
  assert.deepEqual(again.data.registrations['a'], baseRegistration(5));
  await again.close();
});

test('successful writes leave no temp files; leftovers from a killed writer go at the next open', async (t) => {
  const dir = await tempDir(t);
  const store = await Store.open({ dir, flushDelayMs: 0 });
  for (let i = 0; i < 20; i++) {
    store.data.triggerState['t'] = { fireCount: i };
    store.changed();
    await store.flush();
  }
  assert.equal(store.stats.writes, 20);
  assert.deepEqual((await readdir(dir)).sort(), ['store.json', 'store.json.bak']);
  await store.close();

  await writeFile(join(dir, '.store.json.tmp-4242-deadbeef'), '{"half": ');
  await writeFile(join(dir, '.store.json.tmp-bak-4242-deadbeef'), '{}');
  await writeFile(join(dir, 'notes.txt'), 'not ours');
  const again = await Store.open({ dir });
  assert.deepEqual((await readdir(dir)).sort(), ['notes.txt', 'store.json', 'store.json.bak']);
  await again.close();
});

test('the backup is a hard link to the previous file, not a copy', async (t) => {
  const dir = await tempDir(t);
  const store = await Store.open({ dir });
  store.data.registrations['a'] = baseRegistration(6);
  store.changed();
  await store.flush();
  const first = await stat(join(dir, 'store.json'));
  store.data.registrations['b'] = baseRegistration(7);
  store.changed();
  await store.close();
  const backup = await stat(join(dir, 'store.json.bak'));
  assert.equal(backup.ino, first.ino);
  assert.notEqual((await stat(join(dir, 'store.json'))).ino, first.ino);
});

/** fs with switchable failures, recording the operations in order. */
function faultyFs(): { fs: DurableFs; fail: Map<string, string>; log: string[] } {
  const fail = new Map<string, string>();
  const log: string[] = [];
  const wrap =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      log.push(`${name} ${String(args[0]).split('/').pop()}`);
      const code = fail.get(name);
      if (code) throw Object.assign(new Error(`${code}: simulated failure, ${name}`), { code });
      return fn(...args);
    };
  // Handles log their fsyncs too, so tests can check the order of durability steps.
  const open: DurableFs['open'] = async (...args) => {
    const handle = await fsp.open(...args);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      log.push(`sync ${String(args[0]).split('/').pop()}`);
      return sync();
    };
    return handle;
  };
  const fs: DurableFs = {
    open: wrap('open', open),
    readFile: wrap('readFile', fsp.readFile) as DurableFs['readFile'],
    rename: wrap('rename', fsp.rename),
    link: wrap('link', fsp.link),
    unlink: wrap('unlink', fsp.unlink),
    readdir: wrap('readdir', fsp.readdir) as DurableFs['readdir'],
    copyFile: wrap('copyFile', fsp.copyFile),
  };
  return { fs, fail, log };
}

test('each write: temp fsynced, backup linked then switched, renamed over, directory fsynced', async (t) => {
  const root = await tempDir(t);
  const dir = join(root, 'state');
  const { fs, log } = faultyFs();
  const store = await Store.open({ dir, fs });
  store.data.registrations['a'] = baseRegistration(14);
  store.changed();
  await store.flush();
  log.length = 0;
  store.data.registrations['b'] = baseRegistration(15);
  store.changed();
  await store.close();
  const steps = log.map((op) => op.replace(/-\d+-[0-9a-f]{8}$/, '-*'));
  assert.deepEqual(steps, [
    'open .store.json.tmp-*',
    'sync .store.json.tmp-*',
    'link store.json',
    'rename .store.json.tmp-bak-*',
    'rename .store.json.tmp-*',
    'open state',
    'sync state',
  ]);
});

test('a failed write (disk full) rejects flush() with the cause, keeps the old file, and is retried', async (t) => {
  const dir = await tempDir(t);
  const { fs, fail } = faultyFs();
  const background: StoreError[] = [];
  const store = await Store.open({ dir, fs, flushDelayMs: 1, onWriteError: (err) => background.push(err) });
  store.data.registrations['a'] = baseRegistration(8);
  store.changed();
  await store.flush();

  fail.set('rename', 'ENOSPC');
  store.data.registrations['b'] = baseRegistration(9);
  store.changed();
  await assert.rejects(store.flush(), (err: unknown) => {
    isStoreError('STORE_WRITE_FAILED', /could not save .*store\.json: ENOSPC/)(err);
    assert.equal(((err as StoreError).cause as { code?: string }).code, 'ENOSPC');
    return true;
  });
  assert.equal((await readJson(join(dir, 'store.json'))).registrations['b'], undefined);
  assert.deepEqual(await readdir(dir), ['store.json'], 'the failed write cleaned up its temp files');

  // A background write (nobody awaiting) reports through onWriteError.
  store.changed();
  await until(() => background.length === 1, 'the background failure');
  assert.equal(background[0]?.code, 'STORE_WRITE_FAILED');

  fail.clear();
  store.changed(); // the next change retries
  await until(() => store.stats.writes === 2, 'the retried write');
  assert.deepEqual((await readJson(join(dir, 'store.json'))).registrations['b'], baseRegistration(9));
  await store.close();
});

test('a real write failure (the directory replaced by a file) surfaces, and recovers once fixed', async (t) => {
  const dir = join(await tempDir(t), 'state');
  const store = await Store.open({ dir, onWriteError: () => {} });
  store.data.registrations['a'] = baseRegistration(10);
  store.changed();
  await store.flush();
  await rm(dir, { recursive: true });
  await writeFile(dir, 'in the way');
  store.data.registrations['b'] = baseRegistration(11);
  store.changed();
  await assert.rejects(store.flush(), (err: unknown) => {
    isStoreError('STORE_WRITE_FAILED')(err);
    assert.equal(((err as StoreError).cause as { code?: string }).code, 'ENOTDIR');
    return true;
  });
  await rm(dir);
  await mkdir(dir);
  store.changed();
  await store.flush();
  assert.deepEqual(Object.keys((await readJson(join(dir, 'store.json'))).registrations).sort(), ['a', 'b']);
  await store.close();
});

test('on a filesystem without hard links the backup is a synced copy', async (t) => {
  const dir = await tempDir(t);
  const { fs, fail, log } = faultyFs();
  fail.set('link', 'EPERM');
  const store = await Store.open({ dir, fs });
  store.data.registrations['a'] = baseRegistration(12);
  store.changed();
  await store.flush();
  const first = await readFile(join(dir, 'store.json'));
  store.data.registrations['b'] = baseRegistration(13);
  store.changed();
  await store.close();
  assert.deepEqual(await readFile(join(dir, 'store.json.bak')), first);
  assert.ok(log.some((op) => op.startsWith('copyFile store.json')));
});

test('DurableFile: null only when nothing exists; writes are serialised, never interleaved', async (t) => {
  const dir = await tempDir(t);
  const { fs, log } = faultyFs();
  const slowOpen: DurableFs['open'] = async (...args) => {
    await new Promise((r) => setTimeout(r, 10));
    return fs.open(...args);
  };
  const file = new DurableFile<{ n: number }>(join(dir, 'x.json'), { fs: { ...fs, open: slowOpen } });
  assert.equal(await file.read(), null);
  await Promise.all([file.write({ n: 1 }), file.write({ n: 2 }), file.write({ n: 3 })]);
  assert.deepEqual(await file.read(), { n: 3 });
  assert.deepEqual(await new DurableFile(join(dir, 'x.json.bak')).read(), { n: 2 });
  // Each write's steps finish (final directory fsync) before the next write opens its temp file.
  const steps = log.filter((op) => op.startsWith('open') || op.startsWith('rename'));
  const order = steps.map((op) => (/^open \.x\.json\.tmp-\d/.test(op) ? 'T' : /^rename \.x\.json\.tmp-\d/.test(op) ? 'R' : '')).join('');
  assert.equal(order, 'TRTRTR');

  await writeFile(join(dir, 'x.json'), '{"n": ');
  await writeFile(join(dir, 'x.json.bak'), '{"n": 7}');
  assert.deepEqual(await file.read(), { n: 7 }, 'a corrupt file with a good backup reads as the backup');
  await rm(join(dir, 'x.json.bak'));
  await assert.rejects(file.read(), isStoreError('STORE_CORRUPT'), 'corruption is never null');
});

test('JSON errors are located by byte, on one line', () => {
  const text = '{"name": "café", x}';
  let err: unknown;
  try {
    JSON.parse(text);
  } catch (e) {
    err = e;
  }
  // "x" is character 17 but byte 18: "é" takes two bytes in UTF-8.
  assert.equal(describeJsonError(err, text), "Expected double-quoted property name at byte 18");
  assert.equal(describeJsonError(new SyntaxError('Unexpected end of JSON input'), '{"a":'), 'Unexpected end of JSON input at byte 5');
  assert.equal(describeJsonError(new SyntaxError('Unexpected token \u0001\n'), ''), 'Unexpected token \\u0001\\u000a');
});
