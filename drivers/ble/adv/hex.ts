/**
 * Hex text for advertising bytes. People paste adverts from btmon, nRF Connect or a log: with
 * spaces, colons or dashes between bytes, sometimes a leading 0x. Those separators are dropped;
 * anything else that is not a hex digit is an error naming where it is.
 */
import { VigilError } from '../../../runtime/errors.js';

/** "00" … "ff", so turning bytes into text is a table lookup per byte rather than toString(16) and padding. */
export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[0x41 + i] = 10 + i;
  NIBBLE[0x61 + i] = 10 + i;
}

function isSeparator(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x3a /* : */ || c === 0x2d /* - */;
}

/** Hex text that is not hex. Callers that have an error type of their own wrap it (AdvertBuildError, CliError). */
export class HexError extends VigilError {
  constructor(message: string) {
    super('HEX_INVALID', message);
  }
}

/**
 * Bytes from hex text. `what` names the value in the error ("serviceData[0].data", "<adv>").
 * Throws HexError: callers wrap it in the error type their layer uses.
 */
export function parseHex(text: string, what: string): Buffer {
  let start = 0;
  while (start < text.length && isSeparator(text.charCodeAt(start))) start++;
  if (text.charCodeAt(start) === 0x30 && (text.charCodeAt(start + 1) | 0x20) === 0x78) start += 2;
  const out = Buffer.allocUnsafe((text.length - start) >> 1);
  let n = 0;
  let high = -1;
  let digits = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? NIBBLE[c]! : -1;
    if (v < 0) {
      if (isSeparator(c)) continue;
      throw new HexError(`${what} ${JSON.stringify(text)} is not hex: ${JSON.stringify(text[i])} at position ${i}; expected digits 0-9 and a-f (spaces, colons and a leading 0x are allowed)`);
    }
    digits++;
    if (high < 0) high = v;
    else {
      out[n++] = (high << 4) | v;
      high = -1;
    }
  }
  if (high >= 0) throw new HexError(`${what} ${JSON.stringify(text)} has ${digits} hex digits, an odd number: expected two per byte`);
  return out.subarray(0, n);
}

/** Lower-case hex without separators. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
