/**
 * Reading what nmcli and iw print. Output that does not have the expected shape is never
 * guessed at: a record that cannot be read is skipped and reported (a scan keeps the networks it
 * could read), and a status that cannot be read is an error naming the command and the line.
 */
import { DriverError } from '../../runtime/errors.js';
import type { AccessPoint, Connectivity, ConnectFailure, NetDevice, Station } from './wifi.js';
import { splitTerse } from './terse.js';

const CONNECTIVITY = new Set<string>(['full', 'portal', 'limited', 'none', 'unknown']);
const BSSID = /^[0-9A-F]{2}(?::[0-9A-F]{2}){5}$/i;

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.trim() !== '');
}

function malformed(command: string, line: string, expected: string): DriverError {
  return new DriverError('wifi', `nmcli ${command} printed ${JSON.stringify(line.slice(0, 200))}; expected ${expected}`, { code: 'WIFI_OUTPUT' });
}

export interface GeneralStatus {
  running: boolean;
  state: string;
  connectivity: Connectivity;
  wifiHardware: boolean;
  wifi: boolean;
}

/** `nmcli -t -f RUNNING,STATE,CONNECTIVITY,WIFI-HW,WIFI general status` */
export function parseGeneral(stdout: string): GeneralStatus {
  const all = lines(stdout);
  const f = all.length === 1 ? splitTerse(all[0]!) : [];
  if (f.length !== 5 || !CONNECTIVITY.has(f[2]!) || !/^(enabled|disabled|missing)$/.test(f[3]!) || !/^(enabled|disabled)$/.test(f[4]!)) {
    throw malformed('general status', all.join('\\n'), 'one line RUNNING:STATE:CONNECTIVITY:WIFI-HW:WIFI (e.g. "running:connected:full:enabled:enabled")');
  }
  return { running: f[0] === 'running', state: f[1]!, connectivity: f[2] as Connectivity, wifiHardware: f[3] === 'enabled', wifi: f[4] === 'enabled' };
}

/** `nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device status` */
export function parseDevices(stdout: string): NetDevice[] {
  return lines(stdout).map((line) => {
    const f = splitTerse(line);
    if (f.length !== 4 || f[0] === '' || f[1] === '' || f[2] === '') throw malformed('device status', line, 'DEVICE:TYPE:STATE:CONNECTION (e.g. "wlan0:wifi:connected:home")');
    return { iface: f[0]!, type: f[1]!, state: f[2]!, ...(f[3] ? { connection: f[3] } : {}) };
  });
}

export interface ScanParse {
  aps: AccessPoint[];
  /** Lines that were not a network record, with why. */
  skipped: string[];
}

/** `nmcli -t -f IN-USE,SSID,BSSID,CHAN,FREQ,SIGNAL,SECURITY device wifi list …` */
export function parseWifiList(stdout: string): ScanParse {
  const aps: AccessPoint[] = [];
  const skipped: string[] = [];
  for (const line of lines(stdout)) {
    const f = splitTerse(line);
    const why =
      f.length !== 7 ? `${f.length} fields, expected 7`
      : !BSSID.test(f[2]!) ? `BSSID ${JSON.stringify(f[2])} is not a MAC address`
      : !/^\d+$/.test(f[3]!) ? `channel ${JSON.stringify(f[3])} is not a number`
      : !/^\d+( MHz)?$/.test(f[4]!) ? `frequency ${JSON.stringify(f[4])} is not "N MHz"`
      : !/^\d+$/.test(f[5]!) || Number(f[5]) > 100 ? `signal ${JSON.stringify(f[5])} is not 0–100`
      : undefined;
    if (why) {
      skipped.push(`${JSON.stringify(line.slice(0, 120))}: ${why}`);
      continue;
    }
    aps.push({
      inUse: f[0]!.trim() === '*',
      ssid: f[1]!,
      bssid: f[2]!.toUpperCase(),
      channel: Number(f[3]),
      frequencyMHz: parseInt(f[4]!, 10),
      signal: Number(f[5]),
      security: f[6] === '--' ? '' : f[6]!,
    });
  }
  return { aps, skipped };
}

/** `nmcli networking connectivity check` */
export function parseConnectivity(stdout: string): Connectivity {
  const word = stdout.trim();
  if (!CONNECTIVITY.has(word)) throw malformed('networking connectivity check', word, 'one of full, portal, limited, none, unknown');
  return word as Connectivity;
}

/** `iw dev IFACE station dump`: a "Station MAC (on IFACE)" line, then indented "key: value" lines. */
export function parseStations(stdout: string): Station[] {
  const out: Station[] = [];
  let cur: Station | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^Station ([0-9a-f]{2}(?::[0-9a-f]{2}){5}) \(on \S+\)/i.exec(line);
    if (head) {
      cur = { mac: head[1]!.toLowerCase() };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const kv = /^\s+([a-z ]+):\s*(.*)$/i.exec(line);
    if (!kv) continue;
    const value = kv[2]!.trim();
    if (kv[1] === 'signal') {
      const dbm = /^(-?\d+)/.exec(value);
      if (dbm) cur.signalDbm = Number(dbm[1]);
    } else if (kv[1] === 'connected time') {
      const sec = /^(\d+) seconds?/.exec(value);
      if (sec) cur.connectedSec = Number(sec[1]);
    }
  }
  return out;
}

/** Why an activation failed, from nmcli's exit status and message (in the C locale). */
export function connectFailure(code: number, stderr: string): ConnectFailure {
  if (/secrets were required|802-1x supplicant|supplicant.*(failed|disconnect)|no secrets|wrong password|4-way handshake/i.test(stderr)) return 'wrong-password';
  if (/could not be found|no network with ssid/i.test(stderr)) return 'not-found';
  if (code === 3 || code === 124 || /timeout expired/i.test(stderr)) return 'timeout';
  return 'failed';
}

/** nmcli's "not running" answers: exit 8, or no D-Bus to ask (the message when the system bus is absent). */
export function notRunning(code: number, stderr: string): boolean {
  return code === 8 || /NetworkManager is not running|Could not create NMClient object/i.test(stderr);
}

/** nmcli's "Error: …" line (a failed activation prints a warning before it and a hint after). */
export function errorLine(s: string): string {
  return s.split('\n').find((l) => l.startsWith('Error:'))?.trim() ?? firstLine(s);
}

export function firstLine(s: string): string {
  return s.trim().split('\n')[0]?.trim() ?? '';
}
