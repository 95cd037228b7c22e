/**
 * Addresses one at a time: BCD semi-octets, TP-OA/TP-DA (length in digits, alphanumeric senders)
 * and the SMSC field (length in octets), against python-gsmmodem's and ModemManager's vectors
 * (read in place) and TS 23.040 9.1.2.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SmsPduError } from '../drivers/modem/errors.js';
import { decodeAddress, decodeSemiOctets, decodeSmsc, encodeAddress, encodeSemiOctets, encodeSmsc } from '../drivers/modem/sms/address.js';
import { bytesToHex, hexToBytes } from '../drivers/modem/sms/hex.js';

const corpus = (name: string) => JSON.parse(readFileSync(new URL(`../../shared/corpora/${name}`, import.meta.url), 'utf8'));
const py = corpus('python_gsmmodem_pdu.json') as Record<string, any[]>;
const mm = corpus('modemmanager_sms_pdu.json') as Record<string, any[]>;

describe('semi-octets', () => {
  for (const v of py.semi_octets!) {
    it(`${v.digits} ⇄ ${v.encoded_hex}`, () => {
      assert.equal(bytesToHex(encodeSemiOctets(v.digits)), v.encoded_hex);
      assert.equal(decodeSemiOctets(hexToBytes(v.encoded_hex), v.digits.length), v.digits);
    });
  }

  it('* # a b c are the semi-octets A–E and F is the fill (TS 23.040 9.1.2.3)', () => {
    assert.equal(bytesToHex(encodeSemiOctets('*#abc')), 'BADCFE');
    assert.equal(decodeSemiOctets(hexToBytes('BADCFE'), 5), '*#abc');
  });

  it('a fill nibble inside the counted digits ends the number only when nothing but fill follows', () => {
    assert.equal(decodeSemiOctets(hexToBytes('21F3'), 4), '123');
    assert.throws(() => decodeSemiOctets(hexToBytes('F123'), 4, 'TP-OA', 3), /TP-OA digit 2 of 4 is the fill nibble F but digits follow it \(byte 3\)/);
  });

  it('refuses a character that is not a BCD digit', () => {
    assert.throws(() => encodeSemiOctets('12x'), /"12x" has "x" at index 2/);
  });
});

describe('address fields (length in digits)', () => {
  for (const v of py.address_field!) {
    it(`${v.input_hex} → ${v.expected_value}, ${v.bytes_consumed} bytes`, () => {
      const { address, length } = decodeAddress(hexToBytes(v.input_hex));
      assert.equal(address.number, v.expected_value);
      assert.equal(length, v.bytes_consumed);
      // Re-encoding the decoded address (its own type of address) gives the canonical form.
      assert.equal(bytesToHex(encodeAddress(address)), v.canonical_hex);
    });
  }

  it('reads the type of number from the type-of-address octet', () => {
    assert.deepEqual(decodeAddress(hexToBytes('0AA11092997856')).address, { number: '0129998765', type: 'national', toa: 0xa1 });
    assert.deepEqual(decodeAddress(hexToBytes('06D061F118')).address, { number: 'abc', type: 'alphanumeric', toa: 0xd0 });
    assert.deepEqual(decodeAddress(hexToBytes('04810120')).address, { number: '1002', type: 'unknown', toa: 0x81 });
  });

  for (const v of mm.address_encode!.filter((x) => !x.is_smsc)) {
    it(`ModemManager ${v.test}: ${v.address} → ${v.expected_hex}`, () => {
      assert.equal(bytesToHex(encodeAddress(v.address)), v.expected_hex);
    });
  }

  it('an address longer than 20 digits, or cut short, is an error naming the field and byte', () => {
    assert.throws(() => decodeAddress(hexToBytes('1591' + '21'.repeat(11)), 0, 'TP-OA'), /TP-OA length says 21 digits \(byte 0\): an address holds at most 20/);
    assert.throws(() => decodeAddress(hexToBytes('0B91214365'), 0, 'TP-DA'), (e: unknown) => e instanceof SmsPduError && e.offset === 2 && /PDU ends before the 11 digits of TP-DA \(byte 2\): it needs 6 bytes and only 3 are left/.test(e.message));
  });

  it('a recipient must be a number; a sender may be text of up to 11 septets', () => {
    assert.throws(() => encodeAddress('Bob'), /address "Bob" is not a phone number: expected '\+' and digits/);
    assert.throws(() => encodeAddress('TwelveChars!', { allowAlphanumeric: true }), /takes 12 septets: an alphanumeric address holds at most 11/);
    assert.throws(() => encodeAddress('1'.repeat(21)), /has 21 digits: an address holds at most 20/);
  });
});

describe('the SMSC field (length in octets)', () => {
  for (const v of py.smsc_field!) {
    it(`${v.input_hex} → ${v.expected_value}, ${v.bytes_consumed} bytes`, () => {
      const { address, length } = decodeSmsc(hexToBytes(v.input_hex));
      assert.equal(address?.number, v.expected_value);
      assert.equal(length, v.bytes_consumed);
      assert.equal(bytesToHex(encodeSmsc(v.expected_value)), v.canonical_hex);
    });
  }

  for (const v of mm.address_encode!.filter((x) => x.is_smsc)) {
    it(`ModemManager ${v.test}: ${v.address} → ${v.expected_hex}`, () => {
      assert.equal(bytesToHex(encodeSmsc(v.address)), v.expected_hex);
      assert.equal(decodeSmsc(hexToBytes(v.expected_hex)).address?.number, v.address);
    });
  }

  it('length 0 is no SMSC, and encodes as 00', () => {
    assert.deepEqual(decodeSmsc(hexToBytes('00')), { address: undefined, length: 1 });
    assert.equal(bytesToHex(encodeSmsc(undefined)), '00');
  });

  it('a length no SMSC field can have suggests the PDU has none', () => {
    assert.throws(() => decodeSmsc(hexToBytes('4100')), /SMSC field length says 65 octets \(byte 0\): it holds at most 11; does this PDU start without an SMSC field\?/);
  });
});
