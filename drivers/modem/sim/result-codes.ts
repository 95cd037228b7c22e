/**
 * How a command line ends (V.250 §5.7, TS 27.007 §9.2, TS 27.005 §3.2.5) and how each ending
 * looks on the wire under ATV0/ATV1 and AT+CMEE=0/1/2.
 */
import type { Settings } from './state.js';

export type Final =
  | { kind: 'OK' }
  | { kind: 'ERROR' }
  | { kind: 'CME'; code: number }
  | { kind: 'CMS'; code: number }
  | { kind: 'RESULT'; text: 'CONNECT' | 'NO CARRIER' | 'BUSY' | 'NO ANSWER' | 'NO DIALTONE' };

/** V.250 Table 1: numeric forms of the basic result codes, for ATV0. */
const NUMERIC: Record<string, number> = {
  OK: 0,
  CONNECT: 1,
  RING: 2,
  'NO CARRIER': 3,
  ERROR: 4,
  'NO DIALTONE': 6,
  BUSY: 7,
  'NO ANSWER': 8,
};

const CME_TEXT: Record<number, string> = {
  0: 'phone failure',
  3: 'operation not allowed',
  4: 'operation not supported',
  5: 'PH-SIM PIN required',
  10: 'SIM not inserted',
  11: 'SIM PIN required',
  12: 'SIM PUK required',
  13: 'SIM failure',
  14: 'SIM busy',
  15: 'SIM wrong',
  16: 'incorrect password',
  20: 'memory full',
  21: 'invalid index',
  22: 'not found',
  30: 'no network service',
  31: 'network timeout',
  32: 'network not allowed - emergency calls only',
  100: 'unknown',
};

const CMS_TEXT: Record<number, string> = {
  300: 'ME failure',
  302: 'operation not allowed',
  303: 'operation not supported',
  304: 'invalid PDU mode parameter',
  305: 'invalid text mode parameter',
  310: 'SIM not inserted',
  311: 'SIM PIN required',
  312: 'PH-SIM PIN required',
  313: 'SIM failure',
  314: 'SIM busy',
  316: 'SIM PUK required',
  321: 'invalid memory index',
  322: 'memory full',
  330: 'SMSC address unknown',
  331: 'no network service',
  332: 'network timeout',
  340: 'no +CNMA acknowledgement expected',
  500: 'unknown error',
};

/** The +CMS error an SMS command gets for the card's +CME lock error. */
export function cmsForCme(cme: number): number {
  const map: Record<number, number> = { 5: 312, 10: 310, 11: 311, 12: 316, 13: 313, 14: 314 };
  return map[cme] ?? 500;
}

/** The text of the final result as ATV1 shows it. */
export function finalText(final: Final, settings: Settings): string {
  switch (final.kind) {
    case 'OK':
    case 'ERROR':
      return final.kind;
    case 'RESULT':
      return final.text;
    case 'CME':
    case 'CMS': {
      // AT+CMEE=0 hides the reason behind a bare ERROR, which drivers must cope with.
      if (settings.cmee === 0) return 'ERROR';
      const table = final.kind === 'CME' ? CME_TEXT : CMS_TEXT;
      const detail = settings.cmee === 2 ? (table[final.code] ?? String(final.code)) : String(final.code);
      return `+${final.kind} ERROR: ${detail}`;
    }
  }
}

/** Frame info text for the current ATV setting: `\r\n<text>\r\n` verbose, `<text>\r\n` numeric. */
export function frameInfo(lines: readonly string[], settings: Settings): string {
  const body = lines.join('\r\n') + '\r\n';
  return settings.verbose ? '\r\n' + body : body;
}

/** Frame a result code (final or unsolicited); ATV0 turns the basic ones into digits + CR. */
export function frameResult(text: string, settings: Settings): string {
  if (settings.verbose) return `\r\n${text}\r\n`;
  const numeric = NUMERIC[text];
  return numeric === undefined ? `${text}\r\n` : `${numeric}\r`;
}
