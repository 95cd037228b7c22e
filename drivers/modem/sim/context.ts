/**
 * The contract between the interpreter and the command handlers: what a handler may touch on
 * the modem (ModemContext) and what it gives back (Outcome). Handlers refuse by throwing
 * AtReject, which the interpreter turns into the final result; it never leaves the simulator.
 */
import type { Clock } from '../../../runtime/clock.js';
import type { Calls } from './calls.js';
import type { AtCommand } from './command-line.js';
import type { Random } from './random.js';
import type { Final } from './result-codes.js';
import type { SmsNetwork } from './sms-network.js';
import type { ModemState } from './state.js';

export interface Prompt {
  mode: 'pdu-prompt' | 'text-prompt';
  /** The text typed after `> `, once Ctrl-Z ended it. */
  complete(text: string): Outcome | Promise<Outcome>;
}

export interface Outcome {
  /** One information response: its lines go out between one pair of CR LF framings. */
  info?: string[];
  /** Defaults to OK. */
  final?: Final;
  /** Instead of a final result: print `> ` and collect a message (AT+CMGS, AT+CMGW). */
  prompt?: Prompt;
  /** Runs once the final result is on the wire (a reset after its OK, URCs that follow). */
  after?: () => void;
}

export type Handler = (cmd: AtCommand, m: ModemContext) => Outcome | Promise<Outcome>;
export type CommandTable = Record<string, Handler>;

/** How long the slow operations of a real modem take here (all on the injected clock). */
export interface Timing {
  /** AT+COPS=? network scan. */
  copsScanMs: number;
  /** From Ctrl-Z to +CMGS: the network round trip of an SMS submission. */
  submitDelayMs: number;
  /** From +CMGS to the status report the network sends back, when one was requested. */
  statusReportDelayMs: number;
}

export interface ModemContext {
  readonly state: ModemState;
  readonly timing: Timing;
  readonly clock: Clock;
  readonly random: Random;
  readonly sms: SmsNetwork;
  readonly calls: Calls;
  sleep(ms: number): Promise<void>;
  /** Send an unsolicited result code now (framed per ATV). */
  urc(line: string): void;
  /** Radio, SIM or registration inputs changed: report what the host asked to hear about, retry SMS. */
  changed(): void;
  /** The SIM's lock state changed: +CPIN URC and, once READY, the vendor's "SIM ready" lines. */
  simChanged(): void;
  /** AT+CFUN=1,1: restart as after power-on. */
  reboot(): void;
  /** A message left for the network (emits 'sent'). */
  sent(pdu: string, reference: number): void;
  /** Message deleted from storage (emits 'deleted'; a freed slot lets the network retry). */
  deleted(index: number): void;
  /** Message written to storage by the host (emits 'stored'). */
  stored(index: number): void;
  /** The network sends a status report for the message with this TP-MR later (TP-SRR was set). */
  statusReportLater(recipient: string, reference: number): void;
  /** +CNMI <mode> left 0: deliver (or with `discard`, drop) the SMS indications held meanwhile. */
  releaseIndications(discard: boolean): void;
  /** The next TP-MR, as the modem keeps it (0–255, wrapping). */
  nextReference(): number;
  /** A failure the test asked the next submission to meet (+CMS ERROR number), taken once. */
  takeSubmitFailure(): number | undefined;
}

export class AtReject extends Error {
  readonly final: Final;
  constructor(final: Final) {
    super(`command rejected: ${final.kind}`);
    this.final = final;
  }
}

/** Plain ERROR: bad syntax or parameters (V.250: those are not +CME errors). */
export function syntaxError(): AtReject {
  return new AtReject({ kind: 'ERROR' });
}

export function cmeError(code: number): AtReject {
  return new AtReject({ kind: 'CME', code });
}

export function cmsError(code: number): AtReject {
  return new AtReject({ kind: 'CMS', code });
}

export const OK: Outcome = {};
