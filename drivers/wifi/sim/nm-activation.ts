/**
 * Activations for the simulated NetworkManager (nm.ts): a profile brought up on a device, step by
 * step on the clock with the monitor lines NetworkManager prints, and how it ends: activated,
 * failed (secrets, a network not found, a link lost for good) or taken down. A `connection up`
 * waiting for it learns the outcome through the activation's waiters.
 */
import type { Clock } from '../../../runtime/clock.js';
import { deviceSeed, Prng } from '../../ble/sim/random.js';
import { channelFrequency, type AccessPointState, type ApChange, type WifiEnvironment } from './environment.js';
import type { ConnectivityCheck } from './nm-connectivity.js';
import type { MonitorFeed } from './nm-monitor.js';
import type { Scanner } from './nm-scan.js';
import { STATE_TEXT, type Active, type Device, type DeviceState, type Devices, type Outcome, type Profile } from './nm-state.js';
import type { Stations } from './nm-stations.js';

/** Raising the hotspot takes this long. */
const HOTSPOT_MS = 500;
/** How long NetworkManager waits for the supplicant to get a lost link back before it fails the device. */
const LINK_TIMEOUT_MS = 15_000;
/** How long the supplicant looks for a network that is not in range before the activation fails (~25 s measured). */
const SSID_SEARCH_MS = 25_000;
/** A secured profile without a stored passphrase fails as soon as NetworkManager asks for it. */
const NO_SECRET_MS = 400;

// nmcli's words (libnmc's lookup tables).
const REASON_SSID_NOT_FOUND = 'The Wi-Fi network could not be found';
const REASON_NO_SECRETS = 'Secrets were required, but not provided';
export const REASON_USER = 'Disconnected by user';
const REASON_REPLACED = 'The base network connection was interrupted';
export const REASON_REMOVED = 'The connection was removed';
const REASON_SUPPLICANT_TIMEOUT = '802.1X supplicant took too long to authenticate';

/** Channels NetworkManager picks a hotspot from when the profile names none. */
const HOTSPOT_FREQS = { bg: [2412, 2437, 2462], a: [5180, 5200, 5220, 5745, 5765, 5785, 5805] } as const;

export interface ActivationsOptions {
  clock: Clock;
  environment: WifiEnvironment;
  devices: Devices;
  /** How long associating with an access point takes. */
  associateMs: number;
  feed: MonitorFeed;
  check: ConnectivityCheck;
  scanner: Scanner;
  stations: Stations;
  running: () => boolean;
}

export class Activations {
  readonly #o: ActivationsOptions;
  readonly #radioRng: Prng;
  #acCounter = 0;
  #associationCounter = 0;

  constructor(options: ActivationsOptions) {
    this.#o = options;
    this.#radioRng = new Prng(deviceSeed(options.environment.seed, 'nm:radio'));
  }

  /** Start bringing `profile` up on `device`, replacing what the device was doing. */
  activate(profile: Profile, device: Device): Active {
    const check = this.#o.check;
    if (device.active) this.deactivate(device, REASON_REPLACED, false);
    const ac: Active = {
      path: ++this.#acCounter,
      profile,
      device,
      startedAt: this.#o.clock.now(),
      activated: false,
      ipUp: false,
      deactivating: false,
      searching: false,
      timer: undefined,
      waiters: new Set(),
      association: 0,
      associatedAt: 0,
      portalPassed: false,
      linkDown: false,
      linkTimer: undefined,
      frequencyMHz: profile.mode === 'ap' ? this.#hotspotFrequency(profile) : 0,
    };
    device.active = ac;
    this.#o.feed.line(`${device.iface}: using connection '${profile.name}'`);
    this.#setState(device, 'prepare');
    check.refresh();
    this.#setState(device, 'config');
    let delay = profile.mode === 'ap' ? HOTSPOT_MS : this.#o.associateMs;
    if (profile.keyMgmt === 'wpa-psk') {
      // NetworkManager asks for the secrets once on every secured activation (nmcli answers as
      // its agent); the profile is saved again afterwards. Without a stored one it gives up here.
      this.#setState(device, 'need-auth');
      if (profile.psk === undefined) {
        delay = NO_SECRET_MS;
      } else {
        this.#setState(device, 'prepare');
        this.#setState(device, 'config');
        this.#o.feed.line(`${profile.name}: connection profile changed`);
      }
    }
    this.#arm(ac, delay);
    return ac;
  }

  /** Take the device down; a `connection up` still waiting for it learns `reason`. */
  deactivate(d: Device, reason: string, userAsked: boolean): void {
    const check = this.#o.check;
    const ac = d.active;
    if (!ac) return;
    const wasPrimary = check.primary() === ac;
    this.clearTimers(ac);
    ac.deactivating = true;
    this.#setState(d, 'deactivating');
    check.refresh({ connectivity: false });
    d.active = undefined;
    this.#setState(d, 'disconnected');
    if (ac.profile.mode === 'ap') this.#o.stations.drop();
    check.refresh({ connectivity: false });
    if (wasPrimary || (ac.profile.mode === 'ap' && ac.activated)) check.afterLoss(userAsked && wasPrimary);
    this.#settle(ac, { ok: false, reason });
  }

  clearTimers(ac: Active): void {
    const clock = this.#o.clock;
    if (ac.timer) clock.clearTimeout(ac.timer);
    if (ac.linkTimer) clock.clearTimeout(ac.linkTimer);
    ac.timer = undefined;
    ac.linkTimer = undefined;
  }

  /** An access point came, went or changed its passphrase: links to it are lost, roamed or back. */
  apChanged(ap: AccessPointState, what: ApChange): void {
    const { clock, environment, devices } = this.#o;
    if (!this.#o.running() || (what !== 'present' && what !== 'password')) return;
    for (const d of devices.values()) {
      const ac = d.active;
      if (!ac?.activated || ac.profile.mode !== 'infrastructure' || ac.profile.ssid !== ap.ssid) continue;
      const usable = (x: AccessPointState) => x.present && (x.security === '' || x.password === ac.profile.psk);
      if (ac.apName === ap.name && !usable(ap)) {
        // The supplicant roams to another access point of the network when there is one.
        const other = environment.accessPoints().find((x) => x.name !== ap.name && x.ssid === ap.ssid && x.security === ap.security && usable(x));
        if (other) {
          ac.apName = other.name;
          ac.bssid = other.bssid;
        } else if (!ac.linkDown) {
          ac.linkDown = true;
          ac.linkTimer = clock.setTimeout(() => {
            ac.linkTimer = undefined;
            if (d.active === ac) this.#fail(ac, { ok: false, reason: REASON_SUPPLICANT_TIMEOUT });
          }, LINK_TIMEOUT_MS);
          ac.linkTimer.unref();
        }
      } else if (ac.linkDown && usable(ap)) {
        ac.linkDown = false;
        ac.apName = ap.name;
        ac.bssid = ap.bssid;
        if (ac.linkTimer) clock.clearTimeout(ac.linkTimer);
        ac.linkTimer = undefined;
      }
    }
  }

  #arm(ac: Active, ms: number): void {
    ac.timer = this.#o.clock.setTimeout(() => {
      ac.timer = undefined;
      if (ac.device.active === ac) this.#complete(ac);
    }, ms);
    ac.timer.unref();
  }

  #complete(ac: Active): void {
    const check = this.#o.check;
    const d = ac.device;
    if (ac.profile.keyMgmt === 'wpa-psk' && ac.profile.psk === undefined) return this.#fail(ac, { ok: false, reason: REASON_NO_SECRETS, agentAsked: true });
    if (ac.profile.mode === 'ap') {
      this.#setState(d, 'ip-config');
      this.#setState(d, 'ip-check');
      this.#setState(d, 'secondaries');
      ac.activated = true;
      this.#setState(d, 'activated');
      if (!check.primary()) check.value = check.probe();
      check.refresh();
      return this.#settle(ac, { ok: true });
    }
    // The supplicant scanned for the network while associating: NetworkManager's list is that scan.
    this.#o.scanner.snapshot(d);
    const ap = this.#bestAp(ac.profile);
    if (!ap) {
      // Not in range at the end of the association: the supplicant keeps looking for a while.
      const left = ac.startedAt + SSID_SEARCH_MS - this.#o.clock.now();
      if (left > 0 && !ac.searching) {
        ac.searching = true;
        return this.#arm(ac, left);
      }
      return this.#fail(ac, { ok: false, reason: REASON_SSID_NOT_FOUND });
    }
    if (ap.security === 'WPA2' && ac.profile.psk !== ap.password) {
      // The handshake fails; NetworkManager asks nmcli for other secrets, which has none to give.
      this.#setState(d, 'need-auth');
      return this.#fail(ac, { ok: false, reason: REASON_NO_SECRETS, agentAsked: true });
    }
    ac.apName = ap.name;
    ac.bssid = ap.bssid;
    ac.association = ++this.#associationCounter;
    ac.associatedAt = this.#o.clock.now();
    this.#setState(d, 'ip-config');
    ac.ipUp = true;
    check.refresh();
    this.#setState(d, 'ip-check');
    // The first probe runs before the new route is in place and fails; the real answer comes
    // with the next check, a second later.
    check.value = 'limited';
    check.refresh();
    this.#setState(d, 'secondaries');
    ac.activated = true;
    this.#setState(d, 'activated');
    check.refresh();
    check.restart();
    this.#settle(ac, { ok: true });
  }

  /** The activation (or the link) failed: NetworkManager is back to disconnected on that device. */
  #fail(ac: Active, outcome: Outcome & { ok: false }): void {
    const check = this.#o.check;
    const d = ac.device;
    const wasPrimary = check.primary() === ac;
    this.clearTimers(ac);
    this.#setState(d, 'failed');
    d.active = undefined;
    check.refresh({ connectivity: false });
    this.#setState(d, 'disconnected');
    if (ac.profile.mode === 'ap') this.#o.stations.drop();
    if (wasPrimary || ac.profile.mode === 'ap') check.afterLoss(false);
    this.#settle(ac, outcome);
  }

  #settle(ac: Active, outcome: Outcome): void {
    const waiters = [...ac.waiters];
    ac.waiters.clear();
    for (const w of waiters) w(outcome);
  }

  /** The strongest access point in range that this profile can join (same SSID, same kind of security). */
  #bestAp(profile: Profile): AccessPointState | undefined {
    let best: AccessPointState | undefined;
    for (const ap of this.#o.environment.accessPoints()) {
      if (!ap.present || ap.ssid !== profile.ssid) continue;
      if ((ap.security === 'WPA2') !== (profile.keyMgmt === 'wpa-psk')) continue;
      if (!best || ap.signal > best.signal) best = ap;
    }
    return best;
  }

  #hotspotFrequency(profile: Profile): number {
    if (profile.channel !== undefined) return channelFrequency(profile.channel)!;
    const list = HOTSPOT_FREQS[profile.band ?? 'bg'];
    return list[this.#radioRng.int(0, list.length - 1)]!;
  }

  #setState(d: Device, state: DeviceState): void {
    d.state = state;
    this.#o.feed.line(`${d.iface}: ${STATE_TEXT[state]}`);
  }
}
