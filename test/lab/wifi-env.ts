/**
 * A Wi-Fi neighbourhood for lab tests, on three mac80211_hwsim radios that hear each other:
 *  - radio A, in network namespace `ap`: hostapd (WPA2-PSK `lab-ap` / `supersecret`, channel 6),
 *    10.42.7.1/24, busybox udhcpd, and a small HTTP server on port 80 that answers
 *    GET /generate_204 with 204, or, in captive mode, redirects to /portal until the login form is
 *    posted;
 *  - radio B, in the root namespace: the device's own interface, managed by a real NetworkManager
 *    (with its own D-Bus system bus, udevd and wpa_supplicant, as on a device);
 *  - radio C, in namespace `sta`: a "phone" (wpa_supplicant) that joins B's hotspot on demand.
 * The namespaces keep the AP's and the phone's addresses and routes out of NetworkManager's
 * view, so NetworkManager sees one Wi-Fi interface, as on a Pi. Only meaningful inside the lab.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hostapdConf, httpServerScript, networkManagerConf, phoneSupplicantConf, udhcpdConf } from './wifi-env-files.js';

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const AP_SSID = 'lab-ap';
export const AP_PASSPHRASE = 'supersecret';
export const AP_ADDRESS = '10.42.7.1';
export const CONNECTIVITY_URI = `http://${AP_ADDRESS}/generate_204`;
export const PORTAL_USER = 'guest';
export const PORTAL_PASSWORD = 'letmein';

export interface Radio {
  phy: string;
  iface: string;
  /** The radio's MAC, lower case (the AP's BSSID for radio A). */
  mac: string;
}

export interface ApOptions {
  /** Any bytes are fine: hostapd gets the SSID as hex (ssid2=), never through its parser. */
  ssid?: string;
  passphrase?: string;
  channel?: number;
  /**
   * More networks on the same radio (hostapd's multi-BSS: one beacon each, BSSIDs next to
   * radio A's MAC), e.g. SSIDs with awkward characters seen in the same scan as `lab-ap`.
   * WPA2-PSK with `passphrase`, open without. Scanning only: they have no address and no DHCP,
   * so a client that joins one stalls in "getting IP configuration".
   */
  extra?: { ssid: string; passphrase?: string }[];
}

export interface WifiLab {
  /** Radio A (namespace `ap`), B (root namespace, NetworkManager's), C (namespace `sta`). */
  ap: Radio;
  client: Radio;
  phone: Radio;
  /** Where the configuration files, pid files and logs live (a tmpfs in the guest). */
  dir: string;
  /** (Re)start hostapd with these settings (the previous ones when omitted); waits until hostapd reports the AP enabled. */
  apStart(options?: ApOptions): Promise<void>;
  /**
   * Stop hostapd (SIGTERM: a clean exit; SIGKILL: a crash). Either way a connected
   * NetworkManager noticed only ~15 s later here ("connection failed"), from the missing beacons.
   */
  apStop(signal?: 'SIGTERM' | 'SIGKILL'): void;
  apRunning(): boolean;
  /** The captive-portal switch of the HTTP server: `captive` redirects until the login form is posted. */
  portal(mode: 'open' | 'captive'): void;
  portalMode(): 'open' | 'captive';
  /** Start NetworkManager (and the wpa_supplicant it drives); resolves once nmcli answers and B is usable. */
  nmStart(): Promise<void>;
  /** Kill NetworkManager (SIGKILL by default: a crash, not a shutdown). */
  nmStop(signal?: NodeJS.Signals): Promise<void>;
  nmRunning(): boolean;
  /** The phone (radio C) joins `ssid` with `passphrase`; resolves when wpa_supplicant completes. */
  phoneJoin(ssid: string, passphrase: string, timeoutMs?: number): Promise<void>;
  phoneLeave(): void;
  /** Run a command in a namespace (`ap`, `sta`) or the root one (`root`). */
  exec(ns: 'ap' | 'sta' | 'root', cmd: string, args: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export interface WifiLabOptions {
  /** NetworkManager's [connectivity] interval, seconds (0 disables its periodic check). */
  connectivityIntervalSec?: number;
  /** NetworkManager log level (INFO, DEBUG, TRACE); its log is `${dir}/nm.log`. */
  nmLogLevel?: string;
  /** Start hostapd at once (default true), with these settings. */
  startAp?: boolean;
  ap?: ApOptions;
}

function sh(cmd: string, args: string[], timeout = 15_000): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}

function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    // A zombie still answers kill(0): look at its state.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function pidFrom(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function killPid(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms: number, stepMs = 100): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`wifi lab: timed out after ${ms} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** The radios mac80211_hwsim made, in the order it registered them, with their interface names. */
function radios(): Radio[] {
  return readdirSync('/sys/class/ieee80211')
    .filter((phy) => existsSync(`/sys/class/ieee80211/${phy}/device/net`) && readlinkSafe(`/sys/class/ieee80211/${phy}/device`).includes('hwsim'))
    .sort((a, b) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, '')))
    .map((phy) => {
      const ifaces = readdirSync(`/sys/class/ieee80211/${phy}/device/net`);
      if (ifaces.length !== 1) throw new Error(`wifi lab: ${phy} has ${ifaces.length} interfaces (${ifaces.join(', ')}), expected one`);
      const iface = ifaces[0]!;
      return { phy, iface, mac: readFileSync(`/sys/class/net/${iface}/address`, 'utf8').trim().toLowerCase() };
    });
}

function readlinkSafe(path: string): string {
  try {
    return execFileSync('readlink', ['-f', path], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

export async function startWifiLab(options: WifiLabOptions = {}): Promise<WifiLab> {
  const dir = '/run/vigil-lab-wifi';
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'nm', 'connections'), { recursive: true });
  mkdirSync(join(dir, 'nm', 'conf.d'), { recursive: true });
  const children: ChildProcess[] = [];
  const logTo = (name: string) => openSync(join(dir, name), 'a');
  const background = (name: string, cmd: string, args: string[]): ChildProcess => {
    const out = logTo(name);
    const child = spawn(cmd, args, { stdio: ['ignore', out, out], detached: true });
    closeSync(out);
    child.unref();
    children.push(child);
    return child;
  };

  // The /dev/std* links that udev or systemd make on a device; devtmpfs alone has none.
  for (const [name, target] of [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2']] as const) {
    if (!existsSync(`/dev/${name}`)) symlinkSync(target, `/dev/${name}`);
  }
  // udevd first: NetworkManager in the initial namespace with a writable /sys waits for udev to
  // announce each interface (its database under /run/udev) and leaves it unmanaged until then.
  if (!existsSync('/run/udev/control')) {
    background('udevd.log', '/lib/systemd/systemd-udevd', []);
    await until(() => existsSync('/run/udev/control'), 'udevd', 10_000);
  }
  execFileSync('modprobe', ['mac80211_hwsim', 'radios=3']);
  // Only network and rfkill devices matter to NetworkManager; triggering everything is slow under emulation.
  sh('udevadm', ['trigger', '--action=add', '--subsystem-match=net', '--subsystem-match=rfkill', '--subsystem-match=ieee80211']);
  sh('udevadm', ['settle', '--timeout=15'], 20_000);
  const found = radios();
  if (found.length < 3) throw new Error(`wifi lab: mac80211_hwsim made ${found.length} radios (${found.map((r) => r.iface).join(', ')}), expected 3`);
  const [ap, client, phone] = found as [Radio, Radio, Radio];
  sh('ip', ['link', 'set', 'lo', 'up']);

  // Radio A → namespace `ap`, radio C → namespace `sta`: iw moves the whole phy with its interface.
  for (const [ns, radio] of [['ap', ap], ['sta', phone]] as const) {
    sh('ip', ['netns', 'add', ns]);
    sh('iw', ['phy', radio.phy, 'set', 'netns', 'name', ns]);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  sh('ip', ['-n', 'ap', 'addr', 'add', `${AP_ADDRESS}/24`, 'dev', ap.iface]);

  // The AP's services. udhcpd: a small pool, leases in our directory.
  writeFileSync(join(dir, 'udhcpd.conf'), udhcpdConf(ap.iface, dir, AP_ADDRESS));
  writeFileSync(join(dir, 'udhcpd.leases'), '');
  writeFileSync(join(dir, 'portal-mode'), 'open');
  writeFileSync(join(dir, 'http-server.mjs'), httpServerScript(AP_ADDRESS, PORTAL_USER, PORTAL_PASSWORD));
  background('http.log', 'ip', ['netns', 'exec', 'ap', process.execPath, join(dir, 'http-server.mjs'), join(dir, 'portal-mode'), join(dir, 'http-requests.log')]);

  let apOptions: Required<ApOptions> = { ssid: AP_SSID, passphrase: AP_PASSPHRASE, channel: 6, extra: [] };
  const hostapdPid = () => pidFrom(join(dir, 'hostapd.pid'));
  const udhcpdPid = () => pidFrom(join(dir, 'udhcpd.pid'));
  const apStop = (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const pid = hostapdPid();
    killPid(pid, signal);
    // hostapd removes its pid file only on a clean exit.
    rmSync(join(dir, 'hostapd.pid'), { force: true });
    if (pid) for (let i = 0; i < 50 && pidAlive(pid); i++) execFileSync('sleep', ['0.05']);
  };
  const apStart = async (next: ApOptions = {}) => {
    apOptions = { ...apOptions, ...next };
    apStop();
    writeFileSync(join(dir, 'hostapd.conf'), hostapdConf(ap.iface, dir, apOptions));
    const out = logTo('hostapd.log');
    execFileSync('ip', ['netns', 'exec', 'ap', 'hostapd', '-B', '-P', join(dir, 'hostapd.pid'), join(dir, 'hostapd.conf')], { stdio: ['ignore', out, out], timeout: 15_000 });
    closeSync(out);
    await until(async () => (await execIn('ap', 'hostapd_cli', ['-p', join(dir, 'hostapd'), '-i', ap.iface, 'status'])).stdout.includes('state=ENABLED'), 'hostapd to enable the AP', 10_000);
    // udhcpd binds to the interface, which hostapd has just brought up.
    if (!pidAlive(udhcpdPid())) {
      const log = logTo('udhcpd.log');
      execFileSync('ip', ['netns', 'exec', 'ap', 'busybox', 'udhcpd', join(dir, 'udhcpd.conf')], { stdio: ['ignore', log, log] });
      closeSync(log);
    }
  };

  const execIn = async (ns: 'ap' | 'sta' | 'root', cmd: string, args: string[], timeoutMs = 15_000) => {
    const [file, argv] = ns === 'root' ? [cmd, args] : ['ip', ['netns', 'exec', ns, cmd, ...args]];
    try {
      const { stdout, stderr } = await execFileP(file, argv, { encoding: 'utf8', timeout: timeoutMs });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code?: number | string; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(e) };
    }
  };

  // D-Bus system bus: NetworkManager and wpa_supplicant talk over it (nmcli too).
  if (!existsSync('/run/dbus/system_bus_socket')) {
    if (!sh('getent', ['passwd', 'messagebus']).trim()) throw new Error('wifi lab: the system bus needs the messagebus user (package dbus-system-bus-common)');
    mkdirSync('/run/dbus', { recursive: true });
    sh('dbus-daemon', ['--system', '--fork']);
    await until(() => existsSync('/run/dbus/system_bus_socket'), 'the D-Bus system bus', 10_000);
  }

  // NetworkManager with only our file (wifi-env-files.ts says what it sets and why).
  writeFileSync(join(dir, 'nm', 'NetworkManager.conf'), networkManagerConf(dir, client.iface, CONNECTIVITY_URI, options.connectivityIntervalSec ?? 60));
  let nm: ChildProcess | undefined;
  let supplicant: ChildProcess | undefined;
  const nmRunning = () => pidAlive(nm?.pid);
  const nmStart = async () => {
    // NetworkManager asks the bus for fi.w1.wpa_supplicant1; starting it ourselves spares the bus
    // activation (and its setuid helper) and keeps its log with ours.
    if (!pidAlive(supplicant?.pid)) supplicant = background('wpa_supplicant.log', 'wpa_supplicant', ['-u', '-t']);
    // --debug: stay in the foreground and log to stderr (there is no syslog in the guest).
    nm = background('nm.log', 'NetworkManager', [
      '--debug',
      `--config=${dir}/nm/NetworkManager.conf`,
      `--config-dir=${dir}/nm/conf.d`,
      `--system-config-dir=${dir}/nm/conf.d`,
      `--intern-config=${dir}/nm/intern.conf`,
      `--state-file=${dir}/nm/NetworkManager.state`,
      `--pid-file=${dir}/nm/NetworkManager.pid`,
      `--log-level=${options.nmLogLevel ?? 'INFO'}`,
    ]);
    await until(async () => (await execIn('root', 'nmcli', ['-t', '-f', 'RUNNING', 'general'])).stdout.trim() === 'running', 'NetworkManager to answer nmcli', 30_000, 200);
    // Usable: the device left "unmanaged"/"unavailable" (udev seen, supplicant attached).
    await until(
      async () => {
        const { stdout } = await execIn('root', 'nmcli', ['-t', '-f', 'DEVICE,STATE', 'device', 'status']);
        return stdout.split('\n').some((l) => l.startsWith(`${client.iface}:`) && !/unmanaged|unavailable/.test(l));
      },
      `NetworkManager to manage ${client.iface}`,
      30_000,
      200,
    );
  };
  const nmStop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const pid = nm?.pid;
    killPid(pid, signal);
    await until(() => !pidAlive(pid), 'NetworkManager to exit', 15_000);
  };

  let phoneSupplicant: number | undefined;
  const phoneCtrl = join(dir, 'wpa-phone');
  const phoneLeave = () => {
    killPid(phoneSupplicant ?? pidFrom(join(dir, 'wpa-phone.pid')));
    phoneSupplicant = undefined;
  };
  const phoneJoin = async (ssid: string, passphrase: string, timeoutMs = 20_000) => {
    phoneLeave();
    await until(() => !existsSync(join(dir, 'wpa-phone.pid')) || !pidAlive(pidFrom(join(dir, 'wpa-phone.pid'))), 'the phone supplicant to exit', 5_000);
    // When radio B is an access point, scan only its channel: a full scan cycle that misses the
    // first beacons costs the phone 5–10 s before it tries again.
    const info = await execIn('root', 'iw', ['dev', client.iface, 'info']);
    const freq = /type AP/.test(info.stdout) ? /channel \d+ \((\d+) MHz\)/.exec(info.stdout)?.[1] : undefined;
    writeFileSync(join(dir, 'wpa-phone.conf'), phoneSupplicantConf(phoneCtrl, ssid, passphrase, freq));
    const out = logTo('wpa-phone.log');
    execFileSync('ip', ['netns', 'exec', 'sta', 'wpa_supplicant', '-B', '-t', '-i', phone.iface, '-c', join(dir, 'wpa-phone.conf'), '-P', join(dir, 'wpa-phone.pid')], { stdio: ['ignore', out, out] });
    closeSync(out);
    phoneSupplicant = pidFrom(join(dir, 'wpa-phone.pid'));
    await until(async () => (await execIn('sta', 'wpa_cli', ['-p', phoneCtrl, '-i', phone.iface, 'status'])).stdout.includes('wpa_state=COMPLETED'), `the phone to join ${ssid}`, timeoutMs, 200);
  };

  if (options.startAp !== false) await apStart(options.ap);
  await nmStart();

  return {
    ap,
    client,
    phone,
    dir,
    apStart,
    apStop,
    apRunning: () => pidAlive(hostapdPid()),
    portal: (mode) => writeFileSync(join(dir, 'portal-mode'), mode),
    portalMode: () => (readFileSync(join(dir, 'portal-mode'), 'utf8').trim() === 'captive' ? 'captive' : 'open'),
    nmStart,
    nmStop,
    nmRunning,
    phoneJoin,
    phoneLeave,
    exec: execIn,
    async stop() {
      phoneLeave();
      apStop();
      killPid(udhcpdPid());
      if (nmRunning()) await nmStop('SIGTERM').catch(() => nmStop('SIGKILL'));
      for (const child of children) killPid(child.pid);
      killPid(pidFrom('/run/dbus/pid'));
      rmSync('/run/dbus/pid', { force: true });
      rmSync('/run/dbus/system_bus_socket', { force: true });
      for (const ns of ['ap', 'sta']) spawn('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      await sleep(200);
      try {
        execFileSync('modprobe', ['-r', 'mac80211_hwsim']);
      } catch {
        /* still busy: the guest powers off after the run anyway */
      }
    },
  };
}
