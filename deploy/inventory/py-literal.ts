/**
 * INI inventory values are read as Ansible reads them: as a Python literal when they are one
 * (`80` a number, `True` a boolean, `None` null, `'a b'` a string, `[1, 2]` a list, `{'k': 1}` a
 * mapping), else as the text itself. So `ansible_port=2222` is a number and `ansible_host=10.0.0.5`
 * a string, and `version=1.10` is the number 1.1 — quote it (`version="'1.10'"`) to keep the text.
 */

/** The literal `text` holds, or `undefined` when it is not one (the caller keeps the text). */
export function parsePythonLiteral(text: string): { value: unknown } | undefined {
  const parser = new Parser(text);
  try {
    parser.space();
    const value = parser.value();
    parser.space();
    // Python's tokenizer drops a trailing comment: `23 # note` is 23.
    if (parser.peek() === '#') return { value };
    if (!parser.done()) return undefined;
    return { value };
  } catch (err) {
    if (err instanceof NotLiteral) return undefined;
    throw err;
  }
}

class NotLiteral extends Error {}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };

class Parser {
  #text: string;
  #at = 0;
  constructor(text: string) {
    this.#text = text;
  }

  peek(): string | undefined {
    return this.#text[this.#at];
  }

  done(): boolean {
    return this.#at >= this.#text.length;
  }

  space(): void {
    while (/\s/.test(this.peek() ?? '')) this.#at++;
  }

  #expect(c: string): void {
    if (this.peek() !== c) throw new NotLiteral();
    this.#at++;
  }

  value(): unknown {
    const c = this.peek();
    if (c === "'" || c === '"') return this.#string(c);
    if (c === '[') return this.#sequence('[', ']');
    if (c === '(') return this.#tuple();
    if (c === '{') return this.#dict();
    const word = /^(?:True|False|None)\b/.exec(this.#text.slice(this.#at));
    if (word) {
      this.#at += word[0].length;
      return word[0] === 'True' ? true : word[0] === 'False' ? false : null;
    }
    return this.#number();
  }

  #number(): number {
    const rest = this.#text.slice(this.#at);
    const match =
      /^[-+]?\s*(?:0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[oO][0-7](?:_?[0-7])*|0[bB][01](?:_?[01])*|(?:\d(?:_?\d)*)?\.\d(?:_?\d)*(?:[eE][-+]?\d+)?|\d(?:_?\d)*\.?(?:[eE][-+]?\d+)?)(?![\w.])/.exec(rest);
    if (!match) throw new NotLiteral();
    const raw = match[0].replace(/[\s_]/g, '');
    const sign = raw.startsWith('-') ? -1 : 1;
    const body = raw.replace(/^[-+]/, '');
    // Python 3 has no octal `010`: a decimal with a leading zero is not a literal.
    if (/^0\d/.test(body) && !/^0+$/.test(body) && !/[.eE]/.test(body)) throw new NotLiteral();
    const prefixed = /^0[xob]/i.test(body);
    const value = prefixed ? Number(body.toLowerCase()) : Number(body);
    if (!Number.isFinite(value) || (Number.isInteger(value) && !/[.eE]/.test(body) && !Number.isSafeInteger(value))) throw new NotLiteral();
    this.#at += match[0].length;
    return sign * value;
  }

  #string(quote: string): string {
    this.#at++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '\n') throw new NotLiteral();
      this.#at++;
      if (c === quote) break;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.peek();
      if (e === undefined) throw new NotLiteral();
      this.#at++;
      if (e === 'x' || e === 'u') {
        const len = e === 'x' ? 2 : 4;
        const hex = this.#text.slice(this.#at, this.#at + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new NotLiteral();
        out += String.fromCharCode(parseInt(hex, 16));
        this.#at += len;
      } else {
        // Python keeps an unknown escape as written: '\d' is backslash and d.
        out += ESCAPES[e] ?? `\\${e}`;
      }
    }
    // Adjacent literals concatenate, as in Python: 'a' 'b' is 'ab'.
    const save = this.#at;
    this.space();
    const next = this.peek();
    if (next === "'" || next === '"') return out + this.#string(next);
    this.#at = save;
    return out;
  }

  #items(close: string, item: () => void): void {
    this.space();
    while (this.peek() !== close) {
      item();
      this.space();
      if (this.peek() === ',') {
        this.#at++;
        this.space();
      } else if (this.peek() !== close) {
        throw new NotLiteral();
      }
    }
    this.#at++;
  }

  #sequence(open: string, close: string): unknown[] {
    this.#expect(open);
    const out: unknown[] = [];
    this.#items(close, () => out.push(this.value()));
    return out;
  }

  /** `(1, 2)` is a list (as Ansible turns tuples into lists); `(1)` is just 1. */
  #tuple(): unknown {
    this.#expect('(');
    const out: unknown[] = [];
    let comma = false;
    this.space();
    while (this.peek() !== ')') {
      out.push(this.value());
      this.space();
      if (this.peek() === ',') {
        comma = true;
        this.#at++;
        this.space();
      } else if (this.peek() !== ')') {
        throw new NotLiteral();
      }
    }
    this.#at++;
    return out.length === 1 && !comma ? out[0] : out;
  }

  #dict(): Record<string, unknown> {
    this.#expect('{');
    const out: Record<string, unknown> = {};
    this.#items('}', () => {
      const key = this.value();
      if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean' && key !== null) throw new NotLiteral();
      this.space();
      this.#expect(':');
      this.space();
      out[String(key)] = this.value();
    });
    return out;
  }
}
