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
 */
import type { Clock, TimerHandle } from '../../../runtime/clock.js';
import { DriverError } from '../../../runtime/errors.js';
import { Emitter } from '../../../runtime/emitter.js';
import { deviceSeed, Prng } from '../../ble/sim/random.js';
import type { CommandResult, CommandRunner, MonitorHandle, Program, RunOptions } from '../commands.js';
import { joinTerse } from '../terse.js';
import type { Connectivity } from '../wifi.js';
import { channelFrequency, frequencyChannel, validPassphrase, type AccessPointState, type ApChange, type ScanEntry, type WifiEnvironment } from './environment.js';
import { PortalServer, type PortalAssociation } from './portal.js';

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

/** Scanning takes this long (NetworkManager waits for the supplicant's scan to finish). */
const SCAN_MS = 1000;
/** Raising the hotspot takes this long. */
const HOTSPOT_MS = 500;
/** `--rescan auto` rescans when the last scan is older than this. */
const RESCAN_AUTO_AGE_MS = 30_000;
/** How long NetworkManager waits for the supplicant to get a lost link back before it fails the device. */
const LINK_TIMEOUT_MS = 15_000;
/** How long the supplicant looks for a network that is not in range before the activation fails (~25 s measured). */
const SSID_SEARCH_MS = 25_000;
/** A secured profile without a stored passphrase fails as soon as NetworkManager asks for it. */
const NO_SECRET_MS = 400;
/** nmcli's default -w for `connection up`. */
const DEFAULT_UP_WAIT_SEC = 90;
/** CommandRunner's default timeoutMs. */
const DEFAULT_RUN_TIMEOUT_MS = 60_000;
const AC_PATH = '/org/freedesktop/NetworkManager/ActiveConnection/';
const DEVICE_PATH = '/org/freedesktop/NetworkManager/Devices/';

// nmcli's words (libnmc's lookup tables).
const REASON_SSID_NOT_FOUND = 'The Wi-Fi network could not be found';
const REASON_NO_SECRETS = 'Secrets were required, but not provided';
const REASON_USER = 'Disconnected by user';
const REASON_REPLACED = 'The base network connection was interrupted';
const REASON_REMOVED = 'The connection was removed';
const REASON_SUPPLICANT_TIMEOUT = '802.1X supplicant took too long to authenticate';

type DeviceState = 'disconnected' | 'prepare' | 'config' | 'need-auth' | 'ip-config' | 'ip-check' | 'secondaries' | 'activated' | 'deactivating' | 'failed';

const STATE_TEXT: Record<DeviceState, string> = {
  disconnected: 'disconnected',
  prepare: 'connecting (prepare)',
  config: 'connecting (configuring)',
  'need-auth': 'connecting (need authentication)',
  'ip-config': 'connecting (getting IP configuration)',
  'ip-check': 'connecting (checking IP connectivity)',
  secondaries: 'connecting (starting secondary connections)',
  activated: 'connected',
  deactivating: 'deactivating',
  failed: 'connection failed',
};

/** Channels NetworkManager picks a hotspot from when the profile names none. */
const HOTSPOT_FREQS = { bg: [2412, 2437, 2462], a: [5180, 5200, 5220, 5745, 5765, 5785, 5805] } as const;

interface Profile {
  uuid: string;
  name: string;
  ifname: string | undefined;
  ssid: string;
  mode: 'infrastructure' | 'ap';
  band: 'bg' | 'a' | undefined;
  channel: number | undefined;
  keyMgmt: 'wpa-psk' | undefined;
  psk: string | undefined;
}

/** agentAsked: NetworkManager asked nmcli (its secret agent) for a passphrase it could not give. */
type Outcome = { ok: true } | { ok: false; reason: string; agentAsked?: boolean };

interface Active {
  path: number;
  profile: Profile;
  device: Device;
  startedAt: number;
  activated: boolean;
  /** Past "getting IP configuration": a client connection is the primary one from here. */
  ipUp: boolean;
  deactivating: boolean;
  /** Not found at the end of the association: still looking. */
  searching: boolean;
  timer: TimerHandle | undefined;
  waiters: Set<(outcome: Outcome) => void>;
  // client mode
  apName?: string;
  bssid?: string;
  association: number;
  associatedAt: number;
  portalPassed: boolean;
  linkDown: boolean;
  linkTimer: TimerHandle | undefined;
  // hotspot mode
  frequencyMHz: number;
}

interface Device {
  iface: string;
  mac: string;
  path: number;
  state: DeviceState;
  active: Active | undefined;
  scan: ScanEntry[];
  scannedAt: number;
  scanTimer: TimerHandle | undefined;
  scanWaiters: Array<(ok: boolean) => void>;
}

interface StationState {
  client: string;
  mac: string;
  joinedAt: number;
  rng: Prng;
  signalDbm: number;
  rxRate: number;
}

interface Monitor {
  onLine: (line: string) => void;
  onExit: (reason: string) => void;
  stopped: boolean;
}

type Handler = () => CommandResult | undefined;

const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
const fail = (code: number, stderr: string): CommandResult => ({ code, stdout: '', stderr });

/** One run() in progress: finished once, by its result, its -w timeout or the runner's kill. */
class Call {
  #done = false;
  readonly #clock: Clock;
  readonly #resolve: (result: CommandResult) => void;
  readonly #timers: TimerHandle[] = [];
  readonly #cleanups: Array<() => void> = [];

  constructor(clock: Clock, resolve: (result: CommandResult) => void) {
    this.#clock = clock;
    this.#resolve = resolve;
  }

  get done(): boolean {
    return this.#done;
  }

  finish(result: CommandResult): void {
    if (this.#done) return;
    this.#done = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    for (const fn of this.#cleanups) fn();
    this.#resolve(result);
  }

  after(ms: number, fn: () => void): void {
    const t = this.#clock.setTimeout(fn, ms);
    t.unref();
    this.#timers.push(t);
  }

  onEnd(fn: () => void): void {
    this.#cleanups.push(fn);
  }
}

export class SimNetworkManager implements CommandRunner {
  readonly environment: WifiEnvironment;
  readonly events = new Emitter<SimWifiEvents>();
  readonly iface: string;
  readonly hotspotIface: string;
  readonly associateMs: number;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #devices = new Map<string, Device>();
  readonly #profiles: Profile[] = [];
  readonly #stations = new Map<string, StationState>();
  readonly #monitors = new Set<Monitor>();
  readonly #calls = new Set<Call>();
  readonly #portal: PortalServer;
  readonly #uuidRng: Prng;
  readonly #radioRng: Prng;
  readonly #offEnvironment: () => void;
  /** When the simulated board booted (iw's boottime clock counts from here). */
  readonly #bootAt: number;
  #running = true;
  #closed = false;
  #acCounter = 0;
  #associationCounter = 0;
  #connectivity: Connectivity = 'none';
  #checkTimer: TimerHandle | undefined;
  #backoffMs = 1000;
  // What the monitor last said, so it speaks only of changes.
  #saidPrimary: string | undefined;
  #saidConnectivity: Connectivity = 'none';
  #saidState = 'disconnected';
  #lineQueue: Array<{ targets: Monitor[]; line?: string; exit?: string }> = [];
  #flushQueued = false;

  constructor(options: SimNetworkManagerOptions) {
    this.#clock = options.clock;
    this.environment = options.environment;
    this.iface = options.iface ?? 'wlan0';
    this.hotspotIface = options.hotspotIface ?? this.iface;
    this.associateMs = options.associateMs ?? 1500;
    this.#intervalMs = (options.connectivityIntervalSec ?? 300) * 1000;
    // NetworkManager starts some seconds into the boot.
    this.#bootAt = this.#clock.now() - 20_000;
    const seed = this.environment.seed;
    this.#uuidRng = new Prng(deviceSeed(seed, 'nm:uuid'));
    this.#radioRng = new Prng(deviceSeed(seed, 'nm:radio'));
    // lo is Devices/1 and eth0 usually 2, as on a Raspberry Pi.
    let path = 3;
    for (const iface of new Set([this.iface, this.hotspotIface])) {
      this.#devices.set(iface, {
        iface,
        mac: deviceMac(seed, iface),
        path: path++,
        state: 'disconnected',
        active: undefined,
        scan: [],
        scannedAt: -Infinity,
        scanTimer: undefined,
        scanWaiters: [],
      });
    }
    for (const d of this.#devices.values()) this.#snapshot(d);
    this.#portal = new PortalServer({ association: () => this.#association(), passPortal: (id) => this.#passPortal(id) });
    this.#offEnvironment = this.environment.events.on('change', ({ ap, what }) => this.#apChanged(ap, what));
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
    this.#clearCheck();
    for (const d of this.#devices.values()) {
      this.#cancelScan(d);
      if (d.active) this.#clearActiveTimers(d.active);
    }
    for (const call of [...this.#calls]) call.finish({ code: 124, stdout: '', stderr: '' });
    const monitors = [...this.#monitors];
    this.#monitors.clear();
    this.#queue({ targets: monitors, exit: 'the simulated NetworkManager was closed' });
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
    return this.#connectivity;
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
    return [...this.#stations.values()].map(({ client, mac }) => ({ client, mac }));
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
    if (!running) {
      this.#clearCheck();
      for (const d of this.#devices.values()) {
        // Waiting `connection up` commands get no answer any more and run into their -w.
        if (d.active) this.#clearActiveTimers(d.active);
        d.active = undefined;
        d.state = 'disconnected';
        this.#cancelScan(d);
      }
      this.#dropStations();
      this.#connectivity = 'none';
      this.#saidPrimary = undefined;
      this.#saidConnectivity = 'unknown';
      this.#saidState = 'disconnected';
      this.#line('lo: device removed');
      for (const iface of wifi) {
        this.#line(`${iface}: unmanaged`);
        this.#line(`${iface}: device removed`);
      }
      this.#line("Connectivity is now 'unknown'");
      for (const iface of wifi) this.#line(`p2p-dev-${iface}: device removed`);
      this.#line('NetworkManager is stopped');
    } else {
      for (const d of this.#devices.values()) this.#snapshot(d);
      this.#line("Networkmanager is now in the 'disconnected' state");
      for (const iface of wifi) this.#line(`${iface}: device created`);
      this.#line('lo: device created');
      this.#line('NetworkManager is running');
      this.#saidConnectivity = 'none';
      this.#line("Connectivity is now 'none'");
      for (const iface of wifi) this.#line(`p2p-dev-${iface}: device created`);
      for (const iface of wifi) this.#line(`${iface}: disconnected`);
    }
    this.events.emit('networkManager', { running });
  }

  /**
   * A phone tries to join the hotspot with its passphrase. It joins only while the hotspot is up
   * and the passphrase matches; otherwise nothing happens on the board (a `refused` event says why).
   */
  joinClient(name: string): boolean {
    const c = this.environment.client(name);
    const who = { client: c.name, mac: c.mac };
    if (this.#stations.has(name)) return true;
    const hotspot = this.#hotspot();
    if (!hotspot) {
      this.events.emit('refused', { ...who, reason: 'no-hotspot' });
      return false;
    }
    if (hotspot.profile.keyMgmt === 'wpa-psk' && c.password !== hotspot.profile.psk) {
      this.events.emit('refused', { ...who, reason: 'wrong-password' });
      return false;
    }
    const rng = new Prng(deviceSeed(this.environment.seed, `client:${name}`));
    this.#stations.set(name, { ...who, joinedAt: this.#clock.now(), rng, signalDbm: rng.int(-65, -35), rxRate: rng.int(200, 4000) });
    this.events.emit('station', { ...who, joined: true });
    return true;
  }

  leaveClient(name: string): void {
    const s = this.#stations.get(name);
    if (!s) return;
    this.#stations.delete(name);
    this.events.emit('station', { client: s.client, mac: s.mac, joined: false });
  }

  // ------------------------------------------------------------------------- CommandRunner

  run(program: Program, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return new Promise<CommandResult>((resolve) => {
      const call = new Call(this.#clock, resolve);
      if (this.#closed) return call.finish(fail(8, 'Error: NetworkManager is not running.\n'));
      const result = program === 'iw' ? this.#iw(args) : this.#nmcli(args, options, call);
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
    const m: Monitor = { onLine, onExit, stopped: false };
    if (this.#closed) {
      this.#queue({ targets: [m], exit: 'the simulated NetworkManager was closed' });
    } else {
      this.#monitors.add(m);
      if (!this.#running) this.#queue({ targets: [m], line: 'NetworkManager is stopped' });
    }
    return {
      stop: () => {
        m.stopped = true;
        this.#monitors.delete(m);
      },
    };
  }

  // ------------------------------------------------------------------------------ nmcli

  #nmcli(args: readonly string[], options: RunOptions, call: Call): CommandResult | undefined {
    let i = 0;
    let terse = false;
    let fields: string | undefined;
    let wait: number | undefined;
    while (i < args.length && args[i]!.startsWith('-')) {
      const a = args[i]!;
      const next = args[i + 1];
      if (a === '-t' || a === '--terse') {
        terse = true;
        i++;
      } else if ((a === '-f' || a === '--fields') && next !== undefined) {
        fields = next;
        i += 2;
      } else if ((a === '-w' || a === '--wait') && next !== undefined && /^\d+$/.test(next)) {
        wait = Number(next);
        i += 2;
      } else {
        return unsupported('nmcli', args);
      }
    }
    const cmd = args.slice(i);
    const handler = this.#route(cmd, { terse, fields, wait }, options, call);
    if (typeof handler !== 'function') return handler ?? unsupported('nmcli', args);
    if (!this.#running) return fail(8, 'Error: NetworkManager is not running.\n');
    return handler();
  }

  /** The handler for a command the simulator knows, a refusal, or undefined (unsupported). */
  #route(cmd: readonly string[], g: { terse: boolean; fields: string | undefined; wait: number | undefined }, options: RunOptions, call: Call): Handler | CommandResult | undefined {
    const [a0, a1, a2] = cmd;
    const tabular = g.terse && g.fields !== undefined;
    if (a0 === 'general' && a1 === 'status' && cmd.length === 2 && tabular && g.wait === undefined) {
      const pick = fieldPicker(g.fields!, GENERAL_FIELDS);
      return pick && (() => ok(pick.line({ state: this.#nmState(), connectivity: this.#connectivity })));
    }
    if (a0 === 'device' && a1 === 'status' && cmd.length === 2 && tabular && g.wait === undefined) {
      const pick = fieldPicker(g.fields!, DEVICE_FIELDS);
      return pick && (() => ok(this.#deviceRows().map((r) => pick.line(r)).join('')));
    }
    if (a0 === 'device' && a1 === 'wifi' && (cmd.length === 2 || a2 === 'list') && tabular && g.wait === undefined) {
      return this.#wifiList(cmd.slice(3), g.fields!, call);
    }
    if (a0 === 'device' && a1 === 'disconnect' && cmd.length === 3 && !g.fields) return () => this.#disconnectDevice(a2!);
    if (a0 === 'networking' && a1 === 'connectivity' && (cmd.length === 2 || (cmd.length === 3 && a2 === 'check')) && !g.fields && g.wait === undefined) {
      return () => ok(`${cmd.length === 3 ? this.#check() : this.#connectivity}\n`);
    }
    if (a0 !== 'connection' || g.fields) return undefined;
    const rest = cmd.slice(2);
    if (a1 === 'add' && g.wait === undefined) return this.#add(rest);
    if (a1 === 'edit' && g.wait === undefined) {
      const name = connectionName(rest);
      return name === undefined ? undefined : () => this.#edit(name, options.stdin ?? '');
    }
    if (a1 === 'up') return this.#up(rest, g.wait, call);
    if (a1 === 'down') {
      const name = connectionName(rest);
      return name === undefined ? undefined : () => this.#down(name);
    }
    if (a1 === 'delete') {
      const name = connectionName(rest);
      const selector = rest[0] === 'id' ? 'id ' : '';
      return name === undefined ? undefined : () => this.#delete(name, selector);
    }
    return undefined;
  }

  #deviceRows(): DeviceRow[] {
    const rows: DeviceRow[] = [...this.#devices.values()].map((d) => ({
      device: d.iface,
      type: 'wifi',
      state: STATE_TEXT[d.state],
      connection: d.active?.profile.name ?? '',
      uuid: d.active?.profile.uuid ?? '',
    }));
    rows.push({ device: 'lo', type: 'loopback', state: 'unmanaged', connection: '', uuid: '' });
    // wpa_supplicant's P2P device beside each radio, which NetworkManager lists and leaves alone.
    for (const d of this.#devices.values()) rows.push({ device: `p2p-dev-${d.iface}`, type: 'wifi-p2p', state: 'unmanaged', connection: '', uuid: '' });
    return rows;
  }

  #wifiList(opts: readonly string[], fields: string, call: Call): Handler | undefined {
    let ifname: string | undefined;
    let rescan: 'yes' | 'no' | 'auto' = 'auto';
    for (let i = 0; i < opts.length; i += 2) {
      const key = opts[i];
      const value = opts[i + 1];
      if (key === 'ifname' && value !== undefined) ifname = value;
      else if (key === '--rescan' && (value === 'yes' || value === 'no' || value === 'auto')) rescan = value;
      else return undefined;
    }
    const pick = fieldPicker(fields, WIFI_FIELDS);
    if (!pick) return undefined;
    return () => {
      let devices = [...this.#devices.values()];
      if (ifname !== undefined) {
        const d = this.#devices.get(ifname);
        if (!d) return fail(10, `Error: Device '${ifname}' not found.\n`);
        devices = [d];
      }
      const render = () => ok(devices.flatMap((d) => this.#wifiRows(d)).map((r) => pick.line(r)).join(''));
      const scanning = devices.filter((d) => this.#wantsScan(d, rescan));
      if (scanning.length === 0) return render();
      let left = scanning.length;
      for (const d of scanning) {
        this.#requestScan(d, (done) => {
          if (!done) return call.finish(fail(8, 'Error: NetworkManager is not running.\n'));
          if (--left === 0) call.finish(render());
        });
      }
      return undefined;
    };
  }

  #wifiRows(d: Device): WifiRow[] {
    const ac = d.active;
    if (ac?.profile.mode === 'ap') {
      // NetworkManager lists the hotspot itself, as a "fake" access point with the device's address.
      const secured = ac.profile.keyMgmt === 'wpa-psk';
      const flags = secured ? 'pair_tkip pair_ccmp group_tkip group_ccmp psk' : '(none)';
      return [{ inUse: true, ssid: ac.profile.ssid, bssid: d.mac, channel: frequencyChannel(ac.frequencyMHz), freq: ac.frequencyMHz, signal: 0, security: secured ? 'WPA1 WPA2' : '', wpaFlags: flags, rsnFlags: flags, device: d.iface }];
    }
    const current = ac?.activated && !ac.linkDown ? ac.bssid : undefined;
    return d.scan.map((e) => ({
      inUse: e.bssid === current,
      ssid: e.ssid,
      bssid: e.bssid,
      channel: e.channel,
      freq: e.frequencyMHz,
      signal: e.signal,
      security: e.security,
      wpaFlags: '(none)',
      rsnFlags: e.security === 'WPA2' ? 'pair_ccmp group_ccmp psk' : '(none)',
      device: d.iface,
    }));
  }

  /** NetworkManager refuses to scan in AP mode and while activating; nmcli then lists what it has. */
  #wantsScan(d: Device, rescan: 'yes' | 'no' | 'auto'): boolean {
    if (d.active && (d.active.profile.mode === 'ap' || !d.active.activated)) return false;
    if (rescan === 'yes') return true;
    return rescan === 'auto' && this.#clock.now() - d.scannedAt > RESCAN_AUTO_AGE_MS;
  }

  #requestScan(d: Device, done: (ok: boolean) => void): void {
    d.scanWaiters.push(done);
    if (d.scanTimer) return;
    d.scanTimer = this.#clock.setTimeout(() => {
      d.scanTimer = undefined;
      this.#snapshot(d);
      const waiters = d.scanWaiters.splice(0);
      for (const w of waiters) w(true);
    }, SCAN_MS);
    d.scanTimer.unref();
  }

  #cancelScan(d: Device): void {
    if (d.scanTimer) this.#clock.clearTimeout(d.scanTimer);
    d.scanTimer = undefined;
    const waiters = d.scanWaiters.splice(0);
    for (const w of waiters) w(false);
  }

  #snapshot(d: Device): void {
    d.scan = this.environment.scan();
    d.scannedAt = this.#clock.now();
  }

  // --------------------------------------------------------------------------- connections

  #add(kv: readonly string[]): Handler | CommandResult | undefined {
    if (kv.length % 2 !== 0) return undefined;
    const p: Partial<Profile> & { type?: string } = {};
    for (let i = 0; i < kv.length; i += 2) {
      const key = kv[i]!;
      const value = kv[i + 1]!;
      if (/psk|password|wep-key/i.test(key)) {
        return fail(2, `Error: the simulated NetworkManager refuses a secret on the command line (${key}): secrets go to 'nmcli connection edit' on its standard input\n`);
      }
      switch (key) {
        case 'type':
          if (value !== 'wifi' && value !== '802-11-wireless') return undefined;
          p.type = 'wifi';
          break;
        case 'ifname':
          p.ifname = value;
          break;
        case 'con-name':
          p.name = value;
          break;
        case 'ssid':
        case 'wifi.ssid':
        case '802-11-wireless.ssid':
          p.ssid = value;
          break;
        case 'autoconnect':
        case 'connection.autoconnect':
          if (!['yes', 'no'].includes(value)) return undefined;
          break;
        case 'connection.autoconnect-retries':
          if (!/^-?\d+$/.test(value)) return undefined;
          break;
        case 'wifi-sec.key-mgmt':
        case '802-11-wireless-security.key-mgmt':
          if (value !== 'wpa-psk') return undefined;
          p.keyMgmt = 'wpa-psk';
          break;
        case 'wifi.mode':
        case '802-11-wireless.mode':
          if (value !== 'ap' && value !== 'infrastructure') return undefined;
          p.mode = value;
          break;
        case 'wifi.band':
        case '802-11-wireless.band':
          if (value !== 'bg' && value !== 'a') return undefined;
          p.band = value;
          break;
        case 'wifi.channel':
        case '802-11-wireless.channel':
          if (!/^\d+$/.test(value)) return undefined;
          p.channel = Number(value);
          break;
        case 'ipv4.method':
          if (value !== 'shared' && value !== 'auto') return undefined;
          break;
        default:
          return undefined;
      }
    }
    if (p.type !== 'wifi' || p.name === undefined || p.ssid === undefined) return undefined;
    const ssidBytes = Buffer.byteLength(p.ssid, 'utf8');
    if (ssidBytes < 1 || ssidBytes > 32) return fail(2, `Error: failed to modify 802-11-wireless.ssid: '${p.ssid}' is not valid.\n`);
    if (p.channel !== undefined) {
      const f = channelFrequency(p.channel);
      const fits = p.band === 'a' ? f !== undefined && f > 5000 : p.band === 'bg' ? f !== undefined && f < 5000 : false;
      if (!fits) {
        const why = p.band === undefined ? "requires setting 'band' property" : `'${p.channel}' is not a valid channel`;
        return fail(2, `Error: Failed to add '${p.name}' connection: 802-11-wireless.channel: ${why}\n`);
      }
    }
    const profile: Profile = {
      uuid: this.#uuid(),
      name: p.name,
      ifname: p.ifname,
      ssid: p.ssid,
      mode: p.mode ?? 'infrastructure',
      band: p.band,
      channel: p.channel,
      keyMgmt: p.keyMgmt,
      psk: undefined,
    };
    return () => {
      this.#profiles.push(profile);
      this.#line(`${profile.name}: connection profile created`);
      return ok(`Connection '${profile.name}' (${profile.uuid}) successfully added.\n`);
    };
  }

  /**
   * The interactive editor fed from stdin: `set wifi-sec.psk …`, `save [persistent]`, `quit`.
   * nmcli echoes each line after its prompt, the passphrase included; here the passphrase is
   * replaced by asterisks so a simulated run never prints it.
   */
  #edit(name: string, stdin: string): CommandResult {
    const profile = this.#profiles.find((p) => p.name === name);
    if (!profile) return fail(10, `Error: Unknown connection '${name}'.\n`);
    let out =
      '\n===| nmcli interactive connection editor |===\n\n' +
      `Editing existing '802-11-wireless' connection: '${name}'\n\n` +
      "Type 'help' or '?' for available commands.\n" +
      "Type 'print' to show all the connection properties.\n" +
      "Type 'describe [<setting>.<prop>]' for detailed property description.\n\n" +
      'You may edit the following settings: connection, 802-11-wireless (wifi), 802-11-wireless-security (wifi-sec), 802-1x, ethtool, match, ipv4, ipv6, hostname, tc, proxy\n';
    let pending: string | undefined;
    const lines = stdin.split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '');
      const set = /^(set\s+(?:wifi-sec\.psk|802-11-wireless-security\.psk)\s)(.*)$/.exec(line);
      out += `nmcli> ${set ? `${set[1]}${'*'.repeat(8)}` : line}\n`;
      if (line.trim() === '') continue;
      if (set) {
        pending = set[2]!;
      } else if (/^save(\s+(persistent|temporary))?\s*$/.test(line)) {
        const value = pending ?? profile.psk;
        if (value !== undefined && profile.keyMgmt !== 'wpa-psk') {
          out += `Error: Failed to save '${name}' (${profile.uuid}) connection: 802-11-wireless-security.key-mgmt: property is missing\n`;
        } else if (value !== undefined && !validPassphrase(value)) {
          out += `Error: Failed to save '${name}' (${profile.uuid}) connection: 802-11-wireless-security.psk: property is invalid\n`;
        } else {
          profile.psk = value;
          pending = undefined;
          out += `Connection '${name}' (${profile.uuid}) successfully updated.\n`;
          this.#line(`${name}: connection profile changed`);
        }
      } else if (/^(quit|q|exit)\s*$/.test(line)) {
        return ok(out);
      } else {
        // Only the command word and property: a mistyped `set` line may hold the secret.
        const shown = line.trim().split(/\s+/).slice(0, 2).join(' ');
        return fail(2, `Error: unsupported command in the simulated NetworkManager: nmcli connection edit id ${name}: editor command '${shown} …'\n`);
      }
    }
    // End of input without `quit`: nmcli leaves the editor the same way.
    return ok(`${out}nmcli> \n`);
  }

  #up(rest: readonly string[], wait: number | undefined, call: Call): Handler | undefined {
    const name = rest[0] === 'id' ? rest[1] : rest[0];
    const after = rest.slice(rest[0] === 'id' ? 2 : 1);
    if (name === undefined) return undefined;
    let ifname: string | undefined;
    if (after.length === 2 && after[0] === 'ifname') ifname = after[1];
    else if (after.length !== 0) return undefined;
    return () => {
      const profile = this.#profiles.find((p) => p.name === name);
      if (!profile) return fail(10, `Error: unknown connection '${name}'.\n`);
      const iface = ifname ?? profile.ifname ?? this.iface;
      const device = this.#devices.get(iface);
      if (!device || (profile.ifname !== undefined && profile.ifname !== iface)) {
        return fail(4, `Error: device '${iface}' not compatible with connection '${name}'.\n`);
      }
      const ac = this.#activate(profile, device);
      if (wait === 0) return ok();
      const waiter = (outcome: Outcome) => {
        if (outcome.ok) return call.finish(ok(`Connection successfully activated (D-Bus active path: ${AC_PATH}${ac.path})\n`));
        const error = `Error: Connection activation failed: ${outcome.reason}\nHint: use 'journalctl -xe NM_CONNECTION=${profile.uuid} + NM_DEVICE=${device.iface}' to get more details.\n`;
        if (!outcome.agentAsked) return call.finish(fail(4, error));
        call.finish({
          code: 4,
          stdout: `Passwords or encryption keys are required to access the wireless network '${profile.ssid}'.\n`,
          stderr: `Warning: password for '802-11-wireless-security.psk' not given in 'passwd-file' and nmcli cannot ask without '--ask' option.\n${error}`,
        });
      };
      ac.waiters.add(waiter);
      call.onEnd(() => ac.waiters.delete(waiter));
      const seconds = wait ?? DEFAULT_UP_WAIT_SEC;
      call.after(seconds * 1000, () => call.finish(fail(3, `Error: Timeout expired (${seconds} seconds)\n`)));
      return undefined;
    };
  }

  #down(name: string): CommandResult {
    const d = [...this.#devices.values()].find((x) => x.active?.profile.name === name);
    if (!d) return fail(10, `Error: '${name}' is not an active connection.\nError: no active connection provided.\n`);
    const path = d.active!.path;
    this.#deactivate(d, REASON_USER, true);
    return ok(`Connection '${name}' successfully deactivated (D-Bus active path: ${AC_PATH}${path})\n`);
  }

  #delete(name: string, selector: string): CommandResult {
    const matches = this.#profiles.filter((p) => p.name === name);
    if (matches.length === 0) return fail(10, `Error: unknown connection '${name}'.\nError: cannot delete unknown connection(s): ${selector}'${name}'.\n`);
    let out = '';
    for (const p of matches) {
      for (const d of this.#devices.values()) if (d.active?.profile === p) this.#deactivate(d, REASON_REMOVED, true);
      this.#profiles.splice(this.#profiles.indexOf(p), 1);
      this.#line(`${p.name}: connection profile removed`);
      out += `Connection '${p.name}' (${p.uuid}) successfully deleted.\n`;
    }
    return ok(out);
  }

  #disconnectDevice(iface: string): CommandResult {
    const d = this.#devices.get(iface);
    if (!d) return fail(10, `Error: Device '${iface}' not found.\nError: not all devices found.\n`);
    if (!d.active) return fail(6, `Error: Device '${iface}' (${DEVICE_PATH}${d.path}) disconnecting failed: This device is not active\nError: not all devices disconnected.\n`);
    this.#deactivate(d, REASON_USER, true);
    return ok(`Device '${iface}' successfully disconnected.\n`);
  }

  // --------------------------------------------------------------------------- activations

  #activate(profile: Profile, device: Device): Active {
    if (device.active) this.#deactivate(device, REASON_REPLACED, false);
    const ac: Active = {
      path: ++this.#acCounter,
      profile,
      device,
      startedAt: this.#clock.now(),
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
    this.#line(`${device.iface}: using connection '${profile.name}'`);
    this.#setState(device, 'prepare');
    this.#refreshGlobal();
    this.#setState(device, 'config');
    let delay = profile.mode === 'ap' ? HOTSPOT_MS : this.associateMs;
    if (profile.keyMgmt === 'wpa-psk') {
      // NetworkManager asks for the secrets once on every secured activation (nmcli answers as
      // its agent); the profile is saved again afterwards. Without a stored one it gives up here.
      this.#setState(device, 'need-auth');
      if (profile.psk === undefined) {
        delay = NO_SECRET_MS;
      } else {
        this.#setState(device, 'prepare');
        this.#setState(device, 'config');
        this.#line(`${profile.name}: connection profile changed`);
      }
    }
    this.#arm(ac, delay);
    return ac;
  }

  #arm(ac: Active, ms: number): void {
    ac.timer = this.#clock.setTimeout(() => {
      ac.timer = undefined;
      if (ac.device.active === ac) this.#complete(ac);
    }, ms);
    ac.timer.unref();
  }

  #complete(ac: Active): void {
    const d = ac.device;
    if (ac.profile.keyMgmt === 'wpa-psk' && ac.profile.psk === undefined) return this.#fail(ac, { ok: false, reason: REASON_NO_SECRETS, agentAsked: true });
    if (ac.profile.mode === 'ap') {
      this.#setState(d, 'ip-config');
      this.#setState(d, 'ip-check');
      this.#setState(d, 'secondaries');
      ac.activated = true;
      this.#setState(d, 'activated');
      if (!this.#primary()) this.#connectivity = this.#probe();
      this.#refreshGlobal();
      return this.#settle(ac, { ok: true });
    }
    // The supplicant scanned for the network while associating: NetworkManager's list is that scan.
    this.#snapshot(d);
    const ap = this.#bestAp(ac.profile);
    if (!ap) {
      // Not in range at the end of the association: the supplicant keeps looking for a while.
      const left = ac.startedAt + SSID_SEARCH_MS - this.#clock.now();
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
    ac.associatedAt = this.#clock.now();
    this.#setState(d, 'ip-config');
    ac.ipUp = true;
    this.#refreshGlobal();
    this.#setState(d, 'ip-check');
    // The first probe runs before the new route is in place and fails; the real answer comes
    // with the next check, a second later.
    this.#connectivity = 'limited';
    this.#refreshGlobal();
    this.#setState(d, 'secondaries');
    ac.activated = true;
    this.#setState(d, 'activated');
    this.#refreshGlobal();
    this.#backoffMs = 1000;
    this.#scheduleCheck(this.#nextCheckDelay());
    this.#settle(ac, { ok: true });
  }

  /** The activation (or the link) failed: NetworkManager is back to disconnected on that device. */
  #fail(ac: Active, outcome: Outcome & { ok: false }): void {
    const d = ac.device;
    const wasPrimary = this.#primary() === ac;
    this.#clearActiveTimers(ac);
    this.#setState(d, 'failed');
    d.active = undefined;
    this.#refreshGlobal({ connectivity: false });
    this.#setState(d, 'disconnected');
    if (ac.profile.mode === 'ap') this.#dropStations();
    if (wasPrimary || ac.profile.mode === 'ap') this.#connectivityAfterLoss(false);
    this.#settle(ac, outcome);
  }

  /** Take the device down; a `connection up` still waiting for it learns `reason`. */
  #deactivate(d: Device, reason: string, userAsked: boolean): void {
    const ac = d.active;
    if (!ac) return;
    const wasPrimary = this.#primary() === ac;
    this.#clearActiveTimers(ac);
    ac.deactivating = true;
    this.#setState(d, 'deactivating');
    this.#refreshGlobal({ connectivity: false });
    d.active = undefined;
    this.#setState(d, 'disconnected');
    if (ac.profile.mode === 'ap') this.#dropStations();
    this.#refreshGlobal({ connectivity: false });
    if (wasPrimary || (ac.profile.mode === 'ap' && ac.activated)) this.#connectivityAfterLoss(userAsked && wasPrimary);
    this.#settle(ac, { ok: false, reason });
  }

  /**
   * The primary connection (or the hotspot) is gone. NetworkManager checks once more on the way
   * down when asked to disconnect (that check fails: "limited"), then has nothing to check.
   */
  #connectivityAfterLoss(recheck: boolean): void {
    if (this.#primary()) return;
    this.#clearCheck();
    if (recheck && this.#connectivity !== 'limited') {
      this.#connectivity = 'limited';
      this.#refreshGlobal();
    }
    this.#connectivity = this.#probe();
    this.#refreshGlobal();
  }

  #settle(ac: Active, outcome: Outcome): void {
    const waiters = [...ac.waiters];
    ac.waiters.clear();
    for (const w of waiters) w(outcome);
  }

  #clearActiveTimers(ac: Active): void {
    if (ac.timer) this.#clock.clearTimeout(ac.timer);
    if (ac.linkTimer) this.#clock.clearTimeout(ac.linkTimer);
    ac.timer = undefined;
    ac.linkTimer = undefined;
  }

  /** The strongest access point in range that this profile can join (same SSID, same kind of security). */
  #bestAp(profile: Profile): AccessPointState | undefined {
    let best: AccessPointState | undefined;
    for (const ap of this.environment.accessPoints()) {
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

  #hotspot(): Active | undefined {
    const ac = this.#devices.get(this.hotspotIface)?.active;
    return ac?.profile.mode === 'ap' && ac.activated && this.#running ? ac : undefined;
  }

  #dropStations(): void {
    for (const name of [...this.#stations.keys()]) this.leaveClient(name);
  }

  // ------------------------------------------------------------------- the air changes

  #apChanged(ap: AccessPointState, what: ApChange): void {
    if (!this.#running || (what !== 'present' && what !== 'password')) return;
    for (const d of this.#devices.values()) {
      const ac = d.active;
      if (!ac?.activated || ac.profile.mode !== 'infrastructure' || ac.profile.ssid !== ap.ssid) continue;
      const usable = (x: AccessPointState) => x.present && (x.security === '' || x.password === ac.profile.psk);
      if (ac.apName === ap.name && !usable(ap)) {
        // The supplicant roams to another access point of the network when there is one.
        const other = this.environment.accessPoints().find((x) => x.name !== ap.name && x.ssid === ap.ssid && x.security === ap.security && usable(x));
        if (other) {
          ac.apName = other.name;
          ac.bssid = other.bssid;
        } else if (!ac.linkDown) {
          ac.linkDown = true;
          ac.linkTimer = this.#clock.setTimeout(() => {
            ac.linkTimer = undefined;
            if (d.active === ac) this.#fail(ac, { ok: false, reason: REASON_SUPPLICANT_TIMEOUT });
          }, LINK_TIMEOUT_MS);
          ac.linkTimer.unref();
        }
      } else if (ac.linkDown && usable(ap)) {
        ac.linkDown = false;
        ac.apName = ap.name;
        ac.bssid = ap.bssid;
        if (ac.linkTimer) this.#clock.clearTimeout(ac.linkTimer);
        ac.linkTimer = undefined;
      }
    }
  }

  // ------------------------------------------------------------------------ connectivity

  /** NetworkManager's primary connection: the client connection that holds the default route. */
  #primary(): Active | undefined {
    for (const d of this.#devices.values()) {
      const ac = d.active;
      if (ac?.ipUp && ac.profile.mode === 'infrastructure') return ac;
    }
    return undefined;
  }

  /** What a probe meets now. */
  #probe(): Connectivity {
    const ac = this.#primary();
    if (!ac) {
      // The hotspot alone: a shared network with no uplink behind it.
      const hotspot = [...this.#devices.values()].some((d) => d.active?.profile.mode === 'ap' && d.active.activated);
      return hotspot ? 'limited' : 'none';
    }
    if (ac.linkDown || !ac.activated) return 'limited';
    const ap = this.environment.accessPoint(ac.apName!);
    if (ap.portal && !ac.portalPassed) return 'portal';
    return ap.internet ? 'full' : 'limited';
  }

  /** Run the connectivity check now, and schedule the next one as NetworkManager does. */
  #check(): Connectivity {
    this.#connectivity = this.#probe();
    this.#refreshGlobal();
    if (this.#primary()?.activated) this.#scheduleCheck(this.#nextCheckDelay());
    else this.#clearCheck();
    return this.#connectivity;
  }

  /** The full interval after a full result; otherwise 1 s, doubling up to the interval. */
  #nextCheckDelay(): number {
    if (this.#connectivity === 'full') {
      this.#backoffMs = 1000;
      return this.#intervalMs;
    }
    const delay = Math.min(this.#backoffMs, this.#intervalMs);
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#intervalMs);
    return delay;
  }

  #scheduleCheck(ms: number): void {
    this.#clearCheck();
    this.#checkTimer = this.#clock.setTimeout(() => {
      this.#checkTimer = undefined;
      this.#check();
    }, ms);
    this.#checkTimer.unref();
  }

  #clearCheck(): void {
    if (this.#checkTimer) this.#clock.clearTimeout(this.#checkTimer);
    this.#checkTimer = undefined;
  }

  #association(): PortalAssociation | undefined {
    const ac = this.#running ? this.#devices.get(this.iface)?.active : undefined;
    if (!ac?.activated || ac.profile.mode !== 'infrastructure' || ac.linkDown) return undefined;
    const ap = this.environment.accessPoint(ac.apName!);
    return { id: ac.association, ssid: ap.ssid, internet: ap.internet, portal: ap.portal, passed: ac.portalPassed };
  }

  #passPortal(id: number): void {
    const ac = this.#devices.get(this.iface)?.active;
    if (ac && ac.association === id) ac.portalPassed = true;
  }

  /** NetworkManager's global state, as `general status` and the monitor name it. */
  #nmState(): string {
    let client = false;
    let local = false;
    let connecting = false;
    let disconnecting = false;
    for (const d of this.#devices.values()) {
      const ac = d.active;
      if (!ac) continue;
      if (ac.deactivating) disconnecting = true;
      else if (!ac.activated) connecting = true;
      else if (ac.profile.mode === 'ap') local = true;
      else client = true;
    }
    if (client) {
      if (this.#connectivity === 'full') return 'connected';
      if (this.#connectivity === 'portal' || this.#connectivity === 'limited') return 'connected (site only)';
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
  #refreshGlobal(options: { connectivity?: boolean } = {}): void {
    const state = this.#nmState();
    if (state !== this.#saidState) {
      this.#saidState = state;
      this.#line(`Networkmanager is now in the '${state}' state`);
    }
    const primary = this.#primary()?.profile.name;
    if (primary !== this.#saidPrimary) {
      this.#saidPrimary = primary;
      this.#line(primary === undefined ? "There's no primary connection" : `'${primary}' is now the primary connection`);
    }
    if (options.connectivity !== false && this.#connectivity !== this.#saidConnectivity) {
      this.#saidConnectivity = this.#connectivity;
      this.#line(`Connectivity is now '${this.#connectivity}'`);
    }
  }

  // ----------------------------------------------------------------------------------- iw

  #iw(args: readonly string[]): CommandResult {
    if (!(args.length === 4 && args[0] === 'dev' && args[2] === 'station' && args[3] === 'dump')) return unsupported('iw', args);
    const d = this.#devices.get(args[1]!);
    if (!d) return fail(237, 'command failed: No such device (-19)\n');
    const ac = this.#running ? d.active : undefined;
    const now = this.#clock.now();
    if (ac?.activated && ac.profile.mode === 'ap' && d.iface === this.hotspotIface) {
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
      const ap = this.environment.accessPoint(ac.apName!);
      const sec = Math.floor((now - ac.associatedAt) / 1000);
      const signalDbm = Math.round(ap.signal / 2 - 100);
      return ok(stationBlock(ap.bssid.toLowerCase(), d.iface, { inactiveMs: 20, rxBytes: 4096 + 1500 * sec, signalDbm, connectedSec: sec, ...this.#times(ac.associatedAt) }));
    }
    return ok();
  }

  #times(since: number): { associatedBoottime: number; associatedAt: number; now: number } {
    return { associatedBoottime: (since - this.#bootAt) / 1000, associatedAt: since, now: this.#clock.now() };
  }

  // ------------------------------------------------------------------------------ helpers

  #setState(d: Device, state: DeviceState): void {
    d.state = state;
    this.#line(`${d.iface}: ${STATE_TEXT[state]}`);
  }

  #device(iface: string): Device {
    const d = this.#devices.get(iface);
    if (!d) throw new DriverError('wifi', `the simulated NetworkManager has no device "${iface}" (devices: ${[...this.#devices.keys()].join(', ')})`, { code: 'WIFI_SIM_UNKNOWN' });
    return d;
  }

  #uuid(): string {
    const b = Array.from({ length: 16 }, () => this.#uuidRng.int(0, 255));
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  #line(line: string): void {
    if (this.#monitors.size > 0) this.#queue({ targets: [...this.#monitors], line });
  }

  /**
   * Monitor lines arrive after the call that caused them returns, as they do from a separate
   * nmcli process: a listener that runs commands is never re-entered from inside run().
   */
  #queue(entry: { targets: Monitor[]; line?: string; exit?: string }): void {
    this.#lineQueue.push(entry);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      const entries = this.#lineQueue;
      this.#lineQueue = [];
      for (const e of entries) {
        for (const m of e.targets) {
          if (e.exit !== undefined) m.onExit(e.exit);
          else if (!m.stopped) m.onLine(e.line!);
        }
      }
    });
  }
}

// ------------------------------------------------------------------------------- formatting

interface DeviceRow {
  device: string;
  type: string;
  state: string;
  connection: string;
  uuid: string;
}

interface WifiRow {
  inUse: boolean;
  ssid: string;
  bssid: string;
  channel: number;
  freq: number;
  signal: number;
  security: string;
  wpaFlags: string;
  rsnFlags: string;
  device: string;
}

interface GeneralRow {
  state: string;
  connectivity: Connectivity;
}

const GENERAL_FIELDS: Record<string, (r: GeneralRow) => string> = {
  RUNNING: () => 'running',
  STATE: (r) => r.state,
  CONNECTIVITY: (r) => r.connectivity,
  NETWORKING: () => 'enabled',
  'WIFI-HW': () => 'enabled',
  WIFI: () => 'enabled',
};

const DEVICE_FIELDS: Record<string, (r: DeviceRow) => string> = {
  DEVICE: (r) => r.device,
  TYPE: (r) => r.type,
  STATE: (r) => r.state,
  CONNECTION: (r) => r.connection,
  'CON-UUID': (r) => r.uuid,
};

const WIFI_FIELDS: Record<string, (r: WifiRow) => string> = {
  'IN-USE': (r) => (r.inUse ? '*' : ' '),
  ACTIVE: (r) => (r.inUse ? 'yes' : 'no'),
  SSID: (r) => r.ssid,
  BSSID: (r) => r.bssid,
  MODE: () => 'Infra',
  CHAN: (r) => String(r.channel),
  FREQ: (r) => `${r.freq} MHz`,
  SIGNAL: (r) => String(r.signal),
  SECURITY: (r) => r.security,
  'WPA-FLAGS': (r) => r.wpaFlags,
  'RSN-FLAGS': (r) => r.rsnFlags,
  DEVICE: (r) => r.device,
};

/** nmcli -f: field names in any case, in the order asked; undefined when one is not known here. */
function fieldPicker<R>(spec: string, known: Record<string, (row: R) => string>): { line: (row: R) => string } | undefined {
  const names = spec.split(',').map((s) => s.trim().toUpperCase());
  if (names.length === 0 || names.some((n) => !(n in known))) return undefined;
  const getters = names.map((n) => known[n]!);
  return { line: (row) => `${joinTerse(getters.map((g) => g(row)))}\n` };
}

/** `id NAME` or a bare NAME, nothing after. */
function connectionName(rest: readonly string[]): string | undefined {
  if (rest.length === 2 && rest[0] === 'id') return rest[1];
  if (rest.length === 1 && rest[0] !== 'id') return rest[0];
  return undefined;
}

/** Values after an argument that names a secret are not repeated in the refusal. */
function unsupported(program: Program, args: readonly string[]): CommandResult {
  const shown = args.map((a, i) => (i > 0 && /psk|password|wep-key|secret/i.test(args[i - 1]!) ? '<hidden>' : a));
  return fail(2, `Error: unsupported command in the simulated NetworkManager: ${program} ${shown.join(' ')}\n`);
}

interface StationFigures {
  inactiveMs: number;
  rxBytes: number;
  signalDbm: number;
  connectedSec: number;
  /** Uptime in seconds and wall-clock milliseconds at association, and now. */
  associatedBoottime: number;
  associatedAt: number;
  now: number;
}

/** One station as `iw dev IF station dump` prints it on mac80211 (fields, order and spacing as recorded). */
function stationBlock(mac: string, iface: string, s: StationFigures): string {
  const rxPackets = Math.floor(s.rxBytes / 120);
  const txBytes = Math.floor(s.rxBytes * 0.6);
  return (
    `Station ${mac} (on ${iface})\n` +
    `\tinactive time:\t${s.inactiveMs} ms\n` +
    `\trx bytes:\t${s.rxBytes}\n` +
    `\trx packets:\t${rxPackets}\n` +
    `\ttx bytes:\t${txBytes}\n` +
    `\ttx packets:\t${Math.floor(rxPackets * 0.6)}\n` +
    `\ttx retries:\t0\n` +
    `\ttx failed:\t0\n` +
    `\trx drop misc:\t0\n` +
    `\tsignal:  \t${s.signalDbm} dBm\n` +
    `\tsignal avg:\t${s.signalDbm} dBm\n` +
    `\ttx bitrate:\t72.2 MBit/s MCS 7 short GI\n` +
    `\ttx duration:\t0 us\n` +
    `\trx bitrate:\t65.0 MBit/s MCS 7\n` +
    `\trx duration:\t0 us\n` +
    `\texpected throughput:\t39.550Mbps\n` +
    `\tauthorized:\tyes\n` +
    `\tauthenticated:\tyes\n` +
    `\tassociated:\tyes\n` +
    `\tpreamble:\tshort\n` +
    `\tWMM/WME:\tyes\n` +
    `\tMFP:\t\tno\n` +
    `\tTDLS peer:\tno\n` +
    `\tDTIM period:\t2\n` +
    `\tbeacon interval:100\n` +
    `\tshort slot time:yes\n` +
    `\tconnected time:\t${s.connectedSec} seconds\n` +
    `\tassociated at [boottime]:\t${s.associatedBoottime.toFixed(3)}s\n` +
    `\tassociated at:\t${s.associatedAt} ms\n` +
    `\tcurrent time:\t${s.now} ms\n`
  );
}

/** A stable address per seed and interface, under the Raspberry Pi Foundation's D8:3A:DD prefix. */
function deviceMac(seed: number, iface: string): string {
  const rng = new Prng(deviceSeed(seed, `mac:${iface}`));
  const tail = Array.from({ length: 3 }, () => rng.int(0, 255).toString(16).padStart(2, '0'));
  return ['D8', '3A', 'DD', ...tail].join(':').toUpperCase();
}
