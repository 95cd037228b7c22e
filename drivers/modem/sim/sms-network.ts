/**
 * The network side of incoming short messages. The service centre holds what it could not hand
 * over yet and retries: while the modem is off the network, when the SIM store is full (until a
 * deletion frees a slot, which the phone reports with RP-SMMA, TS 24.011 §7.3.2), and when a
 * message routed straight to the host was not acknowledged with AT+CNMA in time. In that last
 * case the modem also turns routing to the host off (TS 27.005 §3.4.1: <mt> and <ds> go to 0).
 */
import type { Clock, TimerHandle } from '../../../runtime/clock.js';
import type { ModemState } from './state.js';

export type PartKind = 'deliver' | 'status-report';

export interface NetworkPart {
  kind: PartKind;
  pdu: string;
  tpduLength: number;
}

export interface SmsNetworkHost {
  readonly state: ModemState;
  readonly clock: Clock;
  /** The network can reach the modem (radio on, SIM ready, registered). */
  reachable(): boolean;
  /** Lines of an SMS indication (+CMTI, +CMT, +CDS, +CDSI), subject to +CNMI buffering. */
  indicate(lines: string[]): void;
  /** +CMT / +CDS lines for a message routed straight to the host (PDU or text mode). */
  directLines(part: NetworkPart): string[];
  stored(index: number): void;
}

export interface SmsNetworkOptions {
  /** How soon the service centre retries after RP-SMMA or a missing acknowledgement. */
  retryDelayMs: number;
  /** How long the network waits for AT+CNMA (TS 24.011 TR2M is 35–45 s; tests shorten it). */
  ackTimeoutMs: number;
}

interface Waiting {
  part: NetworkPart;
  /** Slot index once stored, -1 when handed to the host directly, or dropped (ds=0). */
  resolve(index: number): void;
}

export class SmsNetwork {
  readonly #host: SmsNetworkHost;
  readonly #o: SmsNetworkOptions;
  #queue: Waiting[] = [];
  #unacked: { waiting: Waiting; timer: TimerHandle } | undefined;
  #retryTimer: TimerHandle | undefined;

  constructor(host: SmsNetworkHost, options: SmsNetworkOptions) {
    this.#host = host;
    this.#o = options;
  }

  /** Messages the service centre still holds for this modem. */
  get held(): number {
    return this.#queue.length + (this.#unacked ? 1 : 0);
  }

  get awaitingAck(): boolean {
    return this.#unacked !== undefined;
  }

  /** Hand a part to the network for delivery; resolves with where it ended up. */
  deliver(part: NetworkPart): Promise<number> {
    return new Promise((resolve) => {
      this.#queue.push({ part, resolve });
      this.pump();
    });
  }

  /** Deliver what can be delivered now, in order; a part that cannot go blocks those after it. */
  pump(): void {
    while (this.#queue.length > 0 && !this.#unacked && this.#host.reachable()) {
      const next = this.#queue[0]!;
      if (!this.#route(next)) return;
      this.#queue.shift();
    }
  }

  /** AT+CNMA: false when nothing was waiting for it (+CMS ERROR: 340). */
  acknowledge(): boolean {
    const u = this.#unacked;
    if (!u) return false;
    this.#host.clock.clearTimeout(u.timer);
    this.#unacked = undefined;
    u.waiting.resolve(-1);
    this.pump();
    return true;
  }

  /** A slot was freed: the phone tells the network it has memory again, which retries shortly. */
  memoryAvailable(): void {
    if (this.#queue.length > 0) this.#retrySoon();
  }

  /** Power loss: a message not yet acknowledged was never accepted, so the network keeps it. */
  reset(): void {
    if (this.#unacked) {
      this.#host.clock.clearTimeout(this.#unacked.timer);
      this.#queue.unshift(this.#unacked.waiting);
      this.#unacked = undefined;
    }
    if (this.#retryTimer) this.#host.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** Route one part; false when it has to stay with the network for now. */
  #route(w: Waiting): boolean {
    const { settings, storage } = this.#host.state;
    const { cnmi } = settings;
    const direct = w.part.kind === 'deliver' ? cnmi.mt === 2 : cnmi.ds === 1;
    if (w.part.kind === 'status-report' && cnmi.ds === 0) {
      // Not routed anywhere: the report is lost, as on a real modem with <ds>=0.
      w.resolve(-1);
      return true;
    }
    if (direct) {
      this.#host.indicate(this.#host.directLines(w.part));
      if (settings.csms === 1) {
        const timer = this.#host.clock.setTimeout(() => this.#ackTimedOut(), this.#o.ackTimeoutMs);
        timer.unref();
        this.#unacked = { waiting: w, timer };
      } else {
        w.resolve(-1);
      }
      return true;
    }
    const index = storage.store(w.part.pdu, w.part.tpduLength, 0);
    if (index === undefined) return false;
    this.#host.stored(index);
    if (w.part.kind === 'deliver' && cnmi.mt === 1) this.#host.indicate([`+CMTI: "SM",${index}`]);
    if (w.part.kind === 'status-report' && cnmi.ds === 2) this.#host.indicate([`+CDSI: "SM",${index}`]);
    w.resolve(index);
    return true;
  }

  #ackTimedOut(): void {
    const u = this.#unacked;
    if (!u) return;
    this.#unacked = undefined;
    const { cnmi } = this.#host.state.settings;
    cnmi.mt = 0;
    cnmi.ds = 0;
    this.#queue.unshift(u.waiting);
    this.#retrySoon();
  }

  #retrySoon(): void {
    if (this.#retryTimer) return;
    this.#retryTimer = this.#host.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      this.pump();
    }, this.#o.retryDelayMs);
  }
}
