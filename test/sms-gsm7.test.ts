/**
 * The character layer of the SMS codec against other projects' vectors: ModemManager's GSM 03.38
 * tests (packing with the fill-bit offset after a UDH, the whole default and extension tables)
 * and python-gsmmodem's GSM-7 and UCS-2 cases. The corpora are read in place.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SmsPduError } from '../drivers/modem/errors.js';
import { fromSeptets, isGsm7, packSeptets, septetLength, toSeptets, unpackSeptets } from '../drivers/modem/sms/gsm7.js';
import { bytesToHex, hexToBytes } from '../drivers/modem/sms/hex.js';
import { decodeUcs2, encodeUcs2 } from '../drivers/modem/sms/ucs2.js';

const corpus = (name: string) => JSON.parse(readFileSync(new URL(`../../shared/corpora/${name}`, import.meta.url), 'utf8'));
const mm = corpus('modemmanager_gsm7_charset.json') as { vectors: Record<string, any>[] };
const py = corpus('python_gsmmodem_pdu.json') as Record<string, any[]>;

const hex = (a: ArrayLike<number>) => bytesToHex(a);
const septetsOf = (h: string) => Array.from(hexToBytes(h));

describe('GSM-7: ModemManager charset vectors', () => {
  it('has the vectors this suite knows how to run', () => {
    assert.equal(mm.vectors.length, 14);
  });

  // Every vector is dispatched on its op; an op this suite does not know fails.
  for (const v of mm.vectors) {
    it(`${v.test} (${v.op})`, () => {
      switch (v.op) {
        case 'unpack':
          assert.equal(hex(unpackSeptets(hexToBytes(v.packed_hex), v.n_septets, v.bit_offset)), v.expected_septets_hex);
          return;
        case 'pack': {
          const packed = packSeptets(septetsOf(v.septets_hex), v.bit_offset);
          if (v.expected_packed_hex !== undefined) assert.equal(hex(packed), v.expected_packed_hex);
          else assert.equal(packed.length, v.expected_packed_len);
          // And back, from the septet count as TP-UDL would give it.
          assert.equal(hex(unpackSeptets(packed, v.septets_hex.length / 2, v.bit_offset)), v.septets_hex);
          return;
        }
        case 'utf8->gsm->utf8 roundtrip': {
          const septets = toSeptets(v.text);
          assert.ok(septets.every((s) => s >= 0 && s <= 0x7f));
          assert.equal(fromSeptets(septets), v.text);
          assert.equal(septetLength(v.text), septets.length);
          assert.ok(isGsm7(v.text));
          return;
        }
        case 'ucs2 hex string <-> utf8':
          assert.equal(hex(encodeUcs2(v.utf8)), v.ucs2_hex);
          assert.equal(decodeUcs2(hexToBytes(v.ucs2_hex)), v.utf8);
          return;
        case 'gsm bytes -> utf8':
          assert.equal(fromSeptets(septetsOf(v.gsm_hex)), v.utf8);
          assert.equal(hex(toSeptets(v.utf8)), v.gsm_hex);
          return;
        default:
          assert.fail(`unknown op ${v.op} in ${v.test}`);
      }
    });
  }

  it('the default-alphabet string is the table in code order: 0x00–0x7F without the escape', () => {
    const v = mm.vectors.find((x) => x.test === 'test_gsm7_default_chars')!;
    const expected = Array.from({ length: 128 }, (_, i) => i).filter((i) => i !== 0x1b);
    assert.deepEqual(toSeptets(v.text), expected);
  });

  it('the extension characters are the escape pairs at the end of the all-characters vector', () => {
    const ext = mm.vectors.find((x) => x.test === 'test_gsm7_extended_chars')!;
    const all = mm.vectors.find((x) => x.test === 'test_gsm7_unpack_all_chars')!;
    assert.equal(hex(toSeptets(ext.text)), all.expected_septets_hex.slice(128 * 2));
    assert.equal(fromSeptets(septetsOf(all.expected_septets_hex)).slice(-10), ext.text);
  });
});

describe('GSM-7 and UCS-2: python-gsmmodem vectors', () => {
  for (const v of py.gsm7!) {
    it(`${JSON.stringify(v.text)}: septets ${v.septets_hex}, packed ${v.packed_hex}`, () => {
      const septets = toSeptets(v.text);
      assert.equal(hex(septets), v.septets_hex);
      assert.equal(septetLength(v.text), septets.length);
      assert.equal(hex(packSeptets(septets)), v.packed_hex);
      const back = unpackSeptets(hexToBytes(v.packed_hex), septets.length);
      assert.equal(fromSeptets(back), v.text);
    });
  }

  it('gsm7_invalid[0]: text with no GSM-7 form is refused, naming the first character and where it is', () => {
    const v = py.gsm7_invalid![0]!;
    assert.equal(isGsm7(v.text), false);
    assert.throws(() => toSeptets(v.text), (e: unknown) => e instanceof SmsPduError && e.code === 'SMS_PDU_INVALID' && /"世" \(U\+4E16\) at index 0/.test(e.message));
    assert.throws(() => septetLength(v.text), /"世" \(U\+4E16\) at index 0/);
  });

  it('gsm7_invalid[1]: upstream can drop unencodable characters; we never drop text silently', () => {
    // python-gsmmodem's discard_invalid mode turns "a世界b您c好！" into "abc". Losing characters
    // without saying so is not something an SMS codec should offer: toSeptets refuses and names
    // the first one, and encodeSubmit sends such text as UCS-2 instead.
    const v = py.gsm7_invalid![1]!;
    assert.equal(v.discard_invalid, true);
    assert.throws(() => toSeptets(v.text), /"世" \(U\+4E16\) at index 1/);
    // The septets upstream expects are what the encodable characters alone give.
    const kept = Array.from(v.text as string).filter((c) => isGsm7(c)).join('');
    assert.equal(hex(toSeptets(kept)), v.septets_hex);
  });

  for (const v of py.ucs2!) {
    it(`UCS-2 ${JSON.stringify(v.text)} is ${v.ucs2_hex}`, () => {
      assert.equal(hex(encodeUcs2(v.text)), v.ucs2_hex);
      assert.equal(decodeUcs2(hexToBytes(v.ucs2_hex)), v.text);
    });
  }
});

describe('GSM-7: what the spec says about odd input', () => {
  it('an escape followed by a code the extension table lacks shows the default-table character (TS 23.038 6.2.1.1)', () => {
    assert.equal(fromSeptets([0x41, 0x1b, 0x41, 0x42]), 'AAB');
    assert.equal(fromSeptets([0x1b, 0x00]), '@');
  });

  it('escape-escape and a lone trailing escape each show as a space', () => {
    assert.equal(fromSeptets([0x41, 0x1b, 0x1b, 0x42]), 'A B');
    assert.equal(fromSeptets([0x41, 0x42, 0x1b]), 'AB ');
  });

  it('a septet above 0x7F is not GSM-7', () => {
    assert.throws(() => fromSeptets([0x41, 0x80]), /septet 128 at index 1 is not 0–127/);
  });

  it('ç is not in the alphabet (0x09 is Ç); an emoji names its UTF-16 index', () => {
    assert.equal(isGsm7('Ç'), true);
    assert.equal(isGsm7('ç'), false);
    assert.throws(() => toSeptets('ab😀c'), /"😀" \(U\+1F600\) at index 2/);
  });

  it('extension characters count two septets', () => {
    assert.equal(septetLength('€[]'), 6);
    assert.equal(septetLength('abc'), 3);
    assert.equal(septetLength(''), 0);
  });

  it('packing after every possible number of fill bits round-trips, and the fill bits stay zero', () => {
    const septets = toSeptets('Fill bits {0–6}? ΔΦ€@'.replace('–', '-'));
    for (let fill = 0; fill <= 6; fill++) {
      const packed = packSeptets(septets, fill);
      assert.equal(packed.length, Math.ceil((fill + 7 * septets.length) / 8), `fill ${fill}`);
      assert.equal(packed[0]! & ((1 << fill) - 1), 0, `fill ${fill}: the low bits of the first byte are padding`);
      assert.deepEqual(unpackSeptets(packed, septets.length, fill), septets, `fill ${fill}`);
    }
  });

  it('the septet count, not the byte length, decides a trailing @: 7 septets and 8 septets of "@" pack to 7 bytes', () => {
    assert.equal(packSeptets(new Array(7).fill(0)).length, 7);
    assert.equal(packSeptets(new Array(8).fill(0)).length, 7);
    assert.equal(fromSeptets(unpackSeptets(packSeptets(toSeptets('abcdefg@')), 8)), 'abcdefg@');
  });

  it('unpacking more septets than the bytes hold is an error', () => {
    assert.throws(() => unpackSeptets(hexToBytes('C8F71D'), 4), (e: unknown) => e instanceof SmsPduError && /4 septets after 0 fill bits need 4 bytes but only 3 follow/.test(e.message));
  });
});

describe('UCS-2: surrogate pairs and broken input', () => {
  it('an emoji is a surrogate pair, both ways', () => {
    assert.equal(hex(encodeUcs2('a😀')), '0061D83DDE00');
    assert.equal(decodeUcs2(hexToBytes('0061D83DDE00')), 'a😀');
  });

  it('an odd number of bytes is an error', () => {
    assert.throws(() => decodeUcs2(hexToBytes('004100')), (e: unknown) => e instanceof SmsPduError && /3 bytes, an odd number/.test(e.message));
  });

  it('a lone surrogate cannot be encoded, and says where it is', () => {
    assert.throws(() => encodeUcs2('ab\ud83d'), /lone surrogate U\+D83D at index 2/);
    assert.throws(() => encodeUcs2('\ude00x'), /lone surrogate U\+DE00 at index 0/);
  });

  it('half a pair decodes as it is, so parts split mid-emoji join back into the emoji', () => {
    const first = decodeUcs2(hexToBytes('0061D83D'));
    const second = decodeUcs2(hexToBytes('DE000062'));
    assert.equal(first + second, 'a😀b');
  });
});

describe('hex input', () => {
  it('tolerates whitespace anywhere, even inside a byte', () => {
    assert.equal(hex(hexToBytes(' 0a 9 1\n89\t67 ')), '0A918967');
  });

  it('refuses an odd digit count and non-hex characters, saying which', () => {
    assert.throws(() => hexToBytes('0A9'), /3 digits, an odd number/);
    assert.throws(() => hexToBytes('0A9G'), /"G" at position 3: expected hex digits/);
  });
});
