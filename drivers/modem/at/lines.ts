/**
 * Cuts the modem's byte stream into lines, whatever the chunk boundaries: CR, LF and CRLF all
 * end a line, empty lines are dropped. Two things are not lines: the `> ` prompt of AT+CMGS,
 * which comes without a line end, and a run of bytes that never ends (a baud-rate mismatch, a
 * modem spewing binary), which is cut off at `maxLineLength` and skipped up to the next line end.
 */
export interface LineSplitterOptions {
  maxLineLength: number;
  onLine(line: string): void;
  onNoise(reason: string, text: string): void;
  /** Whether a command is waiting for the `> ` prompt right now. */
  wantsPrompt(): boolean;
  onPrompt(): void;
}

/** C0 controls other than tab, and DEL: never in a modem's text lines, always in line noise. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

export class LineSplitter {
  readonly #o: LineSplitterOptions;
  #buffer = '';
  #skipping = false;

  constructor(options: LineSplitterOptions) {
    this.#o = options;
  }

  push(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 13 && c !== 10) continue;
      this.#take(text.slice(start, i));
      start = i + 1;
    }
    this.#partial(text.slice(start));
  }

  reset(): void {
    this.#buffer = '';
    this.#skipping = false;
  }

  #take(tail: string): void {
    const line = this.#buffer + tail;
    this.#buffer = '';
    if (this.#skipping) {
      this.#skipping = false;
      return;
    }
    this.#emit(line.trim());
  }

  #partial(tail: string): void {
    if (this.#skipping || tail === '') return;
    this.#buffer += tail;
    if (this.#buffer.length > this.#o.maxLineLength) {
      this.#o.onNoise(`line longer than ${this.#o.maxLineLength} characters`, this.#buffer.slice(0, 80));
      this.#buffer = '';
      this.#skipping = true;
      return;
    }
    if (this.#o.wantsPrompt() && /^\s*>\s?$/.test(this.#buffer)) {
      this.#buffer = '';
      this.#o.onPrompt();
    }
  }

  #emit(line: string): void {
    if (line === '') return;
    if (CONTROL.test(line)) {
      this.#o.onNoise('line with control characters (line noise or a half line)', line.replace(/[\x00-\x1f\x7f]/g, '.'));
      return;
    }
    this.#o.onLine(line);
  }
}
