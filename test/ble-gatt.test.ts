/**
 * GATT through the runtime, on the simulated radio. Serving: a phone reads, writes and
 * subscribes to a service a bundle declares; the task answers with gatt.respond and pushes with
 * gatt.notify; wrong-length and unencrypted writes get their ATT errors without a run; a task
 * that fails or stays silent gets Unlikely Error. Notifications: a task fires per value from a
 * heart-rate strap, and the link comes back by itself after the strap drops it — also when it
 * drops in the middle of discovery.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ATT } from '../drivers/ble/ble.js';
import type { SimRadio } from '../drivers/ble/sim/radio.js';
import { formatStatus } from '../bin/status.js';
import { makeConfig, tempDir, tick, writeBundle, type Harness } from './helpers/harness.js';
import { startBleHarness } from './helpers/ble-harness.js';
import { createBoard } from '../drivers/board.js';
import { SimSystem } from '../drivers/system/sim.js';
import { Runtime } from '../runtime/runtime.js';
import { recorded, recorder, until } from './helpers/recorder.js';

const SERVICE = '7d0a0001-3c5e-4b8e-9a61-5f2b8a1c0d10';
const SETPOINT = '7d0a0002-3c5e-4b8e-9a61-5f2b8a1c0d10';
const SILENT = '7d0a0003-3c5e-4b8e-9a61-5f2b8a1c0d10';
const FAILS = '7d0a0004-3c5e-4b8e-9a61-5f2b8a1c0d10';
const LOCKED = '7d0a0005-3c5e-4b8e-9a61-5f2b8a1c0d10';

// Answers reads of 2a6e with the value the test chose; refuses setpoints above 35.0 °C with 0x80.
const service = (out: string) => `import { appendFileSync } from 'node:fs';
export default async function run(instance) {
  const { request, triggerId } = instance.triggerDetails;
  appendFileSync(${JSON.stringify(out)}, JSON.stringify({ task: instance.task.name, details: instance.triggerDetails }) + '\\n');
  if (request.characteristic === '${SILENT.replace(/-/g, '')}') return new Promise((resolve) => setTimeout(resolve, 600));
  if (request.characteristic === '${FAILS.replace(/-/g, '')}') throw new Error('sensor bus error');
  if (request.kind === 'read' && request.characteristic === '2a6e') await instance.call('gatt.respond', { value: [0x66, 0x08] });
  if (request.kind === 'write' && Buffer.from(request.data, 'hex').readInt16LE(0) > 350) await instance.call('gatt.respond', { error: 0x80 });
  if (request.kind === 'subscribe') await instance.call('gatt.notify', '2a6e', '6708');
}`;

describe('GATT serving and notifications through the runtime (simulated radio)', () => {
  let h: Harness;
  let out: string;
  let radio: SimRadio;

  before(async () => {
    ({ h, out, radio } = await startBleHarness(
      {
        gattResponseMs: 400,
        reconnect: { minSec: 0.2, maxSec: 0.8 },
        sim: {
          peripherals: {
            strap: {
              advert: { localName: 'HRM-Strap', serviceUuids: ['180d'] },
              intervalMs: 50,
              services: [{ uuid: '180d', characteristics: [{ uuid: '2a37', properties: ['notify'], notifyEveryMs: 100, notifyValues: ['0048', '0049', '004a'] }] }],
            },
          },
          centrals: { phone: {}, bonded: { encrypted: true } },
        },
      },
      {
        name: 'gh',
        tasks: [
          {
            name: 'service',
            entry: 'service.js',
            isolation: 'inprocess',
            capabilities: ['gatt.respond', 'gatt.notify'],
            trigger: {
              type: 'GattServiceProviderTrigger',
              triggerId: 'greenhouse',
              service: {
                uuid: SERVICE,
                characteristics: [
                  { uuid: '2a6e', properties: ['read', 'notify'], userDescription: 'Temperature' },
                  { uuid: SETPOINT, properties: ['read', 'write'], length: 2, value: 'f401' },
                  { uuid: SILENT, properties: ['read'] },
                  { uuid: FAILS, properties: ['read', 'write'] },
                  { uuid: LOCKED, properties: ['write'], writeProtection: 'encryptionRequired', maxLength: 4 },
                ],
              },
            },
          },
          { name: 'hr-latest', entry: 'slow.js', isolation: 'inprocess', trigger: { type: 'GattCharacteristicNotificationTrigger', device: { localName: 'HRM-Strap' }, service: '180d', characteristic: '2a37', eventTriggeringMode: 'KeepLatest' } },
          { name: 'hr', entry: 'rec.js', isolation: 'inprocess', trigger: { type: 'GattCharacteristicNotificationTrigger', device: { localName: 'HRM-Strap' }, service: '180d', characteristic: '2a37' } },
        ],
        files: (file) => ({
          'service.js': service(file),
          'slow.js': `import { appendFileSync } from 'node:fs';
export default async function run(instance) {
  appendFileSync(${JSON.stringify(file)}, JSON.stringify({ task: instance.task.name, details: instance.triggerDetails }) + '\\n');
  await new Promise((resolve) => setTimeout(resolve, 350));
}`,
        }),
      },
    ));
  });
  after(() => h?.close());

  it('the declared service is advertised and served; a read is answered by the task', async () => {
    await until('advertising', () => radio.advertisedByVigil().length === 1);
    const phone = radio.central('phone');
    await phone.connect();
    const r = await phone.read(SERVICE, '2a6e');
    assert.equal(r.result, ATT.SUCCESS);
    assert.equal(r.data!.toString('hex'), '6608');
    const d = recorded(out, 'service').at(-1)!;
    assert.equal(d.triggerId, 'greenhouse');
    assert.equal(d.request.kind, 'read');
    assert.equal(d.request.client, phone.address);
    // The user description is a descriptor the phone can read.
    const desc = await phone.readDescriptor(SERVICE, '2a6e', '2901');
    assert.equal(desc.data!.toString('utf8'), 'Temperature');
  });

  it('a task that completes without answering: reads get the value, writes are kept', async () => {
    const phone = radio.central('phone');
    const before = await phone.read(SERVICE, SETPOINT);
    assert.equal(before.data!.toString('hex'), 'f401');
    assert.equal(await phone.write(SERVICE, SETPOINT, '2c01'), ATT.SUCCESS);
    assert.equal(recorded(out, 'service').at(-1)!.request.data, '2c01');
    assert.equal((await phone.read(SERVICE, SETPOINT)).data!.toString('hex'), '2c01');
  });

  it('errors: the task refuses (0x80), wrong length (0x0d) and unencrypted (0x05) without a run, failure and silence (0x0e)', async () => {
    const phone = radio.central('phone');
    assert.equal(await phone.write(SERVICE, SETPOINT, '9001'), 0x80, 'the task refuses 40.0 °C');
    const runs = recorded(out, 'service').length;
    assert.equal(await phone.write(SERVICE, SETPOINT, '010203'), ATT.INVALID_ATTRIBUTE_VALUE_LENGTH);
    assert.equal(await phone.write(SERVICE, LOCKED, '01'), ATT.INSUFFICIENT_AUTHENTICATION);
    assert.equal(await phone.write(SERVICE, '2a6e', '01'), ATT.WRITE_NOT_PERMITTED);
    await tick(50);
    assert.equal(recorded(out, 'service').length, runs, 'refused at the server: no task ran');
    assert.equal((await phone.read(SERVICE, FAILS)).result, ATT.UNLIKELY_ERROR);
    const t0 = Date.now();
    assert.equal((await phone.read(SERVICE, SILENT)).result, ATT.UNLIKELY_ERROR);
    assert.ok(Date.now() - t0 >= 350, 'the silent task had its 400 ms');
    await tick(250);
    await phone.disconnect();
  });

  it('an encrypted link may write the protected characteristic', async () => {
    const bonded = radio.central('bonded');
    await bonded.connect();
    assert.equal(await bonded.write(SERVICE, LOCKED, 'aabbccdd'), ATT.SUCCESS);
    assert.equal(await bonded.write(SERVICE, LOCKED, 'aabbccddee'), ATT.INVALID_ATTRIBUTE_VALUE_LENGTH, 'maxLength 4');
    await bonded.disconnect();
  });

  it('a subscription runs the task, which notifies the subscriber', async () => {
    const phone = radio.central('phone');
    await phone.connect();
    assert.equal(await phone.subscribe(SERVICE, '2a6e'), ATT.SUCCESS);
    await until('a notification', () => phone.notifications(SERVICE, '2a6e').length > 0);
    assert.equal(phone.notifications(SERVICE, '2a6e')[0]!.data.toString('hex'), '6708');
    assert.equal(recorded(out, 'service').at(-1)!.request.kind, 'subscribe');
    assert.match(formatStatus(h.runtime.status(), Date.now()), /serving 7d0a0001\w+ \(1 subscribed\)/);
    await phone.disconnect();
  });

  it('gatt.respond outside a GATT request and gatt.notify of a foreign characteristic are refused', async () => {
    const caller = { taskId: 'x', name: 'hr', bundle: 'gh', instanceId: 'i', details: {} };
    await assert.rejects(h.runtime.capabilities.call('gatt.respond', [{ value: '00' }], ['gatt.respond'], caller), /has no GATT read or write waiting/);
    await assert.rejects(h.runtime.capabilities.call('gatt.notify', ['2a37', '00'], ['gatt.notify'], caller), /is not a characteristic of a GATT service bundle "gh" serves/);
    await assert.rejects(h.runtime.capabilities.call('gatt.notify', ['2a6e', 'zz'], ['gatt.notify'], caller), /value "zz" is invalid/);
  });

  it('notifications from the strap fire the task per value; a dropped link comes back', async () => {
    await until('heart-rate values', () => recorded(out, 'hr').length >= 3);
    const values = recorded(out, 'hr').map((d) => d.value);
    assert.deepEqual(values.slice(0, 3), ['0048', '0049', '004a']);
    assert.equal(recorded(out, 'hr')[0]!.characteristic, '2a37');
    assert.equal(recorded(out, 'hr')[0]!.device, radio.peripheral('strap').address);
    const strap = radio.peripheral('strap');
    strap.drop('peer disconnected');
    const dropped = recorded(out, 'hr').length;
    await until('values again after the drop', () => recorded(out, 'hr').length >= dropped + 3, 5000);
    const log = readFileSync(join(h.stateDir, 'logs', 'vigil.log'), 'utf8');
    assert.match(log, /link to HRM-Strap down \(disconnected: peer disconnected\): trying again in 0\.2 s/);
  });

  it('a strap that drops during discovery: the link backs off (doubling) and recovers', async () => {
    const strap = radio.peripheral('strap');
    strap.dropNextDiscovery(2);
    strap.drop('peer disconnected');
    const dropped = recorded(out, 'hr').length;
    await until('values after two failed discoveries', () => recorded(out, 'hr').length >= dropped + 2, 8000);
    const log = readFileSync(join(h.stateDir, 'logs', 'vigil.log'), 'utf8');
    assert.match(log, /trying again in 0\.4 s/, 'the second failure in a row waits twice as long');
    const hr = h.runtime.ble!.status().links[0]!;
    assert.equal(hr.state, 'subscribed');
  });

  it('KeepLatest: values that arrive while a run is busy collapse into the newest', async () => {
    const serialBefore = recorded(out, 'hr').length;
    const latestBefore = recorded(out, 'hr-latest').length;
    await tick(1500);
    const serial = recorded(out, 'hr').length - serialBefore;
    const latest = recorded(out, 'hr-latest').length - latestBefore;
    // A value every 100 ms; the KeepLatest task takes 350 ms, so it runs about every 350 ms.
    assert.ok(serial >= 12, `the Serial task ran for every value (${serial})`);
    assert.ok(latest >= 3 && latest <= 6, `the KeepLatest task ran ${latest} times for ${serial} values`);
    const queued = h.runtime.store.data.triggerState[h.runtime.registry.records().find((r) => r.name === 'hr-latest')!.taskId]?.pending?.length ?? 0;
    assert.ok(queued <= 1, `at most one value waits (${queued})`);
  });
});

describe('both roles on one adapter', () => {
  it('a notification link waits while a central is connected to the peripheral (bleno tracks one connection), then connects', async () => {
    const root = tempDir();
    const out = join(root, 'details.jsonl');
    const config = makeConfig(root, {
      config: {
        drivers: {
          ble: {
            binding: 'sim',
            sim: {
              peripherals: { strap: { advert: { localName: 'HRM-Strap' }, intervalMs: 50, services: [{ uuid: '180d', characteristics: [{ uuid: '2a37', properties: ['notify'], notifyEveryMs: 50, notifyValues: ['0048'] }] }] } },
              centrals: { phone: {} },
            },
          },
        },
      },
    });
    writeBundle(config.bundlesDir, {
      name: 'both',
      tasks: [
        { name: 'served', entry: 'rec.js', isolation: 'inprocess', trigger: { type: 'GattServiceProviderTrigger', triggerId: 's', service: { uuid: '181a', characteristics: [{ uuid: '2a6e', properties: ['read'], value: '0000' }] } } },
        { name: 'hr', entry: 'rec.js', isolation: 'inprocess', trigger: { type: 'GattCharacteristicNotificationTrigger', device: { localName: 'HRM-Strap' }, service: '180d', characteristic: '2a37' } },
      ],
      files: { 'rec.js': recorder(out) },
    });
    const board = await createBoard(config, { sim: true });
    // The simulated roles dressed as the real bindings on one adapter, hci0.
    for (const role of [board.ble!.central!, board.ble!.peripheral!]) Object.defineProperties(role, { binding: { value: 'hci-like' }, adapter: { value: 'hci0' } });
    const radio = board.sim!.radio!;
    const phone = radio.central('phone');
    const runtime = await Runtime.start({ config, drivers: { ...board, system: new SimSystem() }, logSync: true });
    try {
      await until('advertising', () => radio.advertisedByVigil().length === 1);
      // The phone connects before the strap is heard: the link must not connect while it is there.
      await phone.connect();
      await tick(600);
      assert.equal(recorded(out, 'hr').length, 0);
      assert.equal(runtime.ble!.status().links[0]!.state, 'waiting');
      await phone.disconnect();
      await until('notifications once the phone has gone', () => recorded(out, 'hr').length > 0, 4000);
      const log = readFileSync(join(config.stateDir, 'logs', 'vigil.log'), 'utf8');
      assert.match(log, /hci0 serves both Bluetooth LE roles: notification links connect only while no central is connected/);
    } finally {
      await runtime.stop();
    }
  });
});
