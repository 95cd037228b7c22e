/**
 * Operator selection, 3GPP TS 27.007 §7.3: the answer to AT+COPS? (which network we are on) and
 * to AT+COPS=? (which networks the modem can see).
 *
 * AT+COPS=? answers are where firmware is most creative — missing <AcT>, a stray ')' inside an
 * entry (Sony Ericsson TM-506, Ericsson F3607gw), a missing comma between groups (Sierra EM9191),
 * one entry per "+COPS:" line (Novatel XU870), a line break in the middle (Nokia 2720) — so the
 * test answer is scanned group by group rather than split by a pattern.
 */
import { accessTechFromAct, type AccessTech } from './registration.js';
import { decodeTeString, isQuoted, parseIntField, parseOptionalInt, splitParams, stripPrefix, unquote, type TeCharset } from './tokens.js';

export interface CopsQuery {
  /** 0 automatic, 1 manual, 2 deregistered, 3 (set format only), 4 manual then automatic. */
  mode: number;
  /** How `operator` is written: 0 long name, 1 short name, 2 numeric MCC+MNC. */
  format?: number;
  operator?: string;
  act?: AccessTech;
}

export type NetworkStatus = 'unknown' | 'available' | 'current' | 'forbidden';

export interface CopsNetwork {
  status: NetworkStatus;
  long?: string;
  short?: string;
  /** MCC and MNC as digits ("310410"). */
  numeric?: string;
  /** Absent when the modem predates <AcT> (GSM-only firmware) and did not say. */
  act?: AccessTech;
}

const STATUSES: readonly NetworkStatus[] = ['unknown', 'available', 'current', 'forbidden'];

/** Reads `+COPS: <mode>[,<format>,<oper>[,<AcT>]]`. `charset` is the +CSCS the modem is in. */
export function parseCopsQuery(line: string, charset: TeCharset = 'IRA'): CopsQuery | undefined {
  const body = stripPrefix(line, '+COPS:');
  if (body === undefined || body.startsWith('(')) return undefined;
  const what = `+COPS answer ${JSON.stringify(line.trim())}`;
  const [mode, format, oper, act] = splitParams(body);
  const result: CopsQuery = { mode: parseIntField(mode, `<mode> of ${what}`) };
  const f = parseOptionalInt(format, `<format> of ${what}`);
  if (f !== undefined) result.format = f;
  if (oper !== undefined && unquote(oper) !== '') result.operator = decodeTeString(unquote(oper), charset);
  const a = parseOptionalInt(act, `<AcT> of ${what}`);
  const tech = a === undefined ? undefined : accessTechFromAct(a);
  if (tech !== undefined) result.act = tech;
  return result;
}

/** The parenthesised groups of a test answer, each split into its fields. */
function groups(text: string): string[][] {
  const out: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('(', i);
    if (open < 0) break;
    let quoted = false;
    let j = open + 1;
    for (; j < text.length; j++) {
      const c = text[j];
      if (c === '"') quoted = !quoted;
      else if (!quoted && (c === ')' || c === '(')) break;
    }
    const fields = splitParams(text.slice(open + 1, j));
    i = text[j] === ')' ? j + 1 : j;
    // The TM-506 quirk: (2,"T - Mobile","T - Mobile","310260"),2) — the <AcT> after a stray ')'.
    const stray = fields.length === 4 ? /^,\s*(\d{1,2})\s*\)/.exec(text.slice(i)) : null;
    if (stray) {
      fields.push(stray[1] ?? '');
      i += stray[0].length;
    }
    out.push(fields);
  }
  return out;
}

/**
 * Reads an AT+COPS=? answer (one or several "+COPS:" lines) into the networks it lists, in the
 * modem's order. The trailing groups of supported modes and formats (`,,(0-4),(0-2)`) are not
 * networks and are left out; so is any group without a quoted name or number. Returns `undefined`
 * when the text is not a +COPS answer.
 */
export function parseCopsTest(response: string, charset: TeCharset = 'IRA'): CopsNetwork[] | undefined {
  const lines = response.split(/\r\n|\r|\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0 || stripPrefix(lines[0] ?? '', '+COPS:') === undefined) return undefined;
  const text = lines.map((l) => stripPrefix(l, '+COPS:') ?? l).join('');
  const networks: CopsNetwork[] = [];
  for (const fields of groups(text)) {
    const [stat, long, short, numeric, act] = fields;
    if (fields.length < 4 || !/^\d$/.test(stat ?? '')) continue;
    if (![long, short, numeric].some((f) => f !== undefined && isQuoted(f))) continue;
    const status = STATUSES[Number(stat)];
    if (status === undefined) continue;
    const network: CopsNetwork = { status };
    const str = (f: string | undefined) => {
      const s = unquote(f ?? '');
      return s === '' ? undefined : decodeTeString(s, charset);
    };
    const [l, s, n] = [str(long), str(short), str(numeric)];
    if (l !== undefined) network.long = l;
    if (s !== undefined) network.short = s;
    if (n !== undefined) network.numeric = n;
    const a = act !== undefined && /^\d{1,2}$/.test(act) ? accessTechFromAct(Number(act)) : undefined;
    if (a !== undefined) network.act = a;
    networks.push(network);
  }
  return networks;
}
