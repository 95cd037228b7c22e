/**
 * Connects Wi-Fi to the runtime: NetworkManager's state feeds the network monitor (so the
 * internet conditions and the SystemTriggers follow the link), configured networks are joined
 * and rejoined with a back-off (a wrong password stops the attempts until the config changes:
 * no retry storm against an access point), captive portals are detected and handed to a
 * NetworkOperatorHotspotAuthenticationTrigger task, and the device's own hotspot goes up on
 * request after the entitlement check, through a task with the `wifi.hotspot` capability.
 * Stations joining and leaving the hotspot are device events (`wifi.client-joined`/`-left`).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AccessPoint, ConnectFailure, WifiDriver, WifiState } from '../drivers/wifi/wifi.js';
import { checkPassphrase } from '../drivers/wifi/secrets.js';
import type { Broker } from './broker.js';
import type { Capabilities } from './capabilities.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Unsubscribe } from './emitter.js';
import { errorMessage, type VigilError } from './errors.js';
import type { Logger } from './logger.js';
import { probePortal, type PortalProbe } from './portal-probe.js';
import { customEventKey } from './triggers/custom-event.js';
import { wifiTriggers } from './triggers/wifi.js';
import type { WifiConfig } from './wifi-config.js';
import { HotspotRequests, type HotspotMetadata } from './wifi-hotspot.js';

export interface WifiDeps {
  broker: Broker;
  capabilities: Capabilities;
  log: Logger;
  clock: Clock;
  /** The network monitor reads the driver's state again. */
  networkChanged: () => void;
  /** The config file, for passwordFile paths. */
  configFile: string;
}

export interface WifiStatus {
  binding: string;
  iface: string;
  available: boolean;
  connectivity: string;
  ssid?: string;
  signal?: number;
  hotspot: { up: boolean; ssid?: string; stations: number; metadata: HotspotMetadata };
  /** Networks that will not be tried again until the config changes, with why. */
  blocked: { ssid: string; reason: string }[];
  portal?: { ssid: string; state: string };
  error?: string;
}

interface Attempt {
  failures: number;
  notBefore: number;
  blocked?: ConnectFailure;
}

const OPEN_RETRY_MS = [5_000, 300_000] as const;

export class WifiSource {
  readonly driver: WifiDriver;
  readonly hotspot: HotspotRequests;
  readonly #cfg: WifiConfig;
  readonly #d: WifiDeps;
  readonly #offs: Unsubscribe[] = [];
  readonly #attempts = new Map<string, Attempt>();
  #open = false;
  #closed = false;
  #error: string | undefined;
  #openRetryMs: number = OPEN_RETRY_MS[0];
  #timer: TimerHandle | undefined;
  #joining = false;
  #portal: { ssid: string; state: string } | undefined;
  #lastSsid: string | undefined;

  constructor(cfg: WifiConfig, driver: WifiDriver, deps: WifiDeps) {
    this.#cfg = cfg;
    this.driver = driver;
    this.#d = deps;
    for (const def of wifiTriggers()) this.#offs.push(deps.broker.define(def));
    this.hotspot = new HotspotRequests(cfg.hotspot ? { ...cfg.hotspot, password: () => this.#password(cfg.hotspot!, 'drivers.wifi.hotspot') } : undefined, driver, deps);
    this.#offs.push(
      deps.capabilities.define('wifi.portal', { invoke: () => this.checkPortal() }),
      deps.capabilities.define('wifi.scan', { invoke: () => this.driver.scan() }),
    );
  }

  /** Open the driver; a missing NetworkManager is retried in the background (the runtime runs on). */
  async connect(): Promise<void> {
    const { log } = this.#d;
    this.#offs.push(
      this.driver.events.on('state', (s) => this.#onState(s)),
      this.driver.events.on('stations', ({ joined, left, stations }) => {
        for (const s of joined) this.#station('joined', s.mac, stations.length);
        for (const s of left) this.#station('left', s.mac, stations.length);
      }),
      this.driver.events.on('scan', (aps) => this.hotspot.scanned(aps.length)),
      this.driver.events.on('error', (err) => log.warn({ evt: 'driver', driver: 'wifi', binding: this.driver.binding, err: { code: (err as VigilError).code ?? 'DRIVER_FAILED', message: errorMessage(err) } }, errorMessage(err))),
    );
    await this.#tryOpen();
  }

  async #tryOpen(): Promise<void> {
    const { log } = this.#d;
    try {
      await this.driver.open();
      this.#open = true;
      this.#error = undefined;
      this.#openRetryMs = OPEN_RETRY_MS[0];
      log.info({ evt: 'driver', driver: 'wifi', binding: this.driver.binding, state: 'open', iface: this.driver.iface }, `wifi driver open (${this.driver.binding}, ${this.driver.iface})`);
      this.hotspot.start();
      this.#d.networkChanged();
      this.#schedule(0);
    } catch (err) {
      const first = this.#error === undefined;
      this.#error = errorMessage(err);
      if (first) {
        log.error({ evt: 'driver', driver: 'wifi', binding: this.driver.binding, state: 'failed', err: { code: (err as VigilError).code ?? 'DRIVER_FAILED', message: this.#error } }, `${this.#error}; retrying in the background (every ${this.#openRetryMs / 1000} s, doubling to ${OPEN_RETRY_MS[1] / 1000} s)`);
      }
      if (this.#closed) return;
      this.#timer = this.#d.clock.setTimeout(() => void this.#tryOpen(), this.#openRetryMs);
      this.#openRetryMs = Math.min(this.#openRetryMs * 2, OPEN_RETRY_MS[1]);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) this.#d.clock.clearTimeout(this.#timer);
    this.hotspot.close();
    this.#offs.splice(0).forEach((off) => off());
    await this.driver.close();
  }

  /** Tasks finished: entitlement answers default to a denial when the task ended without one. */
  finished(taskId: string, details: unknown): void {
    this.hotspot.finished(taskId, details);
    this.#portalTaskFinished(details);
  }

  #onState(s: WifiState): void {
    this.#d.networkChanged();
    const ssid = s.link?.ssid;
    if (ssid !== this.#lastSsid) {
      this.#lastSsid = ssid;
      if (ssid !== undefined) void this.#afterJoin(ssid);
      else this.#portal = undefined;
    }
    if (s.available && !s.link && !s.hotspot.up) this.#schedule(this.#cfg.scanIntervalSec * 1000);
  }

  #station(change: 'joined' | 'left', mac: string, count: number): void {
    const id = `wifi.client-${change}`;
    this.#d.log.info({ evt: 'event', id, source: 'wifi', mac, stations: count }, `hotspot client ${mac} ${change} (${count} connected)`);
    this.#d.broker.port.raise(customEventKey(id), { id, source: 'wifi', mac, stations: count });
  }

  // ------------------------------------------------------------------ joining configured networks

  #schedule(ms: number): void {
    if (this.#closed || !this.#open || this.#cfg.networks.length === 0) return;
    if (this.#timer) this.#d.clock.clearTimeout(this.#timer);
    this.#timer = this.#d.clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#join().finally(() => {
        const s = this.driver.state();
        if (s.available && !s.link && !s.hotspot.up) this.#schedule(this.#cfg.scanIntervalSec * 1000);
      });
    }, ms);
  }

  async #join(): Promise<void> {
    const s = this.driver.state();
    if (this.#joining || !s.available || s.link || s.hotspot.up) return;
    // Every network refused its password: nothing to scan for until the config changes.
    if (this.#cfg.networks.every((n) => this.#attempts.get(n.ssid)?.blocked)) return;
    this.#joining = true;
    const { log, clock } = this.#d;
    try {
      const aps = await this.driver.scan();
      const pick = this.#choose(aps);
      if (!pick) return;
      const { net, ap } = pick;
      let password: string | undefined;
      try {
        password = this.#password(net, `drivers.wifi.networks "${net.ssid}"`);
      } catch (err) {
        this.#block(net.ssid, 'failed', errorMessage(err));
        return;
      }
      log.info({ evt: 'wifi', action: 'join', ssid: net.ssid, bssid: ap.bssid, signal: ap.signal }, `joining "${net.ssid}" (signal ${ap.signal})`);
      const result = await this.driver.connect({ ssid: net.ssid, ...(password !== undefined ? { password } : {}) });
      if (result.ok) {
        this.#attempts.delete(net.ssid);
        log.info({ evt: 'wifi', action: 'joined', ssid: net.ssid, iface: result.link.iface }, `joined "${net.ssid}" on ${result.link.iface}`);
        return;
      }
      if (result.reason === 'wrong-password') {
        this.#block(net.ssid, result.reason, result.message);
        return;
      }
      const a = this.#attempts.get(net.ssid) ?? { failures: 0, notBefore: 0 };
      a.failures++;
      const wait = Math.min(this.#cfg.scanIntervalSec * 1000 * 2 ** (a.failures - 1), this.#cfg.retryMaxSec * 1000);
      a.notBefore = clock.now() + wait;
      this.#attempts.set(net.ssid, a);
      log.warn({ evt: 'wifi', action: 'join-failed', ssid: net.ssid, reason: result.reason, retryInSec: wait / 1000 }, `could not join "${net.ssid}": ${result.reason} (${result.message}); next try in ${wait / 1000} s`);
    } catch (err) {
      log.warn({ evt: 'wifi', action: 'join-failed', err: { code: (err as VigilError).code ?? 'DRIVER_FAILED', message: errorMessage(err) } }, `joining a network failed: ${errorMessage(err)}`);
    } finally {
      this.#joining = false;
    }
  }

  /** The best configured network in range: priority, then signal; blocked and backed-off ones wait. */
  #choose(aps: AccessPoint[]): { net: WifiConfig['networks'][number]; ap: AccessPoint } | undefined {
    const now = this.#d.clock.now();
    const candidates = this.#cfg.networks.flatMap((net) => {
      const a = this.#attempts.get(net.ssid);
      if (a?.blocked || (a && a.notBefore > now)) return [];
      const ap = aps.filter((x) => x.ssid === net.ssid).sort((x, y) => y.signal - x.signal)[0];
      return ap ? [{ net, ap }] : [];
    });
    return candidates.sort((x, y) => y.net.priority - x.net.priority || y.ap.signal - x.ap.signal)[0];
  }

  #block(ssid: string, reason: ConnectFailure, message: string): void {
    this.#attempts.set(ssid, { failures: 1, notBefore: Infinity, blocked: reason });
    this.#d.log.error({ evt: 'wifi', action: 'join-failed', ssid, reason, blocked: true }, `could not join "${ssid}": ${reason === 'wrong-password' ? 'the password was refused' : message}; not trying it again until the config changes`);
  }

  #password(entry: { password?: string | undefined; passwordFile?: string | undefined }, where: string): string | undefined {
    let pw = entry.password;
    if (entry.passwordFile !== undefined) {
      const file = resolve(dirname(this.#d.configFile), entry.passwordFile);
      pw = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    }
    if (pw !== undefined) checkPassphrase(pw, `the password of ${where}`);
    return pw;
  }

  // ------------------------------------------------------------------ captive portals

  async checkPortal(): Promise<PortalProbe> {
    const { url, timeoutMs } = this.#cfg.portalProbe;
    return probePortal(this.driver.portalProbeUrl ?? url, timeoutMs);
  }

  async #afterJoin(ssid: string): Promise<void> {
    const net = this.#cfg.networks.find((n) => n.ssid === ssid);
    const probe = await this.checkPortal();
    if (probe.state !== 'portal') {
      this.#portal = undefined;
      return;
    }
    const { log, broker } = this.#d;
    this.#portal = { ssid, state: 'detected' };
    log.info({ evt: 'wifi', action: 'portal', ssid, status: probe.status, redirectUrl: probe.redirectUrl ?? null }, `captive portal on "${ssid}"${probe.redirectUrl ? ` (login at ${probe.redirectUrl})` : ''}`);
    if (!net?.operatorHotspot) return;
    const link = this.driver.state().link;
    const started = broker.port.raise('NetworkOperatorHotspotAuthenticationTrigger', {
      ssid,
      ...(link?.bssid ? { bssid: link.bssid } : {}),
      iface: this.driver.iface,
      probeUrl: this.driver.portalProbeUrl ?? this.#cfg.portalProbe.url,
      ...(probe.redirectUrl ? { redirectUrl: probe.redirectUrl } : {}),
      status: probe.status,
    });
    this.#portal.state = started > 0 ? 'authenticating' : 'no task registered';
    if (started === 0) log.warn({ evt: 'wifi', action: 'portal', ssid }, `captive portal on "${ssid}": no NetworkOperatorHotspotAuthenticationTrigger task is registered to pass it`);
  }

  #portalTaskFinished(details: unknown): void {
    const d = details as { ssid?: unknown; probeUrl?: unknown } | undefined;
    if (!this.#portal || this.#portal.state !== 'authenticating' || d?.ssid !== this.#portal.ssid || d.probeUrl === undefined) return;
    const portal = this.#portal;
    void this.checkPortal().then((probe) => {
      if (this.#portal !== portal) return;
      portal.state = probe.state === 'open' ? 'authenticated' : 'failed';
      const ok = probe.state === 'open';
      this.#d.log[ok ? 'info' : 'warn']({ evt: 'wifi', action: 'portal', ssid: portal.ssid, result: ok ? 'authenticated' : 'failed', probe: probe.state }, ok ? `captive portal on "${portal.ssid}" passed` : `captive portal on "${portal.ssid}" still in the way after the authentication task (${probe.state})`);
      // NetworkManager's verdict lags its own check interval; ask again so the internet condition follows now.
      void this.driver.checkConnectivity().catch(() => {});
    });
  }

  status(): WifiStatus {
    const s = this.driver.state();
    return {
      binding: this.driver.binding,
      iface: this.driver.iface,
      available: s.available,
      connectivity: s.connectivity,
      ...(s.link ? { ssid: s.link.ssid, ...(s.link.signal !== undefined ? { signal: s.link.signal } : {}) } : {}),
      hotspot: { up: s.hotspot.up, ...(s.hotspot.ssid ? { ssid: s.hotspot.ssid } : {}), stations: s.hotspot.stations.length, metadata: this.hotspot.metadata },
      blocked: [...this.#attempts].filter(([, a]) => a.blocked).map(([ssid, a]) => ({ ssid, reason: a.blocked! })),
      ...(this.#portal ? { portal: { ...this.#portal } } : {}),
      ...(this.#error && !this.#open ? { error: this.#error } : {}),
    };
  }
}
