/**
 * "UCS-2" user data (TS 23.038 6.2.3). Phones really send UTF-16BE, emoji as surrogate pairs,
 * so that is what this reads and writes.
 */
import { SmsPduError } from '../errors.js';

function isHigh(u: number): boolean {
  return u >= 0xd800 && u <= 0xdbff;
}
function isLow(u: number): boolean {
  return u >= 0xdc00 && u <= 0xdfff;
}

/** Text → UTF-16BE. A lone surrogate (half an emoji, usually a bad slice) is an error. */
export function encodeUcs2(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    if (isHigh(u) && isLow(text.charCodeAt(i + 1))) {
      out[2 * i] = u >> 8;
      out[2 * i + 1] = u & 0xff;
      const lo = text.charCodeAt(++i);
      out[2 * i] = lo >> 8;
      out[2 * i + 1] = lo & 0xff;
      continue;
    }
    if (isHigh(u) || isLow(u)) {
      throw new SmsPduError(`text has a lone surrogate U+${u.toString(16).toUpperCase()} at index ${i}: expected a complete UTF-16 string (was an emoji cut in half?)`);
    }
    out[2 * i] = u >> 8;
    out[2 * i + 1] = u & 0xff;
  }
  return out;
}

/**
 * UTF-16BE → text. A lone surrogate is kept as it is rather than replaced: some phones split a
 * surrogate pair across the parts of a concatenated message, and joining the parts mends it.
 */
export function decodeUcs2(bytes: Uint8Array): string {
  if (bytes.length % 2 !== 0) throw new SmsPduError(`UCS-2 user data has ${bytes.length} bytes, an odd number: expected two per character`);
  let s = '';
  for (let i = 0; i < bytes.length; i += 2) s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
  return s;
}
