/**
 * Received messages in text mode (AT+CMGF=1, TS 27.005 3.4.3 / 4.1): a header line such as
 *   +CMGR: "REC UNREAD","+31628870634",,"11/01/09,10:26:26+04"
 *   +CMGL: 1,"REC READ","+31628870634",,"11/01/09,10:26:26+04"
 *   +CMT: "+31628870634",,"11/01/09,10:26:26+04"
 * followed by the body line. With AT+CSDH=1 the header goes on with the type of address, first
 * octet, PID, DCS, SMSC and length. The time zone counts quarter hours, as in a PDU.
 *
 * Text mode hides the header of concatenated messages, so this is for reading what a modem shows,
 * not for reassembly; PDU mode is what vigil itself uses.
 */
import { SmsPduError } from '../errors.js';
import { addressType, TOA_ALPHANUMERIC, TOA_INTERNATIONAL, TOA_UNKNOWN } from './address.js';
import { decodeDcs } from './dcs.js';
import { fromSeptets } from './gsm7.js';
import { hexToBytes } from './hex.js';
import type { SmsAddress, SmsDeliver, SmsEncoding } from './types.js';
import { decodeUcs2 } from './ucs2.js';

/** AT+CSCS: the character set the modem renders text in. */
export type TextCharset = 'GSM' | 'IRA' | 'UCS2' | 'HEX';

export interface TextHeader {
  command: 'CMGR' | 'CMGL' | 'CMT';
  /** Storage index (+CMGL). */
  index?: number;
  /** "REC UNREAD", "REC READ", "STO UNSENT", "STO SENT" (+CMGR, +CMGL). */
  status?: string;
  /** Originating (or, for stored outgoing messages, destination) address as the modem wrote it. */
  address: string;
  /** Phonebook name the modem matched, when it gives one. */
  alpha?: string;
  timestamp?: Date;
  tzOffsetMinutes?: number;
  /** The +CSDH=1 details, when present. */
  toa?: number;
  firstOctet?: number;
  pid?: number;
  dcs?: number;
  smsc?: string;
  smscToa?: number;
  length?: number;
}

/** A text-mode message as an SMS-DELIVER, plus where the modem keeps it. */
export type TextModeMessage = SmsDeliver & { index?: number; status?: string; alpha?: string };

/** Splits on commas outside double quotes; quoted fields lose their quotes, empty ones are ''. */
function fields(s: string): { value: string; quoted: boolean }[] {
  const out: { value: string; quoted: boolean }[] = [];
  let i = 0;
  for (;;) {
    while (s[i] === ' ') i++;
    if (s[i] === '"') {
      const close = s.indexOf('"', i + 1);
      if (close < 0) throw new SmsPduError(`text-mode header ${JSON.stringify(s)} has an unclosed quote at ${i}`);
      out.push({ value: s.slice(i + 1, close), quoted: true });
      i = close + 1;
    } else {
      const comma = s.indexOf(',', i);
      out.push({ value: s.slice(i, comma < 0 ? s.length : comma).trim(), quoted: false });
      i = comma < 0 ? s.length : comma;
    }
    if (i >= s.length) return out;
    if (s[i] !== ',') throw new SmsPduError(`text-mode header ${JSON.stringify(s)} has ${JSON.stringify(s[i])} at ${i}: expected a comma between fields`);
    i++;
  }
}

const TIME = /^(\d{2}|\d{4})\/(\d{2})\/(\d{2}),(\d{2}):(\d{2}):(\d{2})(?:([+-])(\d{1,2}))?$/;

/** "yy/MM/dd,hh:mm:ss±zz" with zz in quarter hours; no zone reads as UTC. */
export function parseTextTimestamp(s: string): { time: Date; tzOffsetMinutes: number } {
  const m = TIME.exec(s);
  if (!m) throw new SmsPduError(`text-mode time stamp ${JSON.stringify(s)} is not "yy/MM/dd,hh:mm:ss±zz"`);
  const [, y, mo, d, h, mi, sec, sign, q] = m as unknown as [string, string, string, string, string, string, string, string?, string?];
  const yy = Number(y);
  const year = y.length === 4 ? yy : yy >= 90 ? 1900 + yy : 2000 + yy;
  const tz = q === undefined ? 0 : (sign === '-' ? -1 : 1) * Number(q) * 15;
  const local = Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  const check = new Date(local);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) {
    throw new SmsPduError(`text-mode time stamp ${JSON.stringify(s)} is not a real date and time`);
  }
  return { time: new Date(local - tz * 60_000), tzOffsetMinutes: tz };
}

function int(s: string | undefined): number | undefined {
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}

export function parseTextHeader(line: string): TextHeader {
  const m = /^\+(CMGR|CMGL|CMT):\s*(.*)$/.exec(line.trim());
  if (!m) throw new SmsPduError(`${JSON.stringify(line)} is not a +CMGR, +CMGL or +CMT header`);
  const command = m[1] as TextHeader['command'];
  const f = fields(m[2]!);
  const header: TextHeader = { command, address: '' };
  let i = 0;
  if (command === 'CMGL') {
    const index = int(f[i++]?.value);
    if (index === undefined) throw new SmsPduError(`+CMGL header ${JSON.stringify(line)} does not start with a storage index`);
    header.index = index;
  }
  if (command !== 'CMT') {
    const status = f[i++];
    if (!status?.quoted) throw new SmsPduError(`${JSON.stringify(line)} has no quoted status ("REC UNREAD", …) where expected`);
    header.status = status.value;
  }
  const address = f[i++];
  if (!address?.quoted) throw new SmsPduError(`${JSON.stringify(line)} has no quoted address where expected`);
  header.address = address.value;
  const alpha = f[i++]?.value;
  if (alpha) header.alpha = alpha;
  // Stored outgoing messages have no time stamp: the next field is then the type of address.
  const ts = f[i];
  if (ts && ts.value !== '' && (ts.quoted || TIME.test(ts.value))) {
    const { time, tzOffsetMinutes } = parseTextTimestamp(ts.value);
    header.timestamp = time;
    header.tzOffsetMinutes = tzOffsetMinutes;
    i++;
  } else if (ts?.value === '') i++;
  const rest = f.slice(i).map((x) => x.value);
  const set = <K extends keyof TextHeader>(key: K, v: TextHeader[K] | undefined) => {
    if (v !== undefined) header[key] = v;
  };
  set('toa', int(rest[0]));
  if (command === 'CMGL') set('length', int(rest[1]));
  else {
    set('firstOctet', int(rest[1]));
    set('pid', int(rest[2]));
    set('dcs', int(rest[3]));
    // A stored SMS-SUBMIT has its validity period before the SMSC (TS 27.005 3.4.3).
    const at = header.status?.startsWith('STO') ? 5 : 4;
    if (rest[at]) header.smsc = rest[at];
    set('smscToa', int(rest[at + 1]));
    set('length', int(rest[at + 2]));
  }
  return header;
}

function decodeBody(body: string, charset: TextCharset): string {
  if (charset === 'IRA') return body;
  if (charset === 'UCS2') return decodeUcs2(hexToBytes(body));
  const codes = charset === 'HEX' ? Array.from(hexToBytes(body)) : Array.from(body, (c) => c.charCodeAt(0));
  const bad = codes.findIndex((c) => c > 0x7f);
  if (bad >= 0) throw new SmsPduError(`text-mode body has code 0x${codes[bad]!.toString(16).toUpperCase()} at ${bad}: not a GSM 7-bit character (is AT+CSCS really ${JSON.stringify(charset)}?)`);
  return fromSeptets(codes);
}

function toAddress(raw: string, toa: number | undefined, charset: TextCharset): SmsAddress {
  const value = charset === 'UCS2' && /^([0-9A-Fa-f]{4})+$/.test(raw) ? decodeUcs2(hexToBytes(raw)) : raw;
  const t = toa ?? (/^\+[0-9*#]+$/.test(value) ? TOA_INTERNATIONAL : /^[0-9*#]*$/.test(value) ? TOA_UNKNOWN : TOA_ALPHANUMERIC);
  const type = addressType(t);
  return { number: type === 'international' && !value.startsWith('+') ? `+${value}` : value, type, toa: t };
}

/**
 * A header (line or parsed) and its body as an SMS-DELIVER. With +CSDH=1 details the DCS says
 * how the body is coded (8-bit and UCS-2 bodies are hex whatever AT+CSCS is, TS 27.005 3.1);
 * without them the over-the-air coding is unknown and `encoding` says how the body came:
 * ucs2 for the UCS2 character set, gsm7 otherwise. Default character set: GSM, as TS 27.007 has it.
 */
export function parseTextModeMessage(header: TextHeader | string, body: string, opts: { charset?: TextCharset } = {}): TextModeMessage {
  const h = typeof header === 'string' ? parseTextHeader(header) : header;
  const charset = opts.charset ?? 'GSM';
  if (h.timestamp === undefined || h.tzOffsetMinutes === undefined) {
    throw new SmsPduError(`text-mode header for ${JSON.stringify(h.address)} (${h.status ?? h.command}) has no time stamp: not a received message`);
  }
  const dcsInfo = h.dcs === undefined ? undefined : decodeDcs(h.dcs);
  let encoding: SmsEncoding;
  const content: { text?: string; data?: Uint8Array } = {};
  if (dcsInfo?.encoding === '8bit') {
    encoding = '8bit';
    content.data = hexToBytes(body);
  } else if (dcsInfo?.encoding === 'ucs2') {
    encoding = 'ucs2';
    content.text = decodeUcs2(hexToBytes(body));
  } else {
    encoding = dcsInfo ? 'gsm7' : charset === 'UCS2' ? 'ucs2' : 'gsm7';
    content.text = decodeBody(body, charset);
  }
  const fo = h.firstOctet ?? 0x04;
  return {
    type: 'deliver',
    ...(h.index !== undefined && { index: h.index }),
    ...(h.status !== undefined && { status: h.status }),
    ...(h.alpha !== undefined && { alpha: h.alpha }),
    ...(h.smsc !== undefined && { smsc: toAddress(h.smsc, h.smscToa, charset) }),
    sender: toAddress(h.address, h.toa, charset),
    timestamp: h.timestamp,
    tzOffsetMinutes: h.tzOffsetMinutes,
    pid: h.pid ?? 0,
    dcs: h.dcs ?? (encoding === 'ucs2' ? 0x08 : 0x00),
    encoding,
    ...(dcsInfo?.messageClass !== undefined && { messageClass: dcsInfo.messageClass }),
    ...content,
    moreMessagesToSend: (fo & 0x04) === 0,
    statusReportIndication: (fo & 0x20) !== 0,
    replyPath: (fo & 0x80) !== 0,
  };
}
