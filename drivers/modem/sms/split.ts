/**
 * Turning text or data into the bodies of one or more messages. Long payloads are cut into
 * concatenated parts (TS 23.040 9.2.3.24.1) at character boundaries: an escape sequence
 * (GSM-7 extension character) or a surrogate pair (UCS-2 emoji) is never split, because the
 * receiver decodes each part on its own first.
 */
import { SmsPduError } from '../errors.js';
import { GSM7_ESCAPE, isGsm7, toSeptets } from './gsm7.js';
import type { SmsConcat, SmsEncoding, SmsPorts } from './types.js';
import { encodeUcs2 } from './ucs2.js';
import { buildUdh, udhSeptets } from './udh.js';
import { MAX_OCTETS, MAX_SEPTETS } from './user-data.js';

/** The payload in the units a message counts: septets (gsm7), UTF-16 code units (ucs2), bytes (8bit). */
export interface Payload {
  encoding: SmsEncoding;
  units: number[];
}

/** Text or data, and the encoding asked for (default: GSM-7 when every character has a code, else UCS-2). */
export function preparePayload(opts: { text?: string; data?: Uint8Array; encoding?: SmsEncoding }): Payload {
  if (opts.text !== undefined && opts.data !== undefined) throw new SmsPduError('give text or data, not both');
  if (opts.data !== undefined) {
    if (opts.encoding !== undefined && opts.encoding !== '8bit') throw new SmsPduError(`data is sent as 8-bit, not encoding ${JSON.stringify(opts.encoding)}: pass text for gsm7 or ucs2`);
    return { encoding: '8bit', units: Array.from(opts.data) };
  }
  if (opts.text === undefined) throw new SmsPduError('nothing to send: give text or data');
  const text = opts.text;
  const encoding = opts.encoding ?? (isGsm7(text) ? 'gsm7' : 'ucs2');
  if (encoding === 'gsm7') return { encoding, units: toSeptets(text) };
  if (encoding === 'ucs2') {
    encodeUcs2(text); // throws on a lone surrogate
    return { encoding, units: Array.from({ length: text.length }, (_, i) => text.charCodeAt(i)) };
  }
  throw new SmsPduError('encoding "8bit" sends bytes: pass data (a Uint8Array), not text');
}

/** Units one message holds next to a header of `udhBytes` octets (including UDHL; 0 for none). */
export function capacity(encoding: SmsEncoding, udhBytes: number): number {
  if (encoding === 'gsm7') return MAX_SEPTETS - (udhBytes === 0 ? 0 : udhSeptets(udhBytes));
  const octets = MAX_OCTETS - udhBytes;
  return encoding === 'ucs2' ? Math.floor(octets / 2) : octets;
}

/** May a part end just before unit `i`? Not inside an escape sequence or a surrogate pair. */
function canCutBefore(p: Payload, i: number): boolean {
  if (p.encoding === 'gsm7') {
    // Walk back over the run of escapes: an odd number right before i means i completes a pair.
    let escapes = 0;
    for (let j = i - 1; j >= 0 && p.units[j] === GSM7_ESCAPE; j--) escapes++;
    return escapes % 2 === 0;
  }
  if (p.encoding === 'ucs2') {
    const u = p.units[i]!;
    const prev = p.units[i - 1];
    return !(u >= 0xdc00 && u <= 0xdfff && prev !== undefined && prev >= 0xd800 && prev <= 0xdbff);
  }
  return true;
}

/** The body of each message in units of the payload's encoding, and the concatenation header they share (seq set per part). */
export interface Plan {
  encoding: SmsEncoding;
  chunks: number[][];
  concat?: Omit<SmsConcat, 'seq'>;
}

/**
 * One chunk when the payload fits beside the ports header; otherwise chunks sized for a header
 * with a concatenation element of `refBits` (153 septets, 134 octets or 67 UCS-2 units with an
 * 8-bit reference and no ports).
 */
export function planParts(p: Payload, opts: { ports?: SmsPorts; ref: number | (() => number); refBits: 8 | 16 }): Plan {
  const portsBytes = opts.ports ? buildUdh({ ports: opts.ports }).length : 0;
  if (p.units.length <= capacity(p.encoding, portsBytes)) return { encoding: p.encoding, chunks: [p.units] };
  const concatBytes = buildUdh({ concat: { ref: 0, total: 1, seq: 1, refBits: opts.refBits }, ...(opts.ports && { ports: opts.ports }) }).length;
  const size = capacity(p.encoding, concatBytes);
  const chunks: number[][] = [];
  for (let start = 0; start < p.units.length; ) {
    let end = Math.min(start + size, p.units.length);
    if (end < p.units.length && !canCutBefore(p, end)) end--;
    chunks.push(p.units.slice(start, end));
    start = end;
  }
  if (chunks.length > 255) {
    throw new SmsPduError(`the ${p.encoding} payload of ${p.units.length} units needs ${chunks.length} parts: a concatenated message has at most 255`);
  }
  const ref = typeof opts.ref === 'function' ? opts.ref() : opts.ref;
  return { encoding: p.encoding, chunks, concat: { ref, total: chunks.length, refBits: opts.refBits } };
}

/** A chunk of units → the body octets or septets that buildUserData takes. */
export function chunkBody(encoding: SmsEncoding, chunk: number[]): number[] {
  if (encoding !== 'ucs2') return chunk;
  const out: number[] = [];
  for (const u of chunk) out.push(u >> 8, u & 0xff);
  return out;
}
