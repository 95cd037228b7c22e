/**
 * A simulated cellular modem (modelled on a Quectel EC25) that speaks AT over a byte stream, so
 * the real driver runs above it unchanged: connect it to a pseudo-terminal (pty.ts) or to an
 * in-memory port (memory-link.ts). Tests and demos drive the world around it — messages
 * arriving, registration, calls, a hung or chattering modem — with the controls below.
 */
import { EventEmitter } from 'node:events';
import { encodeDeliverParts } from '../sms/index.js';
import type { SmsEncoding } from '../sms/index.js';
import { ModemCore } from './core.js';
import type { SimModemOptions } from './options.js';
import type { PinState } from './sim-card.js';
import { DOMAINS, canUseNetwork, checkRegistration, checkRssi } from './state.js';
import type { Domain, Fun, ModemState, Operator } from './state.js';
import { measurePdu, type SlotStat, type StoredMessage } from './storage.js';
import type { Chunking, ModemIo } from './wire.js';
import { simError } from './sim-error.js';

export type { SimModemOptions } from './options.js';

export interface SimModemEvents {
  /** A command line the host sent (without its terminator). */
  command: [line: string];
  /** An SMS-SUBMIT accepted with +CMGS. */
  sent: [{ pdu: string; reference: number }];
  deleted: [{ index: number }];
  stored: [{ index: number }];
}

export interface DeliverSmsOptions {
  from: string;
  text: string;
  timestamp?: Date;
  tzOffsetMinutes?: number;
  encoding?: SmsEncoding;
  /** Concatenation reference (default: random). */
  ref?: number;
  /** The order the parts arrive in, as 0-based part numbers, e.g. [2, 0, 1]. */
  order?: number[];
  /** Time between parts arriving. */
  gapMs?: number;
  storage?: 'SM';
}

export interface ModemConnection {
  /** Bytes from the host. */
  input(chunk: Buffer): void;
  /** The host is gone (port closed, cable pulled). */
  detach(): void;
}

export class SimModem extends EventEmitter<SimModemEvents> {
  readonly #core: ModemCore;

  constructor(options: SimModemOptions = {}) {
    super();
    this.#core = new ModemCore(options, {
      command: (line) => this.emit('command', line),
      sent: (pdu, reference) => this.emit('sent', { pdu, reference }),
      deleted: (index) => this.emit('deleted', { index }),
      stored: (index) => this.emit('stored', { index }),
    });
  }

  /** A modem that replays a recorded transcript (ModemManager's test-port format) instead of interpreting. */
  static fromTranscript(text: string, options: Omit<SimModemOptions, 'transcript'> = {}): SimModem {
    return new SimModem({ ...options, transcript: text });
  }

  /** Everything the modem knows; read it in tests, change it only through the controls. */
  get state(): Readonly<ModemState> {
    return this.#core.state;
  }

  get connected(): boolean {
    return this.#core.wire.attached;
  }

  connect(io: ModemIo): ModemConnection {
    if (this.#core.wire.attached) throw simError('SimModem is already connected to a host: detach that connection before connecting another', 'SIM_BAD_STATE');
    this.#core.wire.attach(io);
    let attached = true;
    return {
      input: (chunk) => {
        // A hung or restarting modem reads nothing; what the host sent is simply lost.
        if (!attached || this.#core.silent || this.#core.booting) return;
        this.#core.input.feed(chunk);
      },
      detach: () => {
        if (!attached) return;
        attached = false;
        this.#core.wire.detach();
        this.#core.input.reset();
      },
    };
  }

  // ---- the network and the SIM ------------------------------------------------------------

  /** A message arrives from the network (split into parts as needed); resolves with each part's slot, -1 when routed to the host as +CMT. */
  async deliverSms(o: DeliverSmsOptions): Promise<number[]> {
    if (o.storage !== undefined && o.storage !== 'SM') throw simError(`storage "${String(o.storage)}" is not simulated: only "SM" (the SIM) is`);
    const parts = encodeDeliverParts({
      sender: o.from,
      text: o.text,
      timestamp: o.timestamp ?? new Date(this.#core.clock.now()),
      tzOffsetMinutes: o.tzOffsetMinutes ?? 0,
      encoding: o.encoding,
      ref: o.ref ?? this.#core.random.int(0, 255),
      smsc: this.#core.state.smsc,
    });
    const order = o.order ?? parts.map((_, i) => i);
    const sorted = [...order].sort((a, b) => a - b);
    if (sorted.length !== parts.length || sorted.some((p, i) => p !== i)) {
      throw simError(`order [${order.join(',')}] is not an arrival order for ${parts.length} part(s): expected each of 0..${parts.length - 1} once`);
    }
    const slots: Promise<number>[] = new Array<Promise<number>>(parts.length);
    for (const [k, i] of order.entries()) {
      if (k > 0 && (o.gapMs ?? 0) > 0) await this.#core.sleep(o.gapMs!);
      const part = parts[i]!;
      slots[i] = this.#core.sms.deliver({ kind: 'deliver', pdu: part.hex, tpduLength: part.tpduLength });
    }
    return Promise.all(slots);
  }

  /** Put a raw PDU (SMSC field first) into the SIM store; returns its slot. */
  storePdu(hex: string, stat: SlotStat = 0): number {
    const measured = measurePdu(hex);
    if ('error' in measured) throw simError(`storePdu: ${measured.error}`);
    const index = this.#core.state.storage.store(hex, measured.tpduLength, stat);
    if (index === undefined) throw simError(`storePdu: the SIM store is full (${this.#core.state.storage.size} slots)`);
    this.emit('stored', { index });
    return index;
  }

  messages(): StoredMessage[] {
    return this.#core.state.storage.list();
  }

  /** Messages the network holds for the modem (store full, not reachable, not acknowledged). */
  get heldByNetwork(): number {
    return this.#core.sms.held;
  }

  setRegistration(r: { stat: number; lac?: number; ci?: number; act?: number; domain?: Domain | 'all' }): void {
    const domains = r.domain === undefined || r.domain === 'all' ? DOMAINS : [r.domain];
    if (!domains.every((d) => DOMAINS.includes(d))) throw simError(`domain "${String(r.domain)}" is not one of cs, ps, eps, all`);
    const next = domains.map((d) => {
      const cur = this.#core.state.network[d];
      const reg = { stat: r.stat, lac: r.lac ?? cur.lac, ci: r.ci ?? cur.ci, act: r.act ?? cur.act };
      checkRegistration(reg);
      return [d, reg] as const;
    });
    for (const [d, reg] of next) this.#core.state.network[d] = reg;
    this.#core.changed();
  }

  setOperator(op: Operator): void {
    if (!/^\d{5,6}$/.test(op.numeric)) throw simError(`operator numeric "${op.numeric}" is not an MCC+MNC: expected 5 or 6 digits`);
    this.#core.state.operator = { ...op };
  }

  setSignal(rssi: number, ber = 99): void {
    checkRssi(rssi, ber);
    this.#core.state.signal = { rssi, ber };
    if (this.#core.state.settings.qindCsq && this.#core.state.fun === 1) this.#core.urc(`+QIND: "csq",${rssi},${ber}`);
  }

  /** The modem switches its radio itself (airplane-mode pin, thermal protection): +CFUN URC. */
  setRadio(fun: Fun): void {
    if (fun !== 0 && fun !== 1 && fun !== 4) throw simError(`fun ${String(fun)} is not a +CFUN level: expected 0, 1 or 4`);
    this.#core.state.fun = fun;
    this.urc(`+CFUN: ${fun}`);
    this.#core.changed();
  }

  setSimState(state: PinState): void {
    if (!['READY', 'SIM PIN', 'SIM PUK', 'PH-SIM PIN'].includes(state)) {
      throw simError(`SIM state "${String(state)}" is not one of READY, SIM PIN, SIM PUK, PH-SIM PIN`);
    }
    this.#core.state.sim.present = true;
    this.#core.state.sim.state = state;
    this.#core.simChanged();
  }

  removeSim(): void {
    this.#core.state.sim.present = false;
    this.#core.simChanged();
  }

  insertSim(): void {
    this.#core.state.sim.present = true;
    this.#core.state.sim.powerOn();
    this.#core.simChanged();
  }

  /** An incoming call: RING (and +CLIP when enabled) every 3 s until answered or hung up. */
  ring(o: { number: string; type?: number }): void {
    if (!canUseNetwork(this.#core.state)) throw simError(`cannot ring from "${o.number}": the modem is not registered (radio off, SIM locked or no network)`, 'SIM_BAD_STATE');
    this.#core.calls.ring(o.number, o.type);
  }

  /** The other side hangs up: NO CARRIER. */
  hangup(): void {
    this.#core.calls.hangupRemote();
  }

  /** Send any unsolicited line (vendor URCs, +CGEV, SIM toolkit …). */
  urc(line: string): void {
    this.#core.urc(line);
  }

  // ---- misbehaviour -----------------------------------------------------------------------

  /** Line noise: the given bytes, or random bytes ending in half a line without CR. */
  garbage(bytes?: Buffer): void {
    const noise = bytes ?? Buffer.concat([this.#core.random.bytes(this.#core.random.int(4, 24)), Buffer.from('\r\n+CRE')]);
    this.#core.wire.send(noise);
  }

  /** A hung modem: reads nothing, says nothing, until silence(false) or powerCycle(). */
  silence(on: boolean): void {
    this.#core.silent = on;
    this.#core.wire.muted = on || this.#core.booting;
    if (on) this.#core.input.reset();
  }

  /** Power off and on: silent for `bootMs`, then RDY; settings reset, the SIM store kept. */
  powerCycle(): Promise<void> {
    return this.#core.restart();
  }

  /** Split every write into chunks of minBytes..maxBytes, each after up to maxDelayMs; undefined turns it off. */
  chunking(c: Chunking | undefined): void {
    this.#core.wire.setChunking(c);
  }

  /** Wedge a URC inside the next response that has information text (after its first entry). */
  urcInsideNextResponse(line: string): void {
    this.#core.injection = line;
  }

  /** A line longer than any sane buffer: `n` characters, then CR LF. */
  overlongLine(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw simError(`overlongLine length ${String(n)} must be a positive integer`);
    this.#core.wire.send('\r\n' + '0123456789ABCDEF'.repeat(Math.ceil(n / 16)).slice(0, n) + '\r\n');
  }

  /** The next AT+CMGS fails with this +CMS error (e.g. 500, or 38 network out of order). */
  rejectNextSubmit(cmsError = 500): void {
    this.#core.submitFailure = cmsError;
  }

  /** Stop every timer (ringing, status reports, retries) and let go of the host. */
  close(): void {
    this.#core.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}
