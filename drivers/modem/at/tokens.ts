/**
 * The pieces every AT response parser needs: cutting the prefix off an information line and
 * splitting what follows into parameters the way 3GPP TS 27.007 §4 writes them — strings in
 * double quotes (which may hold commas and parentheses), ranges and lists in parentheses, and
 * empty fields for omitted optional parameters.
 *
 * The parsers in this directory return `undefined` for a line that is not theirs and throw
 * `badResponse()` for a line that is theirs but cannot be read, so the engine can offer any line
 * to any parser and still hear about firmware that breaks the format.
 */
import { DriverError } from '../../../runtime/errors.js';

/** A response the modem gave that does not have the form 27.007 (or the vendor) describes. */
export function badResponse(message: string, cause?: unknown): DriverError {
  return new DriverError('modem', message, { code: 'AT_BAD_RESPONSE', cause });
}

/**
 * The text after `prefix` ("+CREG:") with surrounding blanks and line ends removed, or
 * `undefined` when the line does not start with it. Leading blanks and CR/LF before the prefix
 * are allowed because URCs arrive framed as `\r\n+CREG: 1\r\n`.
 */
export function stripPrefix(line: string, prefix: string): string | undefined {
  const start = line.trimStart();
  if (start.slice(0, prefix.length).toUpperCase() !== prefix.toUpperCase()) return undefined;
  return start.slice(prefix.length).trim();
}

/**
 * Splits a parameter list at the commas that are outside quotes and parentheses. Each field is
 * trimmed but otherwise kept as sent (quotes and parentheses included), so callers can tell a
 * quoted "1" (a string) from a bare 1 (a number). An empty input is one empty field, as in
 * `+CMGL: 0,1,,147` where the third field is the omitted <alpha>. An unterminated quote or
 * parenthesis runs to the end of the text; a stray ')' is kept as text.
 */
export function splitParams(s: string): string[] {
  const fields: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      fields.push(s.slice(from, i).trim());
      from = i + 1;
    }
  }
  fields.push(s.slice(from).trim());
  return fields;
}

/**
 * The contents of each top-level field with one level of parentheses removed:
 * `("SM","ME"),"SM"` → `"SM","ME"` and `"SM"` (the shape of +CPMS=? and +CSCS=? answers).
 */
export function splitGroups(s: string): string[] {
  return splitParams(s).map((field) => {
    if (!field.startsWith('(')) return field;
    const inner = field.endsWith(')') ? field.slice(1, -1) : field.slice(1);
    return inner.trim();
  });
}

/** True when the field was sent in double quotes. */
export function isQuoted(field: string): boolean {
  return field.length >= 2 && field.startsWith('"') && field.endsWith('"');
}

/** The field without its surrounding double quotes (a field without quotes is returned trimmed). */
export function unquote(field: string): string {
  const t = field.trim();
  if (isQuoted(t)) return t.slice(1, -1);
  // An opening quote the firmware never closed: keep what follows it.
  if (t.startsWith('"') && t.indexOf('"', 1) < 0) return t.slice(1);
  return t;
}

/** A decimal integer field (leading zeros allowed: Iridium sends `+CREG:002,001`). Throws when it is not one. */
export function parseIntField(field: string | undefined, what: string): number {
  const t = unquote(field ?? '');
  if (!/^\d+$/.test(t)) throw badResponse(`${what} is ${JSON.stringify(field ?? null)}: expected a decimal integer`);
  return Number.parseInt(t, 10);
}

/** Like parseIntField, but an empty or missing field is `undefined` (an omitted optional parameter). */
export function parseOptionalInt(field: string | undefined, what: string): number | undefined {
  if (field === undefined || unquote(field) === '') return undefined;
  return parseIntField(field, what);
}

/** A hexadecimal field such as <lac> or <ci>, quoted or not. Throws when it is not one. */
export function parseHexField(field: string | undefined, what: string): number {
  const t = unquote(field ?? '');
  if (!/^[0-9A-Fa-f]+$/.test(t)) throw badResponse(`${what} is ${JSON.stringify(field ?? null)}: expected hexadecimal digits`);
  return Number.parseInt(t, 16);
}

/** The information lines of a response: split at CR and/or LF, blank lines dropped. */
export function responseLines(response: string | readonly string[]): string[] {
  const text = typeof response === 'string' ? response : response.join('\n');
  return text.split(/\r\n|\r|\n/).map((l) => l.trim()).filter((l) => l !== '');
}

/** The character sets of +CSCS in which a modem may send string parameters. */
export type TeCharset = 'IRA' | 'GSM' | 'UCS2';

// GSM 03.38 default alphabet, indexed by code point: what a modem in +CSCS="GSM" means by each byte.
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
// The extension table, reached through 0x1B (escape).
const GSM_EXTENSION: Readonly<Record<string, string>> = {
  '\n': '\f', '\u0014': '^', '(': '{', ')': '}', '/': '\\', '<': '[', '=': '~', '>': ']', '@': '|', e: '€',
};

/**
 * A string parameter converted from the modem's character set. UCS2 text arrives as hex
 * (four digits per UTF-16 unit); text that is not such hex is returned unchanged, because
 * modems in UCS2 mode still send some fields (often the numeric operator) in plain ASCII.
 */
export function decodeTeString(s: string, charset: TeCharset): string {
  if (charset === 'UCS2') {
    if (s.length === 0 || s.length % 4 !== 0 || !/^[0-9A-Fa-f]+$/.test(s)) return s;
    const units: number[] = [];
    for (let i = 0; i < s.length; i += 4) units.push(Number.parseInt(s.slice(i, i + 4), 16));
    return String.fromCharCode(...units);
  }
  if (charset === 'GSM') {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const code = s.charCodeAt(i);
      if (code === 0x1b && i + 1 < s.length) {
        const next = s[++i] ?? '';
        out += GSM_EXTENSION[next] ?? next;
      } else out += code < 0x80 ? GSM_BASIC[code] ?? s[i] : s[i];
    }
    return out;
  }
  return s;
}
