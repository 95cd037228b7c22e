/**
 * The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 6.2.1), and septet
 * packing (6.1.2.1). Septets are alphabet code points 0x00–0x7F, not ASCII: 0x00 is '@',
 * 0x10 is 'Δ'; an extension character is the escape 0x1B followed by its code.
 *
 * National language shift tables are not supported: a PDU that uses them carries a UDH element
 * (0x24/0x25) the caller can see, and its text decodes through the default tables.
 */
import { SmsPduError } from '../errors.js';

export const GSM7_ESCAPE = 0x1b;

// Index = septet. The escape position holds a placeholder that decoding never emits.
const DEFAULT_TABLE =
  '@£$¥èéùìòÇ\nØø\rÅå' +
  'Δ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ' +
  ' !"#¤%&\'()*+,-./' +
  '0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmno' +
  'pqrstuvwxyzäöñüà';

/** Code (after the escape) → character. */
const EXTENSION_TABLE: ReadonlyMap<number, string> = new Map([
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
]);

const DECODE: string[] = Array.from(DEFAULT_TABLE);
const DECODE_EXT: (string | undefined)[] = Array.from({ length: 128 }, (_, i) => EXTENSION_TABLE.get(i));

/** Character code point → septet, or 0x100 | code for an extension character. */
const ENCODE = new Map<number, number>();
DECODE.forEach((ch, septet) => {
  if (septet !== GSM7_ESCAPE) ENCODE.set(ch.codePointAt(0)!, septet);
});
for (const [code, ch] of EXTENSION_TABLE) ENCODE.set(ch.codePointAt(0)!, 0x100 | code);

function unencodable(text: string, index: number): SmsPduError {
  const cp = text.codePointAt(index)!;
  const ch = String.fromCodePoint(cp);
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return new SmsPduError(`${JSON.stringify(ch)} (U+${hex}) at index ${index} is in neither the GSM 7-bit default alphabet nor its extension table: send it as UCS-2`);
}

/** Text → septets (an extension character becomes two). Throws naming the first character that has no code. */
export function toSeptets(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    const code = ENCODE.get(cp);
    if (code === undefined) throw unencodable(text, i);
    if (code > 0xff) out.push(GSM7_ESCAPE, code & 0x7f);
    else out.push(code);
    if (cp > 0xffff) i++;
  }
  return out;
}

/**
 * Septets → text. Per TS 23.038: an escape followed by a code the extension table does not
 * define shows the default-table character for that code; escape-escape (reserved for a further
 * table) shows a space, as does a lone escape at the very end ("display it as a space").
 */
export function fromSeptets(septets: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < septets.length; i++) {
    const v = septets[i]!;
    if (v > 0x7f || v < 0) throw new SmsPduError(`septet ${v} at index ${i} is not 0–127: not GSM 7-bit text`);
    if (v !== GSM7_ESCAPE) {
      s += DECODE[v]!;
      continue;
    }
    if (i + 1 >= septets.length) {
      s += ' ';
      break;
    }
    const code = septets[++i]!;
    if (code > 0x7f || code < 0) throw new SmsPduError(`septet ${code} at index ${i} is not 0–127: not GSM 7-bit text`);
    s += code === GSM7_ESCAPE ? ' ' : (DECODE_EXT[code] ?? DECODE[code]!);
  }
  return s;
}

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!ENCODE.has(ch.codePointAt(0)!)) return false;
  return true;
}

/** Septets the text takes (extension characters count two). Throws like toSeptets when it has no GSM-7 form. */
export function septetLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    const code = ENCODE.get(cp);
    if (code === undefined) throw unencodable(text, i);
    n += code > 0xff ? 2 : 1;
  }
  return n;
}

/**
 * Packs septets LSB first (TS 23.038 6.1.2.1.1). `fillBits` zero bits come first, as after a
 * UDH, so that the text starts on a septet boundary of the whole user data.
 */
export function packSeptets(septets: ArrayLike<number>, fillBits = 0): Uint8Array {
  if (!Number.isInteger(fillBits) || fillBits < 0 || fillBits > 6) throw new RangeError(`fillBits ${fillBits} is not 0–6`);
  const out = new Uint8Array(Math.ceil((fillBits + 7 * septets.length) / 8));
  let bit = fillBits;
  for (let i = 0; i < septets.length; i++) {
    const v = septets[i]!;
    if (v > 0x7f || v < 0 || !Number.isInteger(v)) throw new RangeError(`septet ${v} at index ${i} is not 0–127`);
    const byte = bit >> 3;
    const shift = bit & 7;
    out[byte]! |= (v << shift) & 0xff;
    if (shift > 1) out[byte + 1]! |= v >> (8 - shift);
    bit += 7;
  }
  return out;
}

/**
 * Unpacks `count` septets; the count must come from TP-UDL, since the byte length cannot tell a
 * trailing '@' (0x00) from padding. Throws when the bytes hold fewer than `count` septets.
 */
export function unpackSeptets(bytes: Uint8Array, count: number, fillBits = 0): number[] {
  if (!Number.isInteger(fillBits) || fillBits < 0 || fillBits > 6) throw new RangeError(`fillBits ${fillBits} is not 0–6`);
  const needed = Math.ceil((fillBits + 7 * count) / 8);
  if (needed > bytes.length) throw new SmsPduError(`${count} septets after ${fillBits} fill bits need ${needed} bytes but only ${bytes.length} follow`, -1);
  const out = new Array<number>(count);
  let bit = fillBits;
  for (let i = 0; i < count; i++) {
    const byte = bit >> 3;
    const shift = bit & 7;
    let v = bytes[byte]! >> shift;
    if (shift > 1) v |= bytes[byte + 1]! << (8 - shift);
    out[i] = v & 0x7f;
    bit += 7;
  }
  return out;
}
