/**
 * +CREG / +CGREG / +CEREG lines (TS 27.007 §7.2, §10.1.20, §10.1.22): the same <stat> and
 * location fields for the CS, PS and EPS domains, with <n> deciding what a URC carries —
 * 1: the stat; 2: plus area code and cell id as quoted hex, and the access technology.
 */
import type { Domain, Registration } from './state.js';
import { isRegistered } from './state.js';

export const REG_PREFIX: Record<Domain, string> = { cs: '+CREG', ps: '+CGREG', eps: '+CEREG' };

export function regSettingKey(domain: Domain): 'creg' | 'cgreg' | 'cereg' {
  return domain === 'cs' ? 'creg' : domain === 'ps' ? 'cgreg' : 'cereg';
}

/** GSM cells have 16-bit ids; UTRAN and E-UTRAN 28-bit ones. */
function cellHex(reg: Registration): string {
  const gsm = reg.act === 0 || reg.act === 1 || reg.act === 3;
  return reg.ci.toString(16).toUpperCase().padStart(gsm ? 4 : 8, '0');
}

/** "<stat>" or, with n=2 while registered, "<stat>,"<lac>","<ci>",<AcT>". */
export function regFields(reg: Registration, n: number): string {
  if (n !== 2 || !isRegistered(reg)) return String(reg.stat);
  const lac = reg.lac.toString(16).toUpperCase().padStart(4, '0');
  return `${reg.stat},"${lac}","${cellHex(reg)}",${reg.act}`;
}

/** The answer to AT+CxREG?: <n> comes first, which is how a host tells it from a URC. */
export function regReadLine(domain: Domain, reg: Registration, n: number): string {
  return `${REG_PREFIX[domain]}: ${n},${regFields(reg, n)}`;
}

/** The URC for a change, or undefined when <n> asks for nothing (or nothing it reports changed). */
export function regUrc(domain: Domain, before: Registration, after: Registration, n: number): string | undefined {
  if (n === 0) return undefined;
  if (regFields(before, n) === regFields(after, n)) return undefined;
  return `${REG_PREFIX[domain]}: ${regFields(after, n)}`;
}
