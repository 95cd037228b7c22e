/**
 * Building PDUs: SMS-SUBMIT byte for byte against ModemManager's and python-gsmmodem's expected
 * PDUs (read in place), splitting long text into parts without breaking a character, and round
 * trips through decodePdu for every encoding and header the simulator and the sender use.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SmsPduError } from '../drivers/modem/errors.js';
import { decodePdu } from '../drivers/modem/sms/decode.js';
import { septetLength } from '../drivers/modem/sms/gsm7.js';
import { encodeDeliver, encodeDeliverParts, encodeStatusReport, encodeSubmit, type EncodedPdu } from '../drivers/modem/sms/encode.js';
import { bytesToHex, hexToBytes } from '../drivers/modem/sms/hex.js';
import { isoWithOffset } from '../drivers/modem/sms/timestamp.js';
import type { SmsPdu } from '../drivers/modem/sms/types.js';

const corpus = (name: string) => JSON.parse(readFileSync(new URL(`../../shared/corpora/${name}`, import.meta.url), 'utf8'));
const mm = corpus('modemmanager_sms_pdu.json') as { create_submit: any[] };
const py = corpus('python_gsmmodem_pdu.json') as { encode_submit: any[]; encode_submit_concatenated: any[] };

/** The octets of the SMSC field at the start of a PDU: what AT+CMGS's length leaves out. */
function smscFieldLength(hex: string): number {
  return 1 + parseInt(hex.slice(0, 2), 16);
}

function assertLength(p: EncodedPdu) {
  assert.equal(p.tpduLength, p.hex.length / 2 - smscFieldLength(p.hex));
}

const when = new Date('2024-03-01T12:34:56Z');

describe('SMS-SUBMIT: ModemManager create_submit', () => {
  it('has the 6 vectors', () => assert.equal(mm.create_submit.length, 6));

  for (const v of mm.create_submit) {
    it(`${v.test}`, () => {
      // ModemManager's validity is in minutes, 0 meaning none; its class -1 means none.
      assert.equal(v.sms_class, -1);
      const parts = encodeSubmit({
        recipient: v.number,
        text: v.text,
        ...(v.smsc !== null && { smsc: v.smsc }),
        ...(v.validity_relative > 0 && { validity: { seconds: v.validity_relative * 60 } }),
      });
      assert.equal(parts.length, 1);
      assert.equal(parts[0]!.hex, v.expected_pdu_hex);
      // expected_msgstart is where the TPDU starts, i.e. the SMSC field's length; AT+CMGS gets the rest.
      assert.equal(parts[0]!.tpduLength, v.expected_pdu_hex.length / 2 - v.expected_msgstart);
      assert.equal(smscFieldLength(v.expected_pdu_hex), v.expected_msgstart);
    });
  }
});

describe('SMS-SUBMIT: python-gsmmodem encode_submit', () => {
  it('has the 5 single-part vectors and 1 concatenated one', () => {
    assert.equal(py.encode_submit.length, 5);
    assert.equal(py.encode_submit_concatenated.length, 1);
  });

  function options(v: any) {
    assert.equal(v.send_flash, false, 'no vector sets TP-DCS class 0');
    const validity =
      v.validity === null
        ? undefined
        : typeof v.validity === 'string'
          ? { time: new Date(v.validity), tzOffsetMinutes: Number(v.validity.slice(-6, -3)) * 60 }
          : { seconds: v.validity.timedelta_seconds };
    return {
      recipient: v.number,
      text: v.text,
      reference: v.reference,
      ...(validity && { validity }),
      ...(v.smsc !== null && v.smsc !== undefined && { smsc: v.smsc }),
      requestStatusReport: v.request_status_report,
      rejectDuplicates: v.reject_duplicates,
    };
  }

  for (const v of py.encode_submit.filter((x) => x.number.startsWith('+'))) {
    it(`${v.number} ${JSON.stringify(v.text)}`, () => {
      const parts = encodeSubmit(options(v));
      assert.equal(parts.length, 1);
      assert.equal(parts[0]!.hex, v.expected_pdu_hex);
      assertLength(parts[0]!);
    });
  }

  it('a number without "+" is sent as type unknown (0x81); python-gsmmodem marks it national (0xA1)', () => {
    // "0126541234" and SMSC "12345" carry no '+': upstream declares them national. A bare digit
    // string does not say which plan it is in, and "0126…" starts with a trunk prefix that a
    // national-typed number must not include, so we send "unknown" as ModemManager does (see its
    // address_encode vectors) and the network reads it as dialled. Everything else is identical.
    const v = py.encode_submit.find((x) => !x.number.startsWith('+'))!;
    const expected = hexToBytes(v.expected_pdu_hex);
    assert.equal(expected[1], 0xa1, 'upstream SMSC type of address');
    assert.equal(expected[8], 0xa1, 'upstream TP-DA type of address');
    expected[1] = 0x81;
    expected[8] = 0x81;
    const parts = encodeSubmit(options(v));
    assert.equal(parts.length, 1);
    assert.equal(parts[0]!.hex, bytesToHex(expected));
    const pdu = decodePdu(parts[0]!.hex);
    assert.ok(pdu.type === 'submit');
    assert.deepEqual(pdu.recipient, { number: '0126541234', type: 'unknown', toa: 0x81 });
    assert.equal(pdu.requestStatusReport, true);
    assert.equal(pdu.reference, 13);
  });

  for (const v of py.encode_submit_concatenated) {
    it(`concatenated: ${v.text.length} characters in ${v.expected_pdus_hex.length} parts`, () => {
      const parts = encodeSubmit({ ...options({ ...v, validity: null, smsc: null, send_flash: false }), concatRef: v.reference });
      assert.deepEqual(
        parts.map((p) => p.hex),
        v.expected_pdus_hex,
      );
      parts.forEach(assertLength);
      assert.equal(parts.map((p) => decodePdu(p.hex).text).join(''), v.text);
    });
  }
});

function roundTrip(hex: string): SmsPdu {
  const pdu = decodePdu(hex);
  // The bytes survive a second trip too: decode is not lenient about anything encode produced.
  assert.equal(bytesToHex(hexToBytes(hex)), hex);
  return pdu;
}

describe('round trips through decodePdu', () => {
  it('SMS-DELIVER with every GSM-7 extension character', () => {
    const text = 'Price: 5€ [a] {b} ~c^ |d| \\e\\ and a form feed\f.';
    const p = encodeDeliver({ sender: '+447700900123', text, timestamp: when, tzOffsetMinutes: 60, smsc: '+447785016005' });
    assertLength(p);
    const pdu = roundTrip(p.hex);
    assert.ok(pdu.type === 'deliver');
    assert.equal(pdu.encoding, 'gsm7');
    assert.equal(pdu.text, text);
    assert.deepEqual(pdu.sender, { number: '+447700900123', type: 'international', toa: 0x91 });
    assert.equal(pdu.smsc?.number, '+447785016005');
    assert.equal(isoWithOffset(pdu.timestamp, pdu.tzOffsetMinutes), '2024-03-01T13:34:56+01:00');
    assert.equal(pdu.moreMessagesToSend, false);
  });

  it('SMS-DELIVER in UCS-2 with emoji (surrogate pairs) from an alphanumeric sender', () => {
    const text = 'Grüße 👋🏽 from 東京 🗼';
    const pdu = roundTrip(encodeDeliver({ sender: 'VigilTest', text, timestamp: when, tzOffsetMinutes: -330 }).hex);
    assert.ok(pdu.type === 'deliver');
    assert.equal(pdu.encoding, 'ucs2');
    assert.equal(pdu.text, text);
    assert.deepEqual(pdu.sender, { number: 'VigilTest', type: 'alphanumeric', toa: 0xd0 });
    assert.equal(pdu.tzOffsetMinutes, -330);
    assert.equal(pdu.timestamp.getTime(), when.getTime());
  });

  it('SMS-DELIVER with 8-bit data, 16-bit ports and a 16-bit concatenation reference', () => {
    const data = Uint8Array.from({ length: 100 }, (_, i) => (i * 37) & 0xff);
    const concat = { ref: 0xbeef, total: 3, seq: 2, refBits: 16 as const };
    const ports = { dest: 2948, src: 9200, bits: 16 as const };
    const pdu = roundTrip(encodeDeliver({ sender: '12345', data, timestamp: when, concat, ports, pid: 0x41, messageClass: 1 }).hex);
    assert.ok(pdu.type === 'deliver');
    assert.equal(pdu.encoding, '8bit');
    assert.deepEqual(pdu.data, data);
    assert.deepEqual(pdu.udh, { concat, ports, elements: [] });
    assert.equal(pdu.pid, 0x41);
    assert.equal(pdu.messageClass, 1);
    assert.equal(pdu.dcs, 0x15);
  });

  it('SMS-DELIVER in GSM-7 after a header with 8-bit ports: the text starts at the septet boundary', () => {
    const ports = { dest: 100, src: 50, bits: 8 as const };
    for (const text of ['', '@', '@@@@@@@', 'Hello [world]']) {
      const pdu = roundTrip(encodeDeliver({ sender: '+1555', text, timestamp: when, ports }).hex);
      assert.equal(pdu.text, text);
      assert.deepEqual(pdu.udh?.ports, ports);
    }
  });

  it('SMS-SUBMIT with status report, duplicates rejected, relative and absolute validity', () => {
    const rel = roundTrip(encodeSubmit({ recipient: '+4915112345678', text: 'hi', reference: 200, validity: { seconds: 86400 }, requestStatusReport: true, rejectDuplicates: true })[0]!.hex);
    assert.ok(rel.type === 'submit');
    assert.deepEqual(rel.validity, { kind: 'relative', seconds: 86400, tpvp: 167 });
    assert.equal(rel.requestStatusReport, true);
    assert.equal(rel.rejectDuplicates, true);
    assert.equal(rel.reference, 200);
    assert.equal(rel.smsc, undefined);
    const abs = roundTrip(encodeSubmit({ recipient: '+4915112345678', text: 'hi', validity: { time: when, tzOffsetMinutes: 60 } })[0]!.hex);
    assert.ok(abs.type === 'submit' && abs.validity?.kind === 'absolute');
    assert.equal(abs.validity.time.getTime(), when.getTime());
    assert.equal(abs.validity.tzOffsetMinutes, 60);
    const raw = roundTrip(encodeSubmit({ recipient: '+4915112345678', text: 'hi', validity: { tpvp: 255 } })[0]!.hex);
    assert.ok(raw.type === 'submit' && raw.validity?.kind === 'relative');
    assert.equal(raw.validity.seconds, 63 * 7 * 86400);
  });

  it('SMS-SUBMIT with 8-bit data and ports, and a flash (class 0) text', () => {
    const data = Uint8Array.of(0, 1, 2, 0xff);
    const d = roundTrip(encodeSubmit({ recipient: '+31612345678', data, ports: { dest: 5000, src: 0 } })[0]!.hex);
    assert.ok(d.type === 'submit');
    assert.deepEqual(d.data, data);
    assert.deepEqual(d.udh?.ports, { dest: 5000, src: 0, bits: 16 });
    const flash = roundTrip(encodeSubmit({ recipient: '+31612345678', text: 'Look!', messageClass: 0 })[0]!.hex);
    assert.equal(flash.dcs, 0x10);
    assert.equal(flash.messageClass, 0);
  });

  it('SMS-STATUS-REPORT', () => {
    const p = encodeStatusReport({ recipient: '+31628870634', reference: 214, timestamp: when, tzOffsetMinutes: 120, dischargeTime: new Date(when.getTime() + 4000), dischargeTzOffsetMinutes: 120, status: 0x21, smsc: '+31624000000' });
    assertLength(p);
    const pdu = roundTrip(p.hex);
    assert.ok(pdu.type === 'status-report');
    assert.equal(pdu.reference, 214);
    assert.equal(pdu.recipient.number, '+31628870634');
    assert.equal(pdu.statusText, 'still trying: recipient busy');
    assert.equal(pdu.delivered, false);
    assert.equal(pdu.dischargeTime.getTime() - pdu.timestamp.getTime(), 4000);
    assert.equal(pdu.smsc?.number, '+31624000000');
  });
});

/** Decoded parts of a long message: their concat headers and texts. */
function partsOf(encoded: EncodedPdu[]) {
  return encoded.map((e) => {
    assertLength(e);
    const pdu = decodePdu(e.hex);
    return { pdu, concat: pdu.udh?.concat, text: pdu.text ?? '' };
  });
}

describe('long messages', () => {
  it('GSM-7: 160 septets is one message, 161 is 153 + 8', () => {
    assert.equal(encodeSubmit({ recipient: '+1', text: 'x'.repeat(160) }).length, 1);
    assert.equal(encodeSubmit({ recipient: '+1', text: '€'.repeat(80) }).length, 1);
    const two = partsOf(encodeSubmit({ recipient: '+1', text: 'x'.repeat(161), concatRef: 7 }));
    assert.deepEqual(two.map((p) => p.text.length), [153, 8]);
    assert.deepEqual(two.map((p) => p.concat), [
      { ref: 7, total: 2, seq: 1, refBits: 8 },
      { ref: 7, total: 2, seq: 2, refBits: 8 },
    ]);
  });

  it('UCS-2: 70 units is one message, 71 is 67 + 4; 8-bit: 140 bytes is one, 141 is 134 + 7', () => {
    assert.equal(encodeSubmit({ recipient: '+1', text: 'я'.repeat(70) }).length, 1);
    assert.deepEqual(partsOf(encodeSubmit({ recipient: '+1', text: 'я'.repeat(71) })).map((p) => p.text.length), [67, 4]);
    assert.equal(encodeSubmit({ recipient: '+1', data: new Uint8Array(140) }).length, 1);
    assert.deepEqual(encodeSubmit({ recipient: '+1', data: new Uint8Array(141) }).map((p) => decodePdu(p.hex).data?.length), [134, 7]);
  });

  it('a 16-bit reference and ports shrink each part: 152 septets, then 148 with 8-bit ports', () => {
    const wide = partsOf(encodeSubmit({ recipient: '+1', text: 'y'.repeat(300), concatRef: 0x1234, concatRefBits: 16 }));
    assert.deepEqual(wide.map((p) => p.text.length), [152, 148]);
    assert.deepEqual(wide[1]!.concat, { ref: 0x1234, total: 2, seq: 2, refBits: 16 });
    const ported = partsOf(encodeSubmit({ recipient: '+1', text: 'z'.repeat(300), ports: { dest: 1, src: 2 } }));
    assert.deepEqual(ported.map((p) => p.text.length), [148, 148, 4]);
    assert.ok(ported.every((p) => p.pdu.udh?.ports?.dest === 1));
  });

  it('never splits an escape sequence: a € that would straddle the cut moves to the next part', () => {
    const text = 'a'.repeat(152) + '€' + 'b'.repeat(10);
    const parts = partsOf(encodeSubmit({ recipient: '+1', text }));
    assert.deepEqual(parts.map((p) => p.text), ['a'.repeat(152), '€' + 'b'.repeat(10)]);
  });

  it('never splits a surrogate pair: an emoji that would straddle the cut moves to the next part', () => {
    const text = 'a'.repeat(66) + '😀' + 'b'.repeat(10);
    const parts = partsOf(encodeSubmit({ recipient: '+1', text }));
    assert.deepEqual(parts.map((p) => p.text), ['a'.repeat(66), '😀' + 'b'.repeat(10)]);
  });

  it('a random reference when none is given, the same in every part', () => {
    const parts = partsOf(encodeSubmit({ recipient: '+1', text: 'q'.repeat(400) }));
    const refs = new Set(parts.map((p) => p.concat?.ref));
    assert.equal(refs.size, 1);
    const [ref] = refs;
    assert.ok(Number.isInteger(ref) && ref! >= 0 && ref! <= 255);
  });

  it('more than 255 parts is an error', () => {
    assert.throws(() => encodeSubmit({ recipient: '+1', text: 'x'.repeat(153 * 255 + 1) }), /needs 256 parts: a concatenated message has at most 255/);
    assert.equal(encodeSubmit({ recipient: '+1', text: 'x'.repeat(153 * 255), concatRef: 1 }).length, 255);
  });

  it('encodeDeliverParts: the simulator\'s long incoming message, in parts that decode and join', () => {
    const text = 'Über {braces} and ~tildes~ in GSM-7. '.repeat(12);
    assert.equal(septetLength(text), 12 * 41);
    const parts = partsOf(encodeDeliverParts({ sender: '+447700900123', text, timestamp: when, ref: 300 }));
    assert.equal(parts.length, 4, '492 septets at 152 a part (16-bit reference)');
    assert.ok(parts.every((p) => p.pdu.encoding === 'gsm7'));
    assert.ok(parts.every((p, i) => p.concat?.ref === 300 && p.concat.refBits === 16 && p.concat.seq === i + 1 && p.concat.total === parts.length));
    assert.equal(parts.map((p) => p.text).join(''), text);
    // Short enough for one: no header at all.
    const one = partsOf(encodeDeliverParts({ sender: '+447700900123', text: 'short', timestamp: when, ref: 5 }));
    assert.equal(one.length, 1);
    assert.equal(one[0]!.pdu.udh, undefined);
  });
});

describe('encoding errors say what was wrong', () => {
  it('text with no GSM-7 form when GSM-7 is asked for', () => {
    assert.throws(() => encodeSubmit({ recipient: '+1', text: 'naïve', encoding: 'gsm7' }), (e: unknown) => e instanceof SmsPduError && /"ï" \(U\+00EF\) at index 2/.test(e.message));
  });

  it('UCS-2 when asked for, even for ASCII', () => {
    const pdu = decodePdu(encodeSubmit({ recipient: '+1', text: 'abc', encoding: 'ucs2' })[0]!.hex);
    assert.equal(pdu.encoding, 'ucs2');
    assert.equal(pdu.text, 'abc');
  });

  it('inconsistent or missing payloads', () => {
    assert.throws(() => encodeSubmit({ recipient: '+1', text: 'a', data: new Uint8Array(1) }), /give text or data, not both/);
    assert.throws(() => encodeSubmit({ recipient: '+1' }), /nothing to send/);
    assert.throws(() => encodeSubmit({ recipient: '+1', text: 'a', encoding: '8bit' }), /pass data \(a Uint8Array\), not text/);
    assert.throws(() => encodeSubmit({ recipient: '+1', data: new Uint8Array(1), encoding: 'ucs2' }), /data is sent as 8-bit/);
  });

  it('bad numbers and out-of-range fields', () => {
    assert.throws(() => encodeSubmit({ recipient: 'Alice', text: 'a' }), /recipient "Alice" is not a phone number/);
    assert.throws(() => encodeSubmit({ recipient: '+1', text: 'a', smsc: 'SMSC' }), /SMSC "SMSC" is not a phone number/);
    assert.throws(() => encodeSubmit({ recipient: '+1', text: 'a', reference: 256 }), /reference \(TP-MR\) 256 is not an octet/);
    assert.throws(() => encodeSubmit({ recipient: '+1', text: 'x'.repeat(200), concatRef: 256 }), /reference 256 is not 0–255 \(8-bit\)/);
    assert.throws(() => encodeDeliver({ sender: '+1', text: 'a', timestamp: when, tzOffsetMinutes: 10 }), /10 minutes is not a whole number of quarter hours/);
  });

  it('encodeDeliver refuses a payload that does not fit one PDU, pointing at encodeDeliverParts', () => {
    assert.throws(() => encodeDeliver({ sender: '+1', text: 'x'.repeat(161), timestamp: when }), /user data takes 161 septets: one message holds at most 160: encodeDeliverParts splits a long message/);
    assert.throws(
      () => encodeDeliver({ sender: '+1', text: 'x'.repeat(154), timestamp: when, concat: { ref: 1, total: 2, seq: 1, refBits: 8 } }),
      /user data takes 161 septets/,
    );
  });
});
