/**
 * What the SIM and the modem say about themselves: the lock state (+CPIN, 27.007 §8.3), the
 * attempts left before a PIN or PUK is blocked (standard +CPINR and the vendor commands that came
 * before it), the card's ICCID, the subscriber's IMSI and the modem's IMEI.
 */
import { badResponse, splitParams, stripPrefix, unquote } from './tokens.js';

export type SimLock =
  | 'READY' | 'SIM PIN' | 'SIM PUK' | 'PH-SIM PIN' | 'PH-FSIM PIN' | 'PH-FSIM PUK' | 'SIM PIN2'
  | 'SIM PUK2' | 'PH-NET PIN' | 'PH-NET PUK' | 'PH-NETSUB PIN' | 'PH-NETSUB PUK' | 'PH-SP PIN'
  | 'PH-SP PUK' | 'PH-CORP PIN' | 'PH-CORP PUK';

const LOCKS: ReadonlySet<string> = new Set<SimLock>([
  'READY', 'SIM PIN', 'SIM PUK', 'PH-SIM PIN', 'PH-FSIM PIN', 'PH-FSIM PUK', 'SIM PIN2', 'SIM PUK2',
  'PH-NET PIN', 'PH-NET PUK', 'PH-NETSUB PIN', 'PH-NETSUB PUK', 'PH-SP PIN', 'PH-SP PUK',
  'PH-CORP PIN', 'PH-CORP PUK',
]);

const isLock = (s: string): s is SimLock => LOCKS.has(s);

/**
 * The lock a `+CPIN: <code>` answer reports (the prefix may be missing and the code quoted, as
 * some firmware sends it). `undefined` for a code 27.007 does not define, and for anything else —
 * a "+CME ERROR: 10" in place of the answer says no lock state, it says the SIM is missing.
 */
export function parseCpin(line: string): SimLock | undefined {
  const body = stripPrefix(line, '+CPIN:') ?? line.trim();
  const code = unquote(body).toUpperCase();
  return isLock(code) ? code : undefined;
}

export interface PinRetries {
  pin?: number;
  puk?: number;
  pin2?: number;
  puk2?: number;
}

type Counter = keyof PinRetries;
const BY_CODE: ReadonlyMap<string, Counter> = new Map<string, Counter>([
  ['SIM PIN', 'pin'], ['SIM PUK', 'puk'], ['SIM PIN2', 'pin2'], ['SIM PUK2', 'puk2'],
]);

const count = (field: string | undefined): number | undefined => {
  const t = unquote(field ?? '');
  return /^\d+$/.test(t) ? Number.parseInt(t, 10) : undefined;
};

// Vendor answers with one count per position, in the order each vendor documents.
const POSITIONAL: ReadonlyArray<readonly [prefix: string, order: readonly (Counter | null)[]]> = [
  ['^CPIN:', [null, null, 'puk', 'pin', 'puk2', 'pin2']], // Huawei: <code>,[<times>],<puk>,<pin>,<puk2>,<pin2>
  ['+SPIC:', ['pin', 'puk', 'pin2', 'puk2']], // SIMCom
  ['+UPINCNT:', ['pin', 'pin2', 'puk', 'puk2']], // u-blox
];

/**
 * Attempts left, from any of: `+CPINR: SIM PIN,3,10` (27.007, one line per code),
 * `^CPIN: SIM PIN,,10,3,10,3` (Huawei), `+QPINC: "SC",3,10` (Quectel, "SC" = PIN1, "P2" = PIN2),
 * `+SPIC: 3,10,3,10` (SIMCom), `+UPINCNT: 3,3,10,10` (u-blox). `undefined` when no line is one of them.
 */
export function parsePinRetries(response: string): PinRetries | undefined {
  const out: PinRetries = {};
  let seen = false;
  for (const line of response.split(/\r\n|\r|\n/)) {
    const cpinr = stripPrefix(line, '+CPINR:');
    if (cpinr !== undefined) {
      const [code, retries] = splitParams(cpinr);
      const key = BY_CODE.get(unquote(code ?? '').toUpperCase());
      const n = count(retries);
      if (key !== undefined && n !== undefined) [out[key], seen] = [n, true];
      continue;
    }
    const qpinc = stripPrefix(line, '+QPINC:');
    if (qpinc !== undefined) {
      const [facility, pin, puk] = splitParams(qpinc);
      const which = unquote(facility ?? '').toUpperCase();
      const keys = which === 'SC' ? (['pin', 'puk'] as const) : which === 'P2' ? (['pin2', 'puk2'] as const) : undefined;
      if (keys === undefined) continue;
      const [a, b] = [count(pin), count(puk)];
      if (a !== undefined) [out[keys[0]], seen] = [a, true];
      if (b !== undefined) [out[keys[1]], seen] = [b, true];
      continue;
    }
    for (const [prefix, order] of POSITIONAL) {
      const body = stripPrefix(line, prefix);
      if (body === undefined) continue;
      splitParams(body).forEach((field, i) => {
        const key = order[i];
        const n = count(field);
        if (key && n !== undefined) [out[key], seen] = [n, true];
      });
    }
  }
  return seen ? out : undefined;
}

// "+CCID: 8944…", "^ICCID: …", "+QCCID: …", "ICCID: …": the value is what follows the colon.
const stripAnyPrefix = (raw: string) => raw.trim().replace(/^[+^#$%!*]?[A-Za-z]+:\s*/, '').trim();

/**
 * The ICCID (ITU-T E.118) a modem reports, as 19 or 20 characters. Accepts it quoted or not,
 * with the nibble-swapped BCD of a raw EF_ICCID read (recognised by its leading "98", the swapped
 * form of the "89" every ICCID starts with), and with the trailing 'F' that pads a 19-digit one.
 * Some operators (China Mobile) use hex digits in the account part, so A–F are kept there.
 * Throws when the value cannot be an ICCID.
 */
export function parseIccid(raw: string): string {
  const value = unquote(stripAnyPrefix(raw)).toUpperCase();
  const shown = JSON.stringify(raw.trim());
  if (!/^[0-9A-F]+$/.test(value)) throw badResponse(`ICCID ${shown} has characters other than hex digits: expected 19 or 20 digits`);
  if (value.length !== 19 && value.length !== 20) throw badResponse(`ICCID ${shown} has ${value.length} digits: expected 19 or 20`);
  let iccid = value;
  if (value.startsWith('98') && value.length === 20) {
    iccid = value.replace(/(.)(.)/g, '$2$1');
  }
  if (iccid.endsWith('F')) iccid = iccid.slice(0, -1);
  if (!iccid.startsWith('89')) throw badResponse(`ICCID ${shown} does not start with the telecom major industry identifier 89`);
  // Issuer identifier (MII, country, issuer) is decimal; only the account part may hold hex.
  if (!/^\d{6}[0-9A-F]+$/.test(iccid) || /F/.test(iccid.slice(-1))) {
    throw badResponse(`ICCID ${shown} has a hex digit in its issuer number or an 'F' before its end: expected decimal digits there`);
  }
  return iccid;
}

/** The IMSI from an AT+CIMI answer: 6 to 15 digits (3GPP TS 23.003 §2.2). Throws otherwise. */
export function parseImsi(raw: string): string {
  const value = unquote(stripAnyPrefix(raw));
  if (!/^\d{6,15}$/.test(value)) throw badResponse(`IMSI ${JSON.stringify(raw.trim())} is not 6 to 15 digits (TS 23.003 §2.2)`);
  return value;
}

/**
 * The IMEI from an AT+CGSN answer: 15 digits, or the 16 of an IMEISV. The check digit is not
 * verified: development modules ship with IMEIs that fail it, and it identifies nothing less for that.
 */
export function parseImei(raw: string): string {
  const value = unquote(stripAnyPrefix(raw));
  if (!/^\d{15,16}$/.test(value)) throw badResponse(`IMEI ${JSON.stringify(raw.trim())} is not 15 digits (or 16 for an IMEISV)`);
  return value;
}
