/**
 * NetworkManager's global view for the simulator (nm.ts): the primary connection, the
 * connectivity check and its timer, the global state, and what the monitor last said of each so
 * it speaks only of changes. Also what the portal server (portal.ts) asks about the client
 * interface's association.
 */
import type { Clock, TimerHandle } from '../../../runtime/clock.js';
import type { Connectivity } from '../wifi.js';
import type { WifiEnvironment } from './environment.js';
import type { MonitorFeed } from './nm-monitor.js';
import type { Active, Devices } from './nm-state.js';
import type { PortalAssociation } from './portal.js';

export interface ConnectivityOptions {
  clock: Clock;
  environment: WifiEnvironment;
  devices: Devices;
  feed: MonitorFeed;
  /** The client interface (the one the portal server answers for). */
  iface: string;
  /** NetworkManager's connectivity.interval, in ms. */
  intervalMs: number;
  running: () => boolean;
}

export class ConnectivityCheck {
  /** The result of the last check. */
  value: Connectivity = 'none';
  readonly #o: ConnectivityOptions;
  #checkTimer: TimerHandle | undefined;
  #backoffMs = 1000;
  // What the monitor last said, so it speaks only of changes.
  #saidPrimary: string | undefined;
  #saidConnectivity: Connectivity = 'none';
  #saidState = 'disconnected';

  constructor(options: ConnectivityOptions) {
    this.#o = options;
  }

  /** NetworkManager's primary connection: the client connection that holds the default route. */
  primary(): Active | undefined {
    for (const d of this.#o.devices.values()) {
      const ac = d.active;
      if (ac?.ipUp && ac.profile.mode === 'infrastructure') return ac;
    }
    return undefined;
  }

  /** What a probe meets now. */
  probe(): Connectivity {
    const ac = this.primary();
    if (!ac) {
      // The hotspot alone: a shared network with no uplink behind it.
      const hotspot = [...this.#o.devices.values()].some((d) => d.active?.profile.mode === 'ap' && d.active.activated);
      return hotspot ? 'limited' : 'none';
    }
    if (ac.linkDown || !ac.activated) return 'limited';
    const ap = this.#o.environment.accessPoint(ac.apName!);
    if (ap.portal && !ac.portalPassed) return 'portal';
    return ap.internet ? 'full' : 'limited';
  }

  /** Run the connectivity check now, and schedule the next one as NetworkManager does. */
  check(): Connectivity {
    this.value = this.probe();
    this.refresh();
    if (this.primary()?.activated) this.#schedule(this.#nextDelay());
    else this.clear();
    return this.value;
  }

  /** A client connection just came up: checks start over from the shortest back-off. */
  restart(): void {
    this.#backoffMs = 1000;
    this.#schedule(this.#nextDelay());
  }

  /**
   * The primary connection (or the hotspot) is gone. NetworkManager checks once more on the way
   * down when asked to disconnect (that check fails: "limited"), then has nothing to check.
   */
  afterLoss(recheck: boolean): void {
    if (this.primary()) return;
    this.clear();
    if (recheck && this.value !== 'limited') {
      this.value = 'limited';
      this.refresh();
    }
    this.value = this.probe();
    this.refresh();
  }

  clear(): void {
    if (this.#checkTimer) this.#o.clock.clearTimeout(this.#checkTimer);
    this.#checkTimer = undefined;
  }

  /** NetworkManager stopped: nothing is checked, and after a start the monitor begins from 'none'. */
  stopped(): void {
    this.clear();
    this.value = 'none';
    this.#saidPrimary = undefined;
    this.#saidConnectivity = 'unknown';
    this.#saidState = 'disconnected';
  }

  /** The monitor said "Connectivity is now 'none'" itself (NetworkManager starting). */
  saidNone(): void {
    this.#saidConnectivity = 'none';
  }

  /** NetworkManager's global state, as `general status` and the monitor name it. */
  nmState(): string {
    let client = false;
    let local = false;
    let connecting = false;
    let disconnecting = false;
    for (const d of this.#o.devices.values()) {
      const ac = d.active;
      if (!ac) continue;
      if (ac.deactivating) disconnecting = true;
      else if (!ac.activated) connecting = true;
      else if (ac.profile.mode === 'ap') local = true;
      else client = true;
    }
    if (client) {
      if (this.value === 'full') return 'connected';
      if (this.value === 'portal' || this.value === 'limited') return 'connected (site only)';
      return 'connected (local only)';
    }
    if (local) return 'connected (local only)';
    if (connecting) return 'connecting';
    return disconnecting ? 'disconnecting' : 'disconnected';
  }

  /**
   * Say on the monitor what changed, in the order nmcli prints it: the state, the primary
   * connection, then the connectivity (held back while a device is still on its way down).
   */
  refresh(options: { connectivity?: boolean } = {}): void {
    const line = (text: string) => this.#o.feed.line(text);
    const state = this.nmState();
    if (state !== this.#saidState) {
      this.#saidState = state;
      line(`Networkmanager is now in the '${state}' state`);
    }
    const primary = this.primary()?.profile.name;
    if (primary !== this.#saidPrimary) {
      this.#saidPrimary = primary;
      line(primary === undefined ? "There's no primary connection" : `'${primary}' is now the primary connection`);
    }
    if (options.connectivity !== false && this.value !== this.#saidConnectivity) {
      this.#saidConnectivity = this.value;
      line(`Connectivity is now '${this.value}'`);
    }
  }

  /** The client interface's association, for the portal server. */
  association(): PortalAssociation | undefined {
    const ac = this.#o.running() ? this.#o.devices.get(this.#o.iface)?.active : undefined;
    if (!ac?.activated || ac.profile.mode !== 'infrastructure' || ac.linkDown) return undefined;
    const ap = this.#o.environment.accessPoint(ac.apName!);
    return { id: ac.association, ssid: ap.ssid, internet: ap.internet, portal: ap.portal, passed: ac.portalPassed };
  }

  passPortal(id: number): void {
    const ac = this.#o.devices.get(this.#o.iface)?.active;
    if (ac && ac.association === id) ac.portalPassed = true;
  }

  /** The full interval after a full result; otherwise 1 s, doubling up to the interval. */
  #nextDelay(): number {
    if (this.value === 'full') {
      this.#backoffMs = 1000;
      return this.#o.intervalMs;
    }
    const delay = Math.min(this.#backoffMs, this.#o.intervalMs);
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#o.intervalMs);
    return delay;
  }

  #schedule(ms: number): void {
    this.clear();
    this.#checkTimer = this.#o.clock.setTimeout(() => {
      this.#checkTimer = undefined;
      this.check();
    }, ms);
    this.#checkTimer.unref();
  }
}
