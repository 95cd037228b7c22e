/**
 * Incoming-call information: the caller's number shown with RING (+CLIP, 3GPP TS 27.007 §7.6)
 * and with a waiting call (+CCWA §7.12), and whether call waiting is on (the AT+CCWA=…,2 answer).
 */
import { badResponse, parseIntField, splitParams, stripPrefix, unquote } from './tokens.js';

/**
 * 27.007 <CLI validity>: 0 valid, 1 withheld by the caller, 2 not available (interworking),
 * 3 payphone, 4 not available for another reason.
 */
export type CliValidity = 'valid' | 'withheld' | 'unavailable' | 'payphone' | 'other';

const VALIDITY: readonly CliValidity[] = ['valid', 'withheld', 'unavailable', 'payphone', 'other'];

export interface CallerId {
  /** The number as sent, with '+' added when <type> says international (145) and it was missing. */
  number: string;
  /** Type of address octet (TS 24.008 §10.5.4.7): 129 unknown/national, 145 international. */
  type: number;
  alpha?: string;
  validity?: CliValidity;
}

export interface Clip extends CallerId {
  subaddress?: string;
  subaddressType?: number;
}

export interface Ccwa extends CallerId {
  /** <class> bit set: 1 voice, 2 data, 4 fax, 8 SMS, … */
  class: number;
}

function callerId(number: string | undefined, type: string | undefined, what: string): CallerId {
  const t = parseIntField(type, `<type> of ${what}`);
  let n = unquote(number ?? '');
  if (t === 145 && n !== '' && !n.startsWith('+')) n = `+${n}`;
  return { number: n, type: t };
}

function addOptional(id: CallerId, alpha: string | undefined, validity: string | undefined): void {
  const a = unquote(alpha ?? '');
  if (a !== '') id.alpha = a;
  const v = unquote(validity ?? '');
  if (v === '') return;
  const known = /^\d+$/.test(v) ? VALIDITY[Number(v)] : undefined;
  if (known !== undefined) id.validity = known;
}

/** Reads `+CLIP: <number>,<type>[,<subaddr>,<satype>[,[<alpha>][,<CLI validity>]]]`. */
export function parseClip(line: string): Clip | undefined {
  const body = stripPrefix(line, '+CLIP:');
  if (body === undefined) return undefined;
  const [number, type, subaddr, satype, alpha, validity] = splitParams(body);
  const clip: Clip = callerId(number, type, JSON.stringify(line.trim()));
  const sub = unquote(subaddr ?? '');
  if (sub !== '') clip.subaddress = sub;
  if (satype !== undefined && /^\d+$/.test(satype)) clip.subaddressType = Number(satype);
  addOptional(clip, alpha, validity);
  return clip;
}

/** Reads the URC `+CCWA: <number>,<type>,<class>[,<alpha>][,<CLI validity>[,…]]`. */
export function parseCcwa(line: string): Ccwa | undefined {
  const body = stripPrefix(line, '+CCWA:');
  if (body === undefined) return undefined;
  const what = JSON.stringify(line.trim());
  const [number, type, cls, alpha, validity] = splitParams(body);
  const id = callerId(number, type, what);
  const ccwa: Ccwa = { ...id, class: parseIntField(cls, `<class> of ${what}`) };
  addOptional(ccwa, alpha, validity);
  return ccwa;
}

/**
 * Whether call waiting is on for voice calls, from the answer to AT+CCWA=1,2 — one
 * `+CCWA: <status>,<class>` line per class. Throws when a status is not 0 or 1, or when no line
 * covers voice (class bit 1), since then the answer does not say.
 */
export function parseCcwaQuery(response: string): boolean {
  let voice: boolean | undefined;
  for (const line of response.split(/\r\n|\r|\n/)) {
    const body = stripPrefix(line, '+CCWA:');
    if (body === undefined) continue;
    const what = JSON.stringify(line.trim());
    const [s, c] = splitParams(body);
    const status = parseIntField(s, `<status> of ${what}`);
    const cls = parseIntField(c, `<class> of ${what}`);
    if (status > 1) throw badResponse(`<status> of ${what} is ${status}: expected 0 (off) or 1 (on)`);
    if ((cls & 1) !== 0) voice = status === 1;
  }
  if (voice === undefined) throw badResponse(`AT+CCWA answer ${JSON.stringify(response.trim())} has no line for voice calls (class 1)`);
  return voice;
}
