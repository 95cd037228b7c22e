/**
 * The state the simulated NetworkManager (nm.ts) keeps and its parts share: devices, saved
 * profiles and activations. Plain records, changed in place by the parts that own each step, so
 * every part sees the same device the moment another changes it.
 */
import type { TimerHandle } from '../../../runtime/clock.js';
import { deviceSeed, Prng } from '../../ble/sim/random.js';
import type { ScanEntry } from './environment.js';

export type DeviceState = 'disconnected' | 'prepare' | 'config' | 'need-auth' | 'ip-config' | 'ip-check' | 'secondaries' | 'activated' | 'deactivating' | 'failed';

/** nmcli's words for each device state, as `device status` and the monitor print them. */
export const STATE_TEXT: Record<DeviceState, string> = {
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

export interface Profile {
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
export type Outcome = { ok: true } | { ok: false; reason: string; agentAsked?: boolean };

export interface Active {
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

export interface Device {
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

export interface StationState {
  client: string;
  mac: string;
  joinedAt: number;
  rng: Prng;
  signalDbm: number;
  rxRate: number;
}

/** The devices by interface name, in the order NetworkManager lists them. */
export type Devices = Map<string, Device>;

/** A device as NetworkManager finds it at start: disconnected, never scanned. */
export function newDevice(seed: number, iface: string, path: number): Device {
  return {
    iface,
    mac: deviceMac(seed, iface),
    path,
    state: 'disconnected',
    active: undefined,
    scan: [],
    scannedAt: -Infinity,
    scanTimer: undefined,
    scanWaiters: [],
  };
}

/** A stable address per seed and interface, under the Raspberry Pi Foundation's D8:3A:DD prefix. */
function deviceMac(seed: number, iface: string): string {
  const rng = new Prng(deviceSeed(seed, `mac:${iface}`));
  const tail = Array.from({ length: 3 }, () => rng.int(0, 255).toString(16).padStart(2, '0'));
  return ['D8', '3A', 'DD', ...tail].join(':').toUpperCase();
}
