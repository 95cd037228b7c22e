/**
 * What the simulated NetworkManager (nm.ts) prints: command results, nmcli's terse rows for
 * `general status`, `device status` and `device wifi list`, and iw's station dump, in the
 * formats recorded from a real NetworkManager 1.42 (test/fixtures/nmcli).
 */
import type { CommandResult, Program } from '../commands.js';
import { frequencyChannel } from './environment.js';
import { joinTerse } from '../terse.js';
import type { Connectivity } from '../wifi.js';
import { STATE_TEXT, type Device, type Devices } from './nm-state.js';

export const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
export const fail = (code: number, stderr: string): CommandResult => ({ code, stdout: '', stderr });
export const notRunning = (): CommandResult => fail(8, 'Error: NetworkManager is not running.\n');

/** Values after an argument that names a secret are not repeated in the refusal. */
export function unsupported(program: Program, args: readonly string[]): CommandResult {
  const shown = args.map((a, i) => (i > 0 && /psk|password|wep-key|secret/i.test(args[i - 1]!) ? '<hidden>' : a));
  return fail(2, `Error: unsupported command in the simulated NetworkManager: ${program} ${shown.join(' ')}\n`);
}

// ------------------------------------------------------------------------------ terse rows

export interface DeviceRow {
  device: string;
  type: string;
  state: string;
  connection: string;
  uuid: string;
}

export interface WifiRow {
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

export interface GeneralRow {
  state: string;
  connectivity: Connectivity;
}

export const GENERAL_FIELDS: Record<string, (r: GeneralRow) => string> = {
  RUNNING: () => 'running',
  STATE: (r) => r.state,
  CONNECTIVITY: (r) => r.connectivity,
  NETWORKING: () => 'enabled',
  'WIFI-HW': () => 'enabled',
  WIFI: () => 'enabled',
};

export const DEVICE_FIELDS: Record<string, (r: DeviceRow) => string> = {
  DEVICE: (r) => r.device,
  TYPE: (r) => r.type,
  STATE: (r) => r.state,
  CONNECTION: (r) => r.connection,
  'CON-UUID': (r) => r.uuid,
};

export const WIFI_FIELDS: Record<string, (r: WifiRow) => string> = {
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
export function fieldPicker<R>(spec: string, known: Record<string, (row: R) => string>): { line: (row: R) => string } | undefined {
  const names = spec.split(',').map((s) => s.trim().toUpperCase());
  if (names.length === 0 || names.some((n) => !(n in known))) return undefined;
  const getters = names.map((n) => known[n]!);
  return { line: (row) => `${joinTerse(getters.map((g) => g(row)))}\n` };
}

/** `device status`: the Wi-Fi devices, then the ones NetworkManager lists and leaves alone. */
export function deviceRows(devices: Devices): DeviceRow[] {
  const rows: DeviceRow[] = [...devices.values()].map((d) => ({
    device: d.iface,
    type: 'wifi',
    state: STATE_TEXT[d.state],
    connection: d.active?.profile.name ?? '',
    uuid: d.active?.profile.uuid ?? '',
  }));
  rows.push({ device: 'lo', type: 'loopback', state: 'unmanaged', connection: '', uuid: '' });
  // wpa_supplicant's P2P device beside each radio, which NetworkManager lists and leaves alone.
  for (const d of devices.values()) rows.push({ device: `p2p-dev-${d.iface}`, type: 'wifi-p2p', state: 'unmanaged', connection: '', uuid: '' });
  return rows;
}

/** `device wifi list` for one device: its last scan, or the hotspot it is running. */
export function wifiRows(d: Device): WifiRow[] {
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

// ---------------------------------------------------------------------------- station dump

export interface StationFigures {
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
export function stationBlock(mac: string, iface: string, s: StationFigures): string {
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
