/**
 * The user data header (TS 23.040 9.2.3.24): a length octet (UDHL), then information elements
 * (IEI, length, data). Concatenation (0x00, 0x08) and application ports (0x04, 0x05) are read
 * into fields; every other element is kept as it came.
 *
 * Structure that does not add up (an element running past the header, a header past the user
 * data, a concatenation element of the wrong length) is an error: nothing after it can be
 * trusted. Values the spec tells a receiver to ignore — a concatenation element with 0 parts,
 * part 0, or a part number above the count (9.2.3.24.1) — are ignored as it says: no `concat`,
 * the element stays in `elements`, and `ignored` says why, so the message still reads as a
 * single message rather than being lost.
 */
import { SmsPduError } from '../errors.js';
import type { SmsConcat, SmsPorts, SmsUdh, SmsUdhElement } from './types.js';

export const IEI_CONCAT_8 = 0x00;
export const IEI_PORTS_8 = 0x04;
export const IEI_PORTS_16 = 0x05;
export const IEI_CONCAT_16 = 0x08;

const NAMES: Record<number, string> = {
  [IEI_CONCAT_8]: 'concatenation, 8-bit reference',
  [IEI_PORTS_8]: 'application ports, 8-bit',
  [IEI_PORTS_16]: 'application ports, 16-bit',
  [IEI_CONCAT_16]: 'concatenation, 16-bit reference',
};
const EXPECTED_LENGTH: Record<number, number> = { [IEI_CONCAT_8]: 3, [IEI_PORTS_8]: 2, [IEI_PORTS_16]: 4, [IEI_CONCAT_16]: 4 };

function hex2(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * The header at the start of `ud` (the user data after TP-UDL); `base` is where `ud` starts in
 * the PDU, for error offsets. Returns the header and its length in octets including UDHL.
 */
export function parseUdh(ud: Uint8Array, base = 0): { udh: SmsUdh; length: number } {
  if (ud.length === 0) throw new SmsPduError(`TP-UDHI says a header follows but the user data is empty (byte ${base})`, base);
  const udhl = ud[0]!;
  const end = 1 + udhl;
  if (end > ud.length) {
    throw new SmsPduError(`UDH length says ${udhl} bytes but only ${ud.length - 1} bytes of user data follow it (byte ${base})`, base);
  }
  const udh: SmsUdh = { elements: [] };
  const ignore = (element: SmsUdhElement, why: string) => {
    udh.elements.push(element);
    (udh.ignored ??= []).push(why);
  };
  let i = 1;
  while (i < end) {
    const iei = ud[i]!;
    if (i + 1 >= end) throw new SmsPduError(`UDH element ${hex2(iei)} at byte ${base + i} has no length octet before the header ends`, base + i);
    const len = ud[i + 1]!;
    if (i + 2 + len > end) {
      throw new SmsPduError(`UDH element ${hex2(iei)} says ${len} bytes but only ${end - i - 2} remain in the ${udhl}-byte header (byte ${base + i + 1})`, base + i + 1);
    }
    const data = ud.slice(i + 2, i + 2 + len);
    const element = { iei, data };
    const expected = EXPECTED_LENGTH[iei];
    if (expected !== undefined && len !== expected) {
      throw new SmsPduError(`UDH element ${hex2(iei)} (${NAMES[iei]}) has ${len} bytes (byte ${base + i + 1}): expected ${expected}`, base + i + 1);
    }
    if (iei === IEI_CONCAT_8 || iei === IEI_CONCAT_16) {
      const wide = iei === IEI_CONCAT_16;
      const ref = wide ? (data[0]! << 8) | data[1]! : data[0]!;
      const total = data[wide ? 2 : 1]!;
      const seq = data[wide ? 3 : 2]!;
      if (total === 0 || seq === 0 || seq > total) {
        ignore(element, `concatenation element says part ${seq} of ${total} (byte ${base + i}): ignored as TS 23.040 9.2.3.24.1 says, read as a single message`);
      } else {
        // A repeated element: the last occurrence counts (9.2.3.24); keep the earlier one visible.
        if (udh.concat) ignore(concatElement(udh.concat), `a later concatenation element (byte ${base + i}) replaces this one`);
        udh.concat = { ref, total, seq, refBits: wide ? 16 : 8 };
      }
    } else if (iei === IEI_PORTS_8 || iei === IEI_PORTS_16) {
      if (udh.ports) ignore(portsElement(udh.ports), `a later port element (byte ${base + i}) replaces this one`);
      udh.ports = iei === IEI_PORTS_16 ? { dest: (data[0]! << 8) | data[1]!, src: (data[2]! << 8) | data[3]!, bits: 16 } : { dest: data[0]!, src: data[1]!, bits: 8 };
    } else {
      udh.elements.push(element);
    }
    i += 2 + len;
  }
  return { udh, length: end };
}

function concatElement(c: SmsConcat): SmsUdhElement {
  if (!Number.isInteger(c.total) || c.total < 1 || c.total > 255) throw new SmsPduError(`concatenation total ${c.total} is not 1–255`);
  if (!Number.isInteger(c.seq) || c.seq < 1 || c.seq > c.total) throw new SmsPduError(`concatenation part ${c.seq} is not 1–${c.total}`);
  const max = c.refBits === 16 ? 0xffff : 0xff;
  if (!Number.isInteger(c.ref) || c.ref < 0 || c.ref > max) throw new SmsPduError(`concatenation reference ${c.ref} is not 0–${max} (${c.refBits}-bit)`);
  return c.refBits === 16
    ? { iei: IEI_CONCAT_16, data: Uint8Array.of(c.ref >> 8, c.ref & 0xff, c.total, c.seq) }
    : { iei: IEI_CONCAT_8, data: Uint8Array.of(c.ref, c.total, c.seq) };
}

function portsElement(p: SmsPorts): SmsUdhElement {
  const max = p.bits === 16 ? 0xffff : 0xff;
  for (const [name, v] of [['destination', p.dest], ['source', p.src]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > max) throw new SmsPduError(`${name} port ${v} is not 0–${max} (${p.bits}-bit ports)`);
  }
  return p.bits === 16
    ? { iei: IEI_PORTS_16, data: Uint8Array.of(p.dest >> 8, p.dest & 0xff, p.src >> 8, p.src & 0xff) }
    : { iei: IEI_PORTS_8, data: Uint8Array.of(p.dest, p.src) };
}

/** The header bytes including UDHL: concatenation first, then ports, then `elements` as given. */
export function buildUdh(udh: { concat?: SmsConcat; ports?: SmsPorts; elements?: SmsUdhElement[] }): Uint8Array {
  const elements = [...(udh.concat ? [concatElement(udh.concat)] : []), ...(udh.ports ? [portsElement(udh.ports)] : []), ...(udh.elements ?? [])];
  const length = elements.reduce((n, e) => n + 2 + e.data.length, 0);
  // 140 octets of user data; the header leaves room for at least its own length octet.
  if (length > 139) throw new SmsPduError(`UDH elements take ${length} bytes: a header holds at most 139`);
  const out = new Uint8Array(1 + length);
  out[0] = length;
  let i = 1;
  for (const e of elements) {
    if (e.data.length > 255 || e.iei < 0 || e.iei > 255) throw new SmsPduError(`UDH element ${e.iei} with ${e.data.length} bytes: expected IEI 0–255 and at most 255 bytes`);
    out[i] = e.iei;
    out[i + 1] = e.data.length;
    out.set(e.data, i + 2);
    i += 2 + e.data.length;
  }
  return out;
}

/** Fill bits between a header of `udhBytes` octets (including UDHL) and GSM-7 text, so the text starts on a septet boundary. */
export function udhFillBits(udhBytes: number): number {
  return (7 - ((udhBytes * 8) % 7)) % 7;
}

/** Septets a header of `udhBytes` octets (including UDHL) takes out of TP-UDL in GSM-7. */
export function udhSeptets(udhBytes: number): number {
  return Math.ceil((udhBytes * 8) / 7);
}
