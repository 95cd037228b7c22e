/**
 * The AT engine: one command at a time from a queue, each with its own timeout and AbortSignal;
 * bytes from the modem cut into lines whatever the chunking; every line routed to the command
 * that is running or, when it is an unsolicited result code, to the `urc` event — even when the
 * URC lands in the middle of a multi-line response. Garbage, half lines, unknown URCs and
 * over-long lines are reported through `noise` and skipped. After a command times out or is
 * aborted in flight its late answer must not be taken for the next command's, so the engine
 * drains the line until the modem has been quiet for a moment before it sends anything else.
 */
import type { Clock, TimerHandle } from '../../../runtime/clock.js';
import { systemClock } from '../../../runtime/clock.js';
import { Emitter } from '../../../runtime/emitter.js';
import { ModemError } from '../errors.js';
import { parseFinal } from './final.js';
import { LineSplitter } from './lines.js';
import { classifyUrc } from './urc.js';

export interface AtResponse {
  command: string;
  /** Information lines, without the echo and the final result. */
  lines: string[];
  final: string;
}

export interface AtCommandOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Sent after the modem's `> ` prompt, followed by Ctrl-Z (AT+CMGS with a PDU). */
  prompt?: string;
  /** Never let this text reach a log line or an error message (a PIN). */
  secret?: string;
}

export interface Urc {
  /** "+CMTI", "RING", "^MODE", … */
  name: string;
  line: string;
  /** The line after it, for URCs that carry one (+CMT and +CDS: the PDU). */
  body?: string;
}

export type AtEngineEvents = {
  urc: [Urc];
  /** A line or bytes that were skipped, and why. */
  noise: [{ reason: string; text: string }];
  /** A command was written (for logs at debug level; secrets already masked). */
  sent: [{ command: string }];
};

export interface AtEngineOptions {
  write(data: string): Promise<void>;
  clock?: Clock;
  defaultTimeoutMs?: number;
  maxLineLength?: number;
  /** How long the line must stay quiet after a timeout before the next command goes out. */
  settleMs?: number;
}

interface Pending {
  command: string;
  options: AtCommandOptions;
  timeoutMs: number;
  prefix: string | undefined;
  lines: string[];
  resolve(response: AtResponse): void;
  reject(err: ModemError): void;
  timer?: TimerHandle;
  offAbort?: () => void;
  prompted: boolean;
}

/** Commands that wait on the network, not just the modem. */
const SLOW: [RegExp, number][] = [
  [/^AT\+COPS=\?/i, 180_000],
  [/^AT\+CMGS=/i, 60_000],
  [/^AT\+COPS=/i, 120_000],
  [/^AT\+CFUN=/i, 30_000],
  [/^AT\+CPIN=/i, 20_000],
  [/^AT\+CMGL/i, 20_000],
  [/^ATD/i, 60_000],
];

/** Call-control finals (NO CARRIER, BUSY, …) end only these; elsewhere NO CARRIER is a call ending. */
const CALL_COMMAND = /^AT[DAO]/i;

export class AtEngine {
  readonly events = new Emitter<AtEngineEvents>();
  readonly #write: (data: string) => Promise<void>;
  readonly #clock: Clock;
  readonly #defaultTimeoutMs: number;
  readonly #settleMs: number;
  readonly #splitter: LineSplitter;
  readonly #queue: Pending[] = [];
  #current: Pending | undefined;
  /** A URC whose body line is still to come. */
  #awaitingBody: { name: string; line: string } | undefined;
  #draining: { timer: TimerHandle | undefined; until: number } | undefined;
  #closed: ModemError | undefined;

  constructor(options: AtEngineOptions) {
    this.#write = options.write;
    this.#clock = options.clock ?? systemClock;
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? 5_000;
    this.#settleMs = options.settleMs ?? 250;
    this.#splitter = new LineSplitter({
      maxLineLength: options.maxLineLength ?? 4_096,
      onLine: (line) => this.#onLine(line),
      onPrompt: () => this.#onPrompt(),
      wantsPrompt: () => this.#current?.options.prompt !== undefined && !this.#current.prompted,
      onNoise: (reason, text) => this.#noise(reason, text),
    });
  }

  /** Bytes from the port. */
  feed(chunk: Buffer | string): void {
    if (this.#draining) this.#extendDrain();
    this.#splitter.push(typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
  }

  /** Queue a command ("AT+CSQ"); resolves with its lines on OK, rejects with a ModemError otherwise. */
  command(command: string, options: AtCommandOptions = {}): Promise<AtResponse> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (!/^AT/i.test(command) || /[\r\n\x1a]/.test(command)) {
      return Promise.reject(new ModemError('AT_BAD_COMMAND', `AT command ${JSON.stringify(mask(command, options.secret))} is invalid: expected one line starting with "AT"`));
    }
    if (options.signal?.aborted) return Promise.reject(abortedError(command, options));
    return new Promise<AtResponse>((resolve, reject) => {
      const pending: Pending = {
        command,
        options,
        timeoutMs: options.timeoutMs ?? SLOW.find(([re]) => re.test(command))?.[1] ?? this.#defaultTimeoutMs,
        prefix: responsePrefix(command),
        lines: [],
        resolve,
        reject,
        prompted: false,
      };
      if (options.signal) {
        const onAbort = () => this.#abort(pending);
        options.signal.addEventListener('abort', onAbort, { once: true });
        pending.offAbort = () => options.signal?.removeEventListener('abort', onAbort);
      }
      this.#queue.push(pending);
      this.#next();
    });
  }

  /** Commands waiting or running. */
  get busy(): number {
    return this.#queue.length + (this.#current ? 1 : 0);
  }

  /** The port is gone: everything waiting fails with `reason`; later commands fail at once until reopen(). */
  close(reason: ModemError): void {
    this.#closed = reason;
    this.#splitter.reset();
    this.#awaitingBody = undefined;
    if (this.#draining?.timer) this.#clock.clearTimeout(this.#draining.timer);
    this.#draining = undefined;
    const all = [...(this.#current ? [this.#current] : []), ...this.#queue.splice(0)];
    this.#current = undefined;
    for (const p of all) this.#settle(p, reason);
  }

  /** A fresh port: accept commands again, from a clean line. */
  reopen(): void {
    this.#closed = undefined;
    this.#splitter.reset();
  }

  #next(): void {
    if (this.#current || this.#draining || this.#closed) return;
    const pending = this.#queue.shift();
    if (!pending) return;
    this.#current = pending;
    pending.timer = this.#clock.setTimeout(() => this.#timedOut(pending), pending.timeoutMs);
    this.events.emit('sent', { command: mask(pending.command, pending.options.secret) });
    this.#write(`${pending.command}\r`).catch((err: unknown) => {
      if (this.#current !== pending) return;
      this.#current = undefined;
      this.#settle(pending, new ModemError('PORT_CLOSED', `${mask(pending.command, pending.options.secret)} could not be written: ${(err as Error).message}`, { command: mask(pending.command, pending.options.secret), cause: err }));
      this.#next();
    });
  }

  #onLine(line: string): void {
    if (this.#awaitingBody) {
      const urc = this.#awaitingBody;
      this.#awaitingBody = undefined;
      this.events.emit('urc', { name: urc.name, line: urc.line, body: line });
      return;
    }
    const current = this.#current;
    if (current && !this.#draining) {
      if (isEcho(line, current.command)) return;
      const final = parseFinal(line, mask(current.command, current.options.secret));
      if (final && (final.ok || !isCallFinal(line) || CALL_COMMAND.test(current.command))) {
        this.#current = undefined;
        if (final.ok) this.#settle(current, undefined, { command: current.command, lines: current.lines, final: line });
        else this.#settle(current, final.error);
        this.#next();
        return;
      }
      if (current.prefix !== undefined && line.startsWith(current.prefix)) {
        current.lines.push(line);
        return;
      }
      if (this.#urc(line)) return;
      current.lines.push(line);
      return;
    }
    if (this.#urc(line)) return;
    // Some firmware sends registration updates in the solicited form (with <n>) unprompted.
    const reg = /^\+(C|CG|CE|C5G)REG:/.exec(line);
    if (reg && !this.#draining) return void this.events.emit('urc', { name: reg[0].slice(0, -1), line });
    if (this.#draining) return this.#noise('late answer to a command that timed out', line);
    if (/^AT/i.test(line)) return this.#noise('stray echo', line);
    if (parseFinal(line)) return this.#noise('final result with no command running', line);
    this.#noise('unknown unsolicited line', line);
  }

  #urc(line: string): boolean {
    const kind = classifyUrc(line);
    if (!kind) return false;
    if (kind.bodyLines > 0) this.#awaitingBody = { name: kind.name, line };
    else this.events.emit('urc', { name: kind.name, line });
    return true;
  }

  #onPrompt(): void {
    const current = this.#current;
    if (!current || current.options.prompt === undefined || current.prompted) return;
    current.prompted = true;
    this.#write(`${current.options.prompt}\x1a`).catch(() => undefined);
  }

  #timedOut(pending: Pending): void {
    if (this.#current !== pending) return;
    this.#current = undefined;
    const cmd = mask(pending.command, pending.options.secret);
    // A command stuck at the `> ` prompt is cancelled with ESC, or the modem waits for a PDU forever.
    if (pending.options.prompt !== undefined) this.#write('\x1b').catch(() => undefined);
    this.#settle(pending, new ModemError('AT_TIMEOUT', `${cmd}: no answer from the modem within ${pending.timeoutMs} ms`, { command: cmd }));
    this.#startDrain();
  }

  #abort(pending: Pending): void {
    const queued = this.#queue.indexOf(pending);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      this.#settle(pending, abortedError(pending.command, pending.options));
      return;
    }
    if (this.#current !== pending) return;
    // Already on the wire: its answer will still come, so drain it like a timeout's.
    this.#current = undefined;
    if (pending.options.prompt !== undefined) this.#write('\x1b').catch(() => undefined);
    this.#settle(pending, abortedError(pending.command, pending.options));
    this.#startDrain();
  }

  #startDrain(): void {
    this.#draining = { timer: undefined, until: 0 };
    this.#extendDrain();
  }

  #extendDrain(): void {
    const drain = this.#draining;
    if (!drain) return;
    if (drain.timer) this.#clock.clearTimeout(drain.timer);
    drain.timer = this.#clock.setTimeout(() => {
      if (this.#draining !== drain) return;
      this.#draining = undefined;
      this.#next();
    }, this.#settleMs);
  }

  #settle(pending: Pending, err: ModemError | undefined, response?: AtResponse): void {
    if (pending.timer) this.#clock.clearTimeout(pending.timer);
    pending.offAbort?.();
    if (err) pending.reject(err);
    else pending.resolve(response!);
  }

  #noise(reason: string, text: string): void {
    const secret = this.#current?.options.secret;
    this.events.emit('noise', { reason, text: mask(text, secret).slice(0, 200) });
  }
}

/** The prefix of a command's information lines: AT+CSQ → "+CSQ:", AT+CMGL=4 → "+CMGL:". */
export function responsePrefix(command: string): string | undefined {
  const m = /^AT([+^$#*%][A-Z0-9]+)/i.exec(command);
  return m ? `${m[1]!.toUpperCase()}:` : undefined;
}

function isEcho(line: string, command: string): boolean {
  return line.length >= 2 && line.toUpperCase() === command.toUpperCase();
}

function isCallFinal(line: string): boolean {
  return /^(NO CARRIER|BUSY|NO ANSWER|NO DIALTONE)$/.test(line);
}

function mask(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('****') : text;
}

function abortedError(command: string, options: AtCommandOptions): ModemError {
  const cmd = mask(command, options.secret);
  return new ModemError('AT_ABORTED', `${cmd}: aborted${options.signal?.reason instanceof Error ? ` (${options.signal.reason.message})` : ''}`, { command: cmd, cause: options.signal?.reason });
}
