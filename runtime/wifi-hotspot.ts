/**
 * The device's on-demand hotspot. A request (a task calling `wifi.hotspot-request` from a button
 * press or a GATT write, `vigil trigger` on an ApplicationTrigger task that does so) is first put
 * to the TetheringEntitlementCheckTrigger tasks, which allow or deny it (`tethering.respond`);
 * silence is a denial, since an operator's entitlement check exists to say no. When allowed,
 * WiFiOnDemandHotspotConnectTrigger activates the task that raises the hotspot through
 * `wifi.hotspot`. WiFiOnDemandHotspotUpdateMetadataTrigger runs periodically and after scans so
 * a task can refresh what the hotspot offers (availability, cellular bars, battery); a hotspot
 * marked unavailable refuses requests.
 */
import type { WifiDriver } from '../drivers/wifi/wifi.js';
import type { Broker } from './broker.js';
import type { CapabilityCaller, Capabilities } from './capabilities.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Unsubscribe } from './emitter.js';
import { CapabilityError, errorMessage } from './errors.js';
import type { Logger } from './logger.js';

export interface HotspotMetadata {
  availability: 'available' | 'unavailable';
  displayName?: string;
  /** 0–5, as a phone shows the cellular signal. */
  cellularBars?: number;
  batteryPercent?: number;
  metered?: boolean;
  updatedAt?: number;
}

export interface HotspotConfig {
  ssid: string;
  password: () => string | undefined;
  band: 'bg' | 'a';
  channel?: number | undefined;
  entitlementMs: number;
  metadataIntervalSec: number;
}

export type RequestResult = { requestId: string; result: 'raised' | 'denied' | 'unavailable' | 'not-configured' | 'no-task'; reason?: string };

interface Pending {
  resolve: (answer: { allowed: boolean; reason: string }) => void;
  timer: TimerHandle;
}

/** Scans come in bursts; the metadata task is not run for each. */
const SCAN_METADATA_GAP_MS = 30_000;

export class HotspotRequests {
  metadata: HotspotMetadata = { availability: 'available' };
  readonly #cfg: HotspotConfig | undefined;
  readonly #driver: WifiDriver;
  readonly #d: { broker: Broker; capabilities: Capabilities; log: Logger; clock: Clock };
  readonly #pending = new Map<string, Pending>();
  readonly #offs: Unsubscribe[] = [];
  #seq = 0;
  #timer: TimerHandle | undefined;
  #lastScanUpdate = -Infinity;

  constructor(cfg: HotspotConfig | undefined, driver: WifiDriver, deps: { broker: Broker; capabilities: Capabilities; log: Logger; clock: Clock }) {
    this.#cfg = cfg;
    this.#driver = driver;
    this.#d = deps;
    this.#offs.push(
      deps.capabilities.define('wifi.hotspot-request', { invoke: (args, caller) => this.request(`task ${caller.name}`, args[0]) }),
      deps.capabilities.define('tethering.respond', { invoke: (args, caller) => this.respond(caller, args[0]) }),
      deps.capabilities.define('wifi.hotspot', {
        target: (args) => (typeof args[0] === 'string' ? args[0] : undefined),
        invoke: (args, caller) => this.#hotspot(caller, args[0], args[1]),
      }),
    );
  }

  /** Periodic metadata updates start once the driver is open. */
  start(): void {
    if (!this.#cfg || this.#timer) return;
    const every = this.#cfg.metadataIntervalSec * 1000;
    const tick = () => {
      this.#timer = this.#d.clock.setTimeout(tick, every);
      this.#raiseMetadata('periodic');
    };
    this.#timer = this.#d.clock.setTimeout(tick, every);
  }

  close(): void {
    if (this.#timer) this.#d.clock.clearTimeout(this.#timer);
    for (const p of this.#pending.values()) this.#d.clock.clearTimeout(p.timer);
    this.#pending.clear();
    this.#offs.splice(0).forEach((off) => off());
  }

  scanned(networks: number): void {
    const now = this.#d.clock.now();
    if (!this.#cfg || now - this.#lastScanUpdate < SCAN_METADATA_GAP_MS) return;
    this.#lastScanUpdate = now;
    this.#raiseMetadata('scan', { networks });
  }

  #raiseMetadata(reason: 'periodic' | 'scan', extra: Record<string, unknown> = {}): void {
    const s = this.#driver.state();
    this.#d.broker.port.raise('WiFiOnDemandHotspotUpdateMetadataTrigger', { reason, metadata: { ...this.metadata }, hotspot: { up: s.hotspot.up, stations: s.hotspot.stations.length }, ...extra });
  }

  async request(source: string, note?: unknown): Promise<RequestResult> {
    const requestId = `hotspot-${++this.#seq}`;
    const { log, broker } = this.#d;
    const done = (r: RequestResult): RequestResult => {
      const level = r.result === 'raised' ? 'info' : 'warn';
      log[level]({ evt: 'wifi', action: 'hotspot-request', requestId, source, result: r.result, ...(r.reason ? { reason: r.reason } : {}) }, `hotspot request from ${source}: ${r.result}${r.reason ? ` (${r.reason})` : ''}`);
      return r;
    };
    if (!this.#cfg) return done({ requestId, result: 'not-configured', reason: 'drivers.wifi.hotspot is not set' });
    if (this.metadata.availability === 'unavailable') return done({ requestId, result: 'unavailable', reason: 'the hotspot is marked unavailable by its metadata task' });
    const details = { requestId, source, ssid: this.#cfg.ssid, ...(typeof note === 'string' ? { note } : {}) };
    const answer = await new Promise<{ allowed: boolean; reason: string }>((resolve) => {
      const timer = this.#d.clock.setTimeout(() => {
        this.#pending.delete(requestId);
        resolve({ allowed: false, reason: `no answer from the entitlement check within ${this.#cfg!.entitlementMs} ms` });
      }, this.#cfg!.entitlementMs);
      this.#pending.set(requestId, { resolve, timer });
      const checks = broker.port.raise('TetheringEntitlementCheckTrigger', details);
      // No entitlement task registered: nobody to ask, and nothing to deny it.
      if (checks === 0) this.#settle(requestId, { allowed: true, reason: 'no entitlement check registered' });
    });
    if (!answer.allowed) return done({ requestId, result: 'denied', reason: answer.reason });
    const started = broker.port.raise('WiFiOnDemandHotspotConnectTrigger', { ...details, entitlement: answer.reason });
    return done(started > 0 ? { requestId, result: 'raised' } : { requestId, result: 'no-task', reason: 'no WiFiOnDemandHotspotConnectTrigger task is registered to raise it' });
  }

  respond(caller: CapabilityCaller, answer: unknown): boolean {
    const requestId = (caller.details as { requestId?: unknown } | undefined)?.requestId;
    if (typeof requestId !== 'string') throw new CapabilityError('tethering.respond', `task "${caller.name}" called tethering.respond outside an entitlement check (its trigger details have no requestId)`);
    const a = answer as { allowed?: unknown; reason?: unknown } | undefined;
    if (typeof a?.allowed !== 'boolean') throw new CapabilityError('tethering.respond', `tethering.respond got ${JSON.stringify(answer)}; expected { allowed: true|false, reason?: "…" }`);
    return this.#settle(requestId, { allowed: a.allowed, reason: typeof a.reason === 'string' ? a.reason : `${a.allowed ? 'allowed' : 'denied'} by ${caller.name}` });
  }

  /** A task ended: an entitlement check that did not answer is a denial. */
  finished(_taskId: string, details: unknown): void {
    const requestId = (details as { requestId?: unknown } | undefined)?.requestId;
    if (typeof requestId === 'string' && this.#pending.has(requestId)) this.#settle(requestId, { allowed: false, reason: 'the entitlement task ended without an answer' });
  }

  #settle(requestId: string, answer: { allowed: boolean; reason: string }): boolean {
    const p = this.#pending.get(requestId);
    if (!p) return false;
    this.#pending.delete(requestId);
    this.#d.clock.clearTimeout(p.timer);
    p.resolve(answer);
    return true;
  }

  async #hotspot(caller: CapabilityCaller, action: unknown, arg: unknown): Promise<unknown> {
    const cfg = this.#cfg;
    switch (action) {
      case 'state':
        return { ...this.#driver.state().hotspot, metadata: { ...this.metadata } };
      case 'metadata':
        this.metadata = { ...checkMetadata(arg), updatedAt: this.#d.clock.now() };
        this.#d.log.info({ evt: 'wifi', action: 'hotspot-metadata', task: caller.name, ...this.metadata }, `hotspot metadata: ${this.metadata.availability}${this.metadata.cellularBars !== undefined ? `, ${this.metadata.cellularBars} bars` : ''}${this.metadata.batteryPercent !== undefined ? `, battery ${this.metadata.batteryPercent} %` : ''}`);
        return this.metadata;
      case 'up': {
        if (!cfg) throw new CapabilityError('wifi.hotspot', 'the hotspot is not configured: set drivers.wifi.hotspot (ssid, password or passwordFile)', 'CAPABILITY_UNAVAILABLE');
        const password = cfg.password();
        if (password === undefined) throw new CapabilityError('wifi.hotspot', 'drivers.wifi.hotspot has no password or passwordFile; an open hotspot is not offered', 'CAPABILITY_UNAVAILABLE');
        try {
          const state = await this.#driver.hotspotUp({ ssid: cfg.ssid, password, band: cfg.band, ...(cfg.channel !== undefined ? { channel: cfg.channel } : {}) });
          this.#d.log.info({ evt: 'wifi', action: 'hotspot', state: 'up', ssid: cfg.ssid, iface: state.iface, task: caller.name }, `hotspot "${cfg.ssid}" up on ${state.iface}`);
          return state;
        } catch (err) {
          throw new CapabilityError('wifi.hotspot', `the hotspot did not come up: ${errorMessage(err)}`, 'CAPABILITY_FAILED');
        }
      }
      case 'down':
        await this.#driver.hotspotDown();
        this.#d.log.info({ evt: 'wifi', action: 'hotspot', state: 'down', task: caller.name }, 'hotspot down');
        return this.#driver.state().hotspot;
      default:
        throw new CapabilityError('wifi.hotspot', `wifi.hotspot action ${JSON.stringify(action)} is unknown; expected "up", "down", "state" or "metadata"`);
    }
  }
}

function checkMetadata(m: unknown): Omit<HotspotMetadata, 'updatedAt'> {
  const bad = (what: string) => new CapabilityError('wifi.hotspot', `hotspot metadata ${what}`);
  if (typeof m !== 'object' || m === null) throw bad(`${JSON.stringify(m)} is not an object; expected { availability: "available"|"unavailable", cellularBars?, batteryPercent?, displayName?, metered? }`);
  const o = m as Record<string, unknown>;
  const known = new Set(['availability', 'displayName', 'cellularBars', 'batteryPercent', 'metered']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw bad(`has an unknown field "${k}"; expected ${[...known].join(', ')}`);
  if (o.availability !== 'available' && o.availability !== 'unavailable') throw bad(`availability ${JSON.stringify(o.availability)}; expected "available" or "unavailable"`);
  const int = (k: string, max: number) => {
    const v = o[k];
    if (v === undefined) return {};
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw bad(`${k} ${JSON.stringify(v)}; expected an integer 0–${max}`);
    return { [k]: v };
  };
  if (o.displayName !== undefined && typeof o.displayName !== 'string') throw bad(`displayName ${JSON.stringify(o.displayName)}; expected text`);
  if (o.metered !== undefined && typeof o.metered !== 'boolean') throw bad(`metered ${JSON.stringify(o.metered)}; expected true or false`);
  return {
    availability: o.availability,
    ...(o.displayName !== undefined ? { displayName: o.displayName as string } : {}),
    ...int('cellularBars', 5),
    ...int('batteryPercent', 100),
    ...(o.metered !== undefined ? { metered: o.metered as boolean } : {}),
  };
}
