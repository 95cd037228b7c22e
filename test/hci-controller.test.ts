/**
 * The simulated HCI controller (helpers/hci-controller.ts), driven by the real noble library and
 * by the real NobleCentral driver above it: what noble sends at init and when scanning, what it
 * makes of the answers, of a power cycle, of another host stack's commands, and of a controller
 * that refuses or never answers.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { afterEach, describe, it } from 'node:test';
import type { BleAdvert } from '../drivers/ble/ble.js';
import type { Noble, NobleFactory } from '../drivers/ble/libraries.js';
import { NobleCentral } from '../drivers/ble/noble.js';
import { DriverError } from '../runtime/errors.js';
import { installSimulatedHci, OP, SimulatedController, SimulatedHciSocket, STATUS, type LoggedCommand } from './helpers/hci-controller.js';

const requireHere = createRequire(import.meta.url);
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanups.splice(0).reverse()) undo();
});

function setup(options: ConstructorParameters<typeof SimulatedController>[0] = {}): SimulatedController {
  const controller = new SimulatedController({ address: '00:11:22:33:44:01', ...options });
  cleanups.push(installSimulatedHci(new Map([[1, controller]])));
  return controller;
}

/**
 * noble's with-custom-binding on hci`deviceId`, initialised. Cleaned up after the test: noble's
 * once-a-second HCI_UP poll, which it never stops (it ends within a second), its socket, and the
 * SIGINT/exit handlers it adds.
 */
function open(deviceId = 1): Noble {
  const handlers = () => [...process.listeners('SIGINT'), ...process.listeners('exit')];
  const before = new Set(handlers());
  const noble = (requireHere('@abandonware/noble/with-custom-binding') as NobleFactory)({ deviceId });
  void noble.state;
  const added = handlers().filter((l) => !before.has(l));
  cleanups.push(() => {
    const hci = noble._bindings._hci;
    hci.pollIsDevUp = () => undefined;
    (hci._socket as unknown as SimulatedHciSocket).close();
    for (const l of added) {
      process.removeListener('SIGINT', l as () => void);
      process.removeListener('exit', l as () => void);
    }
  });
  return noble;
}

/** The next `event` whose arguments pass `accept`, or a failure naming what was awaited. */
function next<T extends unknown[]>(emitter: EventEmitter, event: string, ms = 3000, accept: (...args: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, on);
      reject(new Error(`no "${event}" (matching) within ${ms} ms`));
    }, ms);
    const on = (...args: unknown[]) => {
      if (!accept(...(args as T))) return;
      clearTimeout(timer);
      emitter.removeListener(event, on);
      resolve(args as T);
    };
    emitter.on(event, on);
  });
}

const poweredOn = (noble: Noble, ms = 3000) => (noble.state === 'poweredOn' ? Promise.resolve() : next<[string]>(noble, 'stateChange', ms, (s) => s === 'poweredOn').then(() => undefined));

/** noble's scan started (duplicates reported unless `allowDuplicates` is false), confirmed. */
async function startScan(noble: Noble, allowDuplicates = true): Promise<void> {
  const started = next(noble, 'scanStart');
  noble.startScanning([], allowDuplicates);
  await started;
}
const summary = (log: readonly LoggedCommand[]) => log.map((c) => `${c.source} ${c.opcode.toString(16)} ${c.params.toString('hex')} -> ${c.status === undefined ? 'none' : c.status.toString(16)}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the simulated controller under the real noble', () => {
  it('answers the init noble sends, which then reports poweredOn and the controller address', async () => {
    const controller = setup();
    const noble = open();
    await poweredOn(noble);
    assert.deepEqual(summary(controller.log), [
      'host c01 fffffbff07f8bf3d -> 0',
      'host 2001 1f00000000000000 -> 0',
      'host 1001  -> 0',
      'host c6d 0100 -> 0',
      'host c6c  -> 0',
      'host 2002  -> 0',
      'host 1009  -> 0',
      // After Read Local Version: noble stops a scan that is not running (refused), sets parameters.
      'host 200c 0001 -> c',
      'host 200b 01120012000000 -> 0',
    ]);
    assert.equal((noble as Noble & { address?: string }).address, '00:11:22:33:44:01');
  });

  it('an LE buffer size of 0 sends noble to Read Buffer Size', async () => {
    const controller = setup({ leBuffers: { length: 0, count: 0 }, aclBuffers: { length: 310, count: 10 } });
    const noble = open();
    await poweredOn(noble);
    await controller.idle();
    assert.equal(controller.commands(OP.READ_BUFFER_SIZE, 'host').length, 1);
    assert.deepEqual(await (noble._bindings._hci as unknown as { getAclBuffers(): Promise<unknown> }).getAclBuffers(), { length: 310, num: 10 });
  });

  it('scans on startScanning (disable refused, parameters, enable) and passes adverts on only while scanning', async () => {
    const controller = setup();
    const noble = open();
    await poweredOn(noble);
    const discovered: string[] = [];
    noble.on('discover', (p: { address: string }) => discovered.push(p.address));
    assert.equal(controller.advertise({ address: '11:11:11:11:11:11', eventType: 3 }), false, 'not scanning yet');

    const from = controller.log.length;
    const started = next<[boolean]>(noble, 'scanStart');
    noble.startScanning([], true);
    assert.deepEqual(await started, [false]);
    assert.deepEqual(summary(controller.log.slice(from)), ['host 200c 0001 -> c', 'host 200b 01120012000000 -> 0', 'host 200c 0100 -> 0']);
    assert.deepEqual(controller.scan, { enabled: true, filterDuplicates: false, extended: false, active: true, interval: 0x12, window: 0x12, ownAddressType: 0, filterPolicy: 0 });

    const data = Buffer.from('0201060809766967696c2d31', 'hex');
    const found = next<[{ address: string; addressType: string; rssi: number; connectable: boolean; advertisement: { localName?: string } }]>(noble, 'discover');
    assert.equal(controller.advertise({ address: 'AA:BB:CC:DD:EE:FF', addressType: 'random', eventType: 3, data, rssi: -71 }), true);
    const [peripheral] = await found;
    assert.equal(peripheral.address, 'aa:bb:cc:dd:ee:ff');
    assert.equal(peripheral.addressType, 'random');
    assert.equal(peripheral.rssi, -71);
    assert.equal(peripheral.connectable, false);
    assert.equal(peripheral.advertisement.localName, 'vigil-1');
    assert.deepEqual(discovered, ['aa:bb:cc:dd:ee:ff'], 'the advert sent before the scan never arrived');

    const stopped = next(noble, 'scanStop');
    noble.stopScanning();
    await stopped;
    assert.equal(controller.scan.enabled, false);
    assert.equal(controller.advertise({ address: 'aa:bb:cc:dd:ee:ff', eventType: 3 }), false);
  });

  it('filters duplicate adverts when the scan asks for it', async () => {
    const controller = setup();
    const noble = open();
    await poweredOn(noble);
    await startScan(noble, false);
    assert.equal(controller.scan.filterDuplicates, true);
    assert.equal(controller.advertise({ address: '22:22:22:22:22:22', eventType: 3 }), true);
    assert.equal(controller.advertise({ address: '22:22:22:22:22:22', eventType: 3 }), false);
    assert.equal(controller.advertise({ address: '22:22:22:22:22:22', eventType: 4 }), true, 'another event type is not a duplicate');
  });

  it('a power off is poweredOff within the 1 s poll, and back on is poweredOn on a reset controller', async () => {
    const controller = setup();
    const noble = open();
    await poweredOn(noble);
    await startScan(noble);

    const off = next<[string]>(noble, 'stateChange', 2500);
    const t0 = Date.now();
    controller.power(false);
    assert.deepEqual(await off, ['poweredOff']);
    assert.ok(Date.now() - t0 < 2200, 'seen by the once-a-second poll');
    assert.equal(noble._bindings._hci._socket.isDevUp(), false);
    assert.equal(controller.advertise({ address: '33:33:33:33:33:33', eventType: 3 }), false);

    const from = controller.log.length;
    const on = next<[string]>(noble, 'stateChange', 2500);
    controller.power(true);
    assert.equal(controller.scan.enabled, false, 'a controller comes back up reset');
    assert.deepEqual(await on, ['poweredOn']);
    assert.deepEqual(
      controller.log.slice(from).map((c) => c.opcode),
      [OP.SET_EVENT_MASK, OP.LE_SET_EVENT_MASK, OP.READ_LOCAL_VERSION, OP.WRITE_LE_HOST_SUPPORTED, OP.READ_LE_HOST_SUPPORTED, OP.LE_READ_BUFFER_SIZE, OP.READ_BD_ADDR, OP.LE_SET_SCAN_ENABLE, OP.LE_SET_SCAN_PARAMETERS],
      'noble initialised the controller again',
    );
  });

  it("another host's Set Scan Enable(on, filter duplicates): noble takes it for its own scan changing; the controller refuses it", async () => {
    const controller = setup();
    const noble = open();
    await poweredOn(noble);
    await startScan(noble);

    const hci = noble._bindings._hci;
    const seenCommand = next<[boolean, boolean]>(hci, 'leScanEnableSetCmd');
    const restart = next<[boolean]>(noble, 'scanStart');
    const answered = controller.otherHostCommand(OP.LE_SET_SCAN_ENABLE, Buffer.from([1, 1]));
    assert.deepEqual(await seenCommand, [true, true], 'the socket got the command itself (HCI_COMMAND_PKT)');
    assert.deepEqual(await restart, [true]);
    const entry = await answered;
    assert.equal(entry.source, 'other');
    assert.equal(entry.status, STATUS.COMMAND_DISALLOWED, 'already scanning');
    assert.equal(controller.scan.enabled, true);
    assert.equal(controller.scan.filterDuplicates, false, 'unchanged');

    const parameters = await controller.otherHostCommand(OP.LE_SET_SCAN_PARAMETERS, Buffer.from('00a00050000000', 'hex'));
    assert.equal(parameters.status, STATUS.COMMAND_DISALLOWED, 'no new parameters while scanning');
    assert.equal(controller.scan.interval, 0x12);
  });

  it('refuse(): the host is answered the status and nothing changes, `times` times', async () => {
    const controller = setup();
    const noble = open();
    await poweredOn(noble);
    controller.refuse(OP.LE_SET_SCAN_ENABLE, 0x03, 2);
    const statuses: number[] = [];
    noble._bindings._hci.on('leScanEnableSet', (status: number) => statuses.push(status));
    let starts = 0;
    noble.on('scanStart', () => starts++);
    noble.startScanning([], true);
    await controller.idle();
    await sleep(20);
    assert.deepEqual(statuses, [0x03, 0x03]);
    assert.equal(starts, 0);
    assert.equal(controller.scan.enabled, false);

    await startScan(noble);
    assert.deepEqual(statuses, [0x03, 0x03, STATUS.COMMAND_DISALLOWED, 0x00]);
    assert.equal(controller.scan.enabled, true);
  });

  it('silence(): a Set Scan Parameters never answered leaves noble short of poweredOn', async () => {
    const controller = setup();
    controller.silence(OP.LE_SET_SCAN_PARAMETERS);
    const noble = open();
    await sleep(300);
    assert.equal(noble.state, 'unknown');
    const [parameters] = controller.commands(OP.LE_SET_SCAN_PARAMETERS);
    assert.ok(parameters, 'noble sent it');
    assert.equal(parameters.status, undefined);

    // The kernel gives up on it after 2 s (HCI_CMD_TIMEOUT) and sends the next command.
    const t0 = Date.now();
    const after = await controller.otherHostCommand(OP.READ_BD_ADDR);
    assert.equal(after.status, 0);
    assert.ok(Date.now() - t0 > 1500, `answered after ${Date.now() - t0} ms, behind the silenced command`);
    assert.equal(parameters.status, undefined, 'never answered');
  });

  it('a raw socket gets only what its filter lets through, and ENETDOWN while the adapter is down', async () => {
    const controller = setup();
    const socket = new SimulatedHciSocket();
    cleanups.push(() => socket.close());
    const packets: string[] = [];
    const errors: string[] = [];
    socket.on('data', (p: Buffer) => packets.push(p.toString('hex')));
    socket.on('error', (e: NodeJS.ErrnoException) => errors.push(`${e.code} ${e.syscall}`));
    assert.equal(socket.bindRaw(1), 1);
    socket.start();
    socket.write(Buffer.from('01091000', 'hex'));
    await controller.idle();
    assert.deepEqual(packets, [], 'no filter set: nothing');

    // Events only (type bit 4), Command Complete only (event 0x0e), for Read BD_ADDR (0x1009) only.
    socket.setFilter(Buffer.from('10000000' + '00400000' + '00000000' + '0910' + '0000', 'hex'));
    socket.write(Buffer.from('01011000', 'hex'));
    socket.write(Buffer.from('01091000', 'hex'));
    await controller.idle();
    assert.deepEqual(packets, ['040e0a01091000014433221100']);

    controller.power(false);
    socket.write(Buffer.from('01091000', 'hex'));
    assert.deepEqual(errors, ['ENETDOWN write']);
    assert.equal(controller.commands(OP.READ_BD_ADDR).length, 2, 'the write while down never reached the controller');
  });

  it('installing after the real noble was loaded still gives a noble on the controller, and the undo brings the addon back', async () => {
    const hciFile = requireHere.resolve('@abandonware/noble/lib/hci-socket/hci.js');
    const addonOfNoble = () => createRequire(hciFile)('@abandonware/bluetooth-hci-socket') as unknown;
    requireHere(hciFile); // noble's hci.js, cached with the real addon's class
    assert.notEqual(addonOfNoble(), SimulatedHciSocket);
    const controller = setup();
    assert.equal(addonOfNoble(), SimulatedHciSocket);
    await poweredOn(open());
    assert.ok(controller.commands(OP.READ_BD_ADDR, 'host').length > 0);
    cleanups.shift()!(); // the undo, before the afterEach
    assert.notEqual(addonOfNoble(), SimulatedHciSocket);
  });

  it('binding an adapter that is not there throws ENODEV, as the addon does', () => {
    setup();
    const socket = new SimulatedHciSocket();
    cleanups.push(() => socket.close());
    assert.throws(() => socket.bindRaw(4), (err: NodeJS.ErrnoException) => err.code === 'ENODEV' && err.syscall === 'bind' && /hci4/.test(err.message));
    assert.deepEqual(socket.getDeviceList(), [{ devId: 1, devUp: true, idVendor: null, idProduct: null, busNumber: null, deviceAddress: null }]);
    assert.equal(socket.bindRaw(), 1, 'without a number: the first adapter that is up');
  });

  for (const { name, options, extended } of [
    { name: 'an extended-scan controller: noble switches to the extended commands', options: { extended: true }, extended: true },
    { name: 'a legacy-only controller: noble stays on the legacy commands', options: {}, extended: false },
    // noble tests octet 37 bits 4 and 5 (Periodic Advertising Enable, Extended Scan Parameters), not 5 and 6.
    { name: 'extended scanning without periodic advertising: noble misses it and stays legacy', options: { extended: true, periodicAdvertising: false }, extended: false },
  ]) {
    it(`the kernel reads the supported commands; ${name}`, async () => {
      const controller = setup(options);
      const noble = open();
      await poweredOn(noble);
      const read = await controller.otherHostCommand(OP.READ_LOCAL_COMMANDS);
      assert.equal(read.status, 0);

      const from = controller.log.length;
      await startScan(noble);
      const [enable, parameters] = extended ? [OP.LE_SET_EXT_SCAN_ENABLE, OP.LE_SET_EXT_SCAN_PARAMETERS] : [OP.LE_SET_SCAN_ENABLE, OP.LE_SET_SCAN_PARAMETERS];
      assert.deepEqual(
        controller.log.slice(from).map((c) => [c.opcode, c.status]),
        [
          [enable, STATUS.COMMAND_DISALLOWED],
          [parameters, 0],
          [enable, 0],
        ],
      );
      assert.equal(controller.scan.extended, extended);
      const found = next<[{ address: string; rssi: number; advertisement: { txPowerLevel?: number } }]>(noble, 'discover');
      assert.equal(controller.advertise({ address: '44:44:44:44:44:44', eventType: 3, data: Buffer.from('020a07', 'hex'), rssi: -50 }), true);
      const [peripheral] = await found;
      assert.equal(peripheral.address, '44:44:44:44:44:44');
      assert.equal(peripheral.rssi, -50);
      assert.equal(peripheral.advertisement.txPowerLevel, 7);
    });
  }
});

describe('the simulated controller under the NobleCentral driver', () => {
  const load = () => requireHere('@abandonware/noble/with-custom-binding');

  it('opens, scans, and passes an advert on with its exact bytes', async () => {
    const controller = setup();
    const central = new NobleCentral({ hci: 1, load });
    cleanups.push(() => void central.close());
    await central.open();
    assert.equal(central.state(), 'poweredOn');
    await central.startScan();
    assert.equal(central.scanning, true);
    assert.equal(controller.scan.enabled, true);
    assert.equal(controller.scan.filterDuplicates, false);

    const data = Buffer.from('0201060aff4c001005031c0a9b42', 'hex');
    const adverts: BleAdvert[] = [];
    cleanups.push(central.events.on('advert', (a) => adverts.push(a)));
    assert.equal(controller.advertise({ address: '55:55:55:55:55:55', addressType: 'random', eventType: 3, data, rssi: -64 }), true);
    await waitFor(() => adverts.length > 0);
    const [advert] = adverts;
    assert.ok(advert);
    assert.equal(advert.address, '55:55:55:55:55:55');
    assert.equal(advert.addressType, 'random');
    assert.equal(advert.rssi, -64);
    assert.equal(advert.connectable, false);
    assert.deepEqual(advert.data, data);

    await central.close();
    assert.equal(controller.scan.enabled, false, 'close() stopped the scan');
  });

  it('two centrals in one process, each on its own adapter, each get their own adverts', async () => {
    const [a, b] = [new SimulatedController({ address: '00:00:00:00:00:0a' }), new SimulatedController({ address: '00:00:00:00:00:0b' })];
    cleanups.push(installSimulatedHci({ 0: a, 1: b }));
    const centrals = [new NobleCentral({ hci: 0, load }), new NobleCentral({ hci: 1, load })];
    const seen: string[] = [];
    for (const central of centrals) {
      cleanups.push(() => void central.close());
      cleanups.push(central.events.on('advert', (advert) => seen.push(`${central.adapter} ${advert.address}`)));
      await central.open();
      await central.startScan();
    }
    assert.deepEqual([a.scan.enabled, b.scan.enabled], [true, true]);
    a.advertise({ address: '66:66:66:66:66:0a', eventType: 3 });
    b.advertise({ address: '66:66:66:66:66:0b', eventType: 3 });
    await waitFor(() => seen.length >= 2);
    await sleep(50);
    assert.deepEqual(seen.sort(), ['hci0 66:66:66:66:66:0a', 'hci1 66:66:66:66:66:0b']);
  });

  it('a controller that never confirms the scan parameters: open() gives up with BLE_NO_RESPONSE', async () => {
    setup().silence(OP.LE_SET_SCAN_PARAMETERS);
    const central = new NobleCentral({ hci: 1, load, openTimeoutMs: 500 });
    const err = await central.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DriverError, `expected a DriverError, got ${String(err)}`);
    assert.equal(err.code, 'BLE_NO_RESPONSE');
  });

  it('a missing adapter is BLE_NO_ADAPTER', async () => {
    setup();
    const central = new NobleCentral({ hci: 3, load });
    const err = await central.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DriverError, `expected a DriverError, got ${String(err)}`);
    assert.equal(err.code, 'BLE_NO_ADAPTER');
  });
});

async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await sleep(10);
  }
}
