/**
 * The stations the simulated NetworkManager (nm.ts) knows of: phones on the hotspot, and the
 * access point the client interface is associated with, as `iw dev IF station dump` lists them.
 */
import type { Clock } from '../../../runtime/clock.js';
import type { Emitter } from '../../../runtime/emitter.js';
import { deviceSeed, Prng } from '../../ble/sim/random.js';
import type { CommandResult } from '../commands.js';
import type { WifiEnvironment } from './environment.js';
import type { SimStation, SimWifiEvents } from './nm.js';
import { fail, ok, stationBlock } from './nm-output.js';
import type { Active, Devices, StationState } from './nm-state.js';

export interface StationsOptions {
  clock: Clock;
  environment: WifiEnvironment;
  events: Emitter<SimWifiEvents>;
  devices: Devices;
  hotspotIface: string;
  running: () => boolean;
}

export class Stations {
  readonly #o: StationsOptions;
  readonly #stations = new Map<string, StationState>();
  /** When the simulated board booted (iw's boottime clock counts from here). */
  readonly #bootAt: number;

  constructor(options: StationsOptions) {
    this.#o = options;
    // NetworkManager starts some seconds into the boot.
    this.#bootAt = options.clock.now() - 20_000;
  }

  list(): SimStation[] {
    return [...this.#stations.values()].map(({ client, mac }) => ({ client, mac }));
  }

  /** A phone joins only while the hotspot is up and its passphrase matches; `refused` says why not. */
  join(name: string): boolean {
    const { environment, events } = this.#o;
    const c = environment.client(name);
    const who = { client: c.name, mac: c.mac };
    if (this.#stations.has(name)) return true;
    const hotspot = this.#hotspot();
    if (!hotspot) {
      events.emit('refused', { ...who, reason: 'no-hotspot' });
      return false;
    }
    if (hotspot.profile.keyMgmt === 'wpa-psk' && c.password !== hotspot.profile.psk) {
      events.emit('refused', { ...who, reason: 'wrong-password' });
      return false;
    }
    const rng = new Prng(deviceSeed(environment.seed, `client:${name}`));
    this.#stations.set(name, { ...who, joinedAt: this.#o.clock.now(), rng, signalDbm: rng.int(-65, -35), rxRate: rng.int(200, 4000) });
    events.emit('station', { ...who, joined: true });
    return true;
  }

  leave(name: string): void {
    const s = this.#stations.get(name);
    if (!s) return;
    this.#stations.delete(name);
    this.#o.events.emit('station', { client: s.client, mac: s.mac, joined: false });
  }

  /** The hotspot went down: every phone leaves. */
  drop(): void {
    for (const name of [...this.#stations.keys()]) this.leave(name);
  }

  /** `iw dev IFACE station dump`. */
  dump(iface: string): CommandResult {
    const { clock, devices, environment, hotspotIface } = this.#o;
    const d = devices.get(iface);
    if (!d) return fail(237, 'command failed: No such device (-19)\n');
    const ac = this.#o.running() ? d.active : undefined;
    const now = clock.now();
    if (ac?.activated && ac.profile.mode === 'ap' && d.iface === hotspotIface) {
      return ok(
        [...this.#stations.values()]
          .map((s) => {
            const sec = Math.floor((now - s.joinedAt) / 1000);
            const signal = s.signalDbm + s.rng.int(-2, 2);
            return stationBlock(s.mac, d.iface, { inactiveMs: s.rng.int(0, 300), rxBytes: 1800 + s.rxRate * sec, signalDbm: signal, connectedSec: sec, ...this.#times(s.joinedAt) });
          })
          .join(''),
      );
    }
    // In client mode the kernel lists the access point it is associated with.
    if (ac?.activated && ac.profile.mode === 'infrastructure' && !ac.linkDown) {
      const ap = environment.accessPoint(ac.apName!);
      const sec = Math.floor((now - ac.associatedAt) / 1000);
      const signalDbm = Math.round(ap.signal / 2 - 100);
      return ok(stationBlock(ap.bssid.toLowerCase(), d.iface, { inactiveMs: 20, rxBytes: 4096 + 1500 * sec, signalDbm, connectedSec: sec, ...this.#times(ac.associatedAt) }));
    }
    return ok();
  }

  /** The hotspot as phones see it: up, on the hotspot interface, with NetworkManager running. */
  #hotspot(): Active | undefined {
    const ac = this.#o.devices.get(this.#o.hotspotIface)?.active;
    return ac?.profile.mode === 'ap' && ac.activated && this.#o.running() ? ac : undefined;
  }

  #times(since: number): { associatedBoottime: number; associatedAt: number; now: number } {
    return { associatedBoottime: (since - this.#bootAt) / 1000, associatedAt: since, now: this.#o.clock.now() };
  }
}
