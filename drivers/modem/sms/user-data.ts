/**
 * TP-UDL and TP-UD (TS 23.040 9.2.3.16, 9.2.3.24): the length counts septets for GSM-7 and
 * octets otherwise, header included. In GSM-7 the text after a header starts on the next septet
 * boundary, so fill bits sit between them; counting the text from the UDL in septets (rather than
 * from the remaining bytes) is what keeps a trailing '@' from being mistaken for padding.
 */
import { SmsPduError } from '../errors.js';
import type { DcsInfo } from './dcs.js';
import { fromSeptets, packSeptets, unpackSeptets } from './gsm7.js';
import type { PduReader } from './reader.js';
import type { SmsEncoding, SmsUdh } from './types.js';
import { decodeUcs2 } from './ucs2.js';
import { parseUdh, udhFillBits, udhSeptets } from './udh.js';

export const MAX_SEPTETS = 160;
export const MAX_OCTETS = 140;

export interface DecodedUserData {
  text?: string;
  data?: Uint8Array;
  udh?: SmsUdh;
}

export function readUserData(r: PduReader, udhi: boolean, dcs: DcsInfo): DecodedUserData {
  const udlAt = r.pos;
  const udl = r.byte('TP-UDL');
  const septets = dcs.encoding === 'gsm7';
  const unit = septets ? 'septets' : 'octets';
  const max = septets ? MAX_SEPTETS : MAX_OCTETS;
  const byteCount = septets ? Math.ceil((udl * 7) / 8) : udl;
  if (r.remaining < byteCount) {
    throw new SmsPduError(`TP-UDL says ${udl} ${unit} but only ${r.remaining} ${r.remaining === 1 ? 'byte' : 'bytes'} of user data ${r.remaining === 1 ? 'follows' : 'follow'} (byte ${udlAt})`, udlAt);
  }
  if (udl > max) throw new SmsPduError(`TP-UDL says ${udl} ${unit} (byte ${udlAt}): user data holds at most ${max}`, udlAt);
  const base = r.pos;
  const ud = r.take(byteCount, 'TP-UD');
  const out: DecodedUserData = {};
  let h = 0;
  if (udhi) {
    if (udl === 0) throw new SmsPduError(`TP-UDHI says a header follows but TP-UDL is 0 (byte ${udlAt})`, udlAt);
    const parsed = parseUdh(ud, base);
    out.udh = parsed.udh;
    h = parsed.length;
  }
  if (septets) {
    const headerSeptets = h === 0 ? 0 : udhSeptets(h);
    if (headerSeptets > udl) {
      throw new SmsPduError(`TP-UDL says ${udl} septets but the ${h}-byte header alone takes ${headerSeptets} (byte ${udlAt})`, udlAt);
    }
    out.text = fromSeptets(unpackSeptets(ud.subarray(h), udl - headerSeptets, h === 0 ? 0 : udhFillBits(h)));
    return out;
  }
  const body = ud.subarray(h);
  if (dcs.encoding === 'ucs2') {
    if (body.length % 2 !== 0) {
      throw new SmsPduError(`UCS-2 text has ${body.length} bytes, an odd number (byte ${base + h}): expected two per character`, base + h);
    }
    out.text = decodeUcs2(body);
  } else {
    out.data = body.slice();
  }
  return out;
}

/**
 * TP-UDL and TP-UD from a header (with its UDHL octet, or none) and a body of septets (gsm7)
 * or octets (8bit, ucs2). Throws when they do not fit in one message.
 */
export function buildUserData(encoding: SmsEncoding, body: ArrayLike<number>, udh?: Uint8Array): { udl: number; bytes: Uint8Array } {
  const h = udh?.length ?? 0;
  let udl: number;
  let payload: Uint8Array;
  if (encoding === 'gsm7') {
    udl = (h === 0 ? 0 : udhSeptets(h)) + body.length;
    if (udl > MAX_SEPTETS) throw new SmsPduError(`user data takes ${udl} septets: one message holds at most ${MAX_SEPTETS}`);
    payload = packSeptets(body, h === 0 ? 0 : udhFillBits(h));
  } else {
    udl = h + body.length;
    if (udl > MAX_OCTETS) throw new SmsPduError(`user data takes ${udl} octets: one message holds at most ${MAX_OCTETS}`);
    payload = Uint8Array.from(body);
  }
  const bytes = new Uint8Array(h + payload.length);
  if (udh) bytes.set(udh);
  bytes.set(payload, h);
  return { udl, bytes };
}
