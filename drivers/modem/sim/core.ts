/**
 * The simulated modem's machinery, behind the SimModem facade: it wires the receive side, the
 * interpreter (or a transcript), the transmit queue, the network's SMS side and calls together,
 * and owns what happens on its own — registration URCs, SMS indications, status reports, restarts.
 */
import { systemClock, type Clock, type TimerHandle } from '../../../runtime/clock.js';
import { encodeStatusReport } from '../sms/index.js';
import { bootLines, simLines } from './boot.js';
import { Calls } from './calls.js';
import { Interpreter } from './commands.js';
import type { ModemContext } from './context.js';
import { CommandInput, type InputHandlers } from './input.js';
import { directLines } from './message-format.js';
import { delayRange, initialState, type SimModemOptions } from './options.js';
import { Random } from './random.js';
import { regSettingKey, regUrc } from './registration.js';
import { frameInfo, frameResult } from './result-codes.js';
import { SmsNetwork } from './sms-network.js';
import { DOMAINS, canUseNetwork, copySettings, effectiveRegistration } from './state.js';
import type { Domain, ModemState, Registration } from './state.js';
import { Script, parseTranscript } from './transcript.js';
import { Wire } from './wire.js';

/** What the machinery reports to the facade, which turns it into events. */
export interface CoreEvents {
  command(line: string): void;
  sent(pdu: string, reference: number): void;
  deleted(index: number): void;
  stored(index: number): void;
}

export class ModemCore {
  readonly clock: Clock;
  readonly random: Random;
  readonly state: ModemState;
  readonly wire: Wire;
  readonly input: CommandInput;
  readonly sms: SmsNetwork;
  readonly calls: Calls;
  /** A URC to wedge into the next response with information text. */
  injection: string | undefined;
  /** A +CMS error the next submission meets. */
  submitFailure: number | undefined;
  silent = false;
  booting = false;

  readonly #events: CoreEvents;
  readonly #delay: [number, number];
  readonly #bootMs: number;
  readonly #statusReportDelayMs: number;
  readonly #interpreter: Interpreter;
  #reported: Record<Domain, Registration>;
  #heldIndications: string[][] = [];
  #timers = new Set<TimerHandle>();
  #reference: number;
  #bootGeneration = 0;

  constructor(options: SimModemOptions, events: CoreEvents) {
    this.#events = events;
    this.clock = options.clock ?? systemClock;
    this.random = new Random(options.seed ?? 1);
    this.state = initialState(options, this.random);
    this.#delay = delayRange(options.responseDelayMs);
    this.#bootMs = options.bootMs ?? 200;
    this.#statusReportDelayMs = options.statusReportDelayMs ?? 1000;
    // The SIM remembers the last TP-MR; a fresh simulator starts somewhere, not always at 0.
    this.#reference = this.random.int(0, 255);
    const script = options.transcript === undefined ? undefined : new Script(parseTranscript(options.transcript));
    this.wire = new Wire(this.clock, this.random);
    this.calls = new Calls({ clock: this.clock, urc: (line) => this.urc(line), clipEnabled: () => this.state.settings.clip });
    this.sms = new SmsNetwork(
      {
        state: this.state,
        clock: this.clock,
        reachable: () => canUseNetwork(this.state),
        indicate: (lines) => this.#indicate(lines),
        directLines: (part) => directLines(part.kind, part.pdu, part.tpduLength, this.state.settings),
        stored: (index) => events.stored(index),
      },
      { retryDelayMs: options.retryDelayMs ?? 500, ackTimeoutMs: options.ackTimeoutMs ?? 15_000 },
    );
    const ctx = this.#context({
      copsScanMs: options.copsScanMs ?? 0,
      submitDelayMs: options.submitDelayMs ?? 0,
      statusReportDelayMs: this.#statusReportDelayMs,
    });
    this.#interpreter = new Interpreter({
      ctx,
      send: (text, delayMs, onWritten) => this.wire.send(text, delayMs, onWritten),
      responseDelay: () => this.responseDelay(),
      enterPrompt: (mode) => this.input.enterPrompt(mode),
      takeInjection: () => {
        const line = this.injection;
        this.injection = undefined;
        return line;
      },
    });
    this.input = new CommandInput(script ? this.#scriptHandlers(script) : this.#liveHandlers());
    this.#reported = this.#effective();
  }

  responseDelay(): number {
    return this.random.int(this.#delay[0], this.#delay[1]);
  }

  urc(line: string): void {
    this.wire.send(frameResult(line, this.state.settings));
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = this.clock.setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, ms);
      this.#timers.add(t);
    });
  }

  /** Report registration changes the host subscribed to, and let held messages through. */
  changed(): void {
    const now = this.#effective();
    for (const d of DOMAINS) {
      const line = regUrc(d, this.#reported[d], now[d], this.state.settings[regSettingKey(d)]);
      if (line) this.urc(line);
    }
    this.#reported = now;
    this.sms.pump();
  }

  simChanged(): void {
    for (const line of simLines(this.state)) this.urc(line);
    this.changed();
  }

  /** Power off and on (or AT+CFUN=1,1): silent for bootMs, then the start-up lines. */
  async restart(): Promise<void> {
    const generation = ++this.#bootGeneration;
    this.booting = true;
    this.wire.muted = true;
    this.wire.clear();
    this.input.reset();
    this.#interpreter.reset();
    this.calls.reset();
    this.sms.reset();
    this.#heldIndications = [];
    await this.sleep(this.#bootMs);
    if (generation !== this.#bootGeneration) return;
    const st = this.state;
    st.settings = copySettings(st.profile);
    st.fun = 1;
    st.copsMode = 0;
    if (st.sim.present) st.sim.powerOn();
    this.silent = false;
    this.booting = false;
    this.wire.muted = false;
    // Registration starts from nothing after power-on; a saved +CREG=2 profile reports it coming up.
    const none = { stat: 0, lac: 0, ci: 0, act: 0 };
    this.#reported = { cs: { ...none }, ps: { ...none }, eps: { ...none } };
    for (const line of bootLines(st)) this.urc(line);
    this.changed();
  }

  close(): void {
    this.calls.reset();
    this.sms.reset();
    for (const t of this.#timers) this.clock.clearTimeout(t);
    this.#timers.clear();
    this.wire.detach();
    this.input.reset();
  }

  #effective(): Record<Domain, Registration> {
    return { cs: effectiveRegistration(this.state, 'cs'), ps: effectiveRegistration(this.state, 'ps'), eps: effectiveRegistration(this.state, 'eps') };
  }

  /** SMS indications wait in the modem while +CNMI <mode> is 0 (TS 27.005 §3.4.1). */
  #indicate(lines: string[]): void {
    if (this.state.settings.cnmi.mode === 0) {
      this.#heldIndications.push(lines);
      return;
    }
    this.wire.send(frameInfo(lines, this.state.settings));
  }

  #statusReportLater(recipient: string, reference: number): void {
    const submitted = new Date(this.clock.now());
    const t = this.clock.setTimeout(() => {
      this.#timers.delete(t);
      const report = encodeStatusReport({ recipient, reference, timestamp: submitted, dischargeTime: new Date(this.clock.now()), status: 0, smsc: this.state.smsc });
      void this.sms.deliver({ kind: 'status-report', pdu: report.hex, tpduLength: report.tpduLength });
    }, this.#statusReportDelayMs);
    this.#timers.add(t);
  }

  #liveHandlers(): InputHandlers {
    return {
      echo: (bytes) => {
        if (this.state.settings.echo) this.wire.send(bytes);
      },
      line: (text) => {
        this.#events.command(text.trim());
        return this.#interpreter.line(text);
      },
      repeat: () => this.#interpreter.repeat(),
      prompt: (text, how) => this.#interpreter.prompt(text, how),
      promptLine: () => this.#interpreter.promptLine(),
    };
  }

  /** A transcript has no echo and no prompts: what it recorded is exactly what goes out. */
  #scriptHandlers(script: Script): InputHandlers {
    let last: string | undefined;
    const answer = async (text: string) => {
      last = text;
      this.#events.command(text);
      this.wire.send(script.reply(text), this.responseDelay());
    };
    return {
      echo: () => {},
      line: answer,
      repeat: async () => {
        if (last !== undefined) await answer(last);
      },
      prompt: async () => {},
      promptLine: () => {},
    };
  }

  #context(timing: ModemContext['timing']): ModemContext {
    return {
      state: this.state,
      timing,
      clock: this.clock,
      random: this.random,
      sms: this.sms,
      calls: this.calls,
      sleep: (ms) => this.sleep(ms),
      urc: (line) => this.urc(line),
      changed: () => this.changed(),
      simChanged: () => this.simChanged(),
      reboot: () => void this.restart(),
      sent: (pdu, reference) => this.#events.sent(pdu, reference),
      deleted: (index) => {
        this.#events.deleted(index);
        this.sms.memoryAvailable();
      },
      stored: (index) => this.#events.stored(index),
      statusReportLater: (recipient, reference) => this.#statusReportLater(recipient, reference),
      releaseIndications: (discard) => {
        const held = this.#heldIndications;
        this.#heldIndications = [];
        if (!discard) for (const lines of held) this.#indicate(lines);
      },
      nextReference: () => {
        const mr = this.#reference;
        this.#reference = (this.#reference + 1) % 256;
        return mr;
      },
      takeSubmitFailure: () => {
        const f = this.submitFailure;
        this.submitFailure = undefined;
        return f;
      },
    };
  }
}
