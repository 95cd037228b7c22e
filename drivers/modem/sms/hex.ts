/**
 * PDUs travel over AT as hex text. Whitespace is tolerated anywhere (people paste PDUs wrapped
 * or grouped in bytes); anything else that is not a hex digit is an error naming it.
 */
import { SmsPduError } from '../errors.js';

const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[0x41 + i] = 10 + i;
  NIBBLE[0x61 + i] = 10 + i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

export function hexToBytes(input: string): Uint8Array {
  const out = new Uint8Array(input.length >> 1);
  let n = 0;
  let high = -1;
  let digits = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    const v = c < 128 ? NIBBLE[c]! : -1;
    if (v < 0) {
      if (isSpace(c)) continue;
      throw new SmsPduError(`PDU hex has ${JSON.stringify(input[i])} at position ${i}: expected hex digits 0-9 and A-F (whitespace is allowed)`, digits >> 1);
    }
    digits++;
    if (high < 0) high = v;
    else {
      out[n++] = (high << 4) | v;
      high = -1;
    }
  }
  if (high >= 0) throw new SmsPduError(`PDU hex has ${digits} digits, an odd number: expected two per byte`, n);
  return out.subarray(0, n);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

/** Upper case, no separators: the form AT+CMGS and AT+CMGW take. */
export function bytesToHex(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]! & 0xff];
  return s;
}
