/**
 * Bluetooth LE through the runtime, on the simulated radio: the watcher's filters, signal
 * strength and batches; BTHome adverts (encrypted) driving SensorDataThresholdTrigger; the
 * publisher's status; and the central's adapter going away and coming back.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SimRadio } from '../drivers/ble/sim/radio.js';
import { formatStatus } from '../bin/status.js';
import { tick, type Harness } from './helpers/harness.js';
import { startBleHarness } from './helpers/ble-harness.js';
import { recorded, until } from './helpers/recorder.js';

const KEY = '231d39c1d7cc1ab1aee224cd096db932';
const GARDEN = 'a4:c1:38:0b:5e:01';
const TAG_UUID = 'e2c56db5-dffb-48d2-b060-d0f5a71096e0';

describe('Bluetooth LE watchers, BTHome sensors and publishers (simulated radio)', () => {
  let h: Harness;
  let out: string;
  let radio: SimRadio;
  const adverts = (task: string) => recorded(out, task).flatMap((d) => d.advertisements as Record<string, any>[]);

  before(async () => {
    ({ h, out, radio } = await startBleHarness(
      {
        peripheral: { hci: 0, deviceName: 'vigil-test' },
        sensors: { garden: { address: GARDEN, key: KEY, channels: ['temperature', 'humidity', 'battery'], logEverySec: 0 } },
        sim: {
          seed: 7,
          peripherals: {
            tag: { advert: { iBeacon: { uuid: TAG_UUID, major: 1, minor: 2, measuredPower: -59 } }, intervalMs: 50, rssi: -95, noiseDb: 0 },
            other: { advert: { manufacturerData: [{ companyId: 0x0059, data: '0102' }], localName: 'nrf' }, intervalMs: 50, rssi: -50, noiseDb: 0 },
            garden: { address: GARDEN, advert: { bthome: { readings: { temperature: 21.5, humidity: 60, battery: 90 }, key: KEY, address: GARDEN } }, intervalMs: 100, rssi: -70 },
          },
        },
      },
      {
        name: 'ble',
        tasks: [
          {
            name: 'tag',
            entry: 'rec.js',
            isolation: 'inprocess',
            trigger: {
              type: 'BluetoothLEAdvertisementWatcherTrigger',
              advertisementFilter: { manufacturerData: [{ companyId: 76, data: '0215' + TAG_UUID.replace(/-/g, '') }] },
              signalStrengthFilter: { inRangeThresholdInDBm: -70, outOfRangeThresholdInDBm: -85, outOfRangeTimeoutSec: 1, samplingIntervalMs: 200 },
              batchMs: 150,
            },
          },
          { name: 'nordic', entry: 'rec.js', isolation: 'inprocess', trigger: { type: 'BluetoothLEAdvertisementWatcherTrigger', advertisementFilter: { localName: 'nrf', bytePatterns: [{ type: 255, offset: 2, data: '0102' }] }, batchMs: 200, maxBatch: 3 } },
          { name: 'warm', entry: 'rec.js', isolation: 'inprocess', trigger: { type: 'SensorDataThresholdTrigger', sensor: 'garden', threshold: { kind: 'Temperature', above: 25, rearmBelow: 24 } } },
          { name: 'beacon', entry: 'rec.js', isolation: 'inprocess', trigger: { type: 'BluetoothLEAdvertisementPublisherTrigger', advertisement: { iBeacon: { uuid: TAG_UUID, major: 9, minor: 9, measuredPower: -60 } } } },
        ],
      },
    ));
  });
  after(() => h?.close());

  it('a watcher delivers only what passes its filter, in batches, in bytes and decoded', async () => {
    await until('nordic batches', () => recorded(out, 'nordic').length >= 3);
    const runs = recorded(out, 'nordic');
    for (const d of runs) {
      assert.equal(d.error, 'Success');
      assert.ok(d.advertisements.length >= 1 && d.advertisements.length <= 3, `batch of ${d.advertisements.length}: maxBatch is 3`);
    }
    const all = adverts('nordic');
    assert.ok(all.every((a) => a.advertisement.localName === 'nrf' && a.advertisement.manufacturerData[0].companyId === 0x59));
    assert.ok(all.every((a) => a.data.includes('ff59000102')), 'the raw advertising data is delivered too');
    // Not one of the tag's or the sensor's adverts reached it.
    assert.ok(!all.some((a) => a.advertisement.iBeacon || a.advertisement.bthome));
  });

  it('the signal-strength filter reports a device coming into range, sampled, then going out', async () => {
    await tick(400);
    assert.equal(adverts('tag').length, 0, 'at -95 dBm the tag is below the in-range threshold (-70)');
    radio.peripheral('tag').setRssi(-60);
    await until('the tag in range', () => adverts('tag').some((a) => a.range === 'in'));
    const inRange = adverts('tag').find((a) => a.range === 'in')!;
    assert.equal(inRange.advertisement.iBeacon.major, 1);
    assert.equal(inRange.advertisement.iBeacon.uuid.replace(/-/g, ''), TAG_UUID.replace(/-/g, ''));
    await tick(900);
    const sampled = adverts('tag');
    // 50 ms adverts for ~0.9 s sampled every 200 ms: a handful, not eighteen.
    assert.ok(sampled.length >= 3 && sampled.length <= 7, `sampled ${sampled.length} adverts`);
    // Between the thresholds it is still in range (no out-of-range report) …
    radio.peripheral('tag').setRssi(-80);
    await tick(1300);
    assert.ok(!adverts('tag').some((a) => a.range === 'out'));
    // … below -85 for more than the 1 s timeout, it has gone.
    radio.peripheral('tag').setRssi(-100);
    await until('the tag out of range', () => adverts('tag').some((a) => a.range === 'out'), 4000);
    const gone = adverts('tag').find((a) => a.range === 'out')!;
    assert.equal(gone.rssi, -127);
  });

  it('an encrypted BTHome sensor drives SensorDataThresholdTrigger and is logged as a sensor', async () => {
    await until('the garden sensor heard', () => h.runtime.ble!.sensors.status()[0]!.last !== undefined);
    assert.equal(h.runtime.ble!.sensors.status()[0]!.last!.values.temperature, 21.5);
    assert.equal(recorded(out, 'warm').length, 0);
    radio.peripheral('garden').setReadings({ temperature: 26.2, humidity: 55, battery: 90 });
    await until('the threshold crossed', () => recorded(out, 'warm').length === 1);
    const d = recorded(out, 'warm')[0]!;
    assert.equal(d.sensor, 'garden');
    assert.deepEqual(d.crossed, { channel: 'temperature', value: 26.2, above: 25, rearm: 24 });
    const log = readFileSync(join(h.stateDir, 'logs', 'vigil.log'), 'utf8');
    assert.match(log, /"evt":"sensor","sensor":"garden","type":"bthome","values":\{[^}]*"temperature":26\.2/);
    assert.match(formatStatus(h.runtime.status(), Date.now()), /ble sensor {2}garden \(a4:c1:38:0b:5e:01\): [^\n]*temperature 26\.2/);
  });

  it('the publisher advertises its payload and its task hears Started', async () => {
    await until('publisher started', () => recorded(out, 'beacon').some((d) => d.status === 'Started'));
    const onAir = radio.advertisedByVigil();
    assert.equal(onAir.length, 1);
    // 4c 00 02 15 + UUID + major 9 + minor 9 + -60 dBm
    assert.match(onAir[0]!.data.toString('hex'), new RegExp(`ff4c000215${TAG_UUID.replace(/-/g, '')}00090009c4$`));
  });

  it('the central adapter powered off: watchers hear RadioNotAvailable, publisher Aborted; back on: all re-armed', async () => {
    const before = adverts('nordic').length;
    radio.setAdapter('off', 'both');
    await until('watchers told', () => recorded(out, 'nordic').some((d) => d.error === 'RadioNotAvailable'));
    await until('publisher aborted', () => recorded(out, 'beacon').some((d) => d.status === 'Aborted'));
    assert.equal(recorded(out, 'beacon').find((d) => d.status === 'Aborted')!.error, 'RadioNotAvailable');
    assert.match(formatStatus(h.runtime.status(), Date.now()), /ble central sim \(sim\): poweredOff/);
    await tick(300);
    const during = adverts('nordic').length;
    radio.setAdapter('on', 'both');
    await until('adverts again', () => adverts('nordic').length > during + 2);
    assert.ok(during >= before);
    await until('publisher started again', () => recorded(out, 'beacon').filter((d) => d.status === 'Started').length >= 2);
    assert.equal(radio.advertisedByVigil().length, 1);
    const log = readFileSync(join(h.stateDir, 'logs', 'vigil.log'), 'utf8');
    assert.match(log, /Bluetooth LE central on sim: poweredOff/);
    assert.match(log, /Bluetooth LE central on sim: poweredOn \(scan and links re-armed\)/);
  });
});
