/**
 * decodePdu against every PDU in ModemManager's and python-gsmmodem's test suites (read in
 * place): what they decode must decode the same, what they reject must be rejected, and where
 * an upstream is lenient the stricter answer is asserted and the reason given next to it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SmsPduError } from '../drivers/modem/errors.js';
import { decodePdu } from '../drivers/modem/sms/decode.js';
import { bytesToHex, hexToBytes } from '../drivers/modem/sms/hex.js';
import { isoWithOffset } from '../drivers/modem/sms/timestamp.js';
import type { SmsAddress, SmsPdu } from '../drivers/modem/sms/types.js';

const corpus = (name: string) => JSON.parse(readFileSync(new URL(`../../shared/corpora/${name}`, import.meta.url), 'utf8'));
const mm = corpus('modemmanager_sms_pdu.json') as { parse: any[]; invalid: any[] };
const py = corpus('python_gsmmodem_pdu.json') as { decode: any[]; decode_invalid: any[] };

/** An ISO 8601 string with "+02", "+02:00", "-0530" or "Z" → the instant and offset in minutes. */
function instant(s: string): { ms: number; offset: number } {
  const m = /(?:([+-])(\d{2}):?(\d{2})?|Z)$/.exec(s);
  assert.ok(m, `no zone in ${s}`);
  const offset = m[1] === undefined ? 0 : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
  const full = m[1] !== undefined && m[3] === undefined ? `${s}:00` : s;
  const ms = Date.parse(full);
  assert.ok(!Number.isNaN(ms), `unparseable ${s}`);
  return { ms, offset };
}

function assertTime(time: Date | undefined, offset: number | undefined, expected: string, what: string) {
  const e = instant(expected);
  assert.equal(time?.getTime(), e.ms, `${what}: instant`);
  assert.equal(offset, e.offset, `${what}: offset`);
}

function party(p: SmsPdu): SmsAddress {
  return p.type === 'deliver' ? p.sender : p.recipient;
}

/** Whitespace at awkward places — inside bytes, runs of it, line breaks — must not change the result. */
function messyHex(hex: string): string[] {
  const every3 = hex.match(/.{1,3}/g)!.join(' ');
  const oddBreaks = hex.replace(/(.)(.)/g, '$1\n$2');
  return [every3, oddBreaks, `  ${hex.toLowerCase()}\t\r\n`];
}

const TYPE: Record<string, SmsPdu['type']> = { 'SMS-DELIVER': 'deliver', 'SMS-SUBMIT': 'submit', 'SMS-STATUS-REPORT': 'status-report' };

describe('ModemManager: PDUs that must decode', () => {
  it('has the 14 vectors', () => assert.equal(mm.parse.length, 14));

  // The two vectors that are not SMS-DELIVERs, by their first octet.
  const notDeliver: Record<string, SmsPdu['type']> = { test_pdu_stored_by_us: 'submit', test_pdu_not_stored: 'status-report' };

  mm.parse.forEach((v, i) => {
    it(`${v.test} #${i}`, () => {
      const e = v.expected;
      const pdu = decodePdu(v.pdu_hex);
      assert.equal(pdu.type, notDeliver[v.test] ?? 'deliver');
      assert.equal(pdu.smsc?.number ?? null, e.smsc);
      assert.equal(party(pdu).number, e.number);
      if (e.timestamp === null) assert.equal(pdu.type, 'submit', 'only a SUBMIT has no time stamp');
      else {
        assert.ok(pdu.type !== 'submit');
        assertTime(pdu.timestamp, pdu.tzOffsetMinutes, e.timestamp, 'timestamp');
      }
      assert.equal(pdu.udh?.concat !== undefined, e.should_concat);
      assert.equal(pdu.text ?? null, e.text);
      assert.equal(pdu.data === undefined ? null : bytesToHex(pdu.data), e.data_hex);
      for (const messy of messyHex(v.pdu_hex)) assert.deepEqual(decodePdu(messy), pdu);
      assert.deepEqual(decodePdu(hexToBytes(v.pdu_hex)), pdu);
    });
  });

  const byName = (name: string, n = 0) => decodePdu(mm.parse.filter((v) => v.test === name)[n]!.pdu_hex);

  it('the details those vectors carry beyond the expectations', () => {
    const pdu1 = byName('test_pdu1');
    assert.ok(pdu1.type === 'deliver');
    assert.equal(pdu1.sender.type, 'international');
    assert.equal(pdu1.encoding, 'gsm7');
    assert.equal(pdu1.moreMessagesToSend, false, 'first octet 0x04: TP-MMS set, nothing more waiting');
    const mms = byName('test_pdu3_mms');
    assert.ok(mms.type === 'deliver' && mms.moreMessagesToSend, 'first octet 0x00: more messages waiting');
    const natl = byName('test_pdu3_natl');
    assert.ok(natl.type === 'deliver');
    assert.deepEqual(natl.sender, { number: '18005551212', type: 'unknown', toa: 0x81 }, 'TOA 0x81: type of number unknown, so no "+"');
    assert.equal(byName('test_pdu3_nzpid').pid, 0xff);
    assert.equal(byName('test_pdu_dcsf1').messageClass, 1);
    assert.equal(byName('test_pdu_dcsf_8bit').messageClass, 0);
    assert.equal(byName('test_pdu_dcsf_8bit').encoding, '8bit');
    const alpha = byName('test_pdu2');
    assert.ok(alpha.type === 'deliver');
    assert.deepEqual(alpha.sender, { number: 'InternetSMS', type: 'alphanumeric', toa: 0xd0 });
    assert.equal(alpha.encoding, 'ucs2');
  });

  it('concatenation headers: 16-bit reference with no fill bits, 8-bit reference with one', () => {
    assert.deepEqual(byName('test_pdu_udhi').udh, { concat: { ref: 0x0010, total: 2, seq: 1, refBits: 16 }, elements: [] });
    assert.deepEqual(byName('test_pdu_multipart', 0).udh, { concat: { ref: 0x4c, total: 2, seq: 1, refBits: 8 }, elements: [] });
    assert.deepEqual(byName('test_pdu_multipart', 1).udh, { concat: { ref: 0x4c, total: 2, seq: 2, refBits: 8 }, elements: [] });
  });

  it('the status report without TP-PI: status 0x30 is a service-centre-specific "still trying"', () => {
    const sr = byName('test_pdu_not_stored');
    assert.ok(sr.type === 'status-report');
    assert.equal(sr.reference, 0x5a);
    assert.equal(sr.status, 0x30);
    assert.equal(sr.statusText, 'still trying: service-centre specific (0x30)');
    assert.equal(sr.delivered, false);
    assertTime(sr.dischargeTime, sr.dischargeTzOffsetMinutes, '2012-09-11T07:40:36+02:00', 'discharge');
    assert.equal(sr.text, undefined);
    assert.equal(sr.pid, undefined);
  });

  it('the SUBMIT we stored ourselves: status report requested, no validity', () => {
    const sub = byName('test_pdu_stored_by_us');
    assert.ok(sub.type === 'submit');
    assert.equal(sub.requestStatusReport, true);
    assert.equal(sub.validity, undefined);
    assert.equal(sub.reference, 0);
  });
});

describe('ModemManager: PDUs that must be rejected', () => {
  // What is wrong with each, in our words: every vector must be listed here.
  const why: Record<string, RegExp> = {
    test_pdu_insufficient_data: /^TP-UDL says 11 septets but only 9 bytes of user data follow \(byte 26\)$/,
    test_pdu_no_address: /^PDU ends before TP-RA type of address \(byte 4\)/,
    test_pdu_wrong_address_size: /^PDU ends before the 1 digit of TP-OA \(byte 4\)/,
    test_pdu_wrong_user_data_elements_size: /^TP-UDHI says a header follows but TP-UDL is 0 \(byte 8\)$/,
    test_pdu_wrong_udh: /^TP-UDHI says a header follows but TP-UDL is 0 \(byte 9\)$/,
  };

  it('has the 5 vectors', () => assert.deepEqual(mm.invalid.map((v) => v.test).sort(), Object.keys(why).sort()));

  for (const v of mm.invalid) {
    it(`${v.test}: ${v.pdu_hex}`, () => {
      assert.throws(
        () => decodePdu(v.pdu_hex),
        (e: unknown) => e instanceof SmsPduError && e.code === 'SMS_PDU_INVALID' && why[v.test]!.test(e.message),
      );
    });
  }
});

describe('python-gsmmodem: decode', () => {
  it('has the 12 vectors', () => assert.equal(py.decode.length, 12));

  /** The upstream expectations this codec deliberately does not share; see each test below. */
  const LENIENT_UDL = '0041010C910661345542F60008A0050003000301306F3044';
  const EIGHT_BIT_AS_TEXT = '0591721891F101000B917228214365F700040C48656C6C6F20776F726C6421';
  const BROKEN_ZTE = '0297F1061C0F910B487228297020F5317062419272803170624192138000';

  for (const v of py.decode.filter((x) => ![LENIENT_UDL, EIGHT_BIT_AS_TEXT, BROKEN_ZTE].includes(x.pdu_hex))) {
    it(`${v.expected.type ?? 'PDU'} ${v.pdu_hex.slice(0, 24)}…`, () => {
      const e = v.expected;
      const pdu = decodePdu(v.pdu_hex);
      for (const [key, value] of Object.entries(e) as [string, any][]) {
        switch (key) {
          case 'type':
            assert.equal(pdu.type, TYPE[value]);
            break;
          case 'smsc':
            assert.equal(pdu.smsc?.number ?? null, value);
            break;
          case 'number':
            assert.equal(party(pdu).number, value);
            break;
          case 'protocol_id':
            assert.equal(pdu.pid, value);
            break;
          case 'time':
            assert.ok(pdu.type !== 'submit');
            assertTime(pdu.timestamp, pdu.tzOffsetMinutes, value, 'time');
            break;
          case 'text':
            assert.equal(pdu.text, value);
            break;
          case 'reference':
            assert.ok(pdu.type !== 'deliver');
            assert.equal(pdu.reference, value);
            break;
          case 'validity':
            assert.ok(pdu.type === 'submit');
            if (typeof value === 'string') {
              assert.ok(pdu.validity?.kind === 'absolute');
              assertTime(pdu.validity.time, pdu.validity.tzOffsetMinutes, value, 'validity');
            } else {
              assert.ok(pdu.validity?.kind === 'relative');
              assert.equal(pdu.validity.seconds, value.timedelta_seconds);
            }
            break;
          case 'udh':
            assert.equal(value.length, 1);
            assert.equal(value[0].iei, 0);
            assert.deepEqual(pdu.udh?.concat, { ref: value[0].data[0], total: value[0].data[1], seq: value[0].data[2], refBits: 8 });
            break;
          default:
            assert.fail(`expectation ${key} is not checked`);
        }
      }
    });
  }

  it('a UDL past the end of the data is rejected; python-gsmmodem tolerates it', () => {
    // The corpus notes that this SUBMIT's TP-UDL (160 octets) overruns the 10 bytes that follow,
    // and that upstream decodes what is there anyway. A length that does not match means the
    // PDU was cut or corrupted on the way, so we refuse it and say by how much.
    const v = py.decode.find((x) => x.pdu_hex === LENIENT_UDL)!;
    assert.equal(v.expected.text, 'はい');
    assert.throws(() => decodePdu(v.pdu_hex), (e: unknown) => e instanceof SmsPduError && /^TP-UDL says 160 octets but only 10 bytes of user data follow \(byte 13\)$/.test(e.message) && e.offset === 13);
  });

  it('8-bit data stays bytes; python-gsmmodem renders it as text', () => {
    // DCS 0x04 is 8-bit data, which has no character set: upstream shows it as Latin-1 text, we
    // hand over the bytes (these happen to be ASCII, which is how its expectation reads).
    const v = py.decode.find((x) => x.pdu_hex === EIGHT_BIT_AS_TEXT)!;
    const pdu = decodePdu(v.pdu_hex);
    assert.equal(pdu.type, TYPE[v.expected.type]);
    assert.equal(pdu.smsc?.number, v.expected.smsc);
    assert.equal(party(pdu).number, v.expected.number);
    assert.equal(pdu.encoding, '8bit');
    assert.equal(pdu.text, undefined);
    assert.equal(Buffer.from(pdu.data!).toString('latin1'), v.expected.text);
  });

  it('the broken ZTE status report decodes; its 0xB digit is "#", not upstream\'s "b"', () => {
    // The corpus marks upstream's number for this report as garbage. The PDU itself is well
    // formed: TP-RA has 15 digits whose first semi-octet is 0xB, which TS 23.040 9.1.2.3 defines
    // as '#' (python-gsmmodem prints the hex digit). Instants and offsets match upstream.
    const v = py.decode.find((x) => x.pdu_hex === BROKEN_ZTE)!;
    const pdu = decodePdu(v.pdu_hex);
    assert.ok(pdu.type === 'status-report');
    assert.equal(v.expected.number, '+b08427829207025');
    assert.deepEqual(pdu.recipient, { number: '+#08427829207025', type: 'international', toa: 0x91 });
    assert.equal(pdu.reference, v.expected.reference);
    assertTime(pdu.timestamp, pdu.tzOffsetMinutes, v.expected.time, 'time');
    assertTime(pdu.dischargeTime, pdu.dischargeTzOffsetMinutes, v.expected.discharge, 'discharge');
    assert.deepEqual(pdu.smsc, { number: '+1', type: 'international', toa: 0x97 });
    assert.equal(pdu.statusText, 'delivered');
  });
});

describe('python-gsmmodem: must be rejected', () => {
  const why = [/first octet 0x43 \(byte 1\) has TP-MTI 3, which is reserved/, /^PDU hex has "S" at position 2: expected hex digits/, /^PDU hex has "S" at position 4: expected hex digits/];
  it('has the 3 vectors', () => assert.equal(py.decode_invalid.length, why.length));
  py.decode_invalid.forEach((v, i) => {
    it(`${v.expect}: ${v.pdu_hex}`, () => {
      assert.throws(() => decodePdu(v.pdu_hex), (e: unknown) => e instanceof SmsPduError && why[i]!.test(e.message));
    });
  });
});

describe('decodePdu: what the corpora do not cover', () => {
  const deliver = '07912143658709F1040B918100551512F20000111010214365000AE8329BFD4697D9EC37';

  it('bytes after what the PDU declares are an error saying how many', () => {
    assert.throws(() => decodePdu(deliver + '0000'), /2 bytes follow the end of the SMS-DELIVER at byte 36: expected nothing after/);
    assert.throws(() => decodePdu(deliver + 'FF'), /1 byte follows the end of the SMS-DELIVER at byte 36/);
  });

  it('every cut-short prefix of a PDU is refused, naming a field', () => {
    const bytes = hexToBytes(deliver);
    for (let n = 1; n < bytes.length; n++) {
      assert.throws(() => decodePdu(bytes.subarray(0, n)), (e: unknown) => e instanceof SmsPduError && /PDU ends before|TP-UDL says/.test(e.message), `first ${n} bytes`);
    }
    assert.throws(() => decodePdu(''), /PDU is empty/);
  });

  it('without the SMSC field when told so', () => {
    const withSmsc = decodePdu(deliver);
    const without = decodePdu(deliver.slice(16), { smsc: false });
    assert.equal(without.smsc, undefined);
    assert.deepEqual({ ...withSmsc, smsc: undefined }, { ...without, smsc: undefined });
    // Read with an SMSC field it has not got, the first octet 0x04 is taken as a 4-octet SMSC: the
    // error shows up later, not as a silently wrong message.
    assert.throws(() => decodePdu(deliver.slice(16)), SmsPduError);
  });

  it('a status report with TP-PI: PID, DCS and user data', () => {
    // MR 0x07, RA +4477, SCTS, DT, ST 0x46, PI 0x07, PID 0, DCS 0, UDL 5 "hello".
    const pdu = decodePdu('00' + '06' + '07' + '04914477' + '11109001626240' + '11109001626240' + '46' + '07' + '00' + '00' + '05E8329BFD06');
    assert.ok(pdu.type === 'status-report');
    assert.equal(pdu.statusText, 'failed: validity period expired');
    assert.equal(pdu.delivered, false);
    assert.equal(pdu.pid, 0);
    assert.equal(pdu.encoding, 'gsm7');
    assert.equal(pdu.text, 'hello');
    assert.equal(isoWithOffset(pdu.dischargeTime, pdu.dischargeTzOffsetMinutes), '2011-01-09T10:26:26+01:00');
  });

  it('a TP-PI that announces fields the PDU lacks is an error', () => {
    assert.throws(() => decodePdu('00' + '06' + '07' + '04914477' + '11109001626240' + '11109001626240' + '00' + '03' + '00'), /PDU ends before TP-DCS \(byte 24\)/);
  });

  it('GSM-7 text whose header takes more septets than TP-UDL is refused', () => {
    // UDHI, UDL 6 septets (6 bytes), but a 6-byte header alone is 7 septets.
    assert.throws(() => decodePdu('00' + '44' + '04914477' + '0000' + '11109001626240' + '06' + '050003170201'), /TP-UDL says 6 septets but the 6-byte header alone takes 7 \(byte 15\)/);
  });

  it('UCS-2 text with an odd number of bytes is refused', () => {
    assert.throws(() => decodePdu('00' + '04' + '04914477' + '0008' + '11109001626240' + '03' + '004100'), /UCS-2 text has 3 bytes, an odd number \(byte 16\)/);
  });
});
