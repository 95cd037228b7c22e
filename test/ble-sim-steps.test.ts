// The simulated radio in a device config (its schema, building the radio) and the timeline steps
// that move it: every bad step names its field; good steps drive the devices and the adapters.
// Part 3 of the simulated air's tests (test/ble-sim.test.ts, test/ble-sim-gatt.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { FakeClock } from '../runtime/clock.js';
import { ConfigError } from '../runtime/errors.js';
import { check, describeIssue } from '../runtime/schema-errors.js';
import { ATT, type BleAdvert } from '../drivers/ble/ble.js';
import { parseAdvert } from '../drivers/ble/adv/parse.js';
import { bleSimSchema, createSimRadio } from '../drivers/ble/sim/config.js';
import { SimCentral } from '../drivers/ble/sim/sim-central.js';
import { SimPeripheral } from '../drivers/ble/sim/sim-peripheral.js';
import { applyBleStep, checkBleStep, type BleStep } from '../drivers/ble/sim/steps.js';

const raw = {
  seed: 3,
  peripherals: {
    tag: { advert: { localName: 'Tag', txPower: -4 }, rssi: -70, noiseDb: 0, intervalMs: 100 },
    probe: { advert: { bthome: { readings: { temperature: 20 } } }, noiseDb: 0 },
    hr: {
      advert: { hex: '02010603020d18' },
      services: [{ uuid: '180d', characteristics: [{ uuid: '2a37', properties: ['notify'], notifyEveryMs: 1000, notifyValues: 'counter' }] }],
    },
  },
  centrals: { phone: { encrypted: true } },
};

const cfg = v.parse(bleSimSchema, raw);

function field(step: unknown, at = 'sim.timeline[4].ble'): string {
  try {
    checkBleStep(step, at, cfg);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.ok(err.message.startsWith(err.path!), `the message starts with the field: ${err.message}`);
    return `${err.path} | ${err.message}`;
  }
  return 'ok';
}

test('the schema fills defaults and names a bad field', () => {
  const p = cfg.peripherals.hr!;
  assert.equal(p.intervalMs, 1000);
  assert.equal(p.rssi, -60);
  assert.equal(p.present, true);
  assert.equal(cfg.centrals.phone!.mtu, 185);
  assert.equal(v.parse(bleSimSchema, {}).seed, 1);
  const bad = (input: unknown) => {
    const r = check(bleSimSchema, input);
    assert.equal(r.ok, false);
    return r.ok ? '' : describeIssue(r.issue, 'drivers.ble.sim', bleSimSchema).text;
  };
  assert.match(bad({ peripherals: { tag: { advert: { localName: 'x' }, intervalMs: 5 } } }), /^drivers\.ble\.sim\.peripherals\.tag\.intervalMs is 5: expected a number >= 20/);
  assert.match(bad({ peripherals: { tag: { advert: { hex: 'abc' } } } }), /peripherals\.tag\.advert\.hex is "abc": expected hex bytes/);
  assert.match(bad({ peripherals: { tag: { advert: { hex: '02', localName: 'x' } } } }), /peripherals\.tag\.advert is .*leave the other fields out/);
  assert.match(bad({ peripherals: { tag: {} } }), /peripherals\.tag\.advert is missing/);
  assert.match(bad({ peripherals: { tag: { advert: {}, services: [{ uuid: '180d', characteristics: [{ uuid: '2a37', properties: ['read'], notifyEveryMs: 100 }] }] } } }), /characteristics\[0\]\.notifyEveryMs is 100: expected it only with "notify" or "indicate" in properties/);
  assert.match(bad({ peripherals: { tag: { advert: { eddystone: { url: 'https://x.io', tlm: { batteryMv: 1, temperature: 1, advCount: 1, uptimeSec: 1 } } } } } }), /advert\.eddystone is .*expected one frame/);
  assert.match(bad({ centrals: { phone: { mtu: 9 } } }), /centrals\.phone\.mtu is 9/);
  assert.match(bad({ centrals: [] }), /centrals is \[\]: expected an object keyed by name/);
});

test('createSimRadio builds the devices; an advert the builder refuses is a ConfigError naming the field', async () => {
  const clock = new FakeClock();
  const radio = createSimRadio(cfg, clock);
  assert.deepEqual(radio.peripherals().map((p) => p.name), ['tag', 'probe', 'hr']);
  assert.equal(radio.peripheral('hr').connectable, true, 'connectable because it has services');
  assert.equal(radio.peripheral('tag').connectable, false);
  assert.equal(createSimRadio(cfg, clock).peripheral('tag').address, radio.peripheral('tag').address, 'same seed, same address');
  const addr = radio.peripheral('tag').address;
  assert.match(addr, /^[c-f][0-9a-f]:/, 'a random static address has its top two bits set');
  const attempt = (peripherals: unknown) => {
    try {
      createSimRadio(v.parse(bleSimSchema, { peripherals }), clock);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return `${err.path} | ${err.message}`;
    }
    return 'ok';
  };
  assert.match(attempt({ t: { advert: { localName: 'a name far too long to fit in an advert' } } }), /^drivers\.ble\.sim\.peripherals\.t\.advert \| drivers\.ble\.sim\.peripherals\.t\.advert: advertisement is \d+ bytes/);
  assert.match(attempt({ t: { advert: {}, scanResponse: { bthome: { readings: { nonsense: 1 } } } } }), /^drivers\.ble\.sim\.peripherals\.t\.scanResponse\.bthome \| .*nonsense/);
  assert.match(attempt({ t: { advert: { hex: '00'.repeat(32) } } }), /^drivers\.ble\.sim\.peripherals\.t\.advert \| .*32 bytes/);
  assert.match(attempt({ a: { advert: {}, address: 'c1:00:00:00:00:01' }, b: { advert: {}, address: 'C1:00:00:00:00:01' } }), /^drivers\.ble\.sim\.peripherals\.b \| .*same address/);
});

test('a bad step names the field and what was expected', () => {
  const cases: [unknown, RegExp][] = [
    ['tag', /^sim\.timeline\[4\]\.ble \| .*expected an object/],
    [{ peripheral: 'tag', central: 'phone' }, /^sim\.timeline\[4\]\.ble \| .*exactly one of "peripheral", "central" or "adapter"/],
    [{ peripheral: 'tag' }, /^sim\.timeline\[4\]\.ble \| .*one of "rssi", "present", "readings" or "drop"/],
    [{ peripheral: 'tag', rssi: -200 }, /^sim\.timeline\[4\]\.ble\.rssi \| .*-200 is invalid: expected a level in dBm from -127 to 20/],
    [{ peripheral: 'tag', present: false, fadeSec: 2 }, /^sim\.timeline\[4\]\.ble\.fadeSec \| .*only with "rssi"/],
    [{ peripheral: 'tag', rssi: -80, fadeSec: -1 }, /^sim\.timeline\[4\]\.ble\.fadeSec \| .*seconds ≥ 0/],
    [{ peripheral: 'tag', rssi: -80, colour: 'red' }, /^sim\.timeline\[4\]\.ble\.colour \| .*its fields are peripheral, rssi/],
    [{ peripheral: 'probe', readings: { temperature: 'hot' } }, /^sim\.timeline\[4\]\.ble\.readings\.temperature \| .*expected a number/],
    [{ peripheral: 'probe', readings: {} }, /^sim\.timeline\[4\]\.ble\.readings \| /],
    [{ peripheral: 'tag', drop: 'yes' }, /^sim\.timeline\[4\]\.ble\.drop \| .*expected true/],
    [{ peripheral: 'nope', present: false }, /^sim\.timeline\[4\]\.ble\.peripheral \| .*no simulated peripheral named "nope" \(peripherals: tag, probe, hr\)/],
    [{ peripheral: 'tag', readings: { temperature: 1 } }, /^sim\.timeline\[4\]\.ble\.readings \| .*"tag" does not advertise a BTHome frame/],
    [{ central: 'phone' }, /^sim\.timeline\[4\]\.ble \| .*exactly one of "connect", "read"/],
    [{ central: 'phone', connect: true, disconnect: true }, /^sim\.timeline\[4\]\.ble \| .*exactly one of/],
    [{ central: 'phone', read: { service: '180d' } }, /^sim\.timeline\[4\]\.ble\.read\.characteristic \| .*is missing: expected a UUID/],
    [{ central: 'phone', write: { service: '180d', characteristic: '2a39', value: 'xyz' } }, /^sim\.timeline\[4\]\.ble\.write\.value \| .*expected hex bytes/],
    [{ central: 'phone', write: { service: '180d', characteristic: '2a39', value: '01', response: false } }, /^sim\.timeline\[4\]\.ble\.write\.response \| /],
    [{ central: 'phone', subscribe: { service: 'heart', characteristic: '2a37' } }, /^sim\.timeline\[4\]\.ble\.subscribe\.service \| .*"heart" is invalid: expected a UUID/],
    [{ central: 'phone', read: { service: '180d', characteristic: '2a37' }, encrypted: true }, /^sim\.timeline\[4\]\.ble\.encrypted \| .*only with "connect"/],
    [{ central: 'watch', connect: true }, /^sim\.timeline\[4\]\.ble\.central \| .*no simulated central named "watch" \(centrals: phone\)/],
    [{ adapter: 'unplugged' }, /^sim\.timeline\[4\]\.ble\.adapter \| .*expected one of off, on, gone, back/],
    [{ adapter: 'off', role: 'scanner' }, /^sim\.timeline\[4\]\.ble\.role \| .*expected one of central, peripheral, both/],
  ];
  for (const [step, expected] of cases) assert.match(field(step), expected, JSON.stringify(step));
  for (const good of [
    { peripheral: 'tag', rssi: -55, fadeSec: 5 },
    { peripheral: 'tag', present: false },
    { peripheral: 'probe', readings: { temperature: 31.5 } },
    { peripheral: 'hr', drop: true },
    { central: 'phone', connect: true, encrypted: false },
    { central: 'phone', write: { service: '6e400001-b5a3-f393-e0a9-e50e24dcca9e', characteristic: '2a39', value: '01', withoutResponse: true } },
    { adapter: 'gone', role: 'both' },
  ]) {
    assert.equal(field(good), 'ok', JSON.stringify(good));
  }
  assert.doesNotThrow(() => checkBleStep({ peripheral: 'anything', present: true }, 'x'), 'without the config only the shape is checked');
});

test('steps drive the devices, the phone and the adapters', async () => {
  const clock = new FakeClock();
  const radio = createSimRadio(cfg, clock);
  const central = new SimCentral(radio);
  const adverts: BleAdvert[] = [];
  central.events.on('advert', (a) => adverts.push(a));
  await central.open();
  await central.startScan();
  const run = async (step: unknown) => {
    checkBleStep(step, 'step', cfg);
    await applyBleStep(radio, step as BleStep);
  };
  const tag = radio.peripheral('tag');

  await run({ peripheral: 'tag', rssi: -50, fadeSec: 2 });
  clock.advance(1000);
  assert.equal(tag.level(), -60, 'half-way through a 2 s fade from -70 to -50');
  clock.advance(1500);
  assert.equal(adverts.filter((a) => a.address === tag.address).at(-1)!.rssi, -50);

  await run({ peripheral: 'probe', readings: { temperature: 31.5 } });
  clock.advance(1100);
  const probe = adverts.filter((a) => a.address === radio.peripheral('probe').address).at(-1)!;
  assert.equal(parseAdvert(probe.data).bthome!.readings[0]!.value, 31.5);

  await run({ peripheral: 'tag', present: false });
  adverts.length = 0;
  clock.advance(1000);
  assert.equal(adverts.filter((a) => a.address === tag.address).length, 0);

  const hr = radio.peripheral('hr');
  const link = await central.connect(hr.address);
  const reasons: string[] = [];
  link.events.on('disconnect', ({ reason }) => reasons.push(reason));
  await run({ peripheral: 'hr', drop: true });
  assert.deepEqual(reasons, ['peer disconnected']);

  // The phone against vigil's peripheral.
  const peripheral = new SimPeripheral(radio);
  await peripheral.open();
  const got: string[] = [];
  await peripheral.setServices([{ uuid: 'fff0', characteristics: [{ uuid: 'fff1', properties: ['read', 'write', 'notify'], secure: ['write'], descriptors: [] }] }], {
    read: async () => ({ result: ATT.SUCCESS, data: Buffer.from('ok') }),
    write: async (r) => (got.push(r.data.toString('hex')), ATT.SUCCESS),
    subscribe: () => {},
    unsubscribe: () => {},
  });
  await peripheral.startAdvertising(Buffer.from('020106', 'hex'));
  const phone = radio.central('phone');
  await assert.rejects(run({ central: 'phone', read: { service: 'fff0', characteristic: 'fff1' } }), /not connected/);
  await run({ central: 'phone', connect: true, encrypted: false });
  assert.equal(phone.encrypted, false, 'the step overrides the configured encryption');
  await run({ central: 'phone', write: { service: 'fff0', characteristic: 'fff1', value: '0a0b' } });
  assert.deepEqual(got, [], 'secure write on a plain link');
  await run({ central: 'phone', disconnect: true });
  await run({ central: 'phone', connect: true });
  assert.equal(phone.encrypted, true, 'the configured default');
  await run({ central: 'phone', write: { service: 'fff0', characteristic: 'fff1', value: '0a0b' } });
  await run({ central: 'phone', read: { service: 'fff0', characteristic: 'fff1' } });
  await run({ central: 'phone', subscribe: { service: 'fff0', characteristic: 'fff1' } });
  assert.equal(peripheral.notify('fff0', 'fff1', Buffer.from([5])), 1);
  assert.deepEqual(got, ['0a0b']);
  assert.deepEqual(phone.outcomes.map((o) => `${o.op} ${o.result}`), ['write 5', 'write 0', 'read 0', 'subscribe 0']);
  assert.deepEqual(phone.notifications().map((n) => n.data), [Buffer.from([5])]);

  await run({ adapter: 'off', role: 'peripheral' });
  assert.equal(peripheral.state(), 'poweredOff');
  assert.equal(central.state(), 'poweredOn');
  assert.equal(phone.connected, false);
  await run({ adapter: 'gone' });
  assert.equal(central.state(), 'missing');
  await run({ adapter: 'back' });
  assert.equal(central.state(), 'poweredOn');
  assert.equal(peripheral.state(), 'poweredOn');
  assert.equal(peripheral.advertising, true);
  radio.close();
  assert.equal(clock.pending, 0, 'close stops every timer');
});
