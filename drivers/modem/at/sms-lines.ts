/**
 * The AT lines around SMS (3GPP TS 27.005 §3): the new-message URCs (+CMTI, +CMT, +CDS, +CDSI),
 * the +CMGL / +CMGR listings in PDU mode, message storages (+CPMS) and the subscriber's own
 * numbers (+CNUM, 27.007 §7.1). The PDUs themselves are returned as hex for the PDU codec to
 * decode; checking a PDU against its <length> needs its SMSC field, which is the codec's business.
 */
import { badResponse, parseIntField, responseLines, splitGroups, splitParams, stripPrefix, unquote } from './tokens.js';

/** Where a message was stored and at which index: `+CMTI: "SM",3` or `+CDSI: "SR",1`. */
export interface StoredMessage {
  storage: string;
  index: number;
}

function stored(line: string, prefix: string): StoredMessage | undefined {
  const body = stripPrefix(line, prefix);
  if (body === undefined) return undefined;
  const [mem, index] = splitParams(body);
  const storage = unquote(mem ?? '').toUpperCase();
  if (storage === '') throw badResponse(`${prefix} line ${JSON.stringify(line.trim())} names no storage: expected "SM", "ME", …`);
  return { storage, index: parseIntField(index, `<index> of ${JSON.stringify(line.trim())}`) };
}

/** A new message stored: `+CMTI: <mem>,<index>`. */
export function parseCmti(line: string): StoredMessage | undefined {
  return stored(line, '+CMTI:');
}

/** A new status report stored: `+CDSI: <mem>,<index>`. */
export function parseCdsi(line: string): StoredMessage | undefined {
  return stored(line, '+CDSI:');
}

/** The header of a routed message; the PDU (or text) is the next line. */
export type CmtHeader =
  | { mode: 'pdu'; alpha?: string; /** TPDU octets, not counting the SMSC field. */ length: number }
  | { mode: 'text'; originator: string; alpha?: string; /** "yy/MM/dd,hh:mm:ss±zz" as sent. */ timestamp: string; length?: number };

/** Reads `+CMT: [<alpha>],<length>` (PDU mode) or `+CMT: <oa>,[<alpha>],<scts>[,…,<length>]` (text mode). */
export function parseCmtHeader(line: string): CmtHeader | undefined {
  const body = stripPrefix(line, '+CMT:');
  if (body === undefined) return undefined;
  const what = JSON.stringify(line.trim());
  const fields = splitParams(body);
  if (fields.length <= 2) {
    const alpha = unquote(fields.length === 2 ? fields[0] ?? '' : '');
    const header: CmtHeader = { mode: 'pdu', length: parseIntField(fields[fields.length - 1], `<length> of ${what}`) };
    if (alpha !== '') header.alpha = alpha;
    return header;
  }
  const [oa, alpha, scts] = fields;
  const header: CmtHeader = { mode: 'text', originator: unquote(oa ?? ''), timestamp: unquote(scts ?? '') };
  if (unquote(alpha ?? '') !== '') header.alpha = unquote(alpha ?? '');
  if (fields.length >= 11) header.length = parseIntField(fields[10], `<length> of ${what}`);
  return header;
}

/** A status report: in PDU mode only its length (the PDU follows); in text mode all of it. */
export type CdsHeader =
  | { mode: 'pdu'; length: number }
  | { mode: 'text'; fo: number; mr: number; recipient?: string; scts: string; dt: string; st: number };

/** Reads `+CDS: <length>` (PDU mode) or `+CDS: <fo>,<mr>,[<ra>],[<tora>],<scts>,<dt>,<st>` (text mode). */
export function parseCdsHeader(line: string): CdsHeader | undefined {
  const body = stripPrefix(line, '+CDS:');
  if (body === undefined) return undefined;
  const what = JSON.stringify(line.trim());
  const fields = splitParams(body);
  if (fields.length === 1) return { mode: 'pdu', length: parseIntField(fields[0], `<length> of ${what}`) };
  if (fields.length < 7) throw badResponse(`+CDS line ${what} has ${fields.length} fields: expected 1 (PDU mode) or 7 (text mode)`);
  const [fo, mr, ra, , scts, dt, st] = fields;
  const header: CdsHeader = {
    mode: 'text', fo: parseIntField(fo, `<fo> of ${what}`), mr: parseIntField(mr, `<mr> of ${what}`),
    scts: unquote(scts ?? ''), dt: unquote(dt ?? ''), st: parseIntField(st, `<st> of ${what}`),
  };
  if (unquote(ra ?? '') !== '') header.recipient = unquote(ra ?? '');
  return header;
}

export interface ListedPdu {
  index: number;
  /** <stat>: 0 received unread, 1 received read, 2 stored unsent, 3 stored sent. */
  stat: number;
  alpha?: string;
  /** TPDU octets as the header says, not counting the SMSC field. */
  length: number;
  /** The PDU in hex, as sent. */
  pdu: string;
}

const HEX = /^[0-9A-Fa-f]+$/;

/**
 * Header fields and PDU of each message in a listing. The PDU normally follows on the next line;
 * some firmware puts it on the header line after a space (`+CMGR: 1,,147 0791…`).
 */
function listing(response: string | readonly string[], prefix: '+CMGL:' | '+CMGR:') {
  const lines = responseLines(response);
  const out: { fields: string[]; pdu: string; header: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const header = lines[i] ?? '';
    const body = stripPrefix(header, prefix);
    if (body === undefined) continue;
    const fields = splitParams(body);
    const inline = /^(\d+)\s+([0-9A-Fa-f]+)$/.exec(fields[fields.length - 1] ?? '');
    if (inline) {
      fields[fields.length - 1] = inline[1] ?? '';
      out.push({ fields, pdu: inline[2] ?? '', header });
      continue;
    }
    const next = lines[i + 1];
    if (next === undefined || !HEX.test(next)) {
      throw badResponse(`${prefix} header ${JSON.stringify(header)} is followed by ${JSON.stringify(next ?? null)}: expected a PDU in hex`);
    }
    out.push({ fields, pdu: next, header });
    i++;
  }
  return out;
}

/** Reads an AT+CMGL answer in PDU mode: `+CMGL: <index>,<stat>,[<alpha>],<length>` then the PDU, per message. */
export function parseCmglPdu(response: string | readonly string[]): ListedPdu[] {
  return listing(response, '+CMGL:').map(({ fields, pdu, header }) => {
    const what = JSON.stringify(header);
    // Pantech firmware leaves out the empty <alpha>: `+CMGL: 17,3,35`.
    const [index, stat, alpha, length] = fields.length >= 4 ? fields : [fields[0], fields[1], '', fields[2]];
    const entry: ListedPdu = {
      index: parseIntField(index, `<index> of ${what}`), stat: parseIntField(stat, `<stat> of ${what}`),
      length: parseIntField(length, `<length> of ${what}`), pdu,
    };
    if (unquote(alpha ?? '') !== '') entry.alpha = unquote(alpha ?? '');
    return entry;
  });
}

/** Reads an AT+CMGR answer in PDU mode: `+CMGR: <stat>,[<alpha>],<length>` then the PDU. `undefined` when there is no +CMGR line. */
export function parseCmgrPdu(response: string | readonly string[]): Omit<ListedPdu, 'index'> | undefined {
  const [first] = listing(response, '+CMGR:');
  if (first === undefined) return undefined;
  const what = JSON.stringify(first.header);
  const [stat, alpha, length] = first.fields.length >= 3 ? first.fields : [first.fields[0], '', first.fields[1]];
  const entry: Omit<ListedPdu, 'index'> = { stat: parseIntField(stat, `<stat> of ${what}`), length: parseIntField(length, `<length> of ${what}`), pdu: first.pdu };
  if (unquote(alpha ?? '') !== '') entry.alpha = unquote(alpha ?? '');
  return entry;
}

/** The storages each of <mem1> (read, delete), <mem2> (write, send) and <mem3> (receive) may be set to. */
export interface CpmsSupport {
  mem1: string[];
  mem2: string[];
  mem3: string[];
}

/** Reads the AT+CPMS=? answer; each list may be parenthesised or a single bare storage. */
export function parseCpmsTest(line: string): CpmsSupport | undefined {
  const body = stripPrefix(line, '+CPMS:');
  if (body === undefined) return undefined;
  const lists = splitGroups(body).map((g) => splitParams(g).map((f) => unquote(f).toUpperCase()).filter((f) => f !== ''));
  if (lists.length < 3) throw badResponse(`+CPMS=? answer ${JSON.stringify(line.trim())} has ${lists.length} lists: expected 3`);
  return { mem1: lists[0] ?? [], mem2: lists[1] ?? [], mem3: lists[2] ?? [] };
}

export interface StorageUse {
  storage: string;
  used: number;
  total: number;
}

/** Reads the AT+CPMS? answer: `+CPMS: <mem1>,<used1>,<total1>,<mem2>,…,<total3>` (one, two or three storages). */
export function parseCpmsQuery(line: string): StorageUse[] | undefined {
  const body = stripPrefix(line, '+CPMS:');
  if (body === undefined) return undefined;
  const fields = splitParams(body);
  const what = JSON.stringify(line.trim());
  if (fields.length % 3 !== 0 || fields.length > 9) throw badResponse(`+CPMS? answer ${what} has ${fields.length} fields: expected 3, 6 or 9`);
  const out: StorageUse[] = [];
  for (let i = 0; i < fields.length; i += 3) {
    out.push({
      storage: unquote(fields[i] ?? '').toUpperCase(),
      used: parseIntField(fields[i + 1], `<used${i / 3 + 1}> of ${what}`),
      total: parseIntField(fields[i + 2], `<total${i / 3 + 1}> of ${what}`),
    });
  }
  return out;
}

export interface OwnNumber {
  alpha?: string;
  number: string;
  /** Type of address: 129 unknown/national, 145 international, 161 national. */
  type: number;
}

/** Reads an AT+CNUM answer, one `+CNUM: [<alpha>],<number>,<type>[,…]` line per number. */
export function parseCnum(response: string | readonly string[]): OwnNumber[] {
  const out: OwnNumber[] = [];
  for (const line of responseLines(response)) {
    const body = stripPrefix(line, '+CNUM:');
    if (body === undefined) continue;
    const [alpha, number, type] = splitParams(body);
    const own: OwnNumber = { number: unquote(number ?? ''), type: parseIntField(type, `<type> of ${JSON.stringify(line)}`) };
    if (unquote(alpha ?? '') !== '') own.alpha = unquote(alpha ?? '');
    out.push(own);
  }
  return out;
}
