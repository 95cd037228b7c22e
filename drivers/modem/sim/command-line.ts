/**
 * Splits the text after "AT" into commands the way V.250 §5.2–5.4 reads a command line: basic
 * commands run together (`E0V1`), S-registers (`S0=2`), `&`-commands, a dial command that takes
 * the rest of the line, and extended commands (`+CMGF=0`, `^SYSINFO`, `$QCPDPP`) separated by `;`.
 * Spaces outside quotes are ignored and names are case-insensitive, as on real modems.
 */
export type CommandKind = 'exec' | 'read' | 'test' | 'set';

export interface AtCommand {
  /** Upper-case: '+CMGF', 'E', '&F', 'S0', 'D'. */
  name: string;
  kind: CommandKind;
  /** Set: the raw text after '=' (quotes kept). Basic: the digits after the letter. Dial: the dial string. */
  args: string;
}

const EXTENDED_PREFIX = '+^$#%*!';

/** The commands of one line (the text after the AT prefix), or undefined when it is not valid syntax. */
export function parseCommandLine(body: string): AtCommand[] | undefined {
  const out: AtCommand[] = [];
  const s = stripSpaces(body);
  let i = 0;
  while (i < s.length) {
    const c = s[i]!.toUpperCase();
    if (c === ';') {
      i++;
      continue;
    }
    if (EXTENDED_PREFIX.includes(c)) {
      let j = i + 1;
      while (j < s.length && /[A-Za-z0-9_.]/.test(s[j]!)) j++;
      if (j === i + 1) return undefined;
      const name = s.slice(i, j).toUpperCase();
      if (s.startsWith('=?', j)) {
        out.push({ name, kind: 'test', args: '' });
        i = j + 2;
      } else if (s[j] === '?') {
        out.push({ name, kind: 'read', args: '' });
        i = j + 1;
      } else if (s[j] === '=') {
        const end = endOfArgs(s, j + 1);
        if (end < 0) return undefined;
        out.push({ name, kind: 'set', args: s.slice(j + 1, end) });
        i = end;
      } else {
        out.push({ name, kind: 'exec', args: '' });
        i = j;
      }
      if (i < s.length && s[i] !== ';') return undefined;
      continue;
    }
    if (c === 'D') {
      // The dial string runs to the end of the line; a trailing ';' makes it a voice call.
      out.push({ name: 'D', kind: 'exec', args: s.slice(i + 1) });
      break;
    }
    if (c === 'S' && /\d/.test(s[i + 1] ?? '')) {
      let j = i + 1;
      while (j < s.length && /\d/.test(s[j]!)) j++;
      const name = 'S' + String(Number(s.slice(i + 1, j)));
      if (s[j] === '?') {
        out.push({ name, kind: 'read', args: '' });
        i = j + 1;
      } else if (s[j] === '=') {
        let k = j + 1;
        while (k < s.length && /\d/.test(s[k]!)) k++;
        out.push({ name, kind: 'set', args: s.slice(j + 1, k) });
        i = k;
      } else return undefined;
      continue;
    }
    const amp = c === '&';
    const letterAt = amp ? i + 1 : i;
    const letter = s[letterAt]?.toUpperCase();
    if (letter === undefined || !/[A-Z]/.test(letter)) return undefined;
    let j = letterAt + 1;
    while (j < s.length && /\d/.test(s[j]!)) j++;
    out.push({ name: (amp ? '&' : '') + letter, kind: 'exec', args: s.slice(letterAt + 1, j) });
    i = j;
  }
  return out;
}

/** Remove spaces outside double quotes. */
function stripSpaces(text: string): string {
  let out = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === ' ' || ch === '\t')) continue;
    out += ch;
  }
  return out;
}

/** Index of the ';' ending an argument list (or the end), -1 when a quote is left open. */
function endOfArgs(s: string, from: number): number {
  let quoted = false;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '"') quoted = !quoted;
    else if (s[i] === ';' && !quoted) return i;
  }
  return quoted ? -1 : s.length;
}

export interface Arg {
  /** Without the quotes. */
  value: string;
  quoted: boolean;
  /** Nothing between the commas. */
  empty: boolean;
}

/** Comma-separated arguments; quotes protect commas. */
export function splitArgs(raw: string): Arg[] {
  if (raw === '') return [];
  const out: Arg[] = [];
  let current = '';
  let quoted = false;
  let wasQuoted = false;
  for (const ch of raw) {
    if (ch === '"') {
      quoted = !quoted;
      wasQuoted = true;
      continue;
    }
    if (ch === ',' && !quoted) {
      out.push({ value: current, quoted: wasQuoted, empty: current === '' && !wasQuoted });
      current = '';
      wasQuoted = false;
      continue;
    }
    current += ch;
  }
  out.push({ value: current, quoted: wasQuoted, empty: current === '' && !wasQuoted });
  return out;
}
