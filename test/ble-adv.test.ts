/**
 * Advertising data: malformed input is reported and never throws (hand-made cases and 10,000
 * random and mutated payloads), the padded-advert-plus-scan-response case, splitting a payload
 * at structure boundaries, build → parse round trips for every field kind, and builder errors.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildAdvert, buildScanResponse } from '../drivers/ble/adv/build.js';
import { encodeBthome } from '../drivers/ble/adv/bthome.js';
import { AdvertBuildError } from '../drivers/ble/adv/errors.js';
import { mergeAdverts, parseAdvert } from '../drivers/ble/adv/parse.js';
import type { AdvertSpec, ParsedAdvert } from '../drivers/ble/adv/types.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const problems = (p: ParsedAdvert) => p.problems.map((x) => `${x.source} ${x.offset}: ${x.message}`);

describe('parseAdvert: malformed structures are reported, not thrown', () => {
  it('a length past the end stops the payload, keeping what came before', () => {
    const p = parseAdvert(hex('020106 0aff4c00 01'));
    assert.equal(p.flags, 0x06);
    assert.deepEqual(p.structures.map((s) => [s.type, s.offset]), [[0x01, 0]]);
    assert.deepEqual(problems(p), ['adv 3: length 10 runs past the end: 4 bytes follow']);
    assert.deepEqual(p.manufacturerData, []);
  });

  it('zero bytes at the end are padding; a zero length before more structures is skipped and reported', () => {
    const padded = parseAdvert(hex('020106 0000000000'));
    assert.deepEqual(padded.problems, []);
    assert.equal(padded.structures.length, 1);
    const inner = parseAdvert(hex('020106 00 03ff4c00'));
    assert.deepEqual(problems(inner), ['adv 3: a zero length byte before more structures: skipped as padding']);
    assert.deepEqual(inner.manufacturerData, [{ companyId: 0x004c, data: Buffer.alloc(0) }]);
    assert.equal(inner.structures[1]!.offset, 4);
  });

  it('a structure too short for its type is skipped and parsing goes on', () => {
    const cases: [string, RegExp][] = [
      ['02ff4c', /^adv 0: Manufacturer Specific Data has 1 byte: expected at least 2/],
      ['021601', /^adv 0: Service Data - 16-bit UUID has 1 byte: expected at least 2/],
      ['0420010203', /^adv 0: Service Data - 32-bit UUID has 3 bytes: expected at least 4/],
      [`1021${'00'.repeat(15)}`, /^adv 0: Service Data - 128-bit UUID has 15 bytes: expected at least 16/],
      ['030a0080', /^adv 0: Tx Power Level has 2 bytes: expected 1/],
      ['021901', /^adv 0: Appearance has 1 byte: expected 2/],
      ['0109', /^adv 0: Complete Local Name has no data/],
      ['03000102', /^adv 0: AD type 0x00 is not a data type/],
    ];
    for (const [bad, message] of cases) {
      const p = parseAdvert(Buffer.concat([hex(bad), hex('020105')]));
      assert.equal(p.problems.length, 1, bad);
      assert.match(problems(p)[0]!, message, bad);
      assert.equal(p.flags, 0x05, `${bad}: the structure after it is still read`);
      assert.equal(p.txPower, undefined);
      assert.equal(p.appearance, undefined);
      assert.deepEqual([p.manufacturerData, p.serviceData], [[], []], bad);
    }
  });

  it('a UUID list keeps its whole UUIDs and reports the stray bytes', () => {
    const p = parseAdvert(hex('0603aabbccddee 0a07000000000000000000'));
    assert.deepEqual(p.serviceUuids, ['bbaa', 'ddcc']);
    assert.deepEqual(problems(p), [
      'adv 0: Complete List of 16-bit Service UUIDs has 5 bytes, not a multiple of 2: the last 1 byte ignored',
      'adv 7: Complete List of 128-bit Service UUIDs has 9 bytes, not a multiple of 16: the last 9 bytes ignored',
    ]);
  });

  it('UUIDs come out canonical whatever width they were sent in, deduplicated in order', () => {
    // 180d as 16-bit, as 32-bit (0000180d) and as 128-bit on the base; then a 32-bit and a 128-bit UUID.
    const p = parseAdvert(hex('03030d18 05050d180000 1107fb349b5f80000080001000000d180000 050578563412 1106 00004455664416a7d4419be200840e55'));
    assert.deepEqual(p.serviceUuids, ['180d', '1234567800001000800000805f9b34fb', '550e8400e29b41d4a716446655440000']);
    const s = parseAdvert(hex('0314 0d18 0515 0d180000'.replace(/ /g, '').replace('0515', '051f')));
    assert.deepEqual(s.solicitedUuids, ['180d']);
  });

  it('names are UTF-8; an invalid sequence is replaced, never thrown', () => {
    assert.equal(parseAdvert(hex('0709 4772c3bc6e65')).localName, 'Grüne');
    assert.equal(parseAdvert(hex('0509 ff41fe42')).localName, '\ufffdA\ufffdB');
  });

  it('complete name wins over shortened in either payload; other values: later wins', () => {
    const adv = hex('0409466f6f 020a04 05ff4c000102 04161a1801 020106');
    const scan = hex('020846 020af8 05ff4c000304 04161a1802 05ff59000a0b 0303 1a18');
    const p = parseAdvert(adv, scan);
    assert.equal(p.localName, 'Foo');
    assert.equal(p.shortName, 'F');
    assert.equal(p.txPower, -8);
    assert.deepEqual(p.manufacturerData, [
      { companyId: 0x004c, data: hex('0304') },
      { companyId: 0x0059, data: hex('0a0b') },
    ]);
    assert.deepEqual(p.serviceData, [{ uuid: '181a', data: hex('02') }]);
    assert.deepEqual(p.serviceUuids, ['181a']);
    assert.deepEqual(
      p.structures.map((s) => `${s.source} ${s.offset}`),
      ['adv 0', 'adv 5', 'adv 8', 'adv 14', 'adv 19', 'scan 0', 'scan 3', 'scan 6', 'scan 12', 'scan 17', 'scan 23'],
    );
    // Shortened after complete does not replace it; shortened alone is the local name.
    assert.equal(parseAdvert(hex('0409466f6f 0308 4261')).localName, 'Foo');
    assert.equal(parseAdvert(hex('0308 4261')).localName, 'Ba');
  });

  it('bytes that are not a Buffer do not throw', () => {
    assert.equal(parseAdvert(new Uint8Array([2, 1, 6]) as Buffer).flags, 6);
    const p = parseAdvert(undefined as unknown as Buffer);
    assert.deepEqual(p.structures, []);
    assert.match(problems(p)[0]!, /advertising data is undefined: expected bytes/);
  });
});

describe('parseAdvert: fuzzing', () => {
  /** xorshift32: a fixed seed so a failure can be replayed. */
  function rng(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x;
    };
  }

  const corpus = JSON.parse(readFileSync(new URL('../../shared/corpora/ble_bluetooth_data_tools_gap.json', import.meta.url), 'utf8')) as { vectors: { input: { payloads_hex: string | string[] }[] }[] };
  const seeds = corpus.vectors.flatMap((v) => v.input.flatMap((i) => (typeof i.payloads_hex === 'string' ? [i.payloads_hex] : i.payloads_hex))).map(hex);
  // Frames that reach the beacon and BTHome decoders, encrypted included.
  seeds.push(
    hex('0201061aff4c000215e2c56db5dffb48d2b060d0f5a71096e000010002c5'),
    hex('0201060303aafe0d16aafe10ee01676f6f676c6500'),
    hex('0201061216d2fc41e445f3c9962b332211006c7c4519'),
    hex('0201060b16d2fc4002c40903bf13'),
  );
  const key = hex('231d39c1d7cc1ab1aee224cd096db932');

  function check(p: ParsedAdvert, data: Buffer): void {
    assert.ok(Array.isArray(p.structures) && Array.isArray(p.problems) && Array.isArray(p.serviceUuids) && Array.isArray(p.serviceData) && Array.isArray(p.manufacturerData));
    for (const s of p.structures) assert.ok(s.data.length < data.length && s.offset >= 0, 'a structure lies inside the payload');
    if (p.bthome) assert.ok(Array.isArray(p.bthome.readings) && Array.isArray(p.bthome.events));
  }

  it('10,000 random and mutated payloads never throw and always give arrays', () => {
    const next = rng(0x5eed);
    for (let n = 0; n < 10_000; n++) {
      let data: Buffer;
      if (n % 2 === 0) {
        data = Buffer.alloc(next() % 72);
        for (let i = 0; i < data.length; i++) data[i] = next() & 0xff;
      } else {
        data = Buffer.from(seeds[next() % seeds.length]!);
        const edits = 1 + (next() % 4);
        for (let e = 0; e < edits && data.length; e++) {
          const at = next() % data.length;
          const op = next() % 4;
          if (op === 0) data[at] = next() & 0xff;
          else if (op === 1) data[at] = 0;
          else if (op === 2) data = data.subarray(0, at);
          else data = Buffer.concat([data.subarray(0, at), Buffer.from([next() & 0xff]), data.subarray(at)]);
        }
      }
      const options = n % 3 === 0 ? { bthomeKey: key, address: '54:48:E6:8F:80:A5' } : undefined;
      let p: ParsedAdvert;
      try {
        p = parseAdvert(data, n % 5 === 0 ? data.subarray(0, data.length >> 1) : undefined, options);
      } catch (err) {
        assert.fail(`parseAdvert threw on ${data.toString('hex')}: ${String(err)}`);
      }
      check(p, data);
    }
  });
});

describe('parseAdvert: advertising data padded to 31 bytes with the scan response after it', () => {
  const adv = hex('020106 09ff5900fe02349ea6ba');
  const scan = hex('0616000d481000 0409466f6f');
  const glued = Buffer.concat([adv, Buffer.alloc(31 - adv.length), scan, Buffer.alloc(3)]);

  it('reads on at offset 31 as the scan response, with offsets from there', () => {
    const p = parseAdvert(glued);
    assert.deepEqual(p.problems, []);
    assert.deepEqual(
      p.structures.map((s) => `${s.source} ${s.offset} ${s.typeName}`),
      ['adv 0 Flags', 'adv 3 Manufacturer Specific Data', 'scan 0 Service Data - 16-bit UUID', 'scan 7 Complete Local Name'],
    );
    const apart = parseAdvert(adv, scan);
    assert.deepEqual(p, apart);
  });

  it('only when the bytes just before 31 are zero padding', () => {
    // The same bytes, but a Tx Power structure fills offsets 28-30: no padding reaches 31.
    const filled = Buffer.concat([adv, Buffer.alloc(28 - adv.length), hex('020a04'), scan]);
    const p = parseAdvert(filled);
    assert.ok(p.structures.every((s) => s.source === 'adv'), 'no scan response split');
    assert.deepEqual([p.txPower, p.localName], [4, 'Foo'], 'the structures after it are read as advertising data');
    assert.deepEqual(problems(p), ['adv 13: 15 zero bytes before more structures: skipped as padding']);
  });

  it('padding alone, with nothing after offset 31, is just padding', () => {
    const p = parseAdvert(Buffer.concat([adv, Buffer.alloc(40)]));
    assert.deepEqual(p.problems, []);
    assert.ok(p.structures.every((s) => s.source === 'adv'));
  });
});

describe('mergeAdverts: a payload split at structure boundaries reads the same', () => {
  it('problems are kept as each payload reported them, once each', () => {
    const a = parseAdvert(hex('02ff4c 020106'));
    const b = parseAdvert(hex('030a0102 05'));
    const merged = mergeAdverts([a, b]);
    assert.deepEqual(merged.problems, [...a.problems, ...b.problems]);
    assert.equal(merged.problems.length, 3);
    assert.equal(merged.flags, 6);
  });

  const payload = hex('020106 0303aafe 0d16aafe10ee01676f6f676c6500 0409466f6f 05ff4c000102');
  it('every split into two and three parts', () => {
    const whole = parseAdvert(payload);
    const bounds = whole.structures.map((s) => s.offset).slice(1);
    const same = (p: ParsedAdvert) => {
      const { structures: _s, problems: _p, ...fields } = p;
      return fields;
    };
    for (const a of bounds) {
      assert.deepEqual(same(mergeAdverts([parseAdvert(payload.subarray(0, a)), parseAdvert(payload.subarray(a))])), same(whole), `split at ${a}`);
      for (const b of bounds.filter((x) => x > a)) {
        const parts = [payload.subarray(0, a), payload.subarray(a, b), payload.subarray(b)].map((x) => parseAdvert(x));
        assert.deepEqual(same(mergeAdverts(parts)), same(whole), `split at ${a}, ${b}`);
      }
    }
    assert.deepEqual(whole.problems, []);
    assert.deepEqual([whole.eddystone, whole.localName, whole.manufacturerData.length], [{ frame: 'url', txPower: -18, url: 'https://www.google.com/' }, 'Foo', 1]);
  });
});

describe('buildAdvert → parseAdvert round trips', () => {
  /** Parse what was built, and check every field the spec set came back. */
  function roundTrip(spec: AdvertSpec, scan = false): ParsedAdvert {
    const bytes = scan ? buildScanResponse(spec) : buildAdvert(spec);
    assert.ok(bytes.length <= 31, `${bytes.length} bytes`);
    const p = parseAdvert(bytes, undefined, spec.bthome?.key ? { bthomeKey: hex(spec.bthome.key), address: spec.bthome.address } : undefined);
    assert.deepEqual(p.problems, []);
    assert.equal(p.frameError, undefined);
    return p;
  }

  it('flags (default 0x06, a given value, or none), names, tx power, appearance', () => {
    assert.equal(roundTrip({}).flags, 0x06);
    assert.equal(roundTrip({ flags: 0x1a }).flags, 0x1a);
    assert.equal(roundTrip({ flags: null, localName: 'x' }).flags, undefined);
    assert.equal(roundTrip({ localName: 'x' }, true).flags, undefined, 'a scan response has no flags');
    const p = roundTrip({ localName: 'Grüne Halle', txPower: -12, appearance: 0x03c1 });
    assert.deepEqual([p.localName, p.shortName, p.txPower, p.appearance], ['Grüne Halle', undefined, -12, 0x03c1]);
    const s = roundTrip({ localName: 'Grü', shortName: true });
    assert.deepEqual([s.localName, s.shortName, s.structures[1]!.type], ['Grü', 'Grü', 0x08]);
  });

  it('service UUIDs of each width, in any spelling, come back canonical', () => {
    const p = roundTrip({ serviceUuids: ['180D', '0x181a', '0000fcd2-0000-1000-8000-00805f9b34fb', '180d', '550e8400-e29b-41d4-a716-446655440000'] });
    assert.deepEqual(p.serviceUuids, ['180d', '181a', 'fcd2', '550e8400e29b41d4a716446655440000']);
    assert.deepEqual(p.structures.map((s) => s.type), [0x01, 0x03, 0x07]);
    const q = roundTrip({ serviceUuids: ['12345678', '9ABCDEF0-0000-1000-8000-00805F9B34FB', '0000180f'] });
    assert.deepEqual(q.serviceUuids, ['180f', '1234567800001000800000805f9b34fb', '9abcdef000001000800000805f9b34fb']);
    assert.deepEqual(q.structures.map((s) => [s.type, s.data.length]), [[0x01, 1], [0x03, 2], [0x05, 8]]);
  });

  it('service data of each width and manufacturer data', () => {
    const a = roundTrip({ serviceData: [{ uuid: '181a', data: '0102' }, { uuid: 'ff112233', data: 'aa bb' }], manufacturerData: [{ companyId: 0x02e5, data: '0x0a:0b' }, { companyId: 0, data: '' }] });
    assert.deepEqual(a.serviceData, [
      { uuid: '181a', data: hex('0102') },
      { uuid: 'ff11223300001000800000805f9b34fb', data: hex('aabb') },
    ]);
    assert.deepEqual(a.manufacturerData, [
      { companyId: 0x02e5, data: hex('0a0b') },
      { companyId: 0, data: Buffer.alloc(0) },
    ]);
    const b = roundTrip({ flags: null, serviceData: [{ uuid: '550e8400e29b41d4a716446655440000', data: '09' }] });
    assert.deepEqual(b.serviceData, [{ uuid: '550e8400e29b41d4a716446655440000', data: hex('09') }]);
    assert.equal(b.structures[0]!.type, 0x21);
  });

  it('iBeacon', () => {
    const iBeacon = { uuid: 'e2c56db5dffb48d2b060d0f5a71096e0', major: 1, minor: 65535, measuredPower: -59 };
    assert.deepEqual(roundTrip({ iBeacon }).iBeacon, iBeacon);
  });

  it('Eddystone URL, UID and TLM (0xFEAA listed among the UUIDs too)', () => {
    const url = roundTrip({ eddystone: { url: 'https://www.example.com/a?b=1', txPower: -20 } });
    assert.deepEqual(url.eddystone, { frame: 'url', txPower: -20, url: 'https://www.example.com/a?b=1' });
    assert.deepEqual(url.serviceUuids, ['feaa']);
    const uid = roundTrip({ eddystone: { namespace: 'edd1ebeac04e5defa017', instance: '0123456789ab' } });
    assert.deepEqual(uid.eddystone, { frame: 'uid', txPower: 0, namespace: 'edd1ebeac04e5defa017', instance: '0123456789ab' });
    const tlm = roundTrip({ eddystone: { tlm: { batteryMv: 2950, temperature: -4.5, advCount: 123456, uptimeSec: 86400.5 } } });
    assert.deepEqual(tlm.eddystone, { frame: 'tlm', version: 0, batteryMv: 2950, temperature: -4.5, advCount: 123456, uptimeSec: 86400.5 });
  });

  it('BTHome, plain and encrypted', () => {
    const plain = roundTrip({ localName: 'th', bthome: { readings: { temperature: 21.5, humidity: 40, battery: 87, door: 1 }, packetId: 9, triggerBased: true } });
    assert.deepEqual(
      plain.bthome?.readings.map((r) => [r.name, r.value, r.unit]),
      // Ascending object ids: a whole-number humidity goes as the one-byte 0x2E.
      [['battery', 87, '%'], ['temperature', 21.5, '°C'], ['door', 1, ''], ['humidity', 40, '%']],
    );
    assert.deepEqual(plain.bthome?.readings.map((r) => r.objectId), [0x01, 0x02, 0x1a, 0x2e]);
    assert.deepEqual([plain.bthome?.packetId, plain.bthome?.triggerBased, plain.bthome?.encrypted], [9, true, false]);
    const enc = roundTrip({ bthome: { readings: { temperature: -3.25, co2: 812 }, key: '231d39c1d7cc1ab1aee224cd096db932', address: 'A4:C1:38:8D:18:B2', counter: 7 } });
    assert.deepEqual([enc.bthome?.encrypted, enc.bthome?.counter], [true, 7]);
    assert.deepEqual(enc.bthome?.readings.map((r) => [r.name, r.value]), [['temperature', -3.25], ['co2', 812]]);
    assert.deepEqual(enc.serviceData[0]!.data, encodeBthome({ temperature: -3.25, co2: 812 }, { key: hex('231d39c1d7cc1ab1aee224cd096db932'), address: 'A4:C1:38:8D:18:B2', counter: 7 }));
  });

  it('raw sections are appended as given', () => {
    const p = roundTrip({ flags: null, sections: [{ type: 0x12, data: '06000c00' }, { type: 0x2a, data: 'ff' }] });
    assert.deepEqual(p.structures.map((s) => [s.type, s.data.toString('hex')]), [[0x12, '06000c00'], [0x2a, 'ff']]);
  });
});

describe('buildAdvert: errors name the field', () => {
  function fails(spec: AdvertSpec, field: string | undefined, message: RegExp): void {
    assert.throws(
      () => buildAdvert(spec),
      (err: unknown) => {
        assert.ok(err instanceof AdvertBuildError, String(err));
        assert.equal(err.code, 'ADVERT_INVALID');
        assert.equal(err.field, field);
        assert.match(err.message, message);
        return true;
      },
    );
  }

  it('bad UUIDs, company ids, hex and numbers', () => {
    fails({ serviceUuids: ['180d', 'xyz'] }, 'serviceUuids[1]', /^serviceUuids\[1\] is "xyz": expected a UUID of 4, 8 or 32 hex digits/);
    fails({ serviceUuids: ['12345'] }, 'serviceUuids[0]', /"12345"/);
    fails({ serviceData: [{ uuid: '18', data: '' }] }, 'serviceData[0].uuid', /"18"/);
    fails({ manufacturerData: [{ companyId: 70000, data: '' }] }, 'manufacturerData[0].companyId', /is 70000: expected a whole number from 0 to 65535/);
    fails({ manufacturerData: [{ companyId: -1, data: '' }] }, 'manufacturerData[0].companyId', /-1/);
    fails({ manufacturerData: [{ companyId: 1, data: 'zz' }] }, 'manufacturerData[0].data', /"zz" is not hex: "z" at position 0/);
    fails({ serviceData: [{ uuid: '181a', data: 'abc' }] }, 'serviceData[0].data', /has 3 hex digits, an odd number/);
    fails({ txPower: 200 }, 'txPower', /from -128 to 127/);
    fails({ flags: 256 }, 'flags', /from 0 to 255/);
    fails({ iBeacon: { uuid: 'e2c56db5dffb48d2b060d0f5a71096e0', major: 65536, minor: 0, measuredPower: -59 } }, 'iBeacon.major', /65536/);
  });

  it('over 31 bytes: says how big and what to do', () => {
    fails({ localName: 'A rather long device name here', serviceUuids: ['180d'] }, undefined, /^advertisement is 39 bytes: at most 31 fit in a legacy advertisement; move the name to the scan response or shorten it$/);
    fails({ manufacturerData: [{ companyId: 1, data: '00'.repeat(30) }] }, undefined, /^advertisement is 37 bytes: .*; move some fields to the scan response$/);
    assert.throws(() => buildScanResponse({ localName: 'x'.repeat(30) }), /^AdvertBuildError: scan response is 32 bytes/);
  });

  it('Eddystone URLs and BTHome', () => {
    fails({ eddystone: { url: 'ftp://example.com' } }, 'eddystone.url', /no scheme Eddystone can send/);
    fails({ eddystone: { url: 'https://a-very-long-host-name.example' } }, 'eddystone.url', /encodes to \d+ bytes after the scheme: at most 17/);
    fails({ eddystone: { url: 'https://ex ample.com' } }, 'eddystone.url', /" " at 10/);
    fails({ eddystone: { namespace: '0011', instance: '0123456789ab' } }, 'eddystone.namespace', /is 2 bytes: expected 10/);
    fails({ bthome: { readings: { temperature: 20 }, key: '00' } }, 'bthome.key', /is 1 bytes: expected 16/);
    fails({ bthome: { readings: { temperature: 20 }, key: '231d39c1d7cc1ab1aee224cd096db932' } }, 'bthome.address', /needs the sensor address/);
    fails({ bthome: { readings: { warmth: 20 } } }, 'bthome', /unknown BTHome reading "warmth"/);
    fails({ bthome: { readings: { humidity: -1 } } }, 'bthome', /humidity is -1: out of range/);
  });
});
