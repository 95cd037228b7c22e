/**
 * Addresses (TS 23.040 9.1.2.5) and the SMSC field that +CMGR/+CMGL/+CMT put in front of a TPDU
 * (TS 24.011 8.2.5.1, as TS 27.005 3.1 passes it through).
 *
 * The two length conventions differ and are easy to mix up: TP-OA/TP-DA/TP-RA count useful
 * semi-octets (digits, or for alphanumeric addresses the semi-octets the packed text needs),
 * the SMSC field counts octets including the type-of-address octet.
 */
import { SmsPduError } from '../errors.js';
import { fromSeptets, packSeptets, toSeptets, unpackSeptets } from './gsm7.js';
import { PduReader } from './reader.js';
import type { SmsAddress, SmsAddressType } from './types.js';

/** Semi-octet values 0–14 (TS 23.040 9.1.2.3); 15 is the fill. */
const BCD = '0123456789*#abc';
const FILL = 0xf;

const TON: readonly SmsAddressType[] = ['unknown', 'international', 'national', 'network', 'subscriber', 'alphanumeric', 'abbreviated', 'unknown'];

export const TOA_INTERNATIONAL = 0x91;
export const TOA_UNKNOWN = 0x81;
export const TOA_ALPHANUMERIC = 0xd0;

/** Most digits an address holds: 10 octets after the type (TS 23.040 9.1.2.5). */
const MAX_DIGITS = 20;
/** An alphanumeric address packs at most 11 septets into those 10 octets. */
const MAX_ALPHANUMERIC_SEPTETS = 11;

/** The type of number (bits 6–4 of the type-of-address octet); 0b111 is reserved and reads as unknown. */
export function addressType(toa: number): SmsAddressType {
  return TON[(toa >> 4) & 7]!;
}

/**
 * `count` BCD digits, low nibble first. A fill nibble (F) inside the counted digits is accepted
 * when only fill follows it, since some encoders count the fill of an odd-length number.
 */
export function decodeSemiOctets(bytes: Uint8Array, count: number, field = 'semi-octets', offset = 0): string {
  let s = '';
  for (let i = 0; i < count; i++) {
    const b = bytes[i >> 1]!;
    const nibble = i & 1 ? b >> 4 : b & 0xf;
    if (nibble === FILL) {
      for (let j = i + 1; j < count; j++) {
        const bj = bytes[j >> 1]!;
        if ((j & 1 ? bj >> 4 : bj & 0xf) !== FILL) {
          throw new SmsPduError(`${field} digit ${i + 1} of ${count} is the fill nibble F but digits follow it (byte ${offset + (i >> 1)}): expected F only after the last digit`, offset + (i >> 1));
        }
      }
      break;
    }
    s += BCD[nibble]!;
  }
  return s;
}

/** Digits (0-9 * # a b c) → BCD, low nibble first, F-filled to whole octets. */
export function encodeSemiOctets(digits: string): Uint8Array {
  const out = new Uint8Array((digits.length + 1) >> 1).fill(0xff);
  for (let i = 0; i < digits.length; i++) {
    const v = BCD.indexOf(digits[i]!);
    if (v < 0) throw new SmsPduError(`${JSON.stringify(digits)} has ${JSON.stringify(digits[i])} at index ${i}: expected digits 0-9, *, #, a, b, c`);
    const k = i >> 1;
    out[k] = i & 1 ? (out[k]! & 0x0f) | (v << 4) : (out[k]! & 0xf0) | v;
  }
  return out;
}

function toAddress(digitsOrText: string, toa: number): SmsAddress {
  const type = addressType(toa);
  const number = type === 'international' && !digitsOrText.startsWith('+') ? `+${digitsOrText}` : digitsOrText;
  return { number, type, toa };
}

/** Reads TP-OA, TP-DA or TP-RA (length in semi-octets, then the type, then the digits or packed text). */
export function readAddress(r: PduReader, field: string): SmsAddress {
  const start = r.pos;
  const length = r.byte(`${field} length`);
  const toa = r.byte(`${field} type of address`);
  const alphanumeric = addressType(toa) === 'alphanumeric';
  if (length > MAX_DIGITS) {
    throw new SmsPduError(`${field} length says ${length} ${alphanumeric ? 'semi-octets' : 'digits'} (byte ${start}): an address holds at most ${MAX_DIGITS}`, start);
  }
  const unit = alphanumeric ? 'semi-octet' : 'digit';
  const body = r.take((length + 1) >> 1, `the ${length} ${length === 1 ? unit : `${unit}s`} of ${field}`);
  if (alphanumeric) return toAddress(fromSeptets(unpackSeptets(body, Math.floor((length * 4) / 7))), toa);
  return toAddress(decodeSemiOctets(body, length, field, start + 2), toa);
}

/** Reads the SMSC field: length in octets including the type octet, 0 when the modem gave none. */
export function readSmsc(r: PduReader): SmsAddress | undefined {
  const start = r.pos;
  const length = r.byte('the SMSC field');
  if (length === 0) return undefined;
  if (length > 1 + MAX_DIGITS / 2) {
    throw new SmsPduError(
      `SMSC field length says ${length} octets (byte ${start}): it holds at most ${1 + MAX_DIGITS / 2}; does this PDU start without an SMSC field?`,
      start,
    );
  }
  const toa = r.byte('SMSC type of address');
  const body = r.take(length - 1, `the ${length - 1} digit octets of the SMSC field`);
  if (addressType(toa) === 'alphanumeric') return toAddress(fromSeptets(unpackSeptets(body, Math.floor((body.length * 8) / 7))), toa);
  return toAddress(decodeSemiOctets(body, body.length * 2, 'SMSC', start + 2), toa);
}

/** An address field at `offset` of `bytes`, and how many bytes it took. */
export function decodeAddress(bytes: Uint8Array, offset = 0, field = 'address'): { address: SmsAddress; length: number } {
  const r = new PduReader(bytes, offset);
  const address = readAddress(r, field);
  return { address, length: r.pos - offset };
}

/** The SMSC field at `offset` of `bytes` (undefined when its length is 0), and how many bytes it took. */
export function decodeSmsc(bytes: Uint8Array, offset = 0): { address: SmsAddress | undefined; length: number } {
  const r = new PduReader(bytes, offset);
  const address = readSmsc(r);
  return { address, length: r.pos - offset };
}

const DIALLED = /^[0-9*#]+$/;

/**
 * How a number given as text is sent: '+' and digits is international (0x91); digits alone are
 * "unknown" (0x81), as a bare digit string does not say whether it carries a trunk prefix, and
 * the network reads it as dialled; anything else is alphanumeric (0xD0), where allowed.
 */
export function classifyNumber(number: string, field: string, allowAlphanumeric: boolean): { toa: number; digits: string } {
  if (number.startsWith('+') && DIALLED.test(number.slice(1))) return { toa: TOA_INTERNATIONAL, digits: number.slice(1) };
  if (DIALLED.test(number)) return { toa: TOA_UNKNOWN, digits: number };
  if (!allowAlphanumeric || number.length === 0) {
    throw new SmsPduError(`${field} ${JSON.stringify(number)} is not a phone number: expected '+' and digits (international) or digits only, 0-9 * #`);
  }
  return { toa: TOA_ALPHANUMERIC, digits: number };
}

/**
 * TP-OA / TP-DA: '+44…', digits, or (with allowAlphanumeric, for a sender) GSM-7 text of up to
 * 11 septets. A decoded SmsAddress re-encodes with its own type-of-address octet.
 */
export function encodeAddress(address: string | SmsAddress, opts: { allowAlphanumeric?: boolean; field?: string } = {}): Uint8Array {
  const field = opts.field ?? 'address';
  const { toa, digits } =
    typeof address === 'string'
      ? classifyNumber(address, field, opts.allowAlphanumeric === true)
      : { toa: address.toa, digits: addressType(address.toa) === 'alphanumeric' ? address.number : address.number.replace(/^\+/, '') };
  const shown = typeof address === 'string' ? address : address.number;
  if (addressType(toa) === 'alphanumeric') {
    const septets = toSeptets(digits);
    if (septets.length > MAX_ALPHANUMERIC_SEPTETS) {
      throw new SmsPduError(`${field} ${JSON.stringify(shown)} takes ${septets.length} septets: an alphanumeric address holds at most ${MAX_ALPHANUMERIC_SEPTETS}`);
    }
    const packed = packSeptets(septets);
    return Uint8Array.of(Math.ceil((septets.length * 7) / 4), toa, ...packed);
  }
  if (digits.length > MAX_DIGITS) throw new SmsPduError(`${field} ${JSON.stringify(shown)} has ${digits.length} digits: an address holds at most ${MAX_DIGITS}`);
  return Uint8Array.of(digits.length, toa, ...encodeSemiOctets(digits));
}

/** The SMSC field; no number gives the single octet 00, which tells the modem to use its own SMSC. */
export function encodeSmsc(number: string | undefined): Uint8Array {
  if (number === undefined || number === '') return Uint8Array.of(0);
  const { toa, digits } = classifyNumber(number, 'SMSC', false);
  if (digits.length > MAX_DIGITS) throw new SmsPduError(`SMSC ${JSON.stringify(number)} has ${digits.length} digits: the SMSC field holds at most ${MAX_DIGITS}`);
  const bcd = encodeSemiOctets(digits);
  return Uint8Array.of(bcd.length + 1, toa, ...bcd);
}
