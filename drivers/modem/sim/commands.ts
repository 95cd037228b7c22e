/**
 * The AT interpreter: takes one command line, runs its commands in order (stopping at the first
 * that fails, V.250 §5.6), and answers the way modules do under ATV1 — each information response
 * between CR LF pairs, then one final result — or hands over to a `> ` prompt.
 */
import { basicCommands, sRegisterHandler } from './commands-basic.js';
import { callCommands } from './commands-call.js';
import { networkCommands } from './commands-network.js';
import { simCommands } from './commands-sim.js';
import { smsCommands } from './commands-sms.js';
import { parseCommandLine } from './command-line.js';
import { AtReject } from './context.js';
import type { CommandTable, Handler, ModemContext, Outcome, Prompt } from './context.js';
import { finalText, frameInfo, frameResult, type Final } from './result-codes.js';

export const COMMANDS: CommandTable = {
  ...basicCommands,
  ...simCommands,
  ...networkCommands,
  ...smsCommands,
  ...callCommands,
};

export function lookup(name: string): Handler | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : sRegisterHandler(name);
}

/** Longest command line accepted; longer ones get ERROR (modules cap their buffer similarly). */
export const MAX_COMMAND_LINE = 1024;

export interface InterpreterHost {
  readonly ctx: ModemContext;
  /** Put bytes on the wire after `delayMs`; `onWritten` once they are out. */
  send(text: string, delayMs?: number, onWritten?: () => void): void;
  /** How long this response takes to come (the configured jitter). */
  responseDelay(): number;
  enterPrompt(mode: Prompt['mode']): void;
  /** A URC the test wants wedged inside the next response, taken once. */
  takeInjection(): string | undefined;
}

export class Interpreter {
  readonly #host: InterpreterHost;
  #last: string | undefined;
  #prompt: Prompt | undefined;

  constructor(host: InterpreterHost) {
    this.#host = host;
  }

  /** Run a command line (without its terminator). Lines without the AT prefix are ignored (V.250 §5.2.1). */
  async line(text: string): Promise<void> {
    const at = text.search(/at/i);
    if (at < 0) return;
    if (text.length > MAX_COMMAND_LINE) {
      this.#respond([], { kind: 'ERROR' }, []);
      return;
    }
    this.#last = text;
    const commands = parseCommandLine(text.slice(at + 2));
    if (!commands) {
      this.#respond([], { kind: 'ERROR' }, []);
      return;
    }
    const blocks: string[][] = [];
    const after: (() => void)[] = [];
    let final: Final = { kind: 'OK' };
    for (const cmd of commands) {
      const handler = lookup(cmd.name);
      if (!handler) {
        final = { kind: 'ERROR' };
        break;
      }
      let outcome: Outcome;
      try {
        outcome = await handler(cmd, this.#host.ctx);
      } catch (err) {
        if (!(err instanceof AtReject)) throw err;
        final = err.final;
        break;
      }
      if (outcome.info) blocks.push(outcome.info);
      if (outcome.after) after.push(outcome.after);
      if (outcome.prompt) {
        this.#startPrompt(blocks, outcome.prompt);
        return;
      }
      if (outcome.final && outcome.final.kind !== 'OK') {
        final = outcome.final;
        break;
      }
    }
    this.#respond(blocks, final, after);
  }

  /** `A/`: the previous line again; nothing happens before there was one. */
  async repeat(): Promise<void> {
    if (this.#last !== undefined) await this.line(this.#last);
  }

  async prompt(text: string, how: 'submit' | 'cancel'): Promise<void> {
    const prompt = this.#prompt;
    this.#prompt = undefined;
    if (!prompt || how === 'cancel') {
      this.#respond([], { kind: 'OK' }, []);
      return;
    }
    try {
      const outcome = await prompt.complete(text);
      this.#respond(outcome.info ? [outcome.info] : [], outcome.final ?? { kind: 'OK' }, outcome.after ? [outcome.after] : []);
    } catch (err) {
      if (!(err instanceof AtReject)) throw err;
      this.#respond([], err.final, []);
    }
  }

  /** A line break inside a text-mode message: another prompt. */
  promptLine(): void {
    this.#host.send('\r\n> ');
  }

  /** Power cycle: a half-typed message is lost. */
  reset(): void {
    this.#prompt = undefined;
  }

  #startPrompt(blocks: string[][], prompt: Prompt): void {
    this.#prompt = prompt;
    const settings = this.#host.ctx.state.settings;
    // Switch now, so a message the host sends before seeing `> ` is still taken as the message.
    this.#host.enterPrompt(prompt.mode);
    this.#host.send(blocks.map((b) => frameInfo(b, settings)).join('') + '\r\n> ', this.#host.responseDelay());
  }

  #respond(blocks: string[][], final: Final, after: (() => void)[]): void {
    const settings = this.#host.ctx.state.settings;
    let out = '';
    const inject = blocks.length > 0 ? this.#host.takeInjection() : undefined;
    blocks.forEach((block, i) => {
      if (i !== 0 || inject === undefined) {
        out += frameInfo(block, settings);
        return;
      }
      // After the first entry of a listing (two lines for +CMGL); a shorter answer gets it at its end.
      const cut = block.length >= 3 ? 2 : block.length;
      out += frameInfo(block.slice(0, cut), settings) + frameResult(inject, settings);
      if (block.length > cut) out += block.slice(cut).join('\r\n') + '\r\n';
    });
    if (!settings.quiet) out += frameResult(finalText(final, settings), settings);
    this.#host.send(out, this.#host.responseDelay(), () => {
      for (const f of after) f();
    });
  }
}
