/**
 * The Wi-Fi driver over NetworkManager.
 *   new NmWifi({ runner: new ExecRunner(), binding: 'nmcli', iface: 'wlan0', scanner: () => nodeWifi('wlan0') })
 * What nmcli says is the truth: the driver keeps no state NetworkManager does not report. It
 * refreshes when `nmcli monitor` says something changed (debounced, since one change prints
 * several lines), after each of its own operations, and on a slow poll as a safety net; the
 * hotspot's stations come from the kernel (`iw station dump`), polled while the hotspot is up.
 * NetworkManager going away is a state (available: false), not a crash: the driver keeps
 * asking and comes back by itself.
 */
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import { systemClock } from '../../runtime/clock.js';
import { Emitter } from '../../runtime/emitter.js';
import { DriverError, errorMessage } from '../../runtime/errors.js';
import type { CommandResult, CommandRunner, MonitorHandle, Program } from './commands.js';
import { connectFailure, errorLine, firstLine, notRunning, parseConnectivity, parseDevices, parseGeneral, parseStations, parseWifiList } from './nm-parse.js';
import { wellFormed, type NodeWifi } from './node-wifi.js';
import { checkPassphrase, checkSsid } from './secrets.js';
import type { AccessPoint, ConnectRequest, ConnectResult, Connectivity, HotspotRequest, HotspotState, Station, WifiDriver, WifiEvents, WifiLink, WifiState } from './wifi.js';

export const HOTSPOT_CONNECTION = 'vigil-hotspot';
/** The profile name for a joined network: NetworkManager keeps it, so the device rejoins after a reboot. */
export const profileName = (ssid: string): string => `vigil-${ssid}`;

export interface NmWifiOptions {
  runner: CommandRunner;
  binding: 'nmcli' | 'sim';
  iface: string;
  hotspotIface?: string;
  /** node-wifi for scans and the current connection (a device), loaded at open(); without it nmcli is read directly (the simulator). */
  scanner?: () => NodeWifi;
  /** Where the captive-portal probe goes instead of the configured URL (the simulated environment's server). */
  portalProbeUrl?: string;
  /** Runs at close() (the simulated environment's server stops). */
  onClose?: () => Promise<void>;
  clock?: Clock;
  /** How long monitor lines are gathered before one refresh. */
  settleMs?: number;
  pollMs?: number;
  stationPollMs?: number;
}

const LIST_FIELDS = ['-t', '-f', 'IN-USE,SSID,BSSID,CHAN,FREQ,SIGNAL,SECURITY', 'device', 'wifi', 'list'];

export class NmWifi implements WifiDriver {
  readonly binding: 'nmcli' | 'sim';
  readonly iface: string;
  readonly hotspotIface: string;
  readonly events = new Emitter<WifiEvents>();
  readonly #runner: CommandRunner;
  readonly portalProbeUrl: string | undefined;
  readonly #makeScanner: (() => NodeWifi) | undefined;
  readonly #onClose: (() => Promise<void>) | undefined;
  #scanner: NodeWifi | undefined;
  readonly #clock: Clock;
  readonly #settleMs: number;
  readonly #pollMs: number;
  readonly #stationPollMs: number;
  #state: WifiState;
  #monitor: MonitorHandle | undefined;
  #settle: TimerHandle | undefined;
  #poll: TimerHandle | undefined;
  #stationTimer: TimerHandle | undefined;
  #refreshing: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #warned = new Set<string>();
  #hotspotSsid: string | undefined;

  constructor(options: NmWifiOptions) {
    this.#runner = options.runner;
    this.binding = options.binding;
    this.iface = options.iface;
    this.hotspotIface = options.hotspotIface ?? options.iface;
    this.#makeScanner = options.scanner;
    this.portalProbeUrl = options.portalProbeUrl;
    this.#onClose = options.onClose;
    this.#clock = options.clock ?? systemClock;
    this.#settleMs = options.settleMs ?? 250;
    this.#pollMs = options.pollMs ?? 30_000;
    this.#stationPollMs = options.stationPollMs ?? 3_000;
    this.#state = { available: false, devices: [], hotspot: { up: false, iface: this.hotspotIface, stations: [] }, connectivity: 'unknown' };
  }

  async open(): Promise<void> {
    this.#closed = false;
    this.#scanner ??= this.#makeScanner?.();
    const r = await this.#nmcli(['-t', '-f', 'RUNNING,STATE,CONNECTIVITY,WIFI-HW,WIFI', 'general', 'status']);
    if (notRunning(r.code, r.stderr)) throw new DriverError('wifi', `NetworkManager is not running (nmcli: ${firstLine(r.stderr)}); expected it to manage ${this.iface} (systemctl start NetworkManager)`, { code: 'WIFI_NM_DOWN' });
    if (r.code !== 0) throw new DriverError('wifi', `nmcli general status failed with exit ${r.code}: ${firstLine(r.stderr)}`, { code: 'WIFI_NM_FAILED' });
    parseGeneral(r.stdout);
    this.#monitor = this.#startMonitor();
    await this.refresh();
    if (!this.#state.devices.some((d) => d.iface === this.iface)) {
      throw new DriverError('wifi', `NetworkManager has no interface ${this.iface} (it has: ${this.#state.devices.map((d) => `${d.iface} (${d.type})`).join(', ') || 'none'}); expected drivers.wifi.iface to name a Wi-Fi interface`, { code: 'WIFI_NO_IFACE' });
    }
    this.#armPoll();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#monitor?.stop();
    this.#monitor = undefined;
    if (this.#settle) this.#clock.clearTimeout(this.#settle);
    if (this.#poll) this.#clock.clearTimeout(this.#poll);
    if (this.#stationTimer) this.#clock.clearTimeout(this.#stationTimer);
    this.#settle = this.#poll = this.#stationTimer = undefined;
    await this.#refreshing?.catch(() => {});
    await this.#onClose?.();
  }

  state(): WifiState {
    return this.#state;
  }

  async scan(): Promise<AccessPoint[]> {
    let aps: AccessPoint[] | undefined;
    if (this.#scanner) {
      // node-wifi lists what NetworkManager has cached; ask for a fresh scan first (refused while one runs: fine).
      await this.#nmcli(['device', 'wifi', 'rescan', 'ifname', this.iface]);
      const found = await this.#scanner.scan();
      if (found.every(wellFormed)) {
        const inUse = this.#state.link?.bssid;
        aps = found.map((n) => ({ ssid: n.ssid, bssid: n.bssid.toUpperCase(), channel: n.channel, frequencyMHz: n.frequency, signal: n.quality, security: n.security === 'none' || n.security === '--' ? '' : n.security, inUse: n.bssid.toUpperCase() === inUse }));
      } else {
        this.#warnOnce('scan', 'node-wifi misread a network record (an SSID with ":" or "\\"); this scan is read with nmcli directly');
      }
    }
    aps ??= await this.#listAps('yes');
    this.events.emit('scan', aps);
    return aps;
  }

  async connect(request: ConnectRequest): Promise<ConnectResult> {
    checkSsid(request.ssid);
    if (request.password !== undefined) checkPassphrase(request.password, `the password for "${request.ssid}"`);
    const name = profileName(request.ssid);
    const wait = String(request.timeoutSec ?? 30);
    await this.#nmcli(['connection', 'delete', 'id', name]);
    const add = await this.#nmcli([
      // Not autoconnect: NetworkManager would try the profile by itself between add, edit and up
      // (and the runtime rejoins its configured networks itself).
      'connection', 'add', 'type', 'wifi', 'ifname', this.iface, 'con-name', name, 'autoconnect', 'no', 'ssid', request.ssid, 'connection.autoconnect-retries', '1',
      ...(request.password !== undefined ? ['wifi-sec.key-mgmt', 'wpa-psk'] : []),
    ]);
    this.#check(add, 'connection add');
    if (request.password !== undefined) await this.#setPsk(name, request.password);
    const up = await this.#nmcli(['-w', wait, 'connection', 'up', 'id', name, 'ifname', this.iface], (Number(wait) + 10) * 1000);
    if (up.code !== 0) {
      const reason = connectFailure(up.code, up.stderr);
      // A profile NetworkManager cannot use would be retried by it (autoconnect) with the same bad secret.
      await this.#nmcli(['connection', 'delete', 'id', name]);
      await this.refresh();
      return { ok: false, reason, message: errorLine(up.stderr) || `nmcli exited ${up.code}` };
    }
    await this.refresh();
    const link: WifiLink = this.#state.link ?? { iface: this.iface, ssid: request.ssid };
    return { ok: true, link };
  }

  async disconnect(): Promise<void> {
    if (this.#scanner) {
      // nmcli exits 6 for a device that is not connected, which is what was asked for.
      await this.#scanner.disconnect().catch((err: unknown) => {
        if ((err as { code?: unknown }).code !== 6) throw err;
      });
    } else {
      const r = await this.#nmcli(['device', 'disconnect', this.iface]);
      if (r.code !== 6) this.#check(r, 'device disconnect');
    }
    await this.refresh();
  }

  async hotspotUp(request: HotspotRequest): Promise<HotspotState> {
    checkSsid(request.ssid);
    checkPassphrase(request.password, 'the hotspot password');
    await this.#nmcli(['connection', 'delete', 'id', HOTSPOT_CONNECTION]);
    const add = await this.#nmcli([
      'connection', 'add', 'type', 'wifi', 'ifname', this.hotspotIface, 'con-name', HOTSPOT_CONNECTION, 'autoconnect', 'no', 'ssid', request.ssid,
      '802-11-wireless.mode', 'ap', '802-11-wireless.band', request.band ?? 'bg', 'ipv4.method', 'shared', 'wifi-sec.key-mgmt', 'wpa-psk',
      ...(request.channel !== undefined ? ['802-11-wireless.channel', String(request.channel)] : []),
    ]);
    this.#check(add, 'connection add (hotspot)');
    this.#hotspotSsid = request.ssid;
    await this.#setPsk(HOTSPOT_CONNECTION, request.password);
    const up = await this.#nmcli(['-w', '30', 'connection', 'up', 'id', HOTSPOT_CONNECTION], 40_000);
    await this.refresh();
    if (up.code !== 0) {
      // ipv4.method shared starts dnsmasq; without it the activation hangs in "getting IP configuration" until -w expires.
      const hint = up.code === 3 ? ' (a hotspot shares its link through dnsmasq: apt-get install dnsmasq-base)' : '';
      throw new DriverError('wifi', `the hotspot "${request.ssid}" did not come up on ${this.hotspotIface}: ${errorLine(up.stderr) || `nmcli exited ${up.code}`}${hint}`, { code: 'WIFI_HOTSPOT' });
    }
    return this.#state.hotspot;
  }

  async hotspotDown(): Promise<void> {
    const r = await this.#nmcli(['connection', 'down', 'id', HOTSPOT_CONNECTION]);
    // 10: it was not active, which is what was asked for.
    if (r.code !== 0 && r.code !== 10) this.#check(r, 'connection down (hotspot)');
    await this.refresh();
  }

  async checkConnectivity(): Promise<Connectivity> {
    const r = await this.#nmcli(['networking', 'connectivity', 'check'], 30_000);
    this.#check(r, 'networking connectivity check');
    const c = parseConnectivity(r.stdout);
    if (c !== this.#state.connectivity) this.#set({ ...this.#state, connectivity: c });
    return c;
  }

  /** Read NetworkManager's view again; concurrent calls share one read, and a call during a read gets another after it. */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      try {
        do {
          this.#again = false;
          await this.#read();
        } while (this.#again && !this.#closed);
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /** Never rejects: a refresh runs from timers and monitor lines, and what goes wrong is an error event. */
  async #read(): Promise<void> {
    try {
      const general = await this.#nmcli(['-t', '-f', 'RUNNING,STATE,CONNECTIVITY,WIFI-HW,WIFI', 'general', 'status']);
      if (notRunning(general.code, general.stderr)) {
        if (this.#state.available) {
          this.events.emit('error', new DriverError('wifi', `NetworkManager stopped answering (${firstLine(general.stderr)}); Wi-Fi is unavailable until it is back`, { code: 'WIFI_NM_DOWN' }));
        }
        this.#set({ available: false, devices: [], hotspot: { up: false, iface: this.hotspotIface, stations: [] }, connectivity: 'unknown' });
        return;
      }
      this.#check(general, 'general status');
      const g = parseGeneral(general.stdout);
      const devs = await this.#nmcli(['-t', '-f', 'DEVICE,TYPE,STATE,CONNECTION', 'device', 'status']);
      this.#check(devs, 'device status');
      const devices = parseDevices(devs.stdout);
      const client = devices.find((d) => d.iface === this.iface);
      const hotDev = devices.find((d) => d.iface === this.hotspotIface);
      const hotspotUp = hotDev?.connection === HOTSPOT_CONNECTION && hotDev.state === 'connected';
      let link: WifiLink | undefined;
      if (client?.state === 'connected' && client.connection !== HOTSPOT_CONNECTION) link = await this.#currentLink();
      const stations = hotspotUp ? await this.#stations() : [];
      // NetworkManager's device list names only the profile; the SSID is the one it was raised with.
      const ssid = hotspotUp ? this.#hotspotSsid : undefined;
      this.#set({
        available: true,
        devices,
        ...(link ? { link } : {}),
        hotspot: { up: hotspotUp, iface: this.hotspotIface, ...(ssid !== undefined ? { ssid } : {}), stations },
        connectivity: g.connectivity,
      });
    } catch (err) {
      this.events.emit('error', err instanceof Error ? err : new Error(errorMessage(err)));
    }
  }

  async #currentLink(): Promise<WifiLink | undefined> {
    if (this.#scanner) {
      const current = await this.#scanner.getCurrentConnections();
      const mine = current.find((n) => (n.iface ?? this.iface) === this.iface);
      if (mine && wellFormed(mine)) return { iface: this.iface, ssid: mine.ssid, bssid: mine.bssid.toUpperCase(), signal: mine.quality };
      if (mine) this.#warnOnce('current', 'node-wifi misread the current network (an SSID with ":" or "\\"); reading it with nmcli directly');
    }
    const ap = (await this.#listAps('no')).find((a) => a.inUse);
    return ap ? { iface: this.iface, ssid: ap.ssid, bssid: ap.bssid, signal: ap.signal } : undefined;
  }

  async #listAps(rescan: 'yes' | 'no'): Promise<AccessPoint[]> {
    const r = await this.#nmcli([...LIST_FIELDS, 'ifname', this.iface, '--rescan', rescan], 30_000);
    this.#check(r, 'device wifi list');
    const { aps, skipped } = parseWifiList(r.stdout);
    if (skipped.length) this.events.emit('error', new DriverError('wifi', `nmcli device wifi list: skipped ${skipped.length} unreadable line(s): ${skipped.slice(0, 3).join('; ')}`, { code: 'WIFI_OUTPUT' }));
    return aps;
  }

  async #stations(): Promise<Station[]> {
    const r = await this.#run('iw', ['dev', this.hotspotIface, 'station', 'dump']);
    if (r.code !== 0) {
      this.#warnOnce('iw', `iw dev ${this.hotspotIface} station dump failed (exit ${r.code}: ${firstLine(r.stderr)}); hotspot clients are not seen`);
      return this.#state.hotspot.stations;
    }
    return parseStations(r.stdout);
  }

  /** The passphrase goes to nmcli's editor on a pipe: never an argument, so never in `ps`. */
  async #setPsk(name: string, password: string): Promise<void> {
    const r = await this.#nmcli(['connection', 'edit', 'id', name], 30_000, `set wifi-sec.psk ${password}\nsave persistent\nquit\n`);
    // The editor's output is not reported: it may echo what it was given.
    if (r.code !== 0) throw new DriverError('wifi', `nmcli could not store the passphrase of "${name}" (exit ${r.code})`, { code: 'WIFI_NM_FAILED' });
  }

  #set(next: WifiState): void {
    const prev = this.#state;
    this.#state = next;
    const before = new Set(prev.hotspot.stations.map((s) => s.mac));
    const after = new Set(next.hotspot.stations.map((s) => s.mac));
    const joined = next.hotspot.stations.filter((s) => !before.has(s.mac));
    const left = prev.hotspot.stations.filter((s) => !after.has(s.mac));
    if (prev.hotspot.up !== next.hotspot.up) this.#armStations();
    if (JSON.stringify(stable(prev)) !== JSON.stringify(stable(next))) this.events.emit('state', next);
    if (joined.length || left.length) this.events.emit('stations', { joined, left, stations: next.hotspot.stations });
  }

  #soon(): void {
    if (this.#closed || this.#settle) return;
    this.#settle = this.#clock.setTimeout(() => {
      this.#settle = undefined;
      void this.refresh();
    }, this.#settleMs);
  }

  #armPoll(): void {
    if (this.#closed) return;
    if (this.#poll) this.#clock.clearTimeout(this.#poll);
    this.#poll = this.#clock.setTimeout(() => {
      this.#poll = undefined;
      if (!this.#monitor && !this.#closed) this.#monitor = this.#startMonitor();
      void this.refresh().finally(() => this.#armPoll());
    }, this.#pollMs);
  }

  /** Stations print nothing in `nmcli monitor`; while the hotspot is up the kernel's list is read (one iw, not a full refresh). */
  #armStations(): void {
    if (this.#stationTimer) this.#clock.clearTimeout(this.#stationTimer);
    this.#stationTimer = undefined;
    if (this.#closed || !this.#state.hotspot.up) return;
    this.#stationTimer = this.#clock.setTimeout(() => {
      this.#stationTimer = undefined;
      void this.#stations()
        .then((stations) => {
          if (this.#state.hotspot.up) this.#set({ ...this.#state, hotspot: { ...this.#state.hotspot, stations } });
        })
        .catch((err: unknown) => this.events.emit('error', err instanceof Error ? err : new Error(errorMessage(err))))
        .finally(() => this.#armStations());
    }, this.#stationPollMs);
  }

  #startMonitor(): MonitorHandle {
    return this.#runner.monitor(
      () => this.#soon(),
      (reason) => {
        this.events.emit('error', new DriverError('wifi', reason, { code: 'WIFI_MONITOR' }));
        // Without the monitor, changes are seen by the poll, which starts it again.
        this.#monitor = undefined;
      },
    );
  }


  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.events.emit('error', new DriverError('wifi', message, { code: 'WIFI_LIBRARY' }));
  }

  #check(r: CommandResult, what: string): void {
    if (r.code === 0) return;
    if (notRunning(r.code, r.stderr)) throw new DriverError('wifi', `NetworkManager is not running (nmcli ${what}: ${firstLine(r.stderr)})`, { code: 'WIFI_NM_DOWN' });
    throw new DriverError('wifi', `nmcli ${what} failed with exit ${r.code}: ${firstLine(r.stderr) || firstLine(r.stdout)}`, { code: 'WIFI_NM_FAILED' });
  }

  #nmcli(args: readonly string[], timeoutMs?: number, stdin?: string): Promise<CommandResult> {
    return this.#run('nmcli', args, timeoutMs, stdin);
  }

  async #run(program: Program, args: readonly string[], timeoutMs?: number, stdin?: string): Promise<CommandResult> {
    try {
      return await this.#runner.run(program, args, { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(stdin !== undefined ? { stdin } : {}) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        const pkg = program === 'nmcli' ? 'network-manager' : 'iw';
        throw new DriverError('wifi', `${program} was not found on PATH; the Wi-Fi driver needs it (apt-get install ${pkg})`, { code: 'WIFI_NO_NMCLI', cause: err });
      }
      throw err;
    }
  }
}

/** A state without the fields that change on their own (signal, station timers): changes worth an event. */
function stable(s: WifiState): unknown {
  return {
    ...s,
    link: s.link ? { iface: s.link.iface, ssid: s.link.ssid, bssid: s.link.bssid } : undefined,
    hotspot: { ...s.hotspot, stations: s.hotspot.stations.map((x) => x.mac) },
  };
}
