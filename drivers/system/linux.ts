/**
 * The system family's real binding: procfs, sysfs, utmp and logind files, polled. Every path
 * is taken relative to `root`, so tests run it against a fake tree with real-format content.
 * The sampler reads; this class watches: it diffs each sample against the last, emits the
 * change events, and runs the internet probe.
 */
import { systemClock } from '../../runtime/clock.js';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import { Emitter } from '../../runtime/emitter.js';
import { DriverError } from '../../runtime/errors.js';
import { tcpProbe } from './probe.js';
import { FAILED, LinuxSampler } from './sampler.js';
import type { Route } from './sampler.js';
import type { NetworkState, Session, SystemDriver, SystemEvents, SystemReadings } from './system.js';
import { diffSessions } from './utmp.js';
import { readSystemZone } from './zone.js';

export interface LinuxSystemOptions {
  clock?: Clock;
  /** Filesystem root the kernel files are read under; '/' on a device. */
  root?: string;
  pollMs?: number;
  /** A TCP endpoint whose answer decides `internet` (a default route alone is not proof). */
  probe?: { host: string; port: number; intervalMs?: number; timeoutMs?: number };
}

function positive(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new DriverError('system', `${what} ${JSON.stringify(value)} is not a positive number of milliseconds`);
  return value;
}

export class LinuxSystem implements SystemDriver {
  readonly name = 'system' as const;
  readonly binding = 'linux' as const;
  readonly events = new Emitter<SystemEvents>();

  readonly #clock: Clock;
  readonly #root: string;
  readonly #pollMs: number;
  readonly #probe: { host: string; port: number; intervalMs: number; timeoutMs: number } | undefined;

  #state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  #readings: SystemReadings | undefined;
  #zone = 'UTC';
  #sessions: Session[] = [];
  #route: Route | undefined;
  #probeOk: boolean | undefined;
  #network: NetworkState = { internet: false, metered: false };
  #supplyGood = true;

  readonly #sampler: LinuxSampler;
  #pollTimer: TimerHandle | undefined;
  #probeTimer: TimerHandle | undefined;
  #probeAbort: AbortController | undefined;

  constructor(options: LinuxSystemOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#root = options.root ?? '/';
    this.#sampler = new LinuxSampler(this.#root, this.#clock, (err) => this.events.emit('error', err));
    this.#pollMs = positive(options.pollMs ?? 2000, 'pollMs');
    const probe = options.probe;
    if (probe) {
      if (typeof probe.host !== 'string' || probe.host === '') throw new DriverError('system', `probe host ${JSON.stringify(probe.host)} is empty; expected a host name or address`);
      if (!Number.isInteger(probe.port) || probe.port < 1 || probe.port > 65535) {
        throw new DriverError('system', `probe port ${JSON.stringify(probe.port)} is not a TCP port; expected an integer 1–65535`);
      }
      this.#probe = {
        host: probe.host,
        port: probe.port,
        intervalMs: positive(probe.intervalMs ?? 30_000, 'probe intervalMs'),
        timeoutMs: positive(probe.timeoutMs ?? 5_000, 'probe timeoutMs'),
      };
    }
  }

  async open(signal?: AbortSignal): Promise<void> {
    if (this.#state !== 'new') throw new DriverError('system', `open() called on a system driver that is ${this.#state}; expected a new one`);
    signal?.throwIfAborted();
    this.#state = 'opening';
    try {
      this.#readings = this.#sampler.first();
    } catch (err) {
      this.#state = 'new'; // nothing was started; open() may be tried again
      throw err;
    }
    this.#supplyGood = !this.#readings.throttled?.underVoltage;
    this.#zone = readSystemZone(this.#root);
    const sessions = this.#sampler.sessions();
    if (sessions !== FAILED) this.#sessions = sessions;
    this.#route = this.#sampler.route(undefined);
    // Wait for the first probe so `internet` is an answer, not a guess, when open() resolves.
    if (this.#probe && this.#route) await this.#runProbe(signal);
    if (this.#state !== 'opening') throw new DriverError('system', 'the system driver was closed while opening');
    if (signal?.aborted) {
      await this.close();
      signal.throwIfAborted();
    }
    this.#network = this.#computeNetwork();
    this.#state = 'open';
    this.#armPoll();
    if (this.#probe) this.#armProbe(this.#probe.intervalMs);
  }

  readings(): SystemReadings {
    if (!this.#readings) throw new DriverError('system', 'readings() called before open(); expected open() to have resolved');
    return this.#readings;
  }

  timeZone(): string {
    return this.#zone;
  }

  sessions(): Session[] {
    return [...this.#sessions];
  }

  network(): NetworkState {
    return this.#network;
  }

  supplyGood(): boolean {
    return this.#supplyGood;
  }

  async close(): Promise<void> {
    this.#state = 'closed';
    if (this.#pollTimer) this.#clock.clearTimeout(this.#pollTimer);
    if (this.#probeTimer) this.#clock.clearTimeout(this.#probeTimer);
    this.#pollTimer = this.#probeTimer = undefined;
    this.#probeAbort?.abort();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #armPoll(): void {
    this.#pollTimer = this.#clock.setTimeout(() => this.#poll(), this.#pollMs);
    this.#pollTimer.unref();
  }

  /** One poll: read everything, update state, then emit, so listeners see a consistent picture. */
  #poll(): void {
    this.#pollTimer = undefined;
    if (this.#state !== 'open') return;
    const readings = this.#sampler.readings(this.#readings);
    const supplyGood = !readings.throttled?.underVoltage;
    const supplyChanged = supplyGood !== this.#supplyGood;
    const zoneFrom = this.#zone;
    const zone = readSystemZone(this.#root);
    const sessions = this.#sampler.sessions();
    const change = sessions === FAILED ? undefined : diffSessions(this.#sessions, sessions);
    const route = this.#sampler.route(this.#route);
    const routeChanged = route?.iface !== this.#route?.iface || route?.kind !== this.#route?.kind;

    this.#readings = readings;
    this.#supplyGood = supplyGood;
    this.#zone = zone;
    if (sessions !== FAILED) this.#sessions = sessions;
    if (routeChanged) {
      this.#route = route;
      // A new route needs a fresh answer; a vanished one makes the last answer meaningless.
      if (!route) this.#probeOk = undefined;
      else this.#startProbe();
    }
    // Node re-reads the zone rules when TZ is assigned, so Date in this process follows the change.
    if (zone !== zoneFrom && this.#root === '/') process.env.TZ = zone;

    this.events.emit('readings', readings);
    if (supplyChanged) {
      const cause = supplyGood ? 'supply voltage back to normal' : 'under-voltage reported by the SoC firmware';
      this.events.emit('supply', { good: supplyGood, cause });
    }
    if (zone !== zoneFrom) this.events.emit('timeZone', { from: zoneFrom, to: zone });
    if (change && (change.added.length > 0 || change.removed.length > 0)) {
      this.events.emit('sessions', { sessions: [...this.#sessions], ...change });
    }
    this.#updateNetwork();
    if (this.#state === 'open') this.#armPoll();
  }

  #computeNetwork(): NetworkState {
    const route = this.#route;
    if (!route) return { internet: false, metered: false };
    return {
      defaultRoute: { iface: route.iface, kind: route.kind },
      internet: this.#probe === undefined || this.#probeOk === true,
      metered: route.kind === 'cellular',
    };
  }

  #updateNetwork(): void {
    if (this.#state !== 'open') return;
    const next = this.#computeNetwork();
    const prev = this.#network;
    const same =
      next.internet === prev.internet &&
      next.metered === prev.metered &&
      next.defaultRoute?.iface === prev.defaultRoute?.iface &&
      next.defaultRoute?.kind === prev.defaultRoute?.kind;
    if (same) return;
    this.#network = next;
    this.events.emit('network', next);
  }

  #armProbe(ms: number): void {
    this.#probeTimer = this.#clock.setTimeout(() => {
      this.#probeTimer = undefined;
      if (this.#state !== 'open') return;
      // Without a default route there is nothing to probe through.
      if (this.#route) this.#startProbe();
      this.#armProbe(ms);
    }, ms);
    this.#probeTimer.unref();
  }

  /** Start a probe unless one is in flight; its answer updates the network state when it lands. */
  #startProbe(): void {
    if (!this.#probe || this.#probeAbort || this.#state !== 'open') return;
    void this.#runProbe(undefined).then(() => this.#updateNetwork());
  }

  async #runProbe(signal: AbortSignal | undefined): Promise<void> {
    const probe = this.#probe;
    if (!probe || this.#probeAbort) return;
    const abort = new AbortController();
    this.#probeAbort = abort;
    try {
      const both = signal ? AbortSignal.any([signal, abort.signal]) : abort.signal;
      const ok = await tcpProbe(probe.host, probe.port, probe.timeoutMs, both);
      if (!both.aborted) this.#probeOk = ok;
    } finally {
      this.#probeAbort = undefined;
    }
  }
}
