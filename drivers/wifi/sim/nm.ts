/**
 * A simulated NetworkManager: an in-process CommandRunner that answers the nmcli and iw commands
 * the Wi-Fi driver sends, with nmcli's output, exit codes and `nmcli monitor` lines, over a
 * simulated radio environment (environment.ts). The driver's parsing, error handling and state
 * tracking run unchanged against it; a command the driver was not written to send is refused
 * with exit code 2 so a drift between the two shows at once. The formats, line orders and
 * timings follow a real NetworkManager 1.42 as recorded in test/fixtures/nmcli.
 *
 * What it models (on the injected clock, so a test moves time by hand):
 * - devices: the client interface and, when it is another one, the hotspot interface, each with
 *   its P2P device; `lo`;
 * - saved profiles (`connection add/edit/delete`), duplicates allowed as in NetworkManager;
 * - activations that take `associateMs` (500 ms for the hotspot) and fail as NetworkManager does:
 *   secrets refused (at once when none is stored), a network still not found 25 s after the
 *   start, `-w` running out (NetworkManager carries on); each drops what the device was doing;
 * - a link lost when its access point vanishes or changes its passphrase, failed after the
 *   supplicant's 15 s grace unless the access point comes back;
 * - scans that take 1 s, whose results are a snapshot until the next scan;
 * - the connectivity check: a first probe that fails while the route is being set up, then the
 *   real answer a second later; rechecked every connectivityIntervalSec when full and with a
 *   doubling back-off from 1 s otherwise; a real HTTP server for probes and captive portals
 *   (portal.ts);
 * - phones on the hotspot, as `iw dev IF station dump` lists them;
 * - NetworkManager stopping and starting again (`nmcli monitor` keeps running through it).
 *
 * It never activates anything by itself: no autoconnect, no retry after a failure.
 *
 * This file holds the public face and wires the parts, each in a file of its own: nm-commands.ts
 * (arguments and routing), nm-profiles.ts (add, edit), nm-activation.ts (activations, failures,
 * the air changing), nm-connectivity.ts (checks, global state), nm-scan.ts, nm-stations.ts
 * (phones, iw station dump), nm-output.ts (what is printed), nm-monitor.ts (`nmcli monitor`),
 * nm-state.ts (the shared records) and nm-call.ts (one command in progress).
 */
import type { Clock } from '../../../runtime/clock.js';
import { DriverError } from '../../../runtime/errors.js';
import { Emitter } from '../../../runtime/emitter.js';
import type { CommandResult, CommandRunner, MonitorHandle, Program, RunOptions } from '../commands.js';
import type { Connectivity } from '../wifi.js';
import type { WifiEnvironment } from './environment.js';
import { Activations } from './nm-activation.js';
import { Call } from './nm-call.js';
import { Commands } from './nm-commands.js';
import { ConnectivityCheck } from './nm-connectivity.js';
import { CLOSED_REASON, MonitorFeed } from './nm-monitor.js';
import { notRunning } from './nm-output.js';
import { UuidSource } from './nm-profiles.js';
import { Scanner } from './nm-scan.js';
import { newDevice, STATE_TEXT, type Device, type Devices, type Profile } from './nm-state.js';
import { Stations } from './nm-stations.js';
import { PortalServer } from './portal.js';

export interface SimNetworkManagerOptions {
  clock: Clock;
  environment: WifiEnvironment;
  /** The client interface. Default "wlan0". */
  iface?: string;
  /** The interface the hotspot is raised on. Default: the client interface (one radio). */
  hotspotIface?: string;
  /** How long associating with an access point takes. Default 1500 ms. */
  associateMs?: number;
  /** NetworkManager's connectivity.interval. Default 300 s. */
  connectivityIntervalSec?: number;
}

export interface SimStation {
  client: string;
  mac: string;
}

export interface SimWifiEvents {
  /** A phone joined or left the hotspot. */
  station: [SimStation & { joined: boolean }];
  /** A phone tried to join and nothing happened: no hotspot up, or a passphrase that does not match. */
  refused: [SimStation & { reason: 'no-hotspot' | 'wrong-password' }];
  /** NetworkManager stopped or started. */
  networkManager: [{ running: boolean }];
}

/** A saved profile as tests may look at it: never the secret itself. */
export interface SimProfileInfo {
  name: string;
  uuid: string;
  ssid: string;
  mode: 'infrastructure' | 'ap';
  ifname: string | undefined;
  hasSecret: boolean;
}

/** CommandRunner's default timeoutMs. */
const DEFAULT_RUN_TIMEOUT_MS = 60_000;

export class SimNetworkManager implements CommandRunner {
  readonly environment: WifiEnvironment;
  readonly events = new Emitter<SimWifiEvents>();
  readonly iface: string;
  readonly hotspotIface: string;
  readonly associateMs: number;
  readonly #clock: Clock;
  readonly #devices: Devices = new Map();
  readonly #profiles: Profile[] = [];
  readonly #feed = new MonitorFeed();
  readonly #calls = new Set<Call>();
  readonly #scanner: Scanner;
  readonly #check: ConnectivityCheck;
  readonly #stations: Stations;
  readonly #activations: Activations;
  readonly #commands: Commands;
  readonly #portal: PortalServer;
  readonly #offEnvironment: () => void;
  #running = true;
  #closed = false;

  constructor(options: SimNetworkManagerOptions) {
    this.#clock = options.clock;
    this.environment = options.environment;
    this.iface = options.iface ?? 'wlan0';
    this.hotspotIface = options.hotspotIface ?? this.iface;
    this.associateMs = options.associateMs ?? 1500;
    const { environment, events, iface, hotspotIface, associateMs } = this;
    const clock = this.#clock;
    const devices = this.#devices;
    const feed = this.#feed;
    const running = () => this.#running;
    const intervalMs = (options.connectivityIntervalSec ?? 300) * 1000;
    this.#stations = new Stations({ clock, environment, events, devices, hotspotIface, running });
    // lo is Devices/1 and eth0 usually 2, as on a Raspberry Pi.
    let path = 3;
    for (const name of new Set([iface, hotspotIface])) devices.set(name, newDevice(environment.seed, name, path++));
    this.#scanner = new Scanner(clock, environment);
    for (const d of devices.values()) this.#scanner.snapshot(d);
    this.#check = new ConnectivityCheck({ clock, environment, devices, feed, iface, intervalMs, running });
    this.#activations = new Activations({ clock, environment, devices, associateMs, feed, check: this.#check, scanner: this.#scanner, stations: this.#stations, running });
    this.#commands = new Commands({
      devices,
      profiles: this.#profiles,
      iface,
      feed,
      check: this.#check,
      scanner: this.#scanner,
      activations: this.#activations,
      stations: this.#stations,
      uuids: new UuidSource(environment.seed),
      running,
    });
    this.#portal = new PortalServer({ association: () => this.#check.association(), passPortal: (id) => this.#check.passPortal(id) });
    this.#offEnvironment = environment.events.on('change', ({ ap, what }) => this.#activations.apChanged(ap, what));
  }

  // ------------------------------------------------------------------------------- lifecycle

  /** Start the probe and portal HTTP server (127.0.0.1, an ephemeral port). */
  async start(): Promise<void> {
    await this.#portal.start();
  }

  /** Stop every timer, end pending commands (code 124, as killed) and monitors, close the HTTP server. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#offEnvironment();
    this.#check.clear();
    for (const d of this.#devices.values()) {
      this.#scanner.cancel(d);
      if (d.active) this.#activations.clearTimers(d.active);
    }
    for (const call of [...this.#calls]) call.finish({ code: 124, stdout: '', stderr: '' });
    this.#feed.exitAll(CLOSED_REASON);
    await this.#portal.close();
  }

  /** http://127.0.0.1:PORT/generate_204 (after start()). */
  get probeUrl(): string {
    return this.#portal.probeUrl;
  }

  /** Where the captive portal of `ssid` is served (after start()). */
  portalUrl(ssid: string): string {
    return this.#portal.portalUrl(ssid);
  }

  get running(): boolean {
    return this.#running;
  }

  /** The result of the last connectivity check. */
  get connectivity(): Connectivity {
    return this.#check.value;
  }

  /** nmcli's device STATE for an interface ("connected", "connecting (configuring)", …). */
  deviceState(iface: string): string {
    return STATE_TEXT[this.#device(iface).state];
  }

  /** The device's MAC address, upper case (the hotspot's BSSID). */
  deviceMac(iface: string): string {
    return this.#device(iface).mac;
  }

  profiles(): SimProfileInfo[] {
    return this.#profiles.map((p) => ({ name: p.name, uuid: p.uuid, ssid: p.ssid, mode: p.mode, ifname: p.ifname, hasSecret: p.psk !== undefined }));
  }

  stations(): SimStation[] {
    return this.#stations.list();
  }

  // ------------------------------------------------------------------------ simulated world

  /**
   * Stop or start NetworkManager (systemctl stop/start): activations end, profiles stay. `nmcli
   * monitor` prints the devices going and coming back, and keeps running in between.
   */
  setNetworkManager(state: 'running' | 'stopped'): void {
    const running = state === 'running';
    if (running === this.#running || this.#closed) return;
    this.#running = running;
    const wifi = [...this.#devices.keys()];
    const line = (text: string) => this.#feed.line(text);
    if (!running) {
      this.#check.clear();
      for (const d of this.#devices.values()) {
        // Waiting `connection up` commands get no answer any more and run into their -w.
        if (d.active) this.#activations.clearTimers(d.active);
        d.active = undefined;
        d.state = 'disconnected';
        this.#scanner.cancel(d);
      }
      this.#stations.drop();
      this.#check.stopped();
      line('lo: device removed');
      for (const iface of wifi) {
        line(`${iface}: unmanaged`);
        line(`${iface}: device removed`);
      }
      line("Connectivity is now 'unknown'");
      for (const iface of wifi) line(`p2p-dev-${iface}: device removed`);
      line('NetworkManager is stopped');
    } else {
      for (const d of this.#devices.values()) this.#scanner.snapshot(d);
      line("Networkmanager is now in the 'disconnected' state");
      for (const iface of wifi) line(`${iface}: device created`);
      line('lo: device created');
      line('NetworkManager is running');
      this.#check.saidNone();
      line("Connectivity is now 'none'");
      for (const iface of wifi) line(`p2p-dev-${iface}: device created`);
      for (const iface of wifi) line(`${iface}: disconnected`);
    }
    this.events.emit('networkManager', { running });
  }

  /**
   * A phone tries to join the hotspot with its passphrase. It joins only while the hotspot is up
   * and the passphrase matches; otherwise nothing happens on the board (a `refused` event says why).
   */
  joinClient(name: string): boolean {
    return this.#stations.join(name);
  }

  leaveClient(name: string): void {
    this.#stations.leave(name);
  }

  // ------------------------------------------------------------------------- CommandRunner

  run(program: Program, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return new Promise<CommandResult>((resolve) => {
      const call = new Call(this.#clock, resolve);
      if (this.#closed) return call.finish(notRunning());
      const result = this.#commands.run(program, args, options, call);
      if (result) return call.finish(result);
      if (call.done) return;
      this.#calls.add(call);
      call.onEnd(() => this.#calls.delete(call));
      // As the real runner kills the program; NetworkManager carries on with what it was asked.
      const limit = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
      call.after(limit, () => call.finish({ code: 124, stdout: '', stderr: `${program} killed after ${limit} ms\n` }));
    });
  }

  monitor(onLine: (line: string) => void, onExit: (reason: string) => void): MonitorHandle {
    return this.#feed.open(onLine, onExit, { closed: this.#closed, running: this.#running });
  }

  #device(iface: string): Device {
    const d = this.#devices.get(iface);
    if (!d) throw new DriverError('wifi', `the simulated NetworkManager has no device "${iface}" (devices: ${[...this.#devices.keys()].join(', ')})`, { code: 'WIFI_SIM_UNKNOWN' });
    return d;
  }
}
