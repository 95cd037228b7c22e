/**
 * Beacon and sensor frames inside adverts: iBeacon, Eddystone UID/URL/TLM/EID (byte strings
 * written from the specs), BTHome v2 — every example of the bthome.io object table, the format
 * page's full advert, and the published encryption examples (bthome.io's encryption page and the
 * bthome-ble project's tests), decoded and re-encoded byte for byte. A frame that is present but
 * cannot be decoded gives `frameError` and never a throw.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBthome, encodeBthome } from '../drivers/ble/adv/bthome.js';
import { BthomeError } from '../drivers/ble/adv/errors.js';
import { parseAdvert } from '../drivers/ble/adv/parse.js';
import type { BthomeFrame } from '../drivers/ble/adv/types.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

describe('iBeacon', () => {
  it('UUID, major and minor big-endian, measured power signed', () => {
    const p = parseAdvert(hex('020106 1aff4c00 0215 e2c56db5dffb48d2b060d0f5a71096e0 0001 fffe c5'));
    assert.deepEqual(p.iBeacon, { uuid: 'e2c56db5dffb48d2b060d0f5a71096e0', major: 1, minor: 65534, measuredPower: -59 });
    assert.equal(p.frameError, undefined);
  });

  it('a short one is a frame error; other Apple data is not an iBeacon', () => {
    const short = parseAdvert(hex('020106 0cff4c00 0215 e2c56db5dffb48'));
    assert.equal(short.iBeacon, undefined);
    assert.equal(short.frameError, 'iBeacon frame is 9 bytes: expected 23 (0x02 0x15, UUID, major, minor, power)');
    const other = parseAdvert(hex('0aff4c0010050a1c77f95b'));
    assert.deepEqual([other.iBeacon, other.frameError], [undefined, undefined]);
  });
});

describe('Eddystone', () => {
  const frame = (serviceData: string) => parseAdvert(hex(`020106 0303aafe ${(serviceData.replace(/\s+/g, '').length / 2 + 3).toString(16).padStart(2, '0')}16aafe ${serviceData}`));

  it('UID: power, 10-byte namespace, 6-byte instance', () => {
    assert.deepEqual(frame('00 e8 edd1ebeac04e5defa017 0123456789ab 0000').eddystone, { frame: 'uid', txPower: -24, namespace: 'edd1ebeac04e5defa017', instance: '0123456789ab' });
  });

  it('URL: scheme prefixes and expansion codes', () => {
    assert.deepEqual(frame('10 ee 01 676f6f676c65 00').eddystone, { frame: 'url', txPower: -18, url: 'https://www.google.com/' });
    assert.deepEqual(frame('10 00 02 616263 0a').eddystone, { frame: 'url', txPower: 0, url: 'http://abc.net' });
    assert.deepEqual(frame('10 00 03 61 0d 2f78 07').eddystone, { frame: 'url', txPower: 0, url: 'https://a.gov/x.com' });
    assert.deepEqual(frame('10 00 00 61 0b').eddystone, { frame: 'url', txPower: 0, url: 'http://www.a.info' });
    const bad = frame('10 00 03 61 20');
    assert.equal(bad.eddystone, undefined);
    assert.equal(bad.frameError, 'Eddystone URL byte 0x20 at byte 4 is reserved: expected a printable character or an expansion code 0x00-0x0d');
    assert.match(frame('10 00 04 61').frameError!, /scheme 0x04 is reserved/);
  });

  it('TLM version 0: battery, 8.8 temperature (0x8000 = none), adverts, uptime in tenths', () => {
    assert.deepEqual(frame('20 00 0bb8 1580 00000400 000003e9').eddystone, { frame: 'tlm', version: 0, batteryMv: 3000, temperature: 21.5, advCount: 1024, uptimeSec: 100.1 });
    assert.equal((frame('20 00 0bb8 fb80 00000000 00000000').eddystone as { temperature: number }).temperature, -4.5);
    assert.equal((frame('20 00 0000 8000 00000000 00000000').eddystone as { temperature: number | null }).temperature, null);
    assert.match(frame('20 01 0102030405060708090a0b0c0d0e0f10 1112').frameError!, /TLM version 1 is not decoded: only version 0/);
  });

  it('EID: power and 8 bytes', () => {
    assert.deepEqual(frame('30 e0 0102030405060708').eddystone, { frame: 'eid', txPower: -32, eid: '0102030405060708' });
  });

  it('a frame shorter than its type needs, or of an unknown type, is a frame error', () => {
    assert.equal(frame('30 e0 01020304').frameError, 'Eddystone EID frame is 6 bytes: expected 10');
    assert.equal(frame('00 e8 edd1ebeac04e5defa017 0123').frameError, 'Eddystone UID frame is 14 bytes: expected 18 or 20');
    assert.equal(frame('20 00 0bb8 1580').frameError, 'Eddystone TLM frame is 6 bytes: expected 14');
    assert.equal(frame('40 00').frameError, 'unknown Eddystone frame type 0x40: expected 0x00 (UID), 0x10 (URL), 0x20 (TLM) or 0x30 (EID)');
    assert.equal(frame('40 00').eddystone, undefined);
  });
});

describe('BTHome v2: every example in the bthome.io object table', () => {
  // [object bytes, name, value, unit] — the table's "Example" and "Result" columns.
  const table: [string, string, number, string][] = [
    ['0161', 'battery', 97, '%'],
    ['02CA09', 'temperature', 25.06, '°C'],
    ['03BF13', 'humidity', 50.55, '%'],
    ['04138A01', 'pressure', 1008.83, 'hPa'],
    ['05138A14', 'illuminance', 13460.67, 'lx'],
    ['065E1F', 'mass', 80.3, 'kg'],
    ['073E1D', 'massLb', 74.86, 'lb'],
    ['08CA06', 'dewPoint', 17.38, '°C'],
    ['0960', 'count', 96, ''],
    ['0A138A14', 'energy', 1346.067, 'kWh'],
    ['0B021B00', 'power', 69.14, 'W'],
    ['0C020C', 'voltage', 3.074, 'V'],
    ['0D120C', 'pm25', 3090, 'µg/m³'],
    ['0E021C', 'pm10', 7170, 'µg/m³'],
    ['0F01', 'genericBoolean', 1, ''],
    ['1001', 'powerOn', 1, ''],
    ['1100', 'opening', 0, ''],
    ['12E204', 'co2', 1250, 'ppm'],
    ['133301', 'tvoc', 307, 'µg/m³'],
    ['14020C', 'moisture', 30.74, '%'],
    ['1501', 'batteryLow', 1, ''],
    ['1A00', 'door', 0, ''],
    ['2001', 'wet', 1, ''],
    ['2100', 'motion', 0, ''],
    ['2D01', 'window', 1, ''],
    ['2E23', 'humidity', 35, '%'],
    ['2F23', 'moisture', 35, '%'],
    ['3D0960', 'count', 24585, ''],
    ['3E2A2C0960', 'count', 1611213866, ''],
    ['3F020C', 'rotation', 307.4, '°'],
    ['400C00', 'distance', 12, 'mm'],
    ['414E00', 'distanceM', 7.8, 'm'],
    ['424E3400', 'duration', 13.39, 's'],
    ['434E34', 'current', 13.39, 'A'],
    ['444E34', 'speed', 133.9, 'm/s'],
    ['451101', 'temperature', 27.3, '°C'],
    ['4632', 'uvIndex', 5, ''],
    ['478756', 'volume', 2215.1, 'L'],
    ['48DC87', 'volumeMl', 34780, 'mL'],
    ['49DC87', 'volumeFlowRate', 34.78, 'm³/h'],
    ['4A020C', 'voltage', 307.4, 'V'],
    ['4B138A14', 'gas', 1346.067, 'm³'],
    ['4C41018A01', 'gas', 25821.505, 'm³'],
    ['4D12138A14', 'energy', 344593.17, 'kWh'],
    ['4E87562A01', 'volume', 19551.879, 'L'],
    ['4F87562A01', 'water', 19551.879, 'L'],
    ['505d396164', 'timestamp', 1684093277, 's'],
    ['518756', 'acceleration', 22.151, 'm/s²'],
    ['528756', 'gyroscope', 22.151, '°/s'],
    ['5587562A01', 'volumeStorage', 19551.879, 'L'],
    ['56E803', 'conductivity', 1000, 'µS/cm'],
    ['57EA', 'temperature', -22, '°C'],
    ['58EA', 'temperature', -7.7, '°C'],
    ['59EA', 'count', -22, ''],
    ['5AEAEA', 'count', -5398, ''],
    ['5BEA0234EA', 'count', -365690134, ''],
    ['5C02FBFFFF', 'power', -12.78, 'W'],
    ['5D02EA', 'current', -5.63, 'A'],
    ['5E9F8C', 'direction', 359.99, '°'],
  ];
  for (const [bytes, name, value, unit] of table) {
    it(`0x${bytes.slice(0, 2)} ${bytes} → ${name} ${value} ${unit}`.trimEnd(), () => {
      const frame = decodeBthome(hex(`40${bytes}`));
      assert.deepEqual(frame.readings, [{ name, objectId: parseInt(bytes.slice(0, 2), 16), value, unit }]);
    });
  }

  it('packet id, events, text, raw, device type and firmware', () => {
    const f = decodeBthome(hex('40 0009 3A01 3A00 3A04 3C0103 3C020A 530C48656C6C6F20576F726C6421 5403DEADBE F00100 F100010204'));
    assert.equal(f.packetId, 9);
    assert.deepEqual(f.events, [
      { name: 'button', objectId: 0x3a, event: 'press' },
      { name: 'button2', objectId: 0x3a, event: 'none' },
      { name: 'button3', objectId: 0x3a, event: 'long_press' },
      { name: 'dimmer', objectId: 0x3c, event: 'rotate_left', steps: 3 },
      { name: 'dimmer2', objectId: 0x3c, event: 'rotate_right', steps: 10 },
    ]);
    assert.deepEqual(f.texts, [
      { name: 'text', objectId: 0x53, value: 'Hello World!' },
      { name: 'raw', objectId: 0x54, value: 'deadbe' },
    ]);
    assert.deepEqual([f.deviceTypeId, f.firmwareVersion], [1, '4.2.1.0']);
    assert.equal(decodeBthome(hex('40F2000106')).firmwareVersion, '6.1.0');
  });
});

describe('BTHome v2 in adverts', () => {
  it("the format page's example advert: name, temperature, humidity", () => {
    const p = parseAdvert(hex('020106 0B094449592D73656E736F72 0A16D2FC4002C40903BF13'));
    assert.equal(p.localName, 'DIY-sensor');
    assert.deepEqual(p.bthome, {
      version: 2,
      encrypted: false,
      triggerBased: false,
      readings: [
        { name: 'temperature', objectId: 0x02, value: 25, unit: '°C' },
        { name: 'humidity', objectId: 0x03, value: 50.55, unit: '%' },
      ],
      events: [],
    } satisfies BthomeFrame);
  });

  it('repeats get 2, 3; objects out of order are still read; bit 2 is trigger-based', () => {
    const f = decodeBthome(hex('44 03BF13 02CA09 02C409 02F6FF'));
    assert.equal(f.triggerBased, true);
    assert.deepEqual(f.readings.map((r) => [r.name, r.value]), [['humidity', 50.55], ['temperature', 25.06], ['temperature2', 25], ['temperature3', -0.1]]);
  });

  it('an unknown object id stops decoding with an error naming it and its byte', () => {
    const p = parseAdvert(hex('020106 0916D2FC 4002CA099F01'));
    assert.equal(p.bthome, undefined);
    assert.equal(p.frameError, 'unknown BTHome object id 0x9f at byte 4: its size is unknown, so the rest of the frame cannot be read');
    assert.throws(() => decodeBthome(hex('4002CA099F01')), (e: unknown) => e instanceof BthomeError && e.detail === 'object' && e.code === 'BTHOME_INVALID');
  });

  it('a truncated object, an empty frame', () => {
    assert.throws(() => decodeBthome(hex('4002CA')), /^BthomeError: BTHome object 0x02 \(temperature\) at byte 1 needs 2 bytes: 1 left$/);
    assert.throws(() => decodeBthome(hex('40530548')), /object 0x53 \(text\) at byte 1 needs 5 bytes: 1 left/);
    assert.equal(parseAdvert(hex('0316d2fc')).frameError, 'BTHome frame is empty: expected a device info byte');
  });

  it('only version 2 is decoded', () => {
    assert.equal(parseAdvert(hex('0616d2fc2002ca09')).frameError, 'BTHome version 1 (device info byte 0x20): only v2 is decoded');
    assert.throws(() => decodeBthome(hex('e1020c04')), (e: unknown) => e instanceof BthomeError && e.detail === 'version' && /version 7/.test(e.message));
  });

  it('encode: values as the smallest exact object, in id order, with packet id; errors name the reading', () => {
    assert.equal(encodeBthome({ humidity: 50.55, temperature: 25.06 }).toString('hex'), '4002ca0903bf13');
    assert.equal(encodeBthome({ temperature: 21, count: 300, motion: 1, button: 4, dimmer: -3 }, { packetId: 7, triggerBased: true }).toString('hex'), '44 0007 2101 3a04 3c0103 3d2c01 5715'.replace(/ /g, ''));
    assert.throws(() => encodeBthome({ motion: 2 }), /motion is 2: expected 0 or 1/);
    assert.throws(() => encodeBthome({ battery: 300 }), /battery is 300: out of range \(0…255 %\)/);
    assert.throws(() => encodeBthome({ temperature: Number.NaN }), /temperature is NaN: expected a finite number/);
    assert.throws(() => encodeBthome({ temperature: 20 }, { key: hex('231d39c1d7cc1ab1aee224cd096db932') }), /needs the sensor address/);
  });
});

describe('BTHome v2 encryption: the published examples', () => {
  const key = hex('231d39c1d7cc1ab1aee224cd096db932');
  const address = '54:48:E6:8F:80:A5';
  // bthome.io/encryption: counter 1122867 (33221100 on air), service data d2fc41e445f3c9962b332211006c7c4519.
  const site = '41e445f3c9962b332211006c7c4519';
  // bthome-ble tests (test_bindkey_correct): the same key and address, counter bytes 00112233.
  const library = '41a47266c95f730011223378237214';

  it('decode both', () => {
    for (const [data, counter] of [
      [site, 1122867],
      [library, 0x33221100],
    ] as const) {
      const f = decodeBthome(hex(data), { key, address });
      assert.deepEqual([f.encrypted, f.counter], [true, counter]);
      assert.deepEqual(f.readings.map((r) => [r.name, r.value, r.unit]), [['temperature', 25.06, '°C'], ['humidity', 50.55, '%']]);
    }
  });

  it('encode reproduces them byte for byte', () => {
    assert.equal(encodeBthome({ temperature: 25.06, humidity: 50.55 }, { key, address, counter: 1122867 }).toString('hex'), site);
    assert.equal(encodeBthome({ temperature: 25.06, humidity: 50.55 }, { key, address: '5448e68f80a5', counter: 0x33221100 }).toString('hex'), library);
  });

  it('in an advert: decoded with key and address; a wrong key, a wrong address or none is a frame error', () => {
    const advert = hex(`020106 1216d2fc ${site}`);
    const ok = parseAdvert(advert, undefined, { bthomeKey: key, address });
    assert.deepEqual(ok.bthome?.readings.map((r) => r.value), [25.06, 50.55]);
    const wrongKey = hex('231d39c1d7cc1ab1aee224cd096db933');
    assert.equal(parseAdvert(advert, undefined, { bthomeKey: wrongKey, address }).frameError, 'BTHome MIC check failed: wrong key or address');
    assert.equal(parseAdvert(advert, undefined, { bthomeKey: key, address: '54:48:E6:8F:80:A6' }).frameError, 'BTHome MIC check failed: wrong key or address');
    const none = parseAdvert(advert);
    assert.deepEqual([none.bthome, none.frameError], [undefined, 'BTHome frame is encrypted: its bind key and the device address are needed (drivers.ble.sensors.NAME.key; --key and --address for vigil ble parse)']);
    for (const partial of [{ key }, { address }]) {
      assert.throws(() => decodeBthome(hex(site), partial), (e: unknown) => e instanceof BthomeError && e.detail === 'encrypted', JSON.stringify(Object.keys(partial)));
    }
    const tampered = Buffer.from(advert);
    tampered[9] = tampered[9]! ^ 1;
    assert.equal(parseAdvert(tampered, undefined, { bthomeKey: key, address }).frameError, 'BTHome MIC check failed: wrong key or address');
  });
});
