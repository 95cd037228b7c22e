// The simulated Bluetooth LE air, part 2: vigil's peripheral (advertising, its GATT server with
// bleno's checks) as a phone on the air uses it, and its adapter going away and coming back.
// Part 1: test/ble-sim.test.ts; part 3: test/ble-sim-steps.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.js';
import { DriverError } from '../runtime/errors.js';
import { ATT, type BleState, type GattHandlers, type LocalService, type PeripheralEvents } from '../drivers/ble/ble.js';
import { ATTRIBUTE_NOT_FOUND } from '../drivers/ble/sim/gatt-table.js';
import { SimRadio, type SimRadioOptions } from '../drivers/ble/sim/radio.js';
import { SimPeripheral } from '../drivers/ble/sim/sim-peripheral.js';

const NUS = '6e400001-b5a3-f393-e0a9-e50e24dcca9e';
const SVC = '6e400001b5a3f393e0a9e50e24dcca9e';

const services: LocalService[] = [
  {
    uuid: NUS,
    characteristics: [
      { uuid: 'c001', properties: ['read'], secure: [], descriptors: [{ uuid: '2901', value: Buffer.from('Level') }] },
      { uuid: 'c002', properties: ['write'], secure: [], descriptors: [] },
      { uuid: 'c003', properties: ['writeWithoutResponse'], secure: [], descriptors: [] },
      { uuid: 'c004', properties: ['notify'], secure: [], descriptors: [] },
      { uuid: 'c005', properties: ['read', 'write'], secure: ['read', 'write'], descriptors: [] },
      { uuid: 'c006', properties: ['notify'], secure: ['notify'], descriptors: [] },
      { uuid: 'c007', properties: ['indicate'], secure: [], descriptors: [] },
    ],
  },
];

/** The runtime's side, recorded: reads answer the stored value from the offset, writes store. */
function app(answer: { read?: number; write?: number } = {}) {
  const calls: string[] = [];
  const values = new Map<string, Buffer>([['c001', Buffer.from('hello')]]);
  const handlers: GattHandlers = {
    read: async (r) => {
      calls.push(`read ${r.service}/${r.characteristic}@${r.offset}`);
      const v = values.get(r.characteristic) ?? Buffer.alloc(0);
      return answer.read !== undefined ? { result: answer.read } : { result: ATT.SUCCESS, data: v.subarray(r.offset) };
    },
    write: async (r) => {
      calls.push(`write ${r.characteristic} ${r.data.toString('hex')}${r.withoutResponse ? ' (command)' : ''}`);
      values.set(r.characteristic, r.data);
      return answer.write ?? ATT.SUCCESS;
    },
    subscribe: (r) => void calls.push(`subscribe ${r.characteristic} max ${r.maxValueSize} from ${r.client}`),
    unsubscribe: (r) => void calls.push(`unsubscribe ${r.characteristic} from ${r.client}`),
  };
  return { calls, values, handlers };
}

async function vigil(options: SimRadioOptions = {}, answer: { read?: number; write?: number } = {}) {
  const clock = new FakeClock();
  const radio = new SimRadio({ clock, ...options });
  const peripheral = new SimPeripheral(radio);
  const events: string[] = [];
  const log = (name: keyof PeripheralEvents) => (e: unknown) => events.push(`${name} ${JSON.stringify(e)}`);
  peripheral.events.on('state', log('state'));
  peripheral.events.on('advertising', (e) => events.push(`advertising ${e.status}${e.error ? ` (${e.error.message})` : ''}`));
  peripheral.events.on('accept', ({ client }) => events.push(`accept ${client}`));
  peripheral.events.on('disconnect', ({ client }) => events.push(`disconnect ${client}`));
  peripheral.events.on('error', (e) => events.push(`error ${(e as DriverError).code}`));
  await peripheral.open();
  const a = app(answer);
  await peripheral.setServices(services, a.handlers);
  await peripheral.startAdvertising(Buffer.from('0201060807766967696c', 'hex'), Buffer.from('0303aafe', 'hex'));
  const phone = radio.addCentral({ name: 'phone' });
  return { clock, radio, peripheral, events, phone, ...a };
}

test('vigil advertises the bytes it is given; a phone sees them; stop hides it; over 31 bytes is refused', async () => {
  const { radio, peripheral, events } = await vigil();
  assert.deepEqual(events, ['state "poweredOn"', 'advertising started']);
  assert.equal(peripheral.advertising, true);
  const seen = radio.advertisedByVigil();
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.data.toString('hex'), '0201060807766967696c');
  assert.equal(seen[0]!.scanResponse!.toString('hex'), '0303aafe');
  assert.equal(seen[0]!.address, radio.peripheralAddress);
  assert.equal(seen[0]!.connectable, true);
  await peripheral.stopAdvertising();
  assert.equal(peripheral.advertising, false);
  assert.deepEqual(radio.advertisedByVigil(), []);
  assert.equal(events.at(-1), 'advertising stopped');
  await assert.rejects(peripheral.startAdvertising(Buffer.alloc(32)), (err: unknown) => err instanceof DriverError && err.code === 'BLE_ADVERT_TOO_LONG' && /32 bytes/.test(err.message));
  await assert.rejects(peripheral.startAdvertising(Buffer.alloc(3), Buffer.alloc(40)), (err: unknown) => err instanceof DriverError && /scan response is 40 bytes/.test(err.message));
  assert.deepEqual(radio.advertisedByVigil(), []);
  await assert.rejects(new SimPeripheral(new SimRadio()).startAdvertising(Buffer.alloc(3)), (err: unknown) => err instanceof DriverError && err.code === 'BLE_NOT_OPEN');
});

test('a phone connects only while vigil advertises; one central at a time, as bleno serves', async () => {
  const { radio, peripheral, events, phone } = await vigil();
  const other = radio.addCentral({ name: 'tablet' });
  await phone.connect();
  assert.equal(events.at(-1), `accept ${phone.address}`);
  assert.deepEqual(peripheral.clients(), [phone.address]);
  assert.deepEqual(radio.advertisedByVigil(), [], 'the controller stops advertising while connected');
  assert.equal(peripheral.advertising, true, 'as far as the application knows, it still advertises');
  await assert.rejects(other.connect(), (err: unknown) => err instanceof DriverError && err.code === 'BLE_CONNECT_FAILED');
  await assert.rejects(phone.connect(), (err: unknown) => err instanceof DriverError && err.code === 'BLE_ALREADY_CONNECTED');
  await phone.disconnect();
  assert.equal(events.at(-1), `disconnect ${phone.address}`);
  assert.equal(radio.advertisedByVigil().length, 1, 'advertising resumes after the link');
  await other.connect();
  await other.disconnect();
  await peripheral.stopAdvertising();
  await assert.rejects(phone.connect(), (err: unknown) => err instanceof DriverError && /not advertising/.test(err.message));
});

test('bleno\'s checks come before the handlers, each with its ATT code; handlers see only what passes', async () => {
  const { phone, calls } = await vigil();
  await phone.connect();
  const cases: [string, () => Promise<number | undefined>, number][] = [
    ['unknown service', async () => (await phone.read('180f', 'c001')).result, ATT.INVALID_HANDLE],
    ['unknown characteristic', async () => (await phone.read(NUS, 'ffff')).result, ATT.INVALID_HANDLE],
    ['read without "read"', async () => (await phone.read(NUS, 'c002')).result, ATT.READ_NOT_PERMITTED],
    ['write without "write"', () => phone.write(NUS, 'c001', '01'), ATT.WRITE_NOT_PERMITTED],
    ['write request to a write-without-response characteristic', () => phone.write(NUS, 'c003', '01'), ATT.WRITE_NOT_PERMITTED],
    ['write to an unknown characteristic', () => phone.write(NUS, 'cfff', '01'), ATT.INVALID_HANDLE],
    ['subscribe without notify or indicate: no CCCD to find', () => phone.subscribe(NUS, 'c001'), ATTRIBUTE_NOT_FOUND],
    ['subscribe to an unknown characteristic', () => phone.subscribe('180f', 'c004'), ATT.INVALID_HANDLE],
    ['secure read on a plain link', async () => (await phone.read(NUS, 'c005')).result, ATT.INSUFFICIENT_AUTHENTICATION],
    ['secure write on a plain link', () => phone.write(NUS, 'c005', '01'), ATT.INSUFFICIENT_AUTHENTICATION],
    ['secure notify on a plain link', () => phone.subscribe(NUS, 'c006'), ATT.INSUFFICIENT_AUTHENTICATION],
  ];
  for (const [what, run, code] of cases) assert.equal(await run(), code, what);
  assert.deepEqual(calls, [], 'no refused request reached the application');
  assert.equal(await phone.write(NUS, 'c002', '01', true), undefined, 'a refused write command gets nothing back');
  assert.deepEqual(calls, []);
  assert.equal(ATTRIBUTE_NOT_FOUND, 0x0a);
});

test('requests that pass reach the handlers with canonical UUIDs and the client; results come back as they are', async () => {
  const { phone, calls } = await vigil();
  await phone.connect();
  assert.deepEqual(await phone.read(NUS, 'C001'), { result: ATT.SUCCESS, data: Buffer.from('hello') });
  assert.equal(await phone.write(NUS, 'c002', 'beef'), ATT.SUCCESS);
  assert.equal(await phone.write(NUS, 'c003', '0102', true), undefined, 'a write command has no answer');
  assert.equal(await phone.subscribe(NUS, 'c004'), ATT.SUCCESS);
  assert.equal(await phone.subscribe(NUS, 'c004'), ATT.SUCCESS, 'writing the CCCD again');
  assert.equal(await phone.subscribe(NUS, 'c007'), ATT.SUCCESS, 'indications');
  assert.deepEqual(await phone.readDescriptor(NUS, 'c001', '2901'), { result: ATT.SUCCESS, data: Buffer.from('Level') });
  assert.deepEqual(await phone.readDescriptor(NUS, 'c004', '2902'), { result: ATT.SUCCESS, data: Buffer.from([1, 0]) });
  assert.deepEqual(await phone.readDescriptor(NUS, 'c007', '2902'), { result: ATT.SUCCESS, data: Buffer.from([2, 0]) });
  assert.deepEqual(await phone.readDescriptor(NUS, 'c001', '2904'), { result: ATT.INVALID_HANDLE });
  assert.equal(await phone.unsubscribe(NUS, 'c007'), ATT.SUCCESS);
  assert.deepEqual(calls, [
    `read ${SVC}/c001@0`,
    'write c002 beef',
    'write c003 0102 (command)',
    `subscribe c004 max 182 from ${phone.address}`,
    `subscribe c007 max 182 from ${phone.address}`,
    `unsubscribe c007 from ${phone.address}`,
  ]);
  assert.deepEqual(phone.outcomes.map((o) => `${o.op} ${o.characteristic} ${o.result}`).slice(0, 3), ['read C001 0', 'write c002 0', 'write c003 undefined']);

  // A handler's own answer goes back unchanged.
  const refusing = await vigil({}, { read: ATT.INSUFFICIENT_AUTHORIZATION, write: ATT.INVALID_ATTRIBUTE_VALUE_LENGTH });
  await refusing.phone.connect();
  assert.deepEqual(await refusing.phone.read(NUS, 'c001'), { result: ATT.INSUFFICIENT_AUTHORIZATION });
  assert.equal(await refusing.phone.write(NUS, 'c002', '00'), ATT.INVALID_ATTRIBUTE_VALUE_LENGTH);
  assert.equal(await refusing.phone.write(NUS, 'c003', '00', true), undefined);
  assert.deepEqual(refusing.calls.slice(-1), ['write c003 00 (command)'], 'the handler ran for the command all the same');
});

test('an encrypted link passes the secure checks', async () => {
  const { phone, calls } = await vigil();
  await phone.connect({ encrypted: true });
  assert.equal(phone.encrypted, true);
  assert.equal((await phone.read(NUS, 'c005')).result, ATT.SUCCESS);
  assert.equal(await phone.write(NUS, 'c005', '01'), ATT.SUCCESS);
  assert.equal(await phone.subscribe(NUS, 'c006'), ATT.SUCCESS);
  assert.equal(calls.length, 3);
});

test('a long value is read on with Read Blob at the MTU, as a phone does', async () => {
  const { radio, calls, values } = await vigil();
  const old = radio.addCentral({ name: 'old', mtu: 23 });
  values.set('c001', Buffer.from(Array.from({ length: 50 }, (_, i) => i)));
  await old.connect();
  const { result, data } = await old.read(NUS, 'c001');
  assert.equal(result, ATT.SUCCESS);
  assert.deepEqual(data, values.get('c001'));
  assert.deepEqual(calls, [`read ${SVC}/c001@0`, `read ${SVC}/c001@22`, `read ${SVC}/c001@44`]);
});

test('notify reaches every subscribed phone, cut to its MTU; returns how many', async () => {
  const { radio, peripheral, phone, clock } = await vigil({ peripheralLinks: 2 });
  const old = radio.addCentral({ name: 'old', mtu: 23 });
  await phone.connect();
  assert.equal(radio.advertisedByVigil().length, 1, 'room for a second central');
  await old.connect();
  assert.equal(peripheral.notify(NUS, 'c004', Buffer.from('x')), 0, 'nobody subscribed yet');
  await phone.subscribe(NUS, 'c004');
  await old.subscribe(NUS, 'c004');
  clock.advance(5);
  const long = Buffer.alloc(40, 7);
  assert.equal(peripheral.notify(`${NUS.toUpperCase()}`, 'C004', long), 2);
  assert.deepEqual(phone.notifications(NUS, 'c004').map((n) => n.data), [long]);
  assert.deepEqual(old.notifications().map((n) => n.data.length), [20], 'MTU 23: 20 bytes per notification');
  assert.equal(phone.notifications()[0]!.time, clock.now());
  await old.unsubscribe(NUS, 'c004');
  assert.equal(peripheral.notify(NUS, 'c004', Buffer.from('y')), 1);
  assert.equal(peripheral.notify(NUS, 'c001', Buffer.from('y')), 0, 'nobody subscribes to a read-only characteristic');
  assert.equal(phone.takeNotifications().length, 2);
  assert.equal(phone.notifications().length, 0);
});

test('a phone leaving ends its subscriptions first, then the disconnect, as bleno reports them', async () => {
  const { phone, calls, events, peripheral } = await vigil();
  await phone.connect();
  await phone.subscribe(NUS, 'c004');
  const seen: string[] = [];
  peripheral.events.on('disconnect', () => seen.push(calls.at(-1)!));
  await phone.disconnect();
  assert.deepEqual(seen, [`unsubscribe c004 from ${phone.address}`]);
  assert.equal(events.at(-1), `disconnect ${phone.address}`);
  assert.equal(peripheral.notify(NUS, 'c004', Buffer.from('z')), 0);
  await assert.rejects(phone.read(NUS, 'c001'), (err: unknown) => err instanceof DriverError && err.code === 'BLE_NOT_CONNECTED');
});

test('a request under way when the link drops fails at the phone', async () => {
  const clock = new FakeClock();
  const radio = new SimRadio({ clock });
  const peripheral = new SimPeripheral(radio);
  await peripheral.open();
  let release: () => void = () => {};
  const slow: GattHandlers = {
    read: () => new Promise((resolve) => (release = () => resolve({ result: ATT.SUCCESS, data: Buffer.from('late') }))),
    write: async () => ATT.SUCCESS,
    subscribe: () => {},
    unsubscribe: () => {},
  };
  await peripheral.setServices(services, slow);
  await peripheral.startAdvertising(Buffer.from('020106', 'hex'));
  const phone = radio.addCentral({ name: 'phone' });
  await phone.connect();
  const reading = phone.read(NUS, 'c001');
  await new Promise((r) => setImmediate(r));
  radio.setAdapter('off', 'peripheral');
  await assert.rejects(reading, (err: unknown) => err instanceof DriverError && err.code === 'BLE_DISCONNECTED' && /adapter powered off/.test(err.message));
  release();
});

test('the peripheral adapter off: links drop, advertising aborted; on again: services and advertising are put back', async () => {
  const { radio, peripheral, events, phone } = await vigil();
  await phone.connect();
  await phone.subscribe(NUS, 'c004');
  const phoneSaw: string[] = [];
  phone.events.on('disconnect', ({ reason }) => phoneSaw.push(reason));
  events.length = 0;
  radio.setAdapter('off', 'peripheral');
  assert.deepEqual(events, [`disconnect ${phone.address}`, 'state "poweredOff"', 'advertising aborted (advertising on adapter sim stopped: adapter powered off)']);
  assert.deepEqual(phoneSaw, ['adapter powered off']);
  assert.equal(peripheral.advertising, false);
  assert.equal(peripheral.state(), 'poweredOff');
  assert.deepEqual(radio.advertisedByVigil(), []);
  await assert.rejects(phone.connect(), DriverError);
  await assert.rejects(peripheral.startAdvertising(Buffer.from('020106', 'hex')), (err: unknown) => err instanceof DriverError && err.code === 'BLE_ADAPTER_OFF');
  assert.equal(peripheral.notify(NUS, 'c004', Buffer.from('a')), 0);
  radio.setAdapter('gone', 'peripheral');
  assert.deepEqual(events.slice(3), ['state "missing"', 'error BLE_ADAPTER_REMOVED'], 'aborted once, not again');
  events.length = 0;
  radio.setAdapter('back', 'peripheral');
  assert.deepEqual(events, ['state "poweredOn"', 'advertising started']);
  assert.equal(peripheral.advertising, true);
  assert.equal(radio.advertisedByVigil()[0]!.data.toString('hex'), '0201060807766967696c', 'the same advert');
  await phone.connect();
  assert.deepEqual(await phone.read(NUS, 'c001'), { result: ATT.SUCCESS, data: Buffer.from('hello') }, 'the same services');
});

test('adapter states seen by the peripheral binding; close detaches it from the air', async () => {
  const { radio, peripheral } = await vigil();
  const states: BleState[] = [];
  peripheral.events.on('state', (s) => states.push(s));
  radio.setAdapter('off', 'central');
  assert.deepEqual(states, [], 'the central\'s adapter is another one');
  radio.setAdapter('off');
  radio.setAdapter('on');
  assert.deepEqual(states, ['poweredOff', 'poweredOn']);
  await assert.rejects(new SimPeripheral(radio).open(), (err: unknown) => err instanceof DriverError && err.code === 'BLE_ADAPTER_BUSY');
  await peripheral.close();
  assert.equal(peripheral.state(), 'unknown');
  assert.deepEqual(radio.advertisedByVigil(), []);
  const next = new SimPeripheral(radio);
  await next.open();
  assert.equal(next.state(), 'poweredOn');
});

test('new services replace the old: a subscription survives only where a notifying characteristic still is', async () => {
  const { peripheral, phone, handlers } = await vigil();
  await phone.connect();
  await phone.subscribe(NUS, 'c004');
  await phone.subscribe(NUS, 'c007');
  const kept = services[0]!.characteristics.filter((c) => c.uuid !== 'c007');
  await peripheral.setServices([{ uuid: NUS, characteristics: kept }], handlers);
  assert.equal(peripheral.notify(NUS, 'c004', Buffer.from('a')), 1);
  assert.equal(peripheral.notify(NUS, 'c007', Buffer.from('b')), 0);
  assert.equal((await phone.read(NUS, 'c007')).result, ATT.INVALID_HANDLE);
});

test('a handler that throws answers Unlikely Error and is reported', async () => {
  const clock = new FakeClock();
  const radio = new SimRadio({ clock });
  const peripheral = new SimPeripheral(radio);
  const errors: string[] = [];
  peripheral.events.on('error', (e) => errors.push((e as DriverError).code));
  await peripheral.open();
  await peripheral.setServices(services, {
    read: async () => {
      throw new Error('bug');
    },
    write: async () => {
      throw new Error('bug');
    },
    subscribe: () => {},
    unsubscribe: () => {},
  });
  await peripheral.startAdvertising(Buffer.from('020106', 'hex'));
  const phone = radio.addCentral({ name: 'phone' });
  await phone.connect();
  assert.deepEqual(await phone.read(NUS, 'c001'), { result: ATT.UNLIKELY_ERROR });
  assert.equal(await phone.write(NUS, 'c002', '00'), ATT.UNLIKELY_ERROR);
  assert.deepEqual(errors, ['BLE_HANDLER_FAILED', 'BLE_HANDLER_FAILED']);
});
