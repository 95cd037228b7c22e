/**
 * What the modem last said about itself — SIM lock, radio, registration per domain, operator,
 * signal — kept from solicited answers and URCs alike, and turned into change events only when
 * something actually changed (modems repeat +CREG and +CSQ freely).
 */
import type { Emitter } from '../../runtime/emitter.js';
import type { AtResponse, Urc } from './at/engine.js';
import { parseClip } from './at/calls.js';
import { parseCopsQuery } from './at/cops.js';
import { parseCfun, parseCsq } from './at/radio.js';
import { parseRegistration } from './at/registration.js';
import { parseCpin, parsePinRetries } from './at/sim.js';
import { parseCmti } from './at/sms-lines.js';
import { isPacketDomainUrc, isVendorUrc } from './at/urc.js';
import type { DomainRegistration, ModemEvents, ModemStatus, PinLockState, RadioState, RegistrationDomain, RegistrationState } from './modem.js';

type Run = (command: string) => Promise<AtResponse>;

const RANK: Record<RegistrationState, number> = { home: 6, roaming: 5, 'emergency-only': 4, searching: 3, denied: 2, idle: 1, unknown: 0 };

export class ModemTracker {
  readonly #status: ModemStatus;
  readonly #events: Emitter<ModemEvents>;
  readonly #refreshOperator: () => Promise<void>;
  #call: 'none' | 'ringing' | 'announced' = 'none';
  /** +CLIP presentation is on (init enables it), so the caller id follows every RING. */
  clip = false;

  constructor(o: { path: string; binding: string; events: Emitter<ModemEvents>; refreshOperator(): Promise<void> }) {
    this.#events = o.events;
    this.#refreshOperator = o.refreshOperator;
    this.#status = { path: o.path, binding: o.binding, open: false, ready: false, identity: {}, pin: 'UNKNOWN', radio: 'unknown', registration: 'unknown', domains: {} };
  }

  status(): ModemStatus {
    return structuredClone(this.#status);
  }

  set(patch: Partial<ModemStatus>, what: string): void {
    let changed = false;
    for (const [k, v] of Object.entries(patch) as [keyof ModemStatus, unknown][]) {
      if (JSON.stringify(this.#status[k]) === JSON.stringify(v)) continue;
      if (v === undefined) delete this.#status[k];
      else (this.#status as unknown as Record<string, unknown>)[k] = v;
      changed = true;
    }
    if (changed) this.#events.emit('change', { what, status: this.status() });
  }

  setIdentity(identity: ModemStatus['identity']): void {
    this.set({ identity: { ...this.#status.identity, ...identity } }, 'identity');
  }

  setPin(state: PinLockState, retries?: { pin?: number; puk?: number }): void {
    const previous = this.#status.pin;
    this.set({ pin: state, ...(retries ? { pinRetries: retries } : {}) }, 'pin');
    if (previous !== state) this.#events.emit('pin', { state, previous, ...(this.#status.pinRetries ? { retries: this.#status.pinRetries } : {}) });
  }

  setRadio(fun: number, state: RadioState): void {
    const previous = this.#status.radio;
    this.set({ radio: state }, 'radio');
    if (previous !== state) this.#events.emit('radio', { state, previous, fun });
  }

  setRegistration(domain: RegistrationDomain, current: DomainRegistration): void {
    const previous = this.#status.domains[domain];
    const overallBefore = this.#status.registration;
    const same = previous && previous.state === current.state && previous.lac === current.lac && previous.ci === current.ci && previous.act === current.act;
    if (same) return;
    const domains = { ...this.#status.domains, [domain]: current };
    const overall = overallOf(domains);
    this.set({ domains, registration: overall }, 'registration');
    const registered = (s: RegistrationState) => s === 'home' || s === 'roaming';
    const emit = () => this.#events.emit('registration', { domain, current, previous, overall, overallBefore });
    if (!registered(overall) && registered(overallBefore)) this.#setOperator(undefined);
    // A new registration names its operator: ask for it first, so the event carries it. Once per
    // change of the overall state, not once per domain (CS, PS and EPS report one after another).
    if (registered(overall) && overall !== overallBefore) void this.#refreshOperator().finally(emit);
    else emit();
  }

  #announce(number: string | undefined, validity: string): void {
    this.#call = 'announced';
    this.#events.emit('ring', { ...(number ? { number } : {}), validity });
  }

  setSignal(rssi: number, dbm: number, quality: number): void {
    if (this.#status.signal?.rssi === rssi) return;
    this.set({ signal: { rssi, dbm, quality } }, 'signal');
    this.#events.emit('signal', { rssi, dbm, quality });
  }

  #setOperator(op: ModemStatus['operator']): void {
    const previous = this.#status.operator;
    if (JSON.stringify(previous) === JSON.stringify(op)) return;
    this.set({ operator: op }, 'operator');
    this.#events.emit('operator', { ...(op ?? {}), ...(previous ? { previous: { ...(previous.name ? { name: previous.name } : {}), ...(previous.numeric ? { numeric: previous.numeric } : {}) } } : {}) });
  }

  async refreshOperator(run: Run): Promise<void> {
    const response = await run('AT+COPS?');
    const line = response.lines.find((l) => l.startsWith('+COPS:'));
    const cops = line ? parseCopsQuery(line) : undefined;
    if (!cops?.operator) return this.#setOperator(undefined);
    const numeric = /^\d{5,6}$/.test(cops.operator) ? cops.operator : undefined;
    this.#setOperator({ ...(numeric ? { numeric } : { name: cops.operator }), ...(cops.act ? { act: cops.act } : {}) });
  }

  async refreshSignal(run: Run): Promise<void> {
    const response = await run('AT+CSQ');
    const line = response.lines.find((l) => l.startsWith('+CSQ:'));
    const csq = line ? parseCsq(line) : undefined;
    if (csq?.rssi !== undefined && csq.dbm !== undefined) this.setSignal(csq.rssi, csq.dbm, csq.quality ?? 0);
  }

  async refreshPin(run: Run): Promise<void> {
    const response = await run('AT+CPIN?');
    const line = response.lines.find((l) => l.startsWith('+CPIN:'));
    const state = line ? parseCpin(line) : undefined;
    let retries: { pin?: number; puk?: number } | undefined;
    if (state && state !== 'READY') {
      const r = await run('AT+CPINR="SIM*"').catch(() => undefined);
      for (const l of r?.lines ?? []) {
        const parsed = parsePinRetries(l);
        if (parsed) retries = { ...retries, ...parsed };
      }
    }
    this.setPin(state ?? 'UNKNOWN', retries);
  }

  /** Route one URC; `simReady` runs when the SIM becomes usable (unlocked, inserted). */
  onUrc(urc: Urc, simReady: () => Promise<void>): void {
    const { name, line } = urc;
    switch (name) {
      case '+CMTI': {
        const at = parseCmti(line);
        if (at) this.#events.emit('message', { storage: at.storage, index: at.index, pdu: '' });
        return;
      }
      case '+CMT':
        if (urc.body) this.#events.emit('message', { storage: 'direct', index: -1, pdu: urc.body });
        return;
      case '+CDS':
        if (urc.body) this.#events.emit('statusReport', { pdu: urc.body });
        return;
      case '+CREG':
      case '+CGREG':
      case '+CEREG':
      case '+C5GREG': {
        const reg = parseRegistration(line);
        if (reg) this.setRegistration(reg.domain, toDomain(reg));
        return;
      }
      case '+CPIN': {
        const state = parseCpin(line);
        if (!state) return;
        this.setPin(state);
        if (state === 'READY') void simReady();
        return;
      }
      case '+CFUN': {
        const f = parseCfun(line);
        if (f) this.setRadio(f.fun, radioOf(f.fun));
        return;
      }
      case 'RING':
      case '+CRING':
        if (this.#call === 'announced') return;
        // With +CLIP on, the number follows RING and the call is announced then; without it, or
        // when the network withholds it on a second RING, the call is announced without a number.
        if (this.#call === 'ringing' || !this.clip) this.#announce(undefined, 'unavailable');
        else this.#call = 'ringing';
        return;
      case '+CLIP': {
        const clip = parseClip(line);
        if (clip && this.#call !== 'announced') this.#announce(clip.number || undefined, clip.validity ?? 'valid');
        return;
      }
      case 'NO CARRIER':
        if (this.#call !== 'none') {
          this.#call = 'none';
          this.#events.emit('callEnded', { reason: 'NO CARRIER' });
        }
        return;
      default: {
        // Quectel reports signal changes itself (+QIND: "csq",<rssi>,<ber>): no need to wait for a poll.
        const qcsq = /^\+QIND:\s*"csq",(\d+),(\d+)/i.exec(line);
        const csq = qcsq ? parseCsq(`+CSQ: ${qcsq[1]},${qcsq[2]}`) : undefined;
        if (csq?.rssi !== undefined && csq.dbm !== undefined) this.setSignal(csq.rssi, csq.dbm, csq.quality ?? 0);
        if (isVendorUrc(name) || isPacketDomainUrc(name)) this.#events.emit('urc', urc);
      }
    }
  }
}

export function toDomain(reg: { state: string; stat: number; lac?: number | undefined; tac?: number | undefined; ci?: number | undefined; act?: string | undefined }): DomainRegistration {
  const state: RegistrationState = reg.state.startsWith('home') ? 'home' : reg.state.startsWith('roaming') ? 'roaming' : (['searching', 'denied', 'idle', 'emergency-only'] as const).find((s) => s === reg.state) ?? 'unknown';
  const lac = reg.lac ?? reg.tac;
  return { state, stat: reg.stat, ...(lac !== undefined ? { lac } : {}), ...(reg.ci !== undefined ? { ci: reg.ci } : {}), ...(reg.act ? { act: reg.act } : {}) };
}

function overallOf(domains: Partial<Record<RegistrationDomain, DomainRegistration>>): RegistrationState {
  let best: RegistrationState = 'unknown';
  for (const d of Object.values(domains)) if (d && RANK[d.state] > RANK[best]) best = d.state;
  return best;
}

export function radioOf(fun: number): RadioState {
  return fun === 1 ? 'on' : fun === 4 ? 'flight' : fun === 0 ? 'off' : 'unknown';
}
