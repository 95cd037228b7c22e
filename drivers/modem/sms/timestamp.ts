/**
 * Service-centre time stamps (TS 23.040 9.2.3.11) and validity periods (9.2.3.12).
 *
 * A time stamp is seven octets of swapped BCD: year, month, day, hour, minute, second, zone.
 * The zone counts quarter hours; the sign is bit 3 of its first (tens) semi-octet, i.e. bit 3 of
 * the raw octet once the nibbles are swapped back. The fields are the sender's local time, so a
 * decoded stamp is the instant (a Date) plus that offset, which a Date alone would lose.
 */
import { SmsPduError } from '../errors.js';
import { PduReader } from './reader.js';
import type { SmsValidity } from './types.js';

const MINUTE = 60_000;

/** Two-digit years: SMS did not exist before 1990, so 90–99 are the 1990s and the rest 2000–2089. */
function fullYear(yy: number): number {
  return yy >= 90 ? 1900 + yy : 2000 + yy;
}

/** A swapped-BCD octet (low nibble is the tens digit) → 0–99, or -1 when a nibble is not a digit. */
function swappedBcd(b: number): number {
  const tens = b & 0x0f;
  const units = b >> 4;
  return tens > 9 || units > 9 ? -1 : tens * 10 + units;
}

function toSwappedBcd(n: number): number {
  return ((n % 10) << 4) | Math.floor(n / 10);
}

/** The zone octet as it is in the PDU → minutes east of UTC. */
export function decodeTz(octet: number): number {
  const tens = octet & 0x07;
  const units = octet >> 4;
  if (units > 9) throw new SmsPduError(`time zone octet 0x${hex2(octet)} has the non-digit ${units} for its units: expected swapped BCD quarter hours`);
  const quarters = tens * 10 + units;
  return (octet & 0x08 ? -quarters : quarters) * 15;
}

/** Minutes east of UTC → the zone octet. Only whole quarter hours are expressible. */
export function encodeTz(minutes: number): number {
  if (!Number.isInteger(minutes / 15) || Math.abs(minutes) > 79 * 15) {
    throw new SmsPduError(`time zone offset ${minutes} minutes is not a whole number of quarter hours within ±19:45`);
  }
  const q = Math.abs(minutes) / 15;
  return toSwappedBcd(q) | (minutes < 0 ? 0x08 : 0);
}

function hex2(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

const FIELDS = [
  ['year', 0, 99],
  ['month', 1, 12],
  ['day', 1, 31],
  ['hour', 0, 23],
  ['minute', 0, 59],
  ['second', 0, 59],
] as const;

/** Reads seven octets as a time stamp; `field` names it in errors (TP-SCTS, TP-DT, TP-VP). */
export function readScts(r: PduReader, field: string): { time: Date; tzOffsetMinutes: number } {
  const start = r.pos;
  const b = r.take(7, field);
  const v: number[] = [];
  for (let i = 0; i < 6; i++) {
    const [name, min, max] = FIELDS[i]!;
    const n = swappedBcd(b[i]!);
    if (n < min || n > max) {
      const what = n < 0 ? `0x${hex2(b[i]!)}, not two BCD digits` : String(n);
      throw new SmsPduError(`${field} ${name} is ${what} (byte ${start + i}): expected ${min}–${max}`, start + i);
    }
    v.push(n);
  }
  let tz: number;
  try {
    tz = decodeTz(b[6]!);
  } catch (err) {
    throw new SmsPduError(`${field} ${(err as Error).message} (byte ${start + 6})`, start + 6, { cause: err });
  }
  const [yy, month, day, hour, minute, second] = v as [number, number, number, number, number, number];
  const year = fullYear(yy);
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(local).getUTCDate() !== day) throw new SmsPduError(`${field} date ${year}-${month}-${day} does not exist (byte ${start + 2})`, start + 2);
  return { time: new Date(local - tz * MINUTE), tzOffsetMinutes: tz };
}

/** Seven time-stamp octets at `offset` of `bytes`. */
export function decodeScts(bytes: Uint8Array, offset = 0): { time: Date; tzOffsetMinutes: number } {
  return readScts(new PduReader(bytes, offset), 'time stamp');
}

/** An instant and the offset to show it in → the seven octets. */
export function encodeScts(time: Date, tzOffsetMinutes = 0): Uint8Array {
  if (Number.isNaN(time.getTime())) throw new SmsPduError('time stamp is an invalid Date: expected a real instant');
  const tz = encodeTz(tzOffsetMinutes);
  const local = new Date(time.getTime() + tzOffsetMinutes * MINUTE);
  const year = local.getUTCFullYear();
  if (year < 1990 || year > 2089) throw new SmsPduError(`time stamp year ${year} cannot be sent: two-digit SMS years cover 1990–2089`);
  return Uint8Array.of(
    toSwappedBcd(year % 100),
    toSwappedBcd(local.getUTCMonth() + 1),
    toSwappedBcd(local.getUTCDate()),
    toSwappedBcd(local.getUTCHours()),
    toSwappedBcd(local.getUTCMinutes()),
    toSwappedBcd(local.getUTCSeconds()),
    tz,
  );
}

/** "2011-01-09T10:26:26+01:00": the instant in the sender's own offset, to the second. */
export function isoWithOffset(time: Date, tzOffsetMinutes: number): string {
  const local = new Date(time.getTime() + tzOffsetMinutes * MINUTE).toISOString().slice(0, 19);
  const a = Math.abs(tzOffsetMinutes);
  const sign = tzOffsetMinutes < 0 ? '-' : '+';
  return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** TP-VP relative format (9.2.3.12.1) → seconds. */
export function relativeValiditySeconds(tpvp: number): number {
  if (!Number.isInteger(tpvp) || tpvp < 0 || tpvp > 255) throw new SmsPduError(`relative TP-VP ${tpvp} is not an octet 0–255`);
  if (tpvp <= 143) return (tpvp + 1) * 5 * 60;
  if (tpvp <= 167) return 12 * 3600 + (tpvp - 143) * 30 * 60;
  if (tpvp <= 196) return (tpvp - 166) * 86_400;
  return (tpvp - 192) * 7 * 86_400;
}

/** Seconds → the smallest relative TP-VP that lasts at least that long (63 weeks at most). */
export function relativeValidityTpvp(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) throw new SmsPduError(`validity ${seconds} seconds is not a duration: expected 0 or more seconds`);
  // The scale is monotonic and has 256 steps: a scan is simpler than inverting four formulas.
  for (let tpvp = 0; tpvp <= 255; tpvp++) if (relativeValiditySeconds(tpvp) >= seconds) return tpvp;
  throw new SmsPduError(`validity ${seconds} seconds is longer than 63 weeks (${relativeValiditySeconds(255)} s), the longest relative TP-VP`);
}

/** TP-VPF: bits 4–3 of the SMS-SUBMIT first octet. */
export const VPF = { none: 0b00, enhanced: 0b01, relative: 0b10, absolute: 0b11 } as const;

/** Reads TP-VP in the format TP-VPF names. */
export function readValidity(r: PduReader, vpf: number): SmsValidity | undefined {
  switch (vpf) {
    case VPF.none:
      return undefined;
    case VPF.relative: {
      const tpvp = r.byte('TP-VP (relative)');
      return { kind: 'relative', seconds: relativeValiditySeconds(tpvp), tpvp };
    }
    case VPF.absolute: {
      const { time, tzOffsetMinutes } = readScts(r, 'TP-VP (absolute)');
      return { kind: 'absolute', time, tzOffsetMinutes };
    }
    default:
      return enhancedValidity(r.take(7, 'TP-VP (enhanced)'));
  }
}

/**
 * Enhanced format (9.2.3.12.3): a functionality indicator (extension octets may follow it),
 * then relative (as TP-VP), seconds 0–255, or hh:mm:ss in swapped BCD. Reserved formats keep
 * only the raw octets: a receiver needs them for nothing but display.
 */
function enhancedValidity(raw: Uint8Array): SmsValidity {
  const fi = raw[0]!;
  const singleShot = (fi & 0x40) !== 0;
  let i = 1;
  // Extension octets (bit 7 of the indicator, then of each one) come before the period itself.
  if (fi & 0x80) {
    while (i < raw.length) {
      const ext = raw[i++]!;
      if (!(ext & 0x80)) break;
    }
  }
  const copy = raw.slice();
  const format = fi & 0x07;
  const at = (k: number) => (i + k < raw.length ? raw[i + k]! : -1);
  let seconds: number | undefined;
  if (format === 1 && at(0) >= 0) seconds = relativeValiditySeconds(at(0));
  else if (format === 2 && at(0) >= 0) seconds = at(0);
  else if (format === 3 && at(2) >= 0) {
    const [h, m, s] = [swappedBcd(at(0)), swappedBcd(at(1)), swappedBcd(at(2))];
    if (h >= 0 && m >= 0 && s >= 0) seconds = h * 3600 + m * 60 + s;
  }
  return seconds === undefined ? { kind: 'enhanced', raw: copy, singleShot } : { kind: 'enhanced', raw: copy, seconds, singleShot };
}

/** What a sender may ask for: a duration (rounded up to a TP-VP step), a raw TP-VP, or an instant. */
export type ValidityRequest = { seconds: number } | { tpvp: number } | { time: Date; tzOffsetMinutes?: number };

export function encodeValidity(v: ValidityRequest | undefined): { vpf: number; bytes: Uint8Array } {
  if (v === undefined) return { vpf: VPF.none, bytes: new Uint8Array(0) };
  if ('time' in v) return { vpf: VPF.absolute, bytes: encodeScts(v.time, v.tzOffsetMinutes ?? 0) };
  if ('tpvp' in v) {
    relativeValiditySeconds(v.tpvp); // validates the octet
    return { vpf: VPF.relative, bytes: Uint8Array.of(v.tpvp) };
  }
  return { vpf: VPF.relative, bytes: Uint8Array.of(relativeValidityTpvp(v.seconds)) };
}
