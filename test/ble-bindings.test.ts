/**
 * The real Bluetooth LE bindings on a machine without Bluetooth (this host's kernel answers
 * EAFNOSUPPORT to an AF_BLUETOOTH socket): open() fails with a DriverError that names the
 * adapter, the cause and the fix, the process is not taken down, and nothing is left open to
 * keep it alive. What they do with real controllers is tested in the lab (test/lab/ble.lab.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BlenoPeripheral } from '../drivers/ble/bleno.js';
import { bleOpenError, BleAttError, hciReason, permissionError } from '../drivers/ble/hci-errors.js';
import { bleRoleLimits } from '../drivers/ble/role-limits.js';
import { NobleCentral } from '../drivers/ble/noble.js';
import { DriverError } from '../runtime/errors.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const noBluetooth = !existsSync('/sys/class/bluetooth');

function errnoError(code: string, syscall: string, text: string): Error {
  return Object.assign(new Error(`${syscall} ${code}, ${text}`), { code, syscall });
}

async function rejection(p: Promise<unknown>): Promise<DriverError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof DriverError, `expected a DriverError, got ${String(err)}`);
  return err;
}

describe('the real BLE bindings on a host without Bluetooth', { skip: noBluetooth ? false : 'this host has Bluetooth: the lab covers it' }, () => {
  it('NobleCentral.open() says the kernel has no Bluetooth, naming hci1', async () => {
    const central = new NobleCentral({ hci: 1 });
    const err = await rejection(central.open());
    assert.equal(err.code, 'BLE_NO_KERNEL_SUPPORT');
    assert.equal(err.driver, 'ble');
    assert.match(err.message, /^Bluetooth LE central on hci1 cannot start: the kernel has no Bluetooth support \(EAFNOSUPPORT/);
    assert.equal((err.cause as { code?: string }).code, 'EAFNOSUPPORT', 'the library error is kept as the cause');
    assert.equal(central.state(), 'missing');
    // A second attempt fails the same way: nothing was left half-open by the first.
    assert.equal((await rejection(central.open())).code, 'BLE_NO_KERNEL_SUPPORT');
  });

  it('BlenoPeripheral.open() says the same for hci0, and can be retried', async () => {
    const peripheral = new BlenoPeripheral({ hci: 0, deviceName: 'vigil-test' });
    const err = await rejection(peripheral.open());
    assert.equal(err.code, 'BLE_NO_KERNEL_SUPPORT');
    assert.match(err.message, /^Bluetooth LE peripheral on hci0 cannot start: the kernel has no Bluetooth support \(EAFNOSUPPORT/);
    assert.equal(peripheral.state(), 'missing');
    assert.equal((await rejection(new BlenoPeripheral({ hci: 0 }).open())).code, 'BLE_NO_KERNEL_SUPPORT', 'bleno did not stay claimed by the failed one');
  });

  it('the process opens both, fails, and exits by itself (no socket, timer or handler left behind)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-ble-'));
    const script = join(dir, 'open.mts');
    const url = (p: string) => pathToFileURL(join(root, p)).href;
    writeFileSync(
      script,
      `import { NobleCentral } from ${JSON.stringify(url('drivers/ble/noble.ts'))};
import { BlenoPeripheral } from ${JSON.stringify(url('drivers/ble/bleno.ts'))};
const codes = [];
for (const open of [() => new NobleCentral({ hci: 1 }).open(), () => new BlenoPeripheral({ hci: 0 }).open()]) {
  try { await open(); codes.push('opened'); } catch (err) { codes.push(err.code); }
}
console.log(JSON.stringify({ codes, sigint: process.listenerCount('SIGINT'), done: Date.now() }));
`,
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const exited = Date.now();
    assert.equal(child.error, undefined, `the child did not exit by itself within 60 s (${String(child.error)})`);
    assert.equal(child.status, 0, child.stderr);
    const out = JSON.parse(child.stdout.trim().split('\n').pop()!) as { codes: string[]; sigint: number; done: number };
    assert.deepEqual(out.codes, ['BLE_NO_KERNEL_SUPPORT', 'BLE_NO_KERNEL_SUPPORT']);
    assert.equal(out.sigint, 0, 'no SIGINT handler from the libraries');
    // Nothing left running: not a socket, not even an open() timeout waiting to fire.
    assert.ok(exited - out.done < 3000, `the child lingered ${exited - out.done} ms after its last line`);
  });
});

describe('when a library is not installed or cannot load', () => {
  // Resolving from a directory with no node_modules above it: the libraries are really not there.
  const elsewhere = createRequire(join(mkdtempSync(join(tmpdir(), 'vigil-no-modules-')), 'index.js'));

  it('the central says to install @abandonware/noble', async () => {
    const central = new NobleCentral({ hci: 1, load: () => elsewhere('@abandonware/noble/with-custom-binding') });
    const err = await rejection(central.open());
    assert.equal(err.code, 'DRIVER_UNAVAILABLE');
    assert.equal(err.message, 'Bluetooth LE central on hci1 cannot start: the @abandonware/noble library is not installed: install @abandonware/noble (an optional dependency): npm install @abandonware/noble');
    assert.equal((err.cause as { code?: string }).code, 'MODULE_NOT_FOUND');
    assert.equal(central.state(), 'missing');
  });

  it('the peripheral says to install @abandonware/bleno', async () => {
    const err = await rejection(new BlenoPeripheral({ hci: 0, load: () => elsewhere('@abandonware/bleno') }).open());
    assert.equal(err.code, 'DRIVER_UNAVAILABLE');
    assert.equal(err.message, 'Bluetooth LE peripheral on hci0 cannot start: the @abandonware/bleno library is not installed: install @abandonware/bleno (an optional dependency): npm install @abandonware/bleno');
  });

  it('a library missing one of its own dependencies is called incomplete', async () => {
    const err = await rejection(new NobleCentral({ hci: 1, load: () => () => elsewhere('@abandonware/bluetooth-hci-socket') }).open());
    assert.match(err.message, /the @abandonware\/noble library is incomplete \(cannot find @abandonware\/bluetooth-hci-socket\): reinstall @abandonware\/noble/);
  });

  it('a native addon built for another Node.js says to rebuild it', async () => {
    const dlopen = Object.assign(new Error('The module bluetooth_hci_socket.node was compiled against a different Node.js version using NODE_MODULE_VERSION 108.'), { code: 'ERR_DLOPEN_FAILED' });
    const err = await rejection(
      new NobleCentral({
        hci: 2,
        load: () => () => {
          throw dlopen;
        },
      }).open(),
    );
    assert.equal(err.code, 'DRIVER_UNAVAILABLE');
    assert.match(err.message, /hci2 cannot start: the native addon @abandonware\/bluetooth-hci-socket cannot be loaded .*npm rebuild @abandonware\/bluetooth-hci-socket/);
  });

  it('a library that is not noble is refused, not called blindly', async () => {
    const err = await rejection(new NobleCentral({ hci: 1, load: () => ({}) }).open());
    assert.match(err.message, /did not export a function/);
  });
});

describe('what the bindings say for each cause', () => {
  it('maps the errno codes the libraries throw to a cause and a remedy', () => {
    const cases: [Error, string, RegExp][] = [
      [errnoError('ENODEV', 'bind', 'No such device'), 'BLE_NO_ADAPTER', /there is no adapter hci3 \(ENODEV\): list the adapters with "btmgmt info"/],
      [errnoError('EPERM', 'write', 'Operation not permitted'), 'BLE_NO_PERMISSION', /setcap cap_net_raw,cap_net_admin\+eip \$\(readlink -f \$\(which node\)\)/],
      [errnoError('EACCES', 'socket', 'Permission denied'), 'BLE_NO_PERMISSION', /run vigil as root/],
      [errnoError('EBUSY', 'bind', 'Device or resource busy'), 'BLE_ADAPTER_BUSY', /hci3 is held exclusively by another program/],
      [new Error('something else'), 'DRIVER_FAILED', /cannot start: something else$/],
    ];
    for (const [cause, code, message] of cases) {
      const err = bleOpenError('central', 'hci3', '@abandonware/noble', cause);
      assert.equal(err.code, code, cause.message);
      assert.match(err.message, message);
      assert.match(err.message, /^Bluetooth LE central on hci3 cannot start: /);
      assert.equal(err.cause, cause);
    }
    assert.equal(permissionError('peripheral', 'hci0').code, 'BLE_NO_PERMISSION');
  });

  it('names ATT errors and HCI disconnection reasons by code', () => {
    const att = new BleAttError('hci1: write 1234/a002 on aa:bb:cc:dd:ee:ff', 0x0d);
    assert.equal(att.code, 'BLE_ATT_ERROR');
    assert.equal(att.attCode, 0x0d);
    assert.equal(att.message, 'hci1: write 1234/a002 on aa:bb:cc:dd:ee:ff: the peripheral answered ATT error 0x0d (invalid attribute value length)');
    assert.equal(att.toJSON().detail, '0x0d');
    assert.equal(hciReason(0x13), 'the peer ended the connection (HCI 0x13)');
    assert.equal(hciReason(0x99), 'disconnected (HCI 0x99)');
  });
});

describe('operations before open()', () => {
  it('reject with BLE_NOT_OPEN instead of touching a library', async () => {
    const central = new NobleCentral({ hci: 1 });
    assert.equal((await rejection(central.startScan())).code, 'BLE_NOT_OPEN');
    assert.equal((await rejection(central.connect('aa:bb:cc:dd:ee:ff'))).code, 'BLE_NOT_OPEN');
    assert.equal(central.scanning, false);
    await central.stopScan();
    await central.close();
    const peripheral = new BlenoPeripheral({ hci: 0 });
    assert.equal((await rejection(peripheral.startAdvertising(Buffer.from([2, 1, 6])))).code, 'BLE_NOT_OPEN');
    assert.equal((await rejection(peripheral.setServices([], { read: async () => ({ result: 0 }), write: async () => 0, subscribe() {}, unsubscribe() {} }))).code, 'BLE_NOT_OPEN');
    assert.equal(peripheral.notify('180d', '2a37', Buffer.from([1])), 0);
    await peripheral.stopAdvertising();
    await peripheral.close();
  });
});

describe('bleRoleLimits', () => {
  it('has nothing to say when the roles use different adapters (or one is missing)', () => {
    assert.deepEqual(bleRoleLimits(0, 1), []);
    assert.deepEqual(bleRoleLimits(undefined, 0), []);
    assert.deepEqual(bleRoleLimits(0, undefined), []);
  });

  it('names the adapter and the limits when both roles share it', () => {
    const notes = bleRoleLimits(0, 0);
    const all = notes.join('\n');
    assert.ok(notes.length >= 5);
    assert.ok(notes.every((n) => n.length > 0 && n.endsWith('.')));
    assert.match(all, /hci0 serves both roles/);
    assert.match(all, /NOBLE_MULTI_ROLE/);
    assert.match(all, /stops advertising .* restarts it when that central disconnects/);
    assert.match(all, /Scanning while advertising/);
    assert.match(all, /blocks the whole Node\.js event loop/);
  });
});
