// The simulated Bluetooth LE air, part 1: what vigil's central sees (adverts, RSSI, BTHome
// sensors) and its links to virtual devices (discovery, GATT, notifications, links dropping).
// Part 2, test/ble-sim-gatt.test.ts: vigil's peripheral and the phone that uses it; part 3,
// test/ble-sim-steps.test.ts: the config and the timeline steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.js';
import { DriverError } from '../runtime/errors.js';
import type { BleAdvert, BleState } from '../drivers/ble/ble.js';
import { parseAdvert } from '../drivers/ble/adv/parse.js';
import { SimRadio } from '../drivers/ble/sim/radio.js';
import { SimCentral } from '../drivers/ble/sim/sim-central.js';
import type { VirtualPeripheralOptions } from '../drivers/ble/sim/virtual-peripheral.js';

const HR = '180d';
const HRM = '2a37';
const BODY = '2a38';
const CTRL = '2a39';

function air(seed = 7) {
  const clock = new FakeClock();
  const radio = new SimRadio({ clock, seed });
  const central = new SimCentral(radio);
  const adverts: BleAdvert[] = [];
  central.events.on('advert', (a) => adverts.push(a));
  return { clock, radio, central, adverts };
}

const tag: VirtualPeripheralOptions = { name: 'tag', advert: { localName: 'Tag' }, intervalMs: 100 };

const strap: VirtualPeripheralOptions = {
  name: 'hr',
  advert: { localName: 'Strap', serviceUuids: [HR] },
  services: [
    {
      uuid: '0000180D-0000-1000-8000-00805F9B34FB',
      characteristics: [
        { uuid: HRM, properties: ['notify'], notifyEveryMs: 1000, notifyValues: ['0048', '0049', '004a'] },
        { uuid: BODY, properties: ['read'], value: '01', descriptors: [{ uuid: '2901', value: Buffer.from('Body').toString('hex') }] },
        { uuid: CTRL, properties: ['write'] },
      ],
    },
  ],
};

/** One real turn of the event loop (GATT operations on the simulated air take one). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

test('adverts arrive only while the central scans with its adapter powered on', async () => {
  const { clock, radio, central, adverts } = air();
  radio.addPeripheral(tag);
  clock.advance(1000);
  await central.open();
  clock.advance(1000);
  assert.equal(adverts.length, 0, 'open but not scanning');
  await central.startScan();
  assert.equal(central.scanning, true);
  clock.advance(1000);
  assert.ok(adverts.length >= 9 && adverts.length <= 10, `about 10 adverts in 1 s at 100 ms, got ${adverts.length}`);
  const a = adverts[0]!;
  assert.equal(parseAdvert(a.data).localName, 'Tag');
  assert.equal(a.address, radio.peripheral('tag').address);
  assert.equal(a.addressType, 'random');
  assert.equal(a.connectable, false, 'a device without services is not connectable by default');
  assert.ok(a.time > Date.UTC(2026, 0, 1) && a.time <= clock.now(), 'time comes from the injected clock');

  radio.setAdapter('off', 'central');
  const n = adverts.length;
  clock.advance(2000);
  assert.equal(adverts.length, n, 'nothing while the adapter is off');
  assert.equal(central.scanning, false);
  radio.setAdapter('on', 'central');
  clock.advance(1000);
  assert.ok(adverts.length > n, 'the scan resumes when the adapter comes back');

  await central.stopScan();
  assert.equal(clock.pending, 0, 'no timers run while nobody listens');
  const m = adverts.length;
  clock.advance(2000);
  assert.equal(adverts.length, m, 'nothing after stopScan');
});

test('a scan response goes with each advert (built without flags unless it asks)', async () => {
  const { clock, radio, central, adverts } = air();
  radio.addPeripheral({ ...tag, scanResponse: { localName: 'Tag with a longer name', txPower: -4 } });
  await central.open();
  await central.startScan();
  clock.advance(500);
  const a = adverts[0]!;
  const parsed = parseAdvert(a.data, a.scanResponse);
  assert.equal(parsed.localName, 'Tag with a longer name');
  assert.equal(parsed.txPower, -4);
  assert.equal(parseAdvert(a.scanResponse!).flags, undefined, 'no flags in the scan response');
  assert.equal(parseAdvert(a.data).flags, 6, 'flags 0x06 in the advert');
});

test('each device keeps its interval (plus the 0–10 ms advDelay), with one timer per device', async () => {
  const { clock, radio, central, adverts } = air();
  radio.addPeripheral({ ...tag, intervalMs: 250 });
  radio.addPeripheral({ name: 'beacon', advert: { hex: '0201060303aafe' }, intervalMs: 1000 });
  await central.open();
  await central.startScan();
  assert.equal(clock.pending, 2, 'one timer per device');
  clock.advance(20_000);
  for (const [name, interval] of [['tag', 250], ['beacon', 1000]] as const) {
    const times = adverts.filter((a) => a.address === radio.peripheral(name).address).map((a) => a.time);
    assert.ok(times.length >= 19 && times.length <= 80, `${name}: ${times.length}`);
    for (let i = 1; i < times.length; i++) {
      const gap = times[i]! - times[i - 1]!;
      assert.ok(gap >= interval && gap <= interval + 10, `${name}: gap ${gap} ms for an interval of ${interval} ms`);
    }
  }
  const beacon = adverts.find((a) => a.address === radio.peripheral('beacon').address)!;
  assert.equal(beacon.data.toString('hex'), '0201060303aafe', 'raw bytes go on the air as given');
  assert.equal(clock.pending, 2);
});

test('RSSI fades linearly to its target; noise stays within ±noiseDb and is the same for the same seed', async () => {
  const run = async (seed: number) => {
    const { clock, radio, central, adverts } = air(seed);
    const p = radio.addPeripheral({ ...tag, rssi: -50, noiseDb: 3 });
    await central.open();
    await central.startScan();
    clock.advance(1000);
    p.setRssi(-90, 4000);
    const start = clock.now();
    assert.equal(p.level(start + 1000), -60);
    assert.equal(p.level(start + 2000), -70);
    assert.equal(p.level(start + 3000), -80);
    clock.advance(6000);
    return { adverts, start, p };
  };
  const { adverts, start, p } = await run(7);
  for (const a of adverts) {
    const level = p.level(a.time);
    assert.ok(Number.isInteger(a.rssi), 'dBm as whole numbers, as controllers report');
    assert.ok(Math.abs(a.rssi - level) <= 3.5, `rssi ${a.rssi} at level ${level}`);
  }
  assert.ok(new Set(adverts.map((a) => a.rssi - Math.round(p.level(a.time)))).size > 3, 'the noise varies');
  const late = adverts.filter((a) => a.time >= start + 4000);
  assert.ok(late.length > 10 && late.every((a) => a.rssi >= -93 && a.rssi <= -87), 'the target is reached and held');
  const mid = adverts.filter((a) => a.time >= start + 1900 && a.time <= start + 2100);
  assert.ok(mid.every((a) => a.rssi >= -73 && a.rssi <= -67), 'half-way through the fade, half-way between the levels');

  const again = await run(7);
  assert.deepEqual(again.adverts.map((a) => [a.time, a.rssi]), adverts.map((a) => [a.time, a.rssi]), 'same seed, same adverts');
  const other = await run(8);
  assert.notDeepEqual(other.adverts.map((a) => a.rssi), adverts.map((a) => a.rssi), 'another seed, other noise');
});

test('RSSI is clamped to what a controller reports (-127..20)', async () => {
  const { clock, radio, central, adverts } = air();
  const p = radio.addPeripheral({ ...tag, rssi: 15, noiseDb: 10 });
  await central.open();
  await central.startScan();
  clock.advance(3000);
  assert.ok(adverts.every((a) => a.rssi <= 20) && adverts.some((a) => a.rssi === 20));
  p.setRssi(-125);
  adverts.length = 0;
  clock.advance(3000);
  assert.ok(adverts.every((a) => a.rssi >= -127) && adverts.some((a) => a.rssi === -127));
});

test('a device that leaves stops advertising and its link drops "out of range"; back, it advertises again', async () => {
  const { clock, radio, central, adverts } = air();
  const hr = radio.addPeripheral(strap);
  await central.open();
  await central.startScan();
  clock.advance(3000);
  assert.ok(adverts.length >= 2);
  const link = await central.connect(hr.address.toUpperCase());
  const reasons: string[] = [];
  link.events.on('disconnect', ({ reason }) => reasons.push(reason));
  assert.equal(clock.pending, 1);
  hr.setPresent(false);
  assert.equal(clock.pending, 0, 'an absent device has nothing to time');
  assert.deepEqual(reasons, ['out of range']);
  assert.equal(link.connected, false);
  await assert.rejects(link.read(HR, BODY), (err: unknown) => err instanceof DriverError && err.code === 'BLE_NOT_CONNECTED');
  const n = adverts.length;
  clock.advance(5000);
  assert.equal(adverts.length, n);
  await assert.rejects(central.connect(hr.address), (err: unknown) => err instanceof DriverError && /out of range/.test(err.message));
  hr.setPresent(true);
  clock.advance(3000);
  assert.ok(adverts.length > n);
});

test('BTHome readings change the payload; the packet id advances with every advert', async () => {
  const { clock, radio, central, adverts } = air();
  const probe = radio.addPeripheral({ name: 'probe', advert: { bthome: { readings: { temperature: 21.5, humidity: 40 }, packetId: 250 } }, intervalMs: 1000 });
  await central.open();
  await central.startScan();
  clock.advance(5000);
  const frames = adverts.map((a) => parseAdvert(a.data).bthome!);
  assert.ok(frames.length >= 4);
  assert.deepEqual(
    frames.map((f) => f.packetId),
    frames.map((_, i) => (250 + i) & 0xff),
    'one more per advert, wrapping at 255',
  );
  assert.deepEqual(frames[0]!.readings.map((r) => [r.name, r.value]), [['temperature', 21.5], ['humidity', 40]]);
  probe.setReadings({ temperature: 31.5 });
  adverts.length = 0;
  clock.advance(2000);
  const after = parseAdvert(adverts[0]!.data).bthome!;
  assert.deepEqual(Object.fromEntries(after.readings.map((r) => [r.name, r.value])), { temperature: 31.5, humidity: 40 }, 'the other reading is kept');
  assert.equal(after.packetId, (250 + frames.length) & 0xff);
  assert.throws(() => probe.setReadings({ nonsense: 1 }), /nonsense/);
  assert.throws(() => radio.addPeripheral(tag).setReadings({ temperature: 1 }), /no BTHome frame/);
});

test('an encrypted BTHome sensor advances its counter and stays decodable with its key', async () => {
  const { clock, radio, central, adverts } = air();
  const key = '231d39c1d7cc1ab1aee224cd096db932';
  const p = radio.addPeripheral({ name: 'secret', advert: { bthome: { readings: { temperature: 22 }, key, counter: 10 } } });
  await central.open();
  await central.startScan();
  clock.advance(4000);
  const frames = adverts.map((a) => parseAdvert(a.data, undefined, { bthomeKey: Buffer.from(key, 'hex'), address: p.address }).bthome!);
  assert.ok(frames.length >= 3);
  assert.deepEqual(frames.map((f) => f.counter), frames.map((_, i) => 10 + i));
  assert.ok(frames.every((f) => f.encrypted && f.readings[0]?.value === 22));
  assert.equal(new Set(adverts.map((a) => a.data.toString('hex'))).size, adverts.length, 'every advert differs');
});

test('connect, discover (canonical UUIDs), read, write, subscribe: notifications every notifyEveryMs', async () => {
  const { clock, radio, central } = air();
  const hr = radio.addPeripheral(strap);
  await central.open();
  const link = await central.connect(hr.address);
  assert.equal(link.address, hr.address);
  assert.equal(hr.connections, 1);
  const services = await link.discover();
  assert.deepEqual(services, [
    {
      uuid: HR,
      characteristics: [
        { uuid: HRM, properties: ['notify'] },
        { uuid: BODY, properties: ['read'] },
        { uuid: CTRL, properties: ['write'] },
      ],
    },
  ]);
  assert.deepEqual(await link.read('0000180d-0000-1000-8000-00805f9b34fb', BODY.toUpperCase()), Buffer.from([1]));
  await link.write(HR, CTRL, Buffer.from([1]));
  assert.deepEqual(hr.writes.map((w) => [w.characteristic, w.data.toString('hex'), w.client]), [[CTRL, '01', radio.centralAddress]]);

  const values: string[] = [];
  const off = await link.subscribe(HR, HRM, (d) => values.push(d.toString('hex')));
  clock.advance(3500);
  assert.deepEqual(values, ['0048', '0049', '004a']);
  assert.equal(hr.notify(HR, HRM, '0050'), 1, 'a pushed value reaches the one subscriber');
  off();
  clock.advance(3000);
  assert.deepEqual(values, ['0048', '0049', '004a', '0050'], 'nothing after unsubscribing');
  assert.equal(clock.pending, 0, 'the notification timer stops with the last subscriber');
});

test('a counter notifies in the width of its value; adverts and notifications of one device share its one timer', async () => {
  const { clock, radio, central, adverts } = air();
  const meter = radio.addPeripheral({
    name: 'meter',
    advert: { localName: 'Meter' },
    txPower: -8,
    services: [{ uuid: 'fff0', characteristics: [{ uuid: 'fff1', properties: ['read', 'notify'], value: '0000', notifyEveryMs: 250, notifyValues: 'counter' }] }],
  });
  await central.open();
  await central.startScan();
  const link = await central.connect(meter.address);
  const values: string[] = [];
  await link.subscribe('fff0', 'fff1', (d) => values.push(d.toString('hex')));
  assert.equal(clock.pending, 1, 'one timer for the device');
  clock.advance(1000);
  assert.deepEqual(values, ['0100', '0200', '0300', '0400'], 'a 16-bit little-endian count');
  assert.deepEqual(await link.read('fff0', 'fff1'), Buffer.from('0400', 'hex'), 'a read returns the last value notified');
  assert.ok(adverts.length >= 1);
  assert.equal(parseAdvert(adverts[0]!.data).txPower, -8, 'the device\'s TX power goes into a built advert');
});

test('a notification callback that throws is reported and the device goes on', async () => {
  const { clock, radio, central } = air();
  const hr = radio.addPeripheral(strap);
  await central.open();
  const link = await central.connect(hr.address);
  let calls = 0;
  await link.subscribe(HR, HRM, () => {
    calls++;
    throw new Error('listener bug');
  });
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    clock.advance(3000);
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  assert.equal(calls, 3);
  assert.ok(warnings.length === 3 && warnings.every((w) => /notification callback for 180d\/2a37 on hr threw: listener bug/.test(w)), String(warnings));
});

test('GATT errors from a device reject with a DriverError carrying the ATT code', async () => {
  const { radio, central } = air();
  const hr = radio.addPeripheral(strap);
  await central.open();
  const link = await central.connect(hr.address);
  const att = (code: string) => (err: unknown) => err instanceof DriverError && err.code === 'BLE_GATT_ERROR' && err.message.includes(code);
  await assert.rejects(link.read(HR, HRM), att('0x02 (read not permitted)'));
  await assert.rejects(link.read(HR, 'ffff'), att('0x01 (invalid handle)'));
  await assert.rejects(link.write(HR, BODY, Buffer.from([2])), att('0x03 (write not permitted)'));
  await link.write(HR, BODY, Buffer.from([2]), true);
  assert.deepEqual(hr.value(HR, BODY), Buffer.from([1]), 'a refused write without response changes nothing, and nothing comes back');
  await assert.rejects(link.subscribe(HR, BODY, () => {}), att('0x0a (attribute not found)'));
  assert.deepEqual(hr.readDescriptor(HR, BODY, '2901'), { result: 0, data: Buffer.from('Body') });
});

test('a device that drops the link during discovery: discover rejects with a DriverError and disconnect fires', async () => {
  const { clock, radio, central } = air();
  const hr = radio.addPeripheral({ ...strap, dropDuringDiscovery: true, discoveryMs: 400 });
  await central.open();
  const link = await central.connect(hr.address);
  const reasons: string[] = [];
  link.events.on('disconnect', ({ reason }) => reasons.push(reason));
  const found = link.discover();
  clock.advance(199);
  assert.deepEqual(reasons, [], 'still discovering');
  clock.advance(1);
  await assert.rejects(found, (err: unknown) => err instanceof DriverError && err.code === 'BLE_DISCONNECTED' && /peer disconnected/.test(err.message));
  assert.deepEqual(reasons, ['peer disconnected']);
  assert.equal(link.connected, false);
  assert.equal(hr.connections, 0);

  // The method form: only the next discovery drops, at the next turn when discovery takes no time.
  const { radio: radio2, central: central2 } = air();
  const hr2 = radio2.addPeripheral(strap);
  await central2.open();
  hr2.dropNextDiscovery();
  const first = await central2.connect(hr2.address);
  let dropped = 0;
  first.events.on('disconnect', () => dropped++);
  await assert.rejects(first.discover(), DriverError);
  assert.equal(dropped, 1);
  const second = await central2.connect(hr2.address);
  assert.equal((await second.discover()).length, 1, 'the next discovery succeeds');
});

test('a device can drop its link at any moment; an operation under way rejects', async () => {
  const { radio, central } = air();
  const hr = radio.addPeripheral(strap);
  await central.open();
  const link = await central.connect(hr.address);
  const reasons: string[] = [];
  link.events.on('disconnect', ({ reason }) => reasons.push(reason));
  const reading = link.read(HR, BODY);
  hr.drop();
  await assert.rejects(reading, (err: unknown) => err instanceof DriverError && err.code === 'BLE_DISCONNECTED');
  assert.deepEqual(reasons, ['peer disconnected']);
  await turn();
  assert.deepEqual(reasons, ['peer disconnected'], 'once');
});

test('discover honours its AbortSignal', async () => {
  const { clock, radio, central } = air();
  const hr = radio.addPeripheral({ ...strap, discoveryMs: 1000 });
  await central.open();
  const link = await central.connect(hr.address);
  const ac = new AbortController();
  const found = link.discover(ac.signal);
  ac.abort();
  await assert.rejects(found, (err: unknown) => err instanceof DriverError && err.code === 'BLE_ABORTED');
  assert.equal(link.connected, true, 'aborting an operation keeps the link');
  clock.advance(2000);
});

test('connect fails clearly: unknown address, not connectable, adapter off, already connected', async () => {
  const { radio, central } = air();
  const t = radio.addPeripheral(tag);
  const hr = radio.addPeripheral(strap);
  await assert.rejects(central.connect(hr.address), (err: unknown) => err instanceof DriverError && err.code === 'BLE_NOT_OPEN');
  await central.open();
  await assert.rejects(central.connect('c0:00:00:00:00:01'), (err: unknown) => err instanceof DriverError && /no such device/.test(err.message));
  await assert.rejects(central.connect(t.address), (err: unknown) => err instanceof DriverError && /not connectable/.test(err.message));
  await central.connect(hr.address);
  await assert.rejects(central.connect(hr.address), (err: unknown) => err instanceof DriverError && err.code === 'BLE_ALREADY_CONNECTED');
  radio.setAdapter('off', 'central');
  await assert.rejects(central.connect(hr.address), (err: unknown) => err instanceof DriverError && /poweredOff/.test(err.message));
});

test('the central adapter powered off or removed: state events, links drop with the reason, an error for removal', async () => {
  const { radio, central } = air();
  const hr = radio.addPeripheral(strap);
  const states: BleState[] = [];
  const errors: Error[] = [];
  central.events.on('state', (s) => states.push(s));
  central.events.on('error', (e) => errors.push(e));
  assert.equal(central.state(), 'unknown', 'before open');
  await central.open();
  const link = await central.connect(hr.address);
  const reasons: string[] = [];
  link.events.on('disconnect', ({ reason }) => reasons.push(reason));
  radio.setAdapter('off', 'central');
  assert.deepEqual(reasons, ['adapter powered off']);
  assert.equal(hr.connections, 0, 'the device sees the link gone too');
  await assert.rejects(central.startScan(), (err: unknown) => err instanceof DriverError && /poweredOff/.test(err.message));
  radio.setAdapter('on', 'peripheral');
  assert.equal(central.state(), 'poweredOff', 'the other role\'s adapter is another adapter');
  radio.setAdapter('gone', 'central');
  radio.setAdapter('on', 'central');
  assert.equal(central.state(), 'missing', 'a removed adapter cannot be powered on');
  radio.setAdapter('back', 'central');
  assert.deepEqual(states, ['poweredOn', 'poweredOff', 'missing', 'poweredOn']);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof DriverError && errors[0].code === 'BLE_ADAPTER_REMOVED');
  const again = await central.connect(hr.address);
  assert.equal(again.connected, true);
  await central.close();
  assert.equal(again.connected, false);
  assert.equal(central.state(), 'unknown');

  radio.setAdapter('gone', 'central');
  await assert.rejects(new SimCentral(radio).open(), (err: unknown) => err instanceof DriverError && err.code === 'BLE_NO_ADAPTER');
});
