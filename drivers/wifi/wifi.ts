/**
 * Wi-Fi as the runtime sees it: one client interface that scans and joins networks, and one
 * interface the device can raise its own hotspot on (the same radio on a Pi with one chip; the
 * hotspot then replaces the client link while it is up). On a device NetworkManager does the
 * work (nmcli, with node-wifi for scans and the current connection); the simulated binding runs
 * the same driver code over a simulated NetworkManager.
 */
import type { Emitter } from '../../runtime/emitter.js';

/** NetworkManager's own view of whether the internet answers (its connectivity check). */
export type Connectivity = 'full' | 'portal' | 'limited' | 'none' | 'unknown';

export interface AccessPoint {
  ssid: string;
  /** "AA:BB:CC:DD:EE:FF", upper case as nmcli prints it. */
  bssid: string;
  channel: number;
  frequencyMHz: number;
  /** Signal quality 0–100, as NetworkManager reports it. */
  signal: number;
  /** nmcli's SECURITY column ("WPA2", "WPA1 WPA2", "WPA3"); "" for an open network. */
  security: string;
  /** The client interface is associated with it now. */
  inUse: boolean;
}

/** A network interface as NetworkManager lists it. */
export interface NetDevice {
  iface: string;
  /** nmcli's TYPE: "wifi", "ethernet", "gsm", "loopback", … */
  type: string;
  /** nmcli's STATE: "connected", "disconnected", "unavailable", "connecting (getting IP configuration)", … */
  state: string;
  /** The active connection profile's name, when there is one. */
  connection?: string;
}

/** The client interface's current association. */
export interface WifiLink {
  iface: string;
  ssid: string;
  bssid?: string;
  signal?: number;
}

/** A station associated with the device's hotspot (from the kernel's station list). */
export interface Station {
  /** "aa:bb:cc:dd:ee:ff", lower case as the kernel prints it. */
  mac: string;
  signalDbm?: number;
  connectedSec?: number;
}

export interface HotspotState {
  up: boolean;
  iface: string;
  ssid?: string;
  stations: Station[];
}

export interface WifiState {
  /** NetworkManager runs and answers; false while it is missing (the driver retries). */
  available: boolean;
  devices: NetDevice[];
  link?: WifiLink;
  hotspot: HotspotState;
  connectivity: Connectivity;
}

export interface ConnectRequest {
  ssid: string;
  /** Never on a command line, never logged: it reaches NetworkManager on a pipe. */
  password?: string;
  /** Seconds to wait for the activation (nmcli -w); default 30. */
  timeoutSec?: number;
}

export type ConnectFailure = 'wrong-password' | 'not-found' | 'timeout' | 'failed';

export type ConnectResult = { ok: true; link: WifiLink } | { ok: false; reason: ConnectFailure; message: string };

export interface HotspotRequest {
  ssid: string;
  /** WPA2 passphrase, 8–63 characters; never on a command line. */
  password: string;
  /** "bg" (2.4 GHz, the default) or "a" (5 GHz). */
  band?: 'bg' | 'a';
  channel?: number;
}

export interface WifiEvents {
  /** Devices, link, hotspot or connectivity changed (one event per settled change). */
  state: [WifiState];
  /** A scan finished (ours or one NetworkManager ran by itself). */
  scan: [AccessPoint[]];
  /** Stations associated with or left the hotspot. */
  stations: [{ joined: Station[]; left: Station[]; stations: Station[] }];
  /** Something failed that did not change the state (a refresh, the monitor). */
  error: [Error];
}

export interface WifiDriver {
  readonly binding: 'nmcli' | 'sim';
  /** The client interface ("wlan0"), and the one the hotspot uses (the same by default). */
  readonly iface: string;
  readonly hotspotIface: string;
  readonly events: Emitter<WifiEvents>;
  /** Where the captive-portal probe goes instead of the configured URL (the simulated environment's own server). */
  readonly portalProbeUrl?: string | undefined;
  /** Checks that nmcli exists and NetworkManager answers; a DriverError saying which when not. */
  open(): Promise<void>;
  close(): Promise<void>;
  state(): WifiState;
  scan(): Promise<AccessPoint[]>;
  connect(request: ConnectRequest): Promise<ConnectResult>;
  disconnect(): Promise<void>;
  hotspotUp(request: HotspotRequest): Promise<HotspotState>;
  hotspotDown(): Promise<void>;
  /** Ask NetworkManager to run its connectivity check now. */
  checkConnectivity(): Promise<Connectivity>;
}
