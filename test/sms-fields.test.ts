/**
 * The PDU fields one at a time: time stamps and zones, validity periods, UDH elements, DCS and
 * TP-ST, against python-gsmmodem's vectors (read in place) and the clauses of TS 23.040 / 23.038
 * they implement. Addresses are in sms-address.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SmsPduError } from '../drivers/modem/errors.js';
import { decodeDcs, encodeDcs } from '../drivers/modem/sms/dcs.js';
import { bytesToHex, hexToBytes } from '../drivers/modem/sms/hex.js';
import { PduReader } from '../drivers/modem/sms/reader.js';
import { describeStatus } from '../drivers/modem/sms/status.js';
import {
  decodeScts,
  decodeTz,
  encodeScts,
  encodeTz,
  encodeValidity,
  isoWithOffset,
  readValidity,
  relativeValiditySeconds,
  relativeValidityTpvp,
} from '../drivers/modem/sms/timestamp.js';
import { buildUdh, parseUdh, udhFillBits, udhSeptets } from '../drivers/modem/sms/udh.js';

const corpus = (name: string) => JSON.parse(readFileSync(new URL(`../../shared/corpora/${name}`, import.meta.url), 'utf8'));
const py = corpus('python_gsmmodem_pdu.json') as Record<string, any[]>;

/** "2015-11-27T00:00:00+02:00" → the instant and the offset in minutes. */
function parseIso(s: string): { ms: number; offset: number } {
  const m = /([+-])(\d{2}):?(\d{2})?$|Z$/.exec(s);
  assert.ok(m, `no offset in ${s}`);
  const offset = m[0] === 'Z' ? 0 : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
  return { ms: Date.parse(s), offset };
}

describe('time stamps (TP-SCTS)', () => {
  for (const v of py.scts_timestamp!) {
    it(`${v.encoded_hex} is ${v.datetime}`, () => {
      const { ms, offset } = parseIso(v.datetime);
      const got = decodeScts(hexToBytes(v.encoded_hex));
      assert.equal(got.time.getTime(), ms);
      assert.equal(got.tzOffsetMinutes, offset);
      assert.equal(bytesToHex(encodeScts(new Date(ms), offset)), v.encoded_hex);
    });
  }

  // The corpus writes the zone with its semi-octets already swapped back ("digit order"); the
  // octet in a PDU has them the other way round.
  for (const v of py.tz_octet!) {
    it(`zone ${v.pdu_tz_hex} (digit order) is UTC${v.utc_offset_hours >= 0 ? '+' : ''}${v.utc_offset_hours}`, () => {
      const digits = parseInt(v.pdu_tz_hex, 16);
      const octet = ((digits & 0x0f) << 4) | (digits >> 4);
      assert.equal(decodeTz(octet), v.utc_offset_hours * 60);
      assert.equal(encodeTz(v.utc_offset_hours * 60), octet);
    });
  }

  it('the sign is bit 3 of the octet; quarter hours keep their minutes', () => {
    assert.equal(decodeTz(0x80), 120);
    assert.equal(decodeTz(0x88), -120);
    assert.equal(decodeTz(0x22), 22 * 15); // +05:30, India
    assert.equal(decodeTz(0x0a), -20 * 15); // tens semi-octet 0xA = sign + 2, units 0: -05:00
  });

  it('shows the instant in its own offset', () => {
    const { time, tzOffsetMinutes } = decodeScts(hexToBytes('11109001626240')); // 2011-01-09 10:26:26 +01:00
    assert.equal(isoWithOffset(time, tzOffsetMinutes), '2011-01-09T10:26:26+01:00');
    assert.equal(time.toISOString(), '2011-01-09T09:26:26.000Z');
    assert.equal(isoWithOffset(new Date('2011-01-09T09:26:26Z'), -330), '2011-01-09T03:56:26-05:30');
  });

  it('refuses digits that are not a date, naming the field and byte', () => {
    assert.throws(() => decodeScts(hexToBytes('11310901626240')), (e: unknown) => e instanceof SmsPduError && e.offset === 1 && /time stamp month is 13 \(byte 1\): expected 1–12/.test(e.message));
    assert.throws(() => decodeScts(hexToBytes('112A0901626240')), /time stamp month is 0x2A, not two BCD digits \(byte 1\)/);
    assert.throws(() => decodeScts(hexToBytes('11201301626240')), /date 2011-2-31 does not exist/);
    assert.throws(() => decodeScts(hexToBytes('111090016262A0')), /non-digit 10 for its units/);
  });

  it('encoding needs whole quarter hours and a year two digits can say', () => {
    assert.throws(() => encodeScts(new Date(), 7), /7 minutes is not a whole number of quarter hours/);
    assert.throws(() => encodeScts(new Date('2100-01-01T00:00:00Z')), /year 2100 cannot be sent/);
  });
});

describe('validity periods (TP-VP)', () => {
  for (const v of py.relative_validity!) {
    it(`${v.duration_seconds} s ⇄ TP-VP ${v.tp_vp}`, () => {
      assert.equal(relativeValiditySeconds(v.tp_vp), v.duration_seconds);
      assert.equal(relativeValidityTpvp(v.duration_seconds), v.tp_vp);
    });
  }

  it('the four ranges of 9.2.3.12.1 at their edges', () => {
    const table: [number, number][] = [
      [0, 300],
      [143, 12 * 3600],
      [144, 12 * 3600 + 1800],
      [167, 24 * 3600],
      [168, 2 * 86400],
      [196, 30 * 86400],
      [197, 5 * 7 * 86400],
      [255, 63 * 7 * 86400],
    ];
    for (const [tpvp, seconds] of table) assert.equal(relativeValiditySeconds(tpvp), seconds, `TP-VP ${tpvp}`);
  });

  it('encoding picks the smallest TP-VP that lasts at least as long', () => {
    assert.equal(relativeValidityTpvp(0), 0);
    assert.equal(relativeValidityTpvp(301), 1);
    assert.equal(relativeValidityTpvp(12 * 3600 + 1), 144);
    assert.equal(relativeValidityTpvp(25 * 3600), 168); // more than a day: two days
    assert.equal(relativeValidityTpvp(31 * 86400), 197); // more than 30 days: five weeks
    assert.throws(() => relativeValidityTpvp(64 * 7 * 86400), /longer than 63 weeks/);
    assert.throws(() => relativeValidityTpvp(-1), /validity -1 seconds is not a duration/);
  });

  it('reads relative, absolute and enhanced formats', () => {
    assert.deepEqual(readValidity(new PduReader(hexToBytes('A9')), 0b10), { kind: 'relative', seconds: 259200, tpvp: 0xa9 });
    const abs = readValidity(new PduReader(hexToBytes('31700131930080')), 0b11);
    assert.ok(abs?.kind === 'absolute');
    assert.equal(isoWithOffset(abs.time, abs.tzOffsetMinutes), '2013-07-10T13:39:00+02:00');
    // Enhanced: relative-seconds format (2), 90 seconds, single shot.
    assert.deepEqual(readValidity(new PduReader(hexToBytes('425A0000000000')), 0b01), { kind: 'enhanced', raw: hexToBytes('425A0000000000'), seconds: 90, singleShot: true });
    // Enhanced: hh:mm:ss format (3) after one extension octet: 01:30:15.
    const hms = readValidity(new PduReader(hexToBytes('83001003510000')), 0b01);
    assert.ok(hms?.kind === 'enhanced');
    assert.equal(hms.seconds, 3600 + 30 * 60 + 15);
    assert.equal(readValidity(new PduReader(new Uint8Array(0)), 0b00), undefined);
  });

  it('encodes each kind a sender can ask for', () => {
    assert.deepEqual(encodeValidity({ seconds: 3 * 86400 }), { vpf: 0b10, bytes: Uint8Array.of(169) });
    assert.deepEqual(encodeValidity({ tpvp: 0 }), { vpf: 0b10, bytes: Uint8Array.of(0) });
    assert.equal(bytesToHex(encodeValidity({ time: new Date('2013-07-10T11:39:00Z'), tzOffsetMinutes: 120 }).bytes), '31700131930080');
    assert.throws(() => encodeValidity({ tpvp: 256 }), /relative TP-VP 256 is not an octet/);
  });
});

describe('user data header elements', () => {
  for (const v of py.udh_concat_ie!) {
    it(`concatenation ref ${v.reference}, part ${v.number} of ${v.parts} is ${v.ie_hex}`, () => {
      const refBits = v.reference > 255 ? 16 : 8;
      const built = buildUdh({ concat: { ref: v.reference, total: v.parts, seq: v.number, refBits } });
      assert.equal(built[0], v.ie_hex.length / 2, 'UDHL counts the element');
      assert.equal(bytesToHex(built.subarray(1)), v.ie_hex);
      const { udh, length } = parseUdh(built);
      assert.equal(length, built.length);
      assert.deepEqual(udh, { concat: { ref: v.reference, total: v.parts, seq: v.number, refBits }, elements: [] });
    });
  }

  for (const v of py.udh_port_ie!) {
    it(`ports ${v.destination} ← ${v.source} are ${v.ie_hex}`, () => {
      const bits = v.destination > 255 || v.source > 255 ? 16 : 8;
      const built = buildUdh({ ports: { dest: v.destination, src: v.source, bits } });
      assert.equal(bytesToHex(built.subarray(1)), v.ie_hex);
      assert.deepEqual(parseUdh(built).udh, { ports: { dest: v.destination, src: v.source, bits }, elements: [] });
    });
  }

  it('keeps other elements as they came, in order, next to concat and ports', () => {
    const { udh } = parseUdh(hexToBytes('0E' + '240101' + '0003170301' + '04026432' + '7000'));
    assert.deepEqual(udh.concat, { ref: 0x17, total: 3, seq: 1, refBits: 8 });
    assert.deepEqual(udh.ports, { dest: 100, src: 50, bits: 8 });
    assert.deepEqual(udh.elements, [
      { iei: 0x24, data: Uint8Array.of(1) },
      { iei: 0x70, data: new Uint8Array(0) },
    ]);
    assert.equal(udh.ignored, undefined);
  });

  it('an element or header running past its end is an error saying by how much', () => {
    assert.throws(() => parseUdh(hexToBytes('050003170301'.slice(0, 10)), 30), /UDH length says 5 bytes but only 4 bytes of user data follow it \(byte 30\)/);
    assert.throws(() => parseUdh(hexToBytes('0400051703'), 10), /UDH element 0x00 says 5 bytes but only 2 remain in the 4-byte header \(byte 12\)/);
    assert.throws(() => parseUdh(hexToBytes('0100')), /UDH element 0x00 at byte 1 has no length octet/);
    assert.throws(() => parseUdh(hexToBytes('06000417030100')), /UDH element 0x00 \(concatenation, 8-bit reference\) has 4 bytes \(byte 2\): expected 3/);
    assert.throws(() => parseUdh(new Uint8Array(0), 9), /TP-UDHI says a header follows but the user data is empty \(byte 9\)/);
  });

  it('a concatenation element with 0 parts, part 0, or a part past the count is ignored as TS 23.040 9.2.3.24.1 says, and flagged', () => {
    for (const [ie, what] of [
      ['0003170001', 'part 1 of 0'],
      ['0003170300', 'part 0 of 3'],
      ['0003170304', 'part 4 of 3'],
    ] as const) {
      const { udh } = parseUdh(hexToBytes('05' + ie));
      assert.equal(udh.concat, undefined, what);
      assert.equal(udh.elements.length, 1, what);
      assert.equal(bytesToHex(udh.elements[0]!.data), ie.slice(4));
      assert.match(udh.ignored?.[0] ?? '', new RegExp(`says ${what} .*ignored as TS 23.040 9.2.3.24.1 says`));
    }
  });

  it('a repeated element: the last one counts, the earlier one stays visible', () => {
    const { udh } = parseUdh(hexToBytes('0A' + '0003170301' + '0003180302'));
    assert.deepEqual(udh.concat, { ref: 0x18, total: 3, seq: 2, refBits: 8 });
    assert.equal(udh.elements.length, 1);
    assert.match(udh.ignored?.[0] ?? '', /a later concatenation element/);
  });

  it('building refuses values the fields cannot hold', () => {
    assert.throws(() => buildUdh({ concat: { ref: 256, total: 2, seq: 1, refBits: 8 } }), /reference 256 is not 0–255 \(8-bit\)/);
    assert.throws(() => buildUdh({ concat: { ref: 1, total: 2, seq: 3, refBits: 8 } }), /part 3 is not 1–2/);
    assert.throws(() => buildUdh({ ports: { dest: 300, src: 1, bits: 8 } }), /destination port 300 is not 0–255/);
  });

  it('fill bits put GSM-7 text on a septet boundary after the header', () => {
    assert.equal(udhFillBits(6), 1); // 48 bits + 1 = 7 septets
    assert.equal(udhSeptets(6), 7);
    assert.equal(udhFillBits(7), 0); // 56 bits = 8 septets
    assert.equal(udhSeptets(7), 8);
    assert.equal(udhFillBits(5), 2);
  });
});

describe('data coding scheme (TS 23.038 section 4)', () => {
  it('general groups: alphabet, class when bit 4 is set, auto-deletion in 01xx', () => {
    assert.deepEqual(decodeDcs(0x00), { encoding: 'gsm7', compressed: false, autoDelete: false, reserved: false });
    assert.deepEqual(decodeDcs(0x08), { encoding: 'ucs2', compressed: false, autoDelete: false, reserved: false });
    assert.deepEqual(decodeDcs(0x14), { encoding: '8bit', messageClass: 0, compressed: false, autoDelete: false, reserved: false });
    assert.deepEqual(decodeDcs(0x4b), { encoding: 'ucs2', compressed: false, autoDelete: true, reserved: false });
    assert.deepEqual(decodeDcs(0x5b), { encoding: 'ucs2', messageClass: 3, compressed: false, autoDelete: true, reserved: false });
  });

  it('compressed text comes out as bytes, flagged', () => {
    assert.deepEqual(decodeDcs(0x20), { encoding: '8bit', compressed: true, autoDelete: false, reserved: false });
  });

  it('reserved codings read as the GSM 7-bit default alphabet, as the spec tells a receiver', () => {
    assert.deepEqual(decodeDcs(0x0c), { encoding: 'gsm7', compressed: false, autoDelete: false, reserved: true });
    assert.deepEqual(decodeDcs(0x84), { encoding: 'gsm7', compressed: false, autoDelete: false, reserved: true });
  });

  it('message waiting groups 1100 / 1101 / 1110', () => {
    assert.deepEqual(decodeDcs(0xc8), { encoding: 'gsm7', compressed: false, autoDelete: false, messageWaiting: { kind: 'voicemail', active: true, store: false }, reserved: false });
    assert.deepEqual(decodeDcs(0xd1), { encoding: 'gsm7', compressed: false, autoDelete: false, messageWaiting: { kind: 'fax', active: false, store: true }, reserved: false });
    assert.deepEqual(decodeDcs(0xea), { encoding: 'ucs2', compressed: false, autoDelete: false, messageWaiting: { kind: 'email', active: true, store: true }, reserved: false });
  });

  it('group 1111: GSM-7 or 8-bit, always a class', () => {
    assert.deepEqual(decodeDcs(0xf1), { encoding: 'gsm7', messageClass: 1, compressed: false, autoDelete: false, reserved: false });
    assert.deepEqual(decodeDcs(0xf4), { encoding: '8bit', messageClass: 0, compressed: false, autoDelete: false, reserved: false });
  });

  it('encodes the general group', () => {
    assert.equal(encodeDcs('gsm7'), 0x00);
    assert.equal(encodeDcs('8bit'), 0x04);
    assert.equal(encodeDcs('ucs2'), 0x08);
    assert.equal(encodeDcs('gsm7', 0), 0x10);
    assert.equal(encodeDcs('ucs2', 2), 0x1a);
  });
});

describe('status (TP-ST, TS 23.040 9.2.3.15)', () => {
  it('names each range and the values within it', () => {
    assert.deepEqual(describeStatus(0x00), { text: 'delivered', delivered: true });
    assert.deepEqual(describeStatus(0x02), { text: 'delivered: replaced by the service centre', delivered: true });
    assert.deepEqual(describeStatus(0x20), { text: 'still trying: congestion', delivered: false });
    assert.deepEqual(describeStatus(0x30), { text: 'still trying: service-centre specific (0x30)', delivered: false });
    assert.deepEqual(describeStatus(0x46), { text: 'failed: validity period expired', delivered: false });
    assert.deepEqual(describeStatus(0x4c), { text: 'failed: reserved (0x4C)', delivered: false });
    assert.deepEqual(describeStatus(0x61), { text: 'gave up after temporary errors: recipient busy', delivered: false });
    assert.deepEqual(describeStatus(0x80), { text: 'reserved status (0x80)', delivered: false });
  });
});
