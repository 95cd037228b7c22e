/**
 * `vigil ble parse` as a user runs it: one line per structure, skipped structures, decoded
 * frames, --json, an encrypted BTHome advert with --key/--address, bad input (one line on
 * stderr, exit code 1), the padded advert with its scan response glued on, and --help.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { vigil } from './helpers/cli.js';

const KEY = '231d39c1d7cc1ab1aee224cd096db932';
const ADDRESS = '54:48:E6:8F:80:A5';
// bthome.io's encryption example in an advert: flags, then BTHome service data.
const ENCRYPTED = '0201061216d2fc41e445f3c9962b332211006c7c4519';

describe('vigil ble parse', () => {
  it('prints each structure on its own line, UUIDs dashed, then what was skipped', async () => {
    // bluetooth-data-tools' PineTime advert: name, flags, a 128-bit UUID, then three stray bytes.
    const r = await vigil(['ble', 'parse', '090950696e6554696d6502010611079ecadc240ee5a92833343093f3a3b50100406e']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(
      r.stdout,
      [
        '[adv 0] 0x09 Complete Local Name: "PineTime"',
        '[adv 10] 0x01 Flags: 06 (LE General Discoverable, BR/EDR not supported)',
        '[adv 13] 0x07 Complete List of 128-bit Service UUIDs: 01b5a3f3-9330-3433-28a9-e50e24dcca9e',
        'skipped at adv 31: a zero length byte before more structures: skipped as padding',
        'skipped at adv 32: length 64 runs past the end: 1 byte follows',
        '',
      ].join('\n'),
    );
  });

  it('manufacturer data with the company, service data, Tx power, an iBeacon; hex with spaces, colons and 0x', async () => {
    const r = await vigil(['ble', 'parse', '0x02 01 06 1a:ff:4c:00:02:15:e2:c5:6d:b5:df:fb:48:d2:b0:60:d0:f5:a7:10:96:e0:00:01:00:02:c5', '020a04 0416 1a18 07 05ff 2a01 0102']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[1], '[adv 3] 0xff Manufacturer Specific Data: company 0x004c (Apple): 0215e2c56db5dffb48d2b060d0f5a71096e000010002c5');
    assert.equal(lines[2], '[scan 0] 0x0a Tx Power Level: 4 dBm');
    assert.equal(lines[3], '[scan 3] 0x16 Service Data - 16-bit UUID: 0000181a-0000-1000-8000-00805f9b34fb: 07');
    assert.equal(lines[4], '[scan 8] 0xff Manufacturer Specific Data: company 0x012a: 0102', 'an unknown company is just its number');
    assert.equal(lines[5], 'iBeacon: uuid e2c56db5-dffb-48d2-b060-d0f5a71096e0 major 1 minor 2 measured power -59 dBm');
  });

  it('Eddystone and BTHome frames, and a frame error', async () => {
    const url = await vigil(['ble', 'parse', '0201060303aafe0d16aafe10ee01676f6f676c6500']);
    assert.match(url.stdout, /\nEddystone URL: https:\/\/www\.google\.com\/ \(tx power -18 dBm at 0 m\)\n$/);
    const bthome = await vigil(['ble', 'parse', '0201060e16d2fc44 0009 02660803a00f 3a01']);
    assert.match(bthome.stdout, /\nBTHome v2 \(trigger-based, packet 9\): temperature 21\.5 °C, humidity 40 %, button press\n$/);
    const unknown = await vigil(['ble', 'parse', '0201060916d2fc4002ca099f01']);
    assert.equal(unknown.code, 0);
    assert.match(unknown.stdout, /\nframe error: unknown BTHome object id 0x9f at byte 4: its size is unknown, so the rest of the frame cannot be read\n$/);
  });

  it('an encrypted BTHome advert: decoded with --key and --address, a frame error without', async () => {
    const r = await vigil(['ble', 'parse', ENCRYPTED, '--key', KEY, '--address', ADDRESS]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\nBTHome v2 \(encrypted, counter 1122867\): temperature 25\.06 °C, humidity 50\.55 %\n$/);
    const none = await vigil(['ble', 'parse', ENCRYPTED]);
    assert.match(none.stdout, /\nframe error: BTHome frame is encrypted: its bind key and the device address are needed \(drivers\.ble\.sensors\.NAME\.key; --key and --address for vigil ble parse\)\n$/);
    const wrong = await vigil(['ble', 'parse', ENCRYPTED, '--key', KEY, '--address', '54:48:E6:8F:80:A6']);
    assert.match(wrong.stdout, /\nframe error: BTHome MIC check failed: wrong key or address\n$/);
  });

  it('--json: the parsed advert as one object, bytes as hex', async () => {
    const r = await vigil(['ble', 'parse', '--json', ENCRYPTED, '--key', KEY, '--address', ADDRESS]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.structures[0], { type: 1, typeName: 'Flags', offset: 0, data: '06', source: 'adv' });
    assert.deepEqual(j.serviceData, [{ uuid: 'fcd2', data: '41e445f3c9962b332211006c7c4519' }]);
    assert.equal(j.flags, 6);
    assert.deepEqual(j.bthome.readings, [
      { name: 'temperature', objectId: 2, value: 25.06, unit: '°C' },
      { name: 'humidity', objectId: 3, value: 50.55, unit: '%' },
    ]);
    assert.equal(j.bthome.counter, 1122867);
    assert.deepEqual(j.problems, []);
  });

  it('advertising data padded to 31 bytes with the scan response glued on is parsed whole', async () => {
    const r = await vigil(['ble', 'parse', '02010609ff5900fe02349ea6ba00000000000000000000000000000000000011071bc5d5a50200b89fe6114d22000da2cb0616000d481000000000000000']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        '[adv 0] 0x01 Flags: 06 (LE General Discoverable, BR/EDR not supported)',
        '[adv 3] 0xff Manufacturer Specific Data: company 0x0059 (Nordic Semiconductor): fe02349ea6ba',
        '[scan 0] 0x07 Complete List of 128-bit Service UUIDs: cba20d00-224d-11e6-9fb8-0002a5d5c51b',
        '[scan 18] 0x16 Service Data - 16-bit UUID: 00000d00-0000-1000-8000-00805f9b34fb: 481000',
        '',
      ].join('\n'),
    );
  });

  it('bad input: one line on stderr naming the argument, nothing on stdout, exit code 1', async () => {
    const cases: [string[], string][] = [
      [['ble', 'parse', '02010g'], 'vigil: ble parse: <adv> "02010g" is not hex: "g" at position 5; expected digits 0-9 and a-f (spaces, colons and a leading 0x are allowed)\n'],
      [['ble', 'parse', '020106', '0201f'], 'vigil: ble parse: [scan] "0201f" has 5 hex digits, an odd number: expected two per byte\n'],
      [['ble', 'parse', '020106', '--key', '00112233'], 'vigil: ble parse: --key is 4 bytes: expected 16 (32 hex digits)\n'],
      [['ble', 'parse', '020106', '--key', KEY], "vigil: ble parse: --key needs --address: the BTHome nonce starts with the sensor's MAC address\n"],
      [['ble', 'parse', '020106', '--address', '54:48:E6:8F:80'], 'vigil: ble parse: --address "54:48:E6:8F:80" is not a Bluetooth address: expected six hex bytes like A4:C1:38:8D:18:B2\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await vigil(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, stderr);
    }
  });

  it('--help says what the command and each option do; hex in unquoted groups is a usage error', async () => {
    const top = await vigil(['ble', '--help']);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /^Usage: vigil ble \[options\] \[command\]/);
    assert.match(top.stdout, /parse \[options\] <adv> \[scan\]\s+decode Bluetooth LE advertising data given in\s+hex/);
    const r = await vigil(['ble', 'parse', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: vigil ble parse \[options\] <adv> \[scan\]/);
    assert.match(r.stdout, /--json\s+print the parsed advert as one JSON object \(bytes as hex\)/);
    assert.match(r.stdout, /--key <hex>\s+BTHome bind key \(32 hex digits\)/);
    assert.match(r.stdout, /--address <mac>\s+the advertiser's MAC address/);
    const groups = await vigil(['ble', 'parse', '02', '01', '06']);
    assert.equal(groups.code, 1);
    assert.match(groups.stderr, /too many arguments for 'parse'/);
    const missing = await vigil(['ble', 'parse']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /missing required argument 'adv'/);
  });
});
