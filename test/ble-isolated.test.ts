/**
 * The central in its own process, on this host (which has no Bluetooth): open() fails with the
 * same DriverError the in-process binding gives, naming the adapter and the cause, and the child
 * process is gone afterwards; nothing is left to keep the test process alive.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { IsolatedCentral, loaderArgs } from '../drivers/ble/isolated-central.js';
import { NobleCentral } from '../drivers/ble/noble.js';
import { DriverError } from '../runtime/errors.js';

const children = () => execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], { encoding: 'utf8' }).trim().split('\n').filter((l) => l.trim() && Number(l) !== 0).length;

test('open() in the child fails as the in-process binding does, and the child exits', async () => {
  const inProcess = await new NobleCentral({ hci: 0 }).open().then(() => undefined, (err: unknown) => err as DriverError);
  assert.ok(inProcess instanceof DriverError, 'this host has no Bluetooth: the in-process open fails');
  const before = children();
  const central = new IsolatedCentral({ hci: 0 });
  const err = await central.open().then(() => undefined, (e: unknown) => e as DriverError);
  assert.ok(err instanceof DriverError);
  assert.equal(err.code, inProcess.code);
  assert.equal(err.message, inProcess.message);
  assert.match(err.message, /hci0/);
  assert.equal(central.state(), 'unknown');
  await assert.rejects(central.startScan(), /not open/);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(children() <= before, 'the central process was stopped');
});

test('the child gets the runtime\'s module loader and nothing else (an -e script would run again in it)', () => {
  assert.deepEqual(loaderArgs(['--import', 'tsx', '-e', 'fork()', '--inspect=9229', '--no-warnings']), ['--import', 'tsx']);
  assert.deepEqual(loaderArgs(['--import=tsx', '-r', 'x.cjs', '--eval', 'y', '-p', 'z']), ['--import=tsx', '-r', 'x.cjs']);
  assert.deepEqual(loaderArgs([]), []);
});
