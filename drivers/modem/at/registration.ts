/**
 * Network registration lines — +CREG (circuit switched), +CGREG (GPRS), +CEREG (EPS/LTE) and
 * +C5GREG (5GS), 3GPP TS 27.007 §7.2, §10.1.20–22 — both as the answer to AT+CxREG? (which starts
 * with <n>) and as the URC (which does not).
 *
 * The two forms are told apart by the shape of the fields, not by how the line arrived: firmware
 * such as the Sony Ericsson MD400, Alcatel X220D, Samsung S8500 and Altair LTE put <n> in their
 * URCs too, and the field count alone is ambiguous (`1,0001,0010,0` is <stat>,<lac>,<ci>,<AcT>;
 * `2,0,00,0` is <n>,<stat>,<lac>,<ci>).
 */
import { badResponse, isQuoted, parseIntField, splitParams, unquote } from './tokens.js';

export type RegistrationDomain = 'cs' | 'ps' | 'eps' | '5gs';

export type RegistrationState =
  | 'idle' | 'home' | 'searching' | 'denied' | 'unknown' | 'roaming' | 'home-sms-only'
  | 'roaming-sms-only' | 'emergency-only' | 'home-csfb-not-preferred' | 'roaming-csfb-not-preferred'
  | 'attached-rlos';

/** Radio access technology, from <AcT> (27.007 §7.3) or a vendor report. */
export type AccessTech =
  | 'gsm' | 'gsm-compact' | 'umts' | 'edge' | 'hsdpa' | 'hsupa' | 'hspa' | 'lte' | 'ec-gsm-iot'
  | 'lte-cat-m' | 'lte-nb-iot' | 'lte-5gcn' | '5gnr' | 'lte-nr';

export interface Registration {
  domain: RegistrationDomain;
  /** True when the line has the AT+CxREG? form, i.e. starts with <n>. */
  solicited: boolean;
  /** The unsolicited-result mode (0–5) the modem is set to, when the line says. */
  n?: number;
  state: RegistrationState;
  /** <stat> as sent. */
  stat: number;
  /** Location area code (CS and PS domains). */
  lac?: number;
  /** Tracking area code (EPS and 5GS). */
  tac?: number;
  /** Cell identity. */
  ci?: number;
  act?: AccessTech;
  /** Routing area code (+CGREG <rac>, or the Novatel E362's extra +CEREG field). */
  rac?: number;
  /** <cause_type>,<reject_cause> (n=3): 0 means <reject_cause> is a 24.008/24.301 EMM cause. */
  causeType?: number;
  rejectCause?: number;
}

// <stat> 0–11 in 27.007 order.
const STATES: readonly RegistrationState[] = [
  'idle', 'home', 'searching', 'denied', 'unknown', 'roaming', 'home-sms-only', 'roaming-sms-only',
  'emergency-only', 'home-csfb-not-preferred', 'roaming-csfb-not-preferred', 'attached-rlos',
];

// <AcT> 0–13 in 27.007 §7.3 order. 8 is EC-GSM-IoT in the standard; see accessTechFromAct.
const ACT: readonly AccessTech[] = [
  'gsm', 'gsm-compact', 'umts', 'edge', 'hsdpa', 'hsupa', 'hspa', 'lte', 'ec-gsm-iot', 'lte-nb-iot',
  'lte-5gcn', '5gnr', '5gnr', 'lte-nr',
];

/**
 * The access technology an <AcT> number stands for, or `undefined` for one 27.007 does not define.
 * Quectel BG9x and u-blox SARA-R4 report LTE Cat-M1 as 8, which 27.007 gives to EC-GSM-IoT: a driver
 * for those modules passes `eight: 'lte-cat-m'`.
 */
export function accessTechFromAct(act: number, eight: 'ec-gsm-iot' | 'lte-cat-m' = 'ec-gsm-iot'): AccessTech | undefined {
  if (act === 8) return eight;
  return ACT[act];
}

const DOMAINS: ReadonlyMap<string, RegistrationDomain> = new Map([
  ['+CREG', 'cs'], ['+CGREG', 'ps'], ['+CEREG', 'eps'], ['+C5GREG', '5gs'],
]);

const isBareDigits = (f: string) => !isQuoted(f) && /^\d+$/.test(f);
const looksLikeAreaCode = (f: string) => isQuoted(f) || /[A-Fa-f]/.test(f) || f.length >= 4;

/** Whether the first field is <n>, judged from the shapes of the fields (see the file comment). */
function startsWithN(fields: readonly string[]): boolean {
  if (fields.length === 2) return true; // <n>,<stat>: no URC has exactly two fields
  if (fields.length < 4) return false; // <stat> or <stat>,<lac>,<ci>
  const second = fields[1] ?? '';
  if (!isBareDigits(second) && second !== '') return false; // a quoted or hex <lac>/<tac>
  if (fields.length === 4) {
    // <n>,<stat>,<lac>,<ci> against <stat>,<lac>,<ci>,<AcT>: a quoted, hex or long last field is a <ci>.
    const last = fields[3] ?? '';
    if (looksLikeAreaCode(last)) return true;
  }
  // A <stat> is at most three digits even zero-padded (Iridium's "001"); a four-digit field is a <lac>.
  return second.length <= 3;
}

// An omitted field, or one so garbled (the Gobi 1000's "  0 5") that no number can honestly be read.
function optionalHex(field: string | undefined): number | undefined {
  const t = unquote(field ?? '');
  return /^[0-9A-Fa-f]+$/.test(t) ? Number.parseInt(t, 16) : undefined;
}

function optionalDecimal(field: string | undefined): number | undefined {
  const t = unquote(field ?? '');
  return /^\d+$/.test(t) ? Number.parseInt(t, 10) : undefined;
}

/**
 * Reads one +CREG / +CGREG / +CEREG / +C5GREG line, either form. Returns `undefined` for any other
 * line; throws when <n> or <stat> is not a number 27.007 allows.
 */
export function parseRegistration(line: string): Registration | undefined {
  const m = /^(\+C(?:G|E|5G)?REG):\s*(.*)$/.exec(line.trim());
  const domain = m ? DOMAINS.get(m[1] ?? '') : undefined;
  if (!m || domain === undefined) return undefined;
  const body = (m[2] ?? '').trim();
  const fields = splitParams(body);
  const solicited = startsWithN(fields);
  const rest = solicited ? fields.slice(1) : fields;
  const stat = parseIntField(rest[0], `<stat> in ${JSON.stringify(line.trim())}`);
  const state = STATES[stat];
  if (state === undefined) throw badResponse(`<stat> in ${JSON.stringify(line.trim())} is ${stat}: expected 0 to 11 (27.007 §7.2)`);
  const reg: Registration = { domain, solicited, state, stat };
  if (solicited) {
    const n = parseIntField(fields[0], `<n> in ${JSON.stringify(line.trim())}`);
    reg.n = n;
  }
  const area = optionalHex(rest[1]);
  // Field order after <stat>, per domain. The Novatel E362 sends +CEREG with a <rac> between <tac>
  // and <ci> (five fields after <stat>, a count the standard form never has).
  let ci: string | undefined;
  let act: string | undefined;
  let extra: readonly string[] = [];
  if (domain === 'eps' && rest.length === 5) {
    reg.rac = optionalHex(rest[2]);
    [ci, act] = [rest[3], rest[4]];
  } else {
    [ci, act] = [rest[2], rest[3]];
    extra = rest.slice(4);
  }
  if (domain === 'cs' || domain === 'ps') reg.lac = area;
  else reg.tac = area;
  reg.ci = optionalHex(ci);
  // A vendor field where <AcT> belongs (the S8500's " B") is not an access technology.
  const actNumber = optionalDecimal(act);
  reg.act = actNumber === undefined ? undefined : accessTechFromAct(actNumber);
  if (domain === 'ps') {
    reg.rac ??= optionalHex(extra[0]);
    extra = extra.slice(1);
  } else if (domain === '5gs') {
    extra = extra.slice(2); // <Allowed_NSSAI_length>,<Allowed_NSSAI>
  }
  if (extra.length >= 2) {
    reg.causeType = optionalDecimal(extra[0]);
    reg.rejectCause = optionalDecimal(extra[1]);
  }
  for (const key of Object.keys(reg) as (keyof Registration)[]) if (reg[key] === undefined) delete reg[key];
  return reg;
}
