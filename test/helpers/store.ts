/** Shared pieces of the store tests: temporary directories, reading the file back, two generations on disk. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreError } from '../../runtime/errors.js';
import { Store } from '../../runtime/store.js';
import type { StoreData } from '../../runtime/store-types.js';
import { baseRegistration } from '../fixtures/store-registrations.js';

export async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function readJson(path: string): Promise<StoreData> {
  return JSON.parse(await readFile(path, 'utf8')) as StoreData;
}

/** A store dir whose store.json holds registration 2 and whose .bak holds registration 1 only. */
export async function twoGenerations(dir: string): Promise<{ older: StoreData; newer: StoreData }> {
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

export function isStoreError(code: string, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}
