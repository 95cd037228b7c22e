/**
 * A store file that is corrupt, missing, too new or too old: recovered from the last good copy,
 * refused loudly, or migrated forward — never an empty start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeClock } from '../runtime/clock.js';
import { Store } from '../runtime/store.js';
import type { RecoveryInfo } from '../runtime/store.js';
import { migrateStore, migrations } from '../runtime/store-schema.js';
import { STORE_SCHEMA_VERSION, emptyStore } from '../runtime/store-types.js';
import { isStoreError, readJson, tempDir, twoGenerations } from './helpers/store.js';

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
