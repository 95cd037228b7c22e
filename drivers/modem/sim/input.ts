/**
 * The modem's receive side: assembles command lines from whatever chunks the host writes (CR, LF
 * or CRLF end a line, backspace edits, `A/` repeats the last line at once), and after AT+CMGS /
 * AT+CMGW collects the message up to Ctrl-Z (send) or ESC (cancel). One line is handled at a time:
 * bytes that arrive meanwhile wait, as they would in a modem's UART buffer, so a PDU sent before
 * the `> ` prompt still lands in the prompt.
 */
const CR = 0x0d;
const LF = 0x0a;
const BS = 0x08;
const DEL = 0x7f;
const CTRL_Z = 0x1a;
const ESC = 0x1b;

export interface InputHandlers {
  /** Bytes to echo back (the modem decides whether echo is on). */
  echo(bytes: Buffer): void;
  line(text: string): Promise<void>;
  /** `A/`: run the previous line again. */
  repeat(): Promise<void>;
  /** The text typed after a `> ` prompt, ended by Ctrl-Z (`submit`) or ESC (`cancel`). */
  prompt(text: string, how: 'submit' | 'cancel'): Promise<void>;
  /** A CR inside a text-mode prompt: the modem answers with a fresh `> `. */
  promptLine(): void;
}

export type InputMode = 'command' | 'pdu-prompt' | 'text-prompt';

export class CommandInput {
  readonly #h: InputHandlers;
  #pending: number[] = [];
  #buffer = '';
  #busy = false;
  #mode: InputMode = 'command';
  /** Echo is sent in runs, not byte by byte, but always before what the line makes the modem say. */
  #echoed: number[] = [];
  /** Bumped by reset() so work started before a power cycle does not resume after it. */
  #generation = 0;

  constructor(handlers: InputHandlers) {
    this.#h = handlers;
  }

  get mode(): InputMode {
    return this.#mode;
  }

  /** Switch to collecting a message after the `> ` prompt was sent. */
  enterPrompt(mode: 'pdu-prompt' | 'text-prompt'): void {
    this.#mode = mode;
    this.#buffer = '';
  }

  feed(chunk: Buffer): void {
    for (const b of chunk) this.#pending.push(b);
    this.#drain();
  }

  /** Drop everything half-received (power cycle, reset). */
  reset(): void {
    this.#generation++;
    this.#pending = [];
    this.#echoed = [];
    this.#buffer = '';
    this.#busy = false;
    this.#mode = 'command';
  }

  #drain(): void {
    while (!this.#busy && this.#pending.length > 0) {
      const b = this.#pending.shift()!;
      if (this.#mode === 'command') this.#commandByte(b);
      else this.#promptByte(b);
    }
    this.#flushEcho();
  }

  #flushEcho(): void {
    if (this.#echoed.length === 0) return;
    const bytes = Buffer.from(this.#echoed);
    this.#echoed = [];
    this.#h.echo(bytes);
  }

  #run(work: () => Promise<void>): void {
    this.#flushEcho();
    this.#busy = true;
    const generation = this.#generation;
    void work()
      .catch((err: unknown) => process.emitWarning(`simulated modem failed handling input: ${String(err)}`))
      .finally(() => {
        if (generation !== this.#generation) return;
        this.#busy = false;
        this.#drain();
      });
  }

  #commandByte(b: number): void {
    this.#echoed.push(b);
    if (b === CR || b === LF) {
      // The LF of a CRLF pair ends an empty line, and empty lines are ignored.
      const line = this.#buffer;
      this.#buffer = '';
      if (line.trim() !== '') this.#run(() => this.#h.line(line));
      return;
    }
    if (b === BS || b === DEL) {
      this.#buffer = this.#buffer.slice(0, -1);
      return;
    }
    if (b === CTRL_Z || b === ESC) return;
    if (b === 0x2f /* '/' */ && /^\s*a$/i.test(this.#buffer)) {
      this.#buffer = '';
      this.#run(() => this.#h.repeat());
      return;
    }
    this.#buffer += String.fromCharCode(b);
  }

  #promptByte(b: number): void {
    if (b === CTRL_Z || b === ESC) {
      const text = this.#buffer;
      this.#buffer = '';
      this.#mode = 'command';
      this.#run(() => this.#h.prompt(text, b === CTRL_Z ? 'submit' : 'cancel'));
      return;
    }
    if (b === BS || b === DEL) {
      this.#buffer = this.#buffer.slice(0, -1);
      this.#echoed.push(b);
      return;
    }
    if (b === CR || b === LF) {
      // In PDU mode line ends are not part of the hex; in text mode a CR is a line break.
      if (this.#mode === 'text-prompt' && b === CR) {
        this.#buffer += '\n';
        this.#echoed.push(b);
        this.#flushEcho();
        this.#h.promptLine();
      }
      return;
    }
    this.#buffer += String.fromCharCode(b);
    this.#echoed.push(b);
  }
}
