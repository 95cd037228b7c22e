/**
 * How the store reaches the disk: the same under NODE_ENV=test, in atomic and durable steps, with
 * the backup by hard link, and failures surfaced and retried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DurableFile, describeJsonError } from '../runtime/durable-file.js';
import type { DurableFs } from '../runtime/durable-file.js';
import { StoreError } from '../runtime/errors.js';
import { Store } from '../runtime/store.js';
import { baseRegistration } from './fixtures/store-registrations.js';
import { isStoreError, readJson, tempDir, until } from './helpers/store.js';

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
