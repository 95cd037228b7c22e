/**
 * A modem driven by AT commands over a port. It owns the port's life: open, the start-up
 * sequence, and recovery — a modem that stops answering is reset and initialised again, a port
 * that vanishes (a USB modem unplugged, re-enumerated) is reopened when it comes back, and every
 * indication is re-armed, because a modem forgets its +CNMI and +CREG settings when it restarts.
 */
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import { systemClock } from '../../runtime/clock.js';
import { Emitter } from '../../runtime/emitter.js';
import { errorMessage } from '../../runtime/errors.js';
import { AtEngine, type AtCommandOptions, type AtResponse } from './at/engine.js';
import { parseCmgrPdu, parseCmglPdu } from './at/sms-lines.js';
import { ModemError } from './errors.js';
import { initModem, initSim } from './init.js';
import type { ModemDriver, ModemEvents, ModemStatus, PinLockState, StoredPdu } from './modem.js';
import type { ModemPort } from './port.js';
import { ModemTracker } from './tracker.js';

export interface AtModemOptions {
  binding: string;
  clock?: Clock;
  /** Poll the signal this often; the poll doubles as the check that the modem still answers. */
  signalPollMs?: number;
  /** Message storage to use ("SM" the SIM, "ME" the modem, "MT" both); the modem's default if unset. */
  storage?: string;
  /** Commands that time out in a row before the modem counts as hung and is reset. */
  maxTimeouts?: number;
  /** Reopen attempts back off from this to 10 s (a replugged modem should not wait long). */
  retryMs?: number;
  defaultTimeoutMs?: number;
}

export class AtModem implements ModemDriver {
  readonly binding: string;
  readonly path: string;
  readonly events = new Emitter<ModemEvents>();
  readonly engine: AtEngine;
  /** Asked when the SIM wants its PIN (the runtime sets it from the secrets file); never logged. */
  pinProvider: ((status: ModemStatus) => Promise<string | undefined>) | undefined;
  readonly #port: ModemPort;
  readonly #clock: Clock;
  readonly #o: AtModemOptions;
  readonly #tracker: ModemTracker;
  #retryTimer: TimerHandle | undefined;
  #pollTimer: TimerHandle | undefined;
  #retryMs: number;
  #timeouts = 0;
  #closed = false;
  #connecting: Promise<void> | undefined;
  #faulted = false;
  #simReady = false;
  #pinTried = new Set<string>();
  /** The storage AT+CPMS last selected (reads and deletes go to it). */
  #storage: string;

  constructor(port: ModemPort, options: AtModemOptions) {
    this.#port = port;
    this.path = port.path;
    this.binding = options.binding;
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#retryMs = options.retryMs ?? 1_000;
    this.#storage = options.storage ?? 'SM';
    this.engine = new AtEngine({ write: (d) => port.write(d), clock: this.#clock, ...(options.defaultTimeoutMs ? { defaultTimeoutMs: options.defaultTimeoutMs } : {}) });
    this.#tracker = new ModemTracker({ path: port.path, binding: options.binding, events: this.events, refreshOperator: () => this.#refreshOperator() });
    port.events.on('data', (chunk) => this.engine.feed(chunk));
    port.events.on('close', (err) => this.#portClosed(err));
    this.engine.events.on('urc', (urc) => this.#tracker.onUrc(urc, () => this.#onSimReady()));
    this.engine.events.on('noise', (n) => this.events.emit('noise', n));
  }

  status(): ModemStatus {
    return this.#tracker.status();
  }

  open(): Promise<void> {
    this.#closed = false;
    return this.#connect();
  }

  at(command: string, options: AtCommandOptions = {}): Promise<AtResponse> {
    return this.engine.command(command, options).then(
      (response) => {
        this.#timeouts = 0;
        return response;
      },
      (err: unknown) => {
        if (err instanceof ModemError && err.code === 'AT_TIMEOUT') this.#timedOut();
        throw err;
      },
    );
  }

  async listMessages(): Promise<StoredPdu[]> {
    await this.#useStorage(this.#o.storage ?? 'SM');
    const response = await this.at('AT+CMGL=4');
    const storage = this.#storage;
    return parseCmglPdu(response.lines).map((m) => ({ storage, index: m.index, pdu: m.pdu }));
  }

  async readMessage(storage: string, index: number): Promise<StoredPdu | undefined> {
    await this.#useStorage(storage);
    const response = await this.at(`AT+CMGR=${index}`);
    // An empty slot answers OK with no lines (or +CMS ERROR 321 on some modems).
    if (response.lines.length === 0) return undefined;
    const read = parseCmgrPdu(response.lines);
    return read ? { storage, index, pdu: read.pdu } : undefined;
  }

  async deleteMessage(storage: string, index: number): Promise<void> {
    if (storage === 'direct' || index < 0) return;
    await this.#useStorage(storage);
    await this.at(`AT+CMGD=${index}`);
  }

  async sendPdus(parts: { hex: string; tpduLength: number }[], options: { signal?: AbortSignal } = {}): Promise<number[]> {
    const refs: number[] = [];
    for (const part of parts) {
      const response = await this.at(`AT+CMGS=${part.tpduLength}`, { prompt: part.hex, ...(options.signal ? { signal: options.signal } : {}) });
      const line = response.lines.find((l) => l.startsWith('+CMGS:'));
      refs.push(line ? Number.parseInt(line.slice(6).trim(), 10) : -1);
    }
    return refs;
  }

  async enterPin(pin: string): Promise<PinLockState> {
    if (!/^[0-9]{4,8}$/.test(pin)) throw new ModemError('SIM_PIN_REFUSED', 'the SIM PIN must be 4 to 8 digits');
    const status = this.status();
    if (status.pin !== 'SIM PIN') throw new ModemError('SIM_PIN_REFUSED', `the SIM does not ask for its PIN (it is ${status.pin})`);
    if (status.pinRetries?.pin !== undefined && status.pinRetries.pin <= 1) {
      throw new ModemError('SIM_PIN_REFUSED', `only ${status.pinRetries.pin} PIN attempt left: vigil will not spend it; enter the PIN by hand`);
    }
    try {
      await this.at(`AT+CPIN="${pin}"`, { secret: pin });
    } finally {
      await this.#tracker.refreshPin((c) => this.at(c)).catch(() => undefined);
    }
    const now = this.status().pin;
    if (now === 'READY') await this.#onSimReady();
    return now;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) this.#clock.clearTimeout(this.#retryTimer);
    if (this.#pollTimer) this.#clock.clearTimeout(this.#pollTimer);
    this.#retryTimer = this.#pollTimer = undefined;
    this.engine.close(new ModemError('PORT_CLOSED', `modem ${this.path} is closed`));
    await this.#port.close().catch(() => undefined);
    this.#tracker.set({ open: false, ready: false }, 'port');
  }

  #connect(): Promise<void> {
    this.#connecting ??= this.#attempt().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #attempt(): Promise<void> {
    if (this.#closed) return;
    try {
      if (!this.#port.isOpen) await this.#port.open();
      this.engine.reopen();
      this.#tracker.set({ open: true }, 'port');
      this.#simReady = false;
      await initModem((c, o) => this.at(c, o), this.#tracker);
      this.#timeouts = 0;
      this.#faulted = false;
      this.#retryMs = this.#o.retryMs ?? 1_000;
      this.#tracker.set({ ready: true, error: undefined }, 'ready');
      this.#schedulePoll();
      this.events.emit('ready', this.status());
      const pin = this.status().pin;
      if (pin === 'READY') await this.#onSimReady();
      else if (pin === 'SIM PIN') await this.#tryPin();
    } catch (err) {
      if (this.#closed) return;
      this.#fault(err);
      // Start again from a closed port: a hung modem may need the line re-opened.
      this.engine.close(new ModemError('PORT_CLOSED', `modem ${this.path} is being reopened`));
      await this.#port.close().catch(() => undefined);
      this.#tracker.set({ open: false, ready: false }, 'port');
      this.#scheduleRetry();
    }
  }

  async #onSimReady(): Promise<void> {
    if (this.#simReady) return;
    this.#simReady = true;
    try {
      this.#storage = await initSim((c, o) => this.at(c, o), this.#tracker, this.#o.storage ?? 'SM');
      for (const m of await this.listMessages()) this.events.emit('message', m);
    } catch (err) {
      this.#simReady = false;
      this.events.emit('error', new ModemError('MODEM_NOT_READY', `modem ${this.path}: setting up SMS failed: ${errorMessage(err)}`, { cause: err }));
    }
  }

  async #tryPin(): Promise<void> {
    const status = this.status();
    const pin = await this.pinProvider?.(status).catch((err: unknown) => {
      this.events.emit('error', err instanceof Error ? err : new Error(String(err)));
      return undefined;
    });
    if (!pin) return;
    // One attempt per PIN value: a wrong PIN in the secrets file must not burn the SIM's attempts.
    if (this.#pinTried.has(pin)) return;
    this.#pinTried.add(pin);
    try {
      await this.enterPin(pin);
      this.#pinTried.delete(pin);
    } catch (err) {
      this.events.emit('error', new ModemError('SIM_PIN_REFUSED', `modem ${this.path}: the SIM PIN was not accepted (${errorMessage(err)}); vigil will not try it again`, { cause: err }));
    }
  }

  async #refreshOperator(): Promise<void> {
    await this.#tracker.refreshOperator((c) => this.at(c)).catch(() => undefined);
  }

  #schedulePoll(): void {
    if (this.#pollTimer) this.#clock.clearTimeout(this.#pollTimer);
    const every = this.#o.signalPollMs ?? 30_000;
    if (every <= 0) return;
    this.#pollTimer = this.#clock.setTimeout(() => {
      this.#pollTimer = undefined;
      if (!this.status().ready) return;
      this.#tracker
        .refreshSignal((c) => this.at(c))
        .catch(() => undefined)
        .finally(() => {
          if (this.status().ready && !this.#closed) this.#schedulePoll();
        });
    }, every);
    this.#pollTimer.unref();
  }

  #timedOut(): void {
    this.#timeouts++;
    if (this.#timeouts < (this.#o.maxTimeouts ?? 2) || !this.status().ready) return;
    this.#timeouts = 0;
    this.#fault(new ModemError('AT_TIMEOUT', `modem ${this.path} stopped answering: resetting it`));
    this.#tracker.set({ ready: false }, 'ready');
    this.engine.close(new ModemError('PORT_CLOSED', `modem ${this.path} is being reset`));
    void this.#port.close().catch(() => undefined).then(() => this.#scheduleRetry(0));
  }

  #portClosed(err: Error | undefined): void {
    if (this.#closed || !err) return;
    this.engine.close(new ModemError('PORT_CLOSED', err.message, { cause: err }));
    this.#tracker.set({ open: false, ready: false }, 'port');
    this.#fault(err);
    this.#scheduleRetry();
  }

  #fault(err: unknown): void {
    const message = errorMessage(err);
    this.#tracker.set({ error: message }, 'error');
    if (this.#faulted) return;
    this.#faulted = true;
    this.events.emit('error', err instanceof Error ? err : new Error(message));
  }

  #scheduleRetry(delay = this.#retryMs): void {
    if (this.#closed || this.#retryTimer) return;
    this.#retryMs = Math.min(this.#retryMs * 2, 10_000);
    this.#retryTimer = this.#clock.setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, delay);
    this.#retryTimer.unref();
  }

  async #useStorage(storage: string): Promise<void> {
    if (storage === this.#storage) return;
    await this.at(`AT+CPMS="${storage}","${storage}","${storage}"`);
    this.#storage = storage;
  }
}
