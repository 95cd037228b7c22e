/**
 * Who the simulated modem says it is: the answers to ATI, +CGMI/+CGMM/+CGMR, +CGSN, +CIMI and
 * +CCID. IMEIs carry a Luhn check digit (3GPP TS 23.003 §6.2.1) and drivers may verify it, so a
 * made-up IMEI must be a valid one.
 */
import type { Random } from './random.js';
import { simError } from './sim-error.js';

export interface ModemIdentity {
  manufacturer: string;
  model: string;
  revision: string;
  /** 15 digits, the last one the Luhn check digit. */
  imei: string;
  /** 15 digits: MCC, MNC, MSIN. */
  imsi: string;
  /** 19 or 20 digits starting 89 (ITU-T E.118). */
  iccid: string;
}

/** The Luhn check digit for `digits` (the digit to append). */
export function luhnCheckDigit(digits: string): number {
  if (!/^\d+$/.test(digits)) throw simError(`luhnCheckDigit needs decimal digits, got "${digits}"`);
  let sum = 0;
  // Doubling starts from the rightmost digit of the payload, the one next to the check digit.
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function isValidImei(imei: string): boolean {
  return /^\d{15}$/.test(imei) && luhnCheckDigit(imei.slice(0, 14)) === Number(imei[14]);
}

/**
 * An EC25-like identity. The TAC 86xxxxxx is the range Quectel modules report; the serial part
 * comes from the seed so two simulated modems in one test differ.
 */
export function defaultIdentity(random: Random): ModemIdentity {
  const body = '867698' + random.digits(8);
  const iccidBody = '8944' + '1100' + random.digits(10);
  return {
    manufacturer: 'Quectel',
    model: 'EC25',
    revision: 'EC25EFAR06A09M4G',
    imei: body + String(luhnCheckDigit(body)),
    imsi: '23415' + random.digits(10),
    iccid: iccidBody + String(luhnCheckDigit(iccidBody)),
  };
}

/** Fill in what the caller left out and reject values no real modem would report. */
export function resolveIdentity(given: Partial<ModemIdentity> | undefined, random: Random): ModemIdentity {
  const identity = { ...defaultIdentity(random), ...given };
  if (!isValidImei(identity.imei)) {
    throw simError(`identity.imei "${identity.imei}" is not an IMEI: expected 15 digits ending in a valid Luhn check digit`);
  }
  if (!/^\d{6,15}$/.test(identity.imsi)) {
    throw simError(`identity.imsi "${identity.imsi}" is not an IMSI: expected 6 to 15 digits`);
  }
  if (!/^89\d{17,18}$/.test(identity.iccid)) {
    throw simError(`identity.iccid "${identity.iccid}" is not an ICCID: expected 19 or 20 digits starting with 89`);
  }
  return identity;
}

/** Vendor flavour for the few places where Quectel and SIMCom modules word URCs differently. */
export function vendorOf(identity: ModemIdentity): 'quectel' | 'simcom' | 'other' {
  const m = identity.manufacturer.toLowerCase();
  if (m.includes('quectel')) return 'quectel';
  if (m.includes('simcom')) return 'simcom';
  return 'other';
}
