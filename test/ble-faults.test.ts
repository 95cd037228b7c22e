/**
 * Bluetooth LE going wrong: a machine without Bluetooth (the real noble and bleno bindings on
 * this host) leaves the runtime running with the roles marked failed; manifests with a bad GATT
 * declaration, an advert that does not fit or impossible filters are rejected naming the field;
 * a malformed advert on the air reaches no task and breaks nothing; an adapter removed and
 * returned comes back with its scan.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatStatus } from '../bin/status.js';
import type { SimRadio } from '../drivers/ble/sim/radio.js';
import { startHarness, tempDir, tick, type Harness } from './helpers/harness.js';
import { recorded, until } from './helpers/recorder.js';
import { startBleHarness } from './helpers/ble-harness.js';
import { Runtime } from '../runtime/runtime.js';
import { createBoard } from '../drivers/board.js';
import { makeConfig, writeBundle } from './helpers/harness.js';
import { SimSystem } from '../drivers/system/sim.js';
import { mkdirSync } from 'node:fs';

const watcher = { type: 'BluetoothLEAdvertisementWatcherTrigger', batchMs: 50 };

describe('a device without Bluetooth (real bindings, no HCI sockets on this host)', () => {
  it('runs on: both roles are marked failed with the cause, registrations still arm', async () => {
    const root = tempDir();
    const config = makeConfig(root, { config: { drivers: { ble: { binding: 'hci', central: { hci: 0 }, peripheral: { hci: 0 } } } } });
    mkdirSync(config.bundlesDir, { recursive: true });
    writeBundle(config.bundlesDir, { name: 'scan', tasks: [{ name: 'scan', entry: 't.js', trigger: watcher }], files: { 't.js': 'export default function run() {}' } });
    const board = await createBoard(config);
    const runtime = await Runtime.start({ config, drivers: { ...board, system: new SimSystem() }, logSync: true });
    try {
      const status = runtime.status();
      const central = status.drivers.find((d) => d.name === 'ble.central')!;
      assert.equal(central.state, 'failed');
      assert.match(central.error!, /hci0/);
      assert.match(central.error!, /EAFNOSUPPORT|no Bluetooth/i);
      assert.equal(status.drivers.find((d) => d.name === 'ble.peripheral')!.state, 'failed');
      assert.match(formatStatus(status, Date.now()), /ble\.central \(noble hci0\) FAILED/);
      // The trigger exists from the config: the bundle loads and its registration arms, to fire once an adapter opens.
      assert.deepEqual([...runtime.bundles.rejected.keys()], []);
      assert.equal(runtime.registry.byBundle('scan').length, 1);
      const log = readFileSync(join(config.stateDir, 'logs', 'vigil.log'), 'utf8');
      assert.match(log, /"driver":"ble","role":"central","adapter":"hci0","state":"failed"/);
      assert.match(log, /trying again in the background/);
      assert.equal((log.match(/"role":"central","adapter":"hci0","state":"failed"/g) ?? []).length, 1, 'one line, not one per retry');
    } finally {
      await runtime.stop();
    }
  });
});

describe('bad BLE declarations in manifests', () => {
  let h: Harness;
  const bad = (name: string, trigger: Record<string, unknown>) => ({ name, tasks: [{ name: `${name}-t`, entry: 't.js', trigger }], files: { 't.js': 'export default function run() {}' } });
  before(async () => {
    h = await startHarness({
      config: { drivers: { ble: { binding: 'sim' } } },
      bundles: [
        bad('gatt-uuid', { type: 'GattServiceProviderTrigger', triggerId: 'x', service: { uuid: '180z', characteristics: [{ uuid: '2a6e', properties: ['read'] }] } }),
        bad('gatt-prop', { type: 'GattServiceProviderTrigger', triggerId: 'x', service: { uuid: '181a', characteristics: [{ uuid: '2a6e', properties: ['read', 'broadcast'] }] } }),
        bad('gatt-twice', { type: 'GattServiceProviderTrigger', triggerId: 'x', service: { uuid: '181a', characteristics: [{ uuid: '2a6e', properties: ['read'] }, { uuid: '00002A6E-0000-1000-8000-00805F9B34FB', properties: ['notify'] }] } }),
        bad('gatt-len', { type: 'GattServiceProviderTrigger', triggerId: 'x', service: { uuid: '181a', characteristics: [{ uuid: '2a6e', properties: ['read'], length: 2 }] } }),
        bad('gatt-cccd', { type: 'GattServiceProviderTrigger', triggerId: 'x', service: { uuid: '181a', characteristics: [{ uuid: '2a6e', properties: ['notify'], descriptors: [{ uuid: '2902', value: '0100' }] }] } }),
        bad('adv-long', { type: 'BluetoothLEAdvertisementPublisherTrigger', advertisement: { localName: 'a name far too long to fit in one legacy advertisement' } }),
        bad('watch-rssi', { type: 'BluetoothLEAdvertisementWatcherTrigger', signalStrengthFilter: { inRangeThresholdInDBm: -90, outOfRangeThresholdInDBm: -70 } }),
        bad('watch-timeout', { type: 'BluetoothLEAdvertisementWatcherTrigger', signalStrengthFilter: { outOfRangeTimeoutSec: 90 } }),
        bad('notify-batch', { type: 'GattCharacteristicNotificationTrigger', device: { address: 'aa:bb:cc:dd:ee:ff' }, service: '180d', characteristic: '2a37', eventTriggeringMode: 'Batch' }),
        bad('notify-device', { type: 'GattCharacteristicNotificationTrigger', device: { address: 'aa:bb:cc:dd:ee:ff', localName: 'x' }, service: '180d', characteristic: '2a37' }),
      ],
    });
  });
  after(() => h?.close());

  const cases: [string, RegExp][] = [
    ['gatt-uuid', /tasks\[0\]\.trigger\.service\.uuid.*"180z".*a UUID/],
    ['gatt-prop', /tasks\[0\]\.trigger\.service\.characteristics\[0\]\.properties\[1\].*"broadcast"/],
    ['gatt-twice', /characteristics\[1\]\.uuid: 2a6e is declared twice \(also service\.characteristics\[0\]\)/],
    ['gatt-len', /characteristics\[0\]: "length"\/"maxLength" limit writes, but the characteristic has no "write"/],
    ['gatt-cccd', /descriptors\[0\]\.uuid: 2902 is the Client Characteristic Configuration/],
    ['adv-long', /tasks\[0\]\.trigger\.advertisement: .*at most 31/],
    ['watch-rssi', /signalStrengthFilter: outOfRangeThresholdInDBm \(-70\) is above inRangeThresholdInDBm \(-90\)/],
    ['watch-timeout', /signalStrengthFilter\.outOfRangeTimeoutSec.*90/],
    ['notify-batch', /eventTriggeringMode: "Batch" is not supported on this device/],
    ['notify-device', /tasks\[0\]\.trigger\.device.*give "address" or "localName"/],
  ];
  for (const [bundle, message] of cases) {
    it(`${bundle}: rejected with a ManifestError naming the field`, () => {
      const rejected = h.runtime.bundles.rejected.get(bundle);
      assert.ok(rejected, `bundle ${bundle} was not rejected`);
      assert.equal(rejected.error.code, 'TRIGGER_INVALID');
      assert.match(rejected.error.message, /manifest\.json: /);
      assert.match(rejected.error.message, message);
      assert.equal(h.runtime.registry.byBundle(bundle).length, 0);
    });
  }
});

describe('malformed adverts and a vanishing adapter (simulated radio)', () => {
  let h: Harness;
  let out: string;
  let radio: SimRadio;
  before(async () => {
    ({ h, out, radio } = await startBleHarness(
      {
        peripheral: false,
        sim: {
          peripherals: {
            // A manufacturer structure claiming 0x20 bytes, a zero length, a name past the end.
            broken: { advert: { hex: '0201061fff4c00' }, intervalMs: 30 },
            zeros: { advert: { hex: '0201060000000409414243' }, intervalMs: 30 },
            good: { advert: { localName: 'good' }, intervalMs: 30 },
          },
        },
      },
      { name: 'w', tasks: [{ name: 'all', entry: 'rec.js', isolation: 'inprocess', trigger: watcher }, { name: 'apple', entry: 'rec.js', isolation: 'inprocess', trigger: { ...watcher, advertisementFilter: { manufacturerData: [{ companyId: 76 }] } } }] },
    ));
  });
  after(() => h?.close());

  it('malformed adverts are delivered as bytes with what could be read, and match no filter on what could not', async () => {
    await until('adverts from all three', () => new Set(recorded(out, 'all').flatMap((d) => d.advertisements.map((a: any) => a.address))).size === 3);
    const all = recorded(out, 'all').flatMap((d) => d.advertisements);
    const broken = all.find((a: any) => a.address === radio.peripheral('broken').address);
    assert.equal(broken.data, '0201061fff4c00');
    assert.equal(broken.advertisement.flags, 6, 'the structure before the bad one is kept');
    assert.deepEqual(broken.advertisement.manufacturerData, []);
    const zeros = all.find((a: any) => a.address === radio.peripheral('zeros').address);
    assert.equal(zeros.advertisement.localName, 'ABC', 'zero padding between structures is skipped, as BlueZ-era stacks send it');
    await tick(200);
    assert.equal(recorded(out, 'apple').length, 0, 'the truncated Apple structure matches nothing');
  });

  it('an adapter removed and returned: the watcher hears RadioNotAvailable, then adverts again', async () => {
    radio.setAdapter('gone', 'central');
    await until('RadioNotAvailable', () => recorded(out, 'all').some((d) => d.error === 'RadioNotAvailable'));
    assert.match(formatStatus(h.runtime.status(), Date.now()), /ble central sim \(sim\): missing/);
    const before = recorded(out, 'all').length;
    radio.setAdapter('back', 'central');
    await until('adverts again', () => recorded(out, 'all').slice(before).some((d) => d.advertisements.length > 0));
  });
});
