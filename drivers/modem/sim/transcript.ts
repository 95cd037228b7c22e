/**
 * Scripted replies from a transcript, in the format of ModemManager's test port files
 * (src/plugins/tests/*.conf): one `COMMAND RESPONSE` pair a line, the response after the first
 * run of spaces with C escapes (`\r\n`, `\"`, `\\`, octal) for what is on the wire; `#` starts a
 * comment. A command that appears more than once answers with its responses in turn, the last
 * one sticking; a command not in the script gets `\r\nERROR\r\n`, as in ModemManager's fake port.
 */
import { simError } from './sim-error.js';

export interface TranscriptEntry {
  command: string;
  response: string;
  /** 1-based line in the transcript text, for error messages. */
  line: number;
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** C-style unescaping as GLib's g_strcompress does it. */
export function unescapeC(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\' || i === text.length - 1) {
      out += c;
      continue;
    }
    const next = text[++i]!;
    if (/[0-7]/.test(next)) {
      let digits = next;
      while (digits.length < 3 && /[0-7]/.test(text[i + 1] ?? '')) digits += text[++i];
      out += String.fromCharCode(parseInt(digits, 8));
    } else {
      out += SIMPLE_ESCAPES[next] ?? next;
    }
  }
  return out;
}

export function parseTranscript(text: string): TranscriptEntry[] {
  const entries: TranscriptEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const space = line.search(/\s/);
    if (space < 0) {
      throw simError(
        `transcript line ${i + 1} "${line}" has a command but no response: expected COMMAND, spaces, then the response with \\r\\n escapes`,
        'SIM_BAD_TRANSCRIPT',
      );
    }
    entries.push({ command: line.slice(0, space), response: unescapeC(line.slice(space).trim()), line: i + 1 });
  });
  if (entries.length === 0) throw simError('transcript has no COMMAND RESPONSE lines: nothing to replay', 'SIM_BAD_TRANSCRIPT');
  return entries;
}

/** Answers commands from a parsed transcript. */
export class Script {
  readonly #replies = new Map<string, string[]>();
  readonly #served = new Map<string, number>();

  constructor(entries: TranscriptEntry[]) {
    for (const e of entries) {
      const list = this.#replies.get(e.command) ?? [];
      list.push(e.response);
      this.#replies.set(e.command, list);
    }
  }

  /** The response for a command line as the host sent it (without CR/LF). */
  reply(command: string): string {
    const key = this.#replies.has(command) ? command : this.#caseInsensitive(command);
    const list = key === undefined ? undefined : this.#replies.get(key);
    if (key === undefined || !list) return '\r\nERROR\r\n';
    const n = this.#served.get(key) ?? 0;
    this.#served.set(key, n + 1);
    return list[Math.min(n, list.length - 1)]!;
  }

  #caseInsensitive(command: string): string | undefined {
    const upper = command.toUpperCase();
    for (const key of this.#replies.keys()) if (key.toUpperCase() === upper) return key;
    return undefined;
  }
}
