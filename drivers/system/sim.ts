/**
 * The system family's simulated binding: an idle Raspberry Pi 4 held in memory, changed by
 * controls (tests, the demo board) or by a scripted timeline, and reporting through the same
 * events the linux binding emits, so everything above the driver runs unchanged.
 */
import { systemClock } from '../../runtime/clock.js';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import { Emitter } from '../../runtime/emitter.js';
import { DriverError } from '../../runtime/errors.js';
import { throttledBits, validateTimeline } from './sim-timeline.js';
import type { SimStep } from './sim-timeline.js';
import { decodeThrottled } from './system.js';
import type { LinkKind, NetworkState, Session, SystemDriver, SystemEvents, SystemReadings } from './system.js';

export type { SimStep } from './sim-timeline.js';

export interface SimState {
  memTotalKb: number;
  memAvailableKb: number;
  memPressure: { some10: number; full10: number } | undefined;
  load1: number;
  cores: number;
  socTempC: number | undefined;
  /** Raw get_throttled bits; undefined simulates a board that is not a Raspberry Pi. */
  throttled: number | undefined;
  timeZone: string;
  sessions: Session[];
  /** `internet` here is whether the upstream answers; it is reported only while a default route exists. */
  network: NetworkState;
}

export interface SimSystemOptions {
  clock?: Clock;
  initial?: Partial<SimState>;
  timeline?: SimStep[];
  repeatSec?: number;
  pollMs?: number;
  /** Steps that move other simulated hardware (GPIO lines, sensors) are handed to the board. */
  onStep?: (step: SimStep) => void;
}

/** Interface names the simulated board gives each kind of link. */
const IFACE_FOR: Record<LinkKind, string> = { wifi: 'wlan0', ethernet: 'eth0', cellular: 'wwan0', other: 'usb0' };

function idlePi4(): SimState {
  return {
    memTotalKb: 3_884_180, // a 4 GB Pi 4 after the firmware's and kernel's reservations
    memAvailableKb: 3_355_443,
    memPressure: { some10: 0, full10: 0 },
    load1: 0.1,
    cores: 4,
    socTempC: 48,
    throttled: 0,
    timeZone: 'Europe/London',
    sessions: [],
    network: { defaultRoute: { iface: 'wlan0', kind: 'wifi' }, internet: true, metered: false },
  };
}

export class SimSystem implements SystemDriver {
  readonly name = 'system' as const;
  readonly binding = 'sim' as const;
  readonly events = new Emitter<SystemEvents>();

  readonly #clock: Clock;
  readonly #pollMs: number;
  readonly #timeline: readonly SimStep[];
  readonly #repeatMs: number | undefined;
  readonly #state: SimState;
  #open = false;
  #nextPid = 4000;
  #pollTimer: TimerHandle | undefined;
  #stepTimer: TimerHandle | undefined;
  #stepIndex = 0;
  #cycleStart = 0;
  readonly #onStep: ((step: SimStep) => void) | undefined;

  constructor(options: SimSystemOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#pollMs = options.pollMs ?? 2000;
    if (!Number.isFinite(this.#pollMs) || this.#pollMs <= 0) {
      throw new DriverError('system', `pollMs ${JSON.stringify(options.pollMs)} is not a positive number of milliseconds`);
    }
    this.#onStep = options.onStep;
    this.#timeline = [...(options.timeline ?? [])];
    validateTimeline(this.#timeline, options.repeatSec);
    this.#repeatMs = options.repeatSec === undefined ? undefined : options.repeatSec * 1000;
    const initial = options.initial ?? {};
    this.#state = { ...idlePi4(), ...initial };
    this.#state.sessions = [...this.#state.sessions];
    if (initial.throttled !== undefined && throttledBits(initial.throttled) === undefined) {
      throw new DriverError('system', `initial throttled ${JSON.stringify(initial.throttled)} is not a non-negative integer`);
    }
  }

  async open(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#open) throw new DriverError('system', 'open() called on a simulated system that is already open');
    this.#open = true;
    this.#armPoll();
    this.#cycleStart = this.#clock.now();
    this.#stepIndex = 0;
    this.#armStep();
  }

  readings(): SystemReadings {
    const s = this.#state;
    const r: SystemReadings = { at: this.#clock.now(), memTotalKb: s.memTotalKb, memAvailableKb: s.memAvailableKb, load1: s.load1, cores: s.cores };
    if (s.memPressure) r.memPressure = { ...s.memPressure };
    if (s.socTempC !== undefined) r.socTempC = s.socTempC;
    if (s.throttled !== undefined) r.throttled = decodeThrottled(s.throttled);
    return r;
  }

  timeZone(): string {
    return this.#state.timeZone;
  }

  sessions(): Session[] {
    return [...this.#state.sessions];
  }

  network(): NetworkState {
    const n = this.#state.network;
    if (!n.defaultRoute) return { internet: false, metered: false };
    return { defaultRoute: { ...n.defaultRoute }, internet: n.internet, metered: n.metered };
  }

  supplyGood(): boolean {
    return ((this.#state.throttled ?? 0) & 1) === 0;
  }

  async close(): Promise<void> {
    this.#open = false;
    if (this.#pollTimer) this.#clock.clearTimeout(this.#pollTimer);
    if (this.#stepTimer) this.#clock.clearTimeout(this.#stepTimer);
    this.#pollTimer = this.#stepTimer = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ── controls ────────────────────────────────────────────────────────────────────────────

  /** Change readings; emits `readings` now (and `supply` if the under-voltage bit flipped). */
  set(partial: Partial<Omit<SystemReadings, 'at'>>): void {
    const { throttled, ...rest } = partial;
    this.#changeReadings(() => {
      Object.assign(this.#state, rest);
      if ('throttled' in partial) this.#state.throttled = throttled?.raw;
    });
  }

  setThrottled(raw: number): void {
    if (throttledBits(raw) === undefined) throw new DriverError('system', `throttled ${JSON.stringify(raw)} is not a non-negative integer bit field`);
    this.#changeReadings(() => {
      this.#state.throttled = raw;
    });
  }

  setTimeZone(zone: string): void {
    const from = this.#state.timeZone;
    if (zone === from) return;
    this.#state.timeZone = zone;
    this.events.emit('timeZone', { from, to: zone });
  }

  /** An operator logs in; a local login on the next free pts line unless told otherwise. */
  login(user: string, options: { line?: string; host?: string } = {}): Session {
    const used = new Set(this.#state.sessions.map((s) => s.line));
    let n = 0;
    while (used.has(`pts/${n}`)) n++;
    const session: Session = { user, line: options.line ?? `pts/${n}`, host: options.host ?? '', pid: this.#nextPid++, loginAt: this.#clock.now() };
    this.#state.sessions = [...this.#state.sessions, session];
    this.events.emit('sessions', { sessions: this.sessions(), added: [session], removed: [] });
    return session;
  }

  /** Ends the session on that line, or else the user's most recent one. Returns it, if there was one. */
  logout(userOrLine: string): Session | undefined {
    const all = this.#state.sessions;
    const gone = all.find((s) => s.line === userOrLine) ?? all.filter((s) => s.user === userOrLine).at(-1);
    if (!gone) return undefined;
    this.#state.sessions = all.filter((s) => s !== gone);
    this.events.emit('sessions', { sessions: this.sessions(), added: [], removed: [gone] });
    return gone;
  }

  /**
   * Change the network. A new default route carries its own `metered` (cellular) unless one is
   * given; `defaultRoute: undefined` removes it. Emits `network` when what is reported changed.
   */
  setNetwork(partial: Partial<NetworkState>): void {
    const before = this.network();
    const n = this.#state.network;
    const next: NetworkState = { ...n, ...partial };
    if ('defaultRoute' in partial) {
      if (partial.defaultRoute) next.defaultRoute = { ...partial.defaultRoute };
      else delete next.defaultRoute;
      if (partial.metered === undefined) next.metered = next.defaultRoute?.kind === 'cellular';
    }
    this.#state.network = next;
    const after = this.network();
    const same =
      before.internet === after.internet &&
      before.metered === after.metered &&
      before.defaultRoute?.iface === after.defaultRoute?.iface &&
      before.defaultRoute?.kind === after.defaultRoute?.kind;
    if (!same) this.events.emit('network', after);
  }

  /** A named device event: a button on the simulated board, a scripted event. */
  raise(id: string, details?: Record<string, unknown>): void {
    this.events.emit('deviceEvent', details === undefined ? { id } : { id, details });
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────

  #changeReadings(change: () => void): void {
    const wasGood = this.supplyGood();
    change();
    const good = this.supplyGood();
    this.events.emit('readings', this.readings());
    if (good !== wasGood) {
      this.events.emit('supply', { good, cause: good ? 'supply voltage back to normal' : 'under-voltage reported by the SoC firmware' });
    }
  }

  #armPoll(): void {
    this.#pollTimer = this.#clock.setTimeout(() => {
      this.#pollTimer = undefined;
      if (!this.#open) return;
      this.events.emit('readings', this.readings());
      this.#armPoll();
    }, this.#pollMs);
    this.#pollTimer.unref();
  }

  /** One timer at a time: the next step of the timeline, or the start of the next cycle. */
  #armStep(): void {
    if (!this.#open || this.#timeline.length === 0) return;
    if (this.#stepIndex >= this.#timeline.length) {
      if (this.#repeatMs === undefined) return;
      this.#cycleStart += this.#repeatMs;
      this.#stepIndex = 0;
    }
    const step = this.#timeline[this.#stepIndex]!;
    const due = this.#cycleStart + step.at * 1000;
    this.#stepTimer = this.#clock.setTimeout(() => {
      this.#stepTimer = undefined;
      if (!this.#open) return;
      this.#stepIndex++;
      this.#runStep(step);
      this.#armStep();
    }, Math.max(0, due - this.#clock.now()));
    this.#stepTimer.unref();
  }

  #runStep(step: SimStep): void {
    const { set } = step;
    const bits = step.throttled === undefined ? undefined : throttledBits(step.throttled);
    if (set || bits !== undefined) {
      this.#changeReadings(() => {
        const s = this.#state;
        if (set?.memAvailablePct !== undefined) s.memAvailableKb = Math.round((s.memTotalKb * set.memAvailablePct) / 100);
        if (set?.memPressureSome10 !== undefined) {
          // PSI's "full" can never exceed "some".
          s.memPressure = { some10: set.memPressureSome10, full10: Math.min(s.memPressure?.full10 ?? 0, set.memPressureSome10) };
        }
        if (set?.load1 !== undefined) s.load1 = set.load1;
        if (set?.socTempC !== undefined) s.socTempC = set.socTempC;
        if (bits !== undefined) s.throttled = bits;
      });
    }
    if (step.timeZone !== undefined) this.setTimeZone(step.timeZone);
    if (step.login !== undefined) this.login(step.login);
    if (step.logout !== undefined) this.logout(step.logout);
    if (step.link !== undefined) {
      this.setNetwork({ defaultRoute: step.link === null ? undefined : { iface: IFACE_FOR[step.link], kind: step.link } });
    }
    if (step.internet !== undefined) this.setNetwork({ internet: step.internet });
    if (step.emit !== undefined) this.raise(step.emit, step.details);
    if (step.gpio !== undefined || step.sensor !== undefined || step.modem !== undefined || step.ble !== undefined || step.wifi !== undefined) this.#onStep?.(step);
  }
}
