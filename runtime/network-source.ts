/**
 * The device's network state, one answer for the whole runtime: the default route and its kind
 * (from the system driver), NetworkManager's devices and connectivity verdict (from the Wi-Fi
 * driver, when there is one), and the configured probe. It becomes device state (so conditions
 * InternetAvailable/NotAvailable and FreeNetworkAvailable hold or are lost, and tasks with
 * cancelOnConditionLoss are cancelled) and the SystemTriggers NetworkStateChange and
 * InternetAvailable.
 *
 * A negative verdict from NetworkManager wins over a route: behind a captive portal, or on a link
 * with no upstream, a default route exists and the internet is still not available. A positive
 * verdict does not create a route, and "unknown" (no connectivity check configured) leaves the
 * answer to the route and the probe.
 */
import type { NetworkState } from '../drivers/system/system.js';
import type { Connectivity, NetDevice, WifiDriver } from '../drivers/wifi/wifi.js';
import type { Broker } from './broker.js';
import type { DeviceState } from './device-state.js';
import type { Unsubscribe } from './emitter.js';
import type { Logger } from './logger.js';
import { systemTriggerDefinition, systemTriggerKey } from './triggers/system.js';

export interface NetworkView {
  internet: boolean;
  metered: boolean;
  defaultRoute?: { iface: string; kind: string };
  connectivity: Connectivity;
  /** Interfaces NetworkManager manages, with their state. */
  interfaces: { iface: string; type: string; state: string }[];
  /** The network the Wi-Fi client is joined to. */
  ssid?: string;
  /** The device's own hotspot is up. */
  hotspot: boolean;
}

/** Defined whether or not a driver opens, so registrations arm and fire once the network is seen. */
export function defineNetworkTriggers(broker: Broker): Unsubscribe {
  const offs = [broker.define(systemTriggerDefinition('NetworkStateChange')), broker.define(systemTriggerDefinition('InternetAvailable'))];
  return () => offs.forEach((off) => off());
}

export function networkView(system: NetworkState, wifi: ReturnType<WifiDriver['state']> | undefined): NetworkView {
  const connectivity: Connectivity = wifi?.available ? wifi.connectivity : 'unknown';
  const refused = connectivity === 'portal' || connectivity === 'limited' || connectivity === 'none';
  return {
    internet: system.internet && !refused,
    metered: system.metered,
    ...(system.defaultRoute ? { defaultRoute: { ...system.defaultRoute } } : {}),
    connectivity,
    // NetworkManager also lists what it leaves alone (lo, the P2P device of a Wi-Fi chip): not the device's network.
    interfaces: (wifi?.devices ?? []).filter((d: NetDevice) => d.type !== 'loopback' && d.state !== 'unmanaged').map((d) => ({ iface: d.iface, type: d.type, state: d.state })),
    ...(wifi?.link ? { ssid: wifi.link.ssid } : {}),
    hotspot: wifi?.hotspot.up ?? false,
  };
}

/** What changed between two views, in words for the log and the trigger details. */
export function viewChanges(a: NetworkView, b: NetworkView): string[] {
  const out: string[] = [];
  if (a.internet !== b.internet) out.push(b.internet ? 'internet available' : 'internet lost');
  if (a.metered !== b.metered) out.push(b.metered ? 'metered' : 'not metered');
  const route = (v: NetworkView) => (v.defaultRoute ? `${v.defaultRoute.iface} (${v.defaultRoute.kind})` : 'none');
  if (route(a) !== route(b)) out.push(`default route ${route(b)}`);
  if (a.connectivity !== b.connectivity) out.push(`connectivity ${b.connectivity}`);
  if (a.ssid !== b.ssid) out.push(b.ssid !== undefined ? `joined "${b.ssid}"` : `left "${a.ssid}"`);
  if (a.hotspot !== b.hotspot) out.push(b.hotspot ? 'hotspot up' : 'hotspot down');
  const before = new Map(a.interfaces.map((i) => [i.iface, i.state]));
  for (const i of b.interfaces) if (before.get(i.iface) !== i.state) out.push(`${i.iface} ${i.state}`);
  for (const i of a.interfaces) if (!b.interfaces.some((x) => x.iface === i.iface)) out.push(`${i.iface} gone`);
  return out;
}

export class NetworkMonitor {
  #view: NetworkView;
  readonly #offs: Unsubscribe[] = [];

  constructor(
    private readonly deps: { broker: Broker; state: DeviceState; log: Logger; system: () => NetworkState; wifi?: () => ReturnType<WifiDriver['state']> | undefined },
  ) {
    this.#view = networkView(deps.system(), deps.wifi?.());
    const v = this.#view;
    deps.state.update({ internet: v.internet, metered: v.metered }, describe(v));
  }

  get view(): NetworkView {
    return this.#view;
  }

  /** Read the drivers again; raise triggers and update device state when something changed. */
  update(): void {
    const next = networkView(this.deps.system(), this.deps.wifi?.());
    const prev = this.#view;
    const changes = viewChanges(prev, next);
    if (changes.length === 0) return;
    this.#view = next;
    const cause = changes.join(', ');
    this.deps.log.info({ evt: 'network', internet: next.internet, metered: next.metered, route: next.defaultRoute?.iface ?? null, connectivity: next.connectivity, ...(next.ssid !== undefined ? { ssid: next.ssid } : {}), changes }, cause);
    this.deps.state.update({ internet: next.internet, metered: next.metered }, cause);
    const port = this.deps.broker.port;
    const details = { ...next, changes };
    port.raise(systemTriggerKey('NetworkStateChange'), details);
    if (next.internet && !prev.internet) port.raise(systemTriggerKey('InternetAvailable'), details);
  }

  track(off: Unsubscribe): void {
    this.#offs.push(off);
  }

  close(): void {
    this.#offs.splice(0).forEach((off) => off());
  }
}

function describe(v: NetworkView): string {
  return v.defaultRoute ? `default route via ${v.defaultRoute.iface} (${v.defaultRoute.kind})${v.connectivity !== 'unknown' ? `, connectivity ${v.connectivity}` : ''}` : 'no default route';
}
