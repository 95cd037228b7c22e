/**
 * The simulated radio environment around the board: the access points in range (which can come
 * and go, fade, lose their uplink, change their passphrase, hold a captive portal) and the phones
 * that may join the board's own hotspot. It knows nothing of NetworkManager; the simulated
 * NetworkManager (nm.ts) scans it, associates with it and listens to its changes.
 *
 * Deterministic: every access point and phone draws its noise from its own stream, derived from
 * the environment's seed and its name, so adding one does not change what another one reports.
 */
import { DriverError } from '../../../runtime/errors.js';
import { Emitter } from '../../../runtime/emitter.js';
import { deviceSeed, Prng } from '../../ble/sim/random.js';

export type ApSecurity = 'WPA2' | '';

export interface PortalLogin {
  user: string;
  password: string;
}

export interface AccessPointSpec {
  /** The name the timeline uses; never on the air. */
  name: string;
  ssid: string;
  /** Default "AA:BB:CC:DD:EE:0N", N its position among the access points (from 1). */
  bssid?: string;
  /** Default 6. */
  channel?: number;
  /** Default "WPA2" with a password, "" (open) without. */
  security?: ApSecurity;
  password?: string;
  /** Signal quality 0–100 before noise. Default 70. */
  signal?: number;
  present?: boolean;
  /** Its uplink answers the connectivity check. Default true. */
  internet?: boolean;
  /** A captive portal: the connectivity check is redirected until this login is posted. */
  portal?: PortalLogin;
}

/** An access point as it is now (a copy: change it through the environment). */
export interface AccessPointState {
  readonly name: string;
  readonly ssid: string;
  readonly bssid: string;
  readonly channel: number;
  readonly frequencyMHz: number;
  readonly security: ApSecurity;
  /** The passphrase ("" for an open network). */
  readonly password: string;
  readonly signal: number;
  readonly present: boolean;
  readonly internet: boolean;
  readonly portal: PortalLogin | undefined;
}

/** One access point in one scan: what a scan reports about it at that moment. */
export interface ScanEntry {
  readonly name: string;
  readonly ssid: string;
  readonly bssid: string;
  readonly channel: number;
  readonly frequencyMHz: number;
  readonly signal: number;
  readonly security: ApSecurity;
}

export interface ClientSpec {
  name: string;
  /** "aa:bb:cc:dd:ee:ff" (any case; kept lower case, as the kernel prints it). */
  mac: string;
  /** The passphrase the phone tries when it joins the hotspot ("" or absent: none). */
  password?: string;
}

export interface ClientState {
  readonly name: string;
  readonly mac: string;
  readonly password: string;
}

export type ApChange = 'present' | 'signal' | 'internet' | 'password';

export interface EnvironmentEvents {
  /** An access point changed (after the change). */
  change: [{ ap: AccessPointState; what: ApChange }];
}

export const MAC_RE = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;

/** Channel → centre frequency (802.11: 2.4 GHz channels 1–13 at 5 MHz steps, 14 apart; 5 GHz from 5000 MHz). */
export function channelFrequency(channel: number): number | undefined {
  if (!Number.isInteger(channel)) return undefined;
  if (channel >= 1 && channel <= 13) return 2407 + 5 * channel;
  if (channel === 14) return 2484;
  if (channel >= 32 && channel <= 177) return 5000 + 5 * channel;
  return undefined;
}

/** The channel a frequency belongs to (the inverse of channelFrequency). */
export function frequencyChannel(mhz: number): number {
  if (mhz === 2484) return 14;
  if (mhz >= 2412 && mhz < 2484) return (mhz - 2407) / 5;
  return (mhz - 5000) / 5;
}

/** A WPA passphrase NetworkManager accepts: 8–63 printable ASCII characters, or 64 hex digits. */
export function validPassphrase(psk: string): boolean {
  if (/^[0-9a-fA-F]{64}$/.test(psk)) return true;
  return psk.length >= 8 && psk.length <= 63 && /^[\x20-\x7e]*$/.test(psk);
}

interface AccessPoint {
  name: string;
  ssid: string;
  bssid: string;
  channel: number;
  frequencyMHz: number;
  security: ApSecurity;
  password: string;
  signal: number;
  present: boolean;
  internet: boolean;
  portal: PortalLogin | undefined;
  rng: Prng;
}

interface Client {
  name: string;
  mac: string;
  password: string;
}

const bad = (message: string) => new DriverError('wifi', message, { code: 'WIFI_SIM_BAD_VALUE' });

export class WifiEnvironment {
  readonly seed: number;
  readonly events = new Emitter<EnvironmentEvents>();
  readonly #aps = new Map<string, AccessPoint>();
  readonly #clients = new Map<string, Client>();

  constructor(options: { seed?: number } = {}) {
    this.seed = options.seed ?? 1;
  }

  // ------------------------------------------------------------------------------ access points

  addAccessPoint(spec: AccessPointSpec): AccessPointState {
    if (this.#aps.has(spec.name)) throw bad(`a simulated access point named "${spec.name}" already exists`);
    const ssidBytes = Buffer.byteLength(spec.ssid, 'utf8');
    if (ssidBytes < 1 || ssidBytes > 32) throw bad(`access point "${spec.name}": ssid ${JSON.stringify(spec.ssid)} is ${ssidBytes} bytes: expected 1 to 32 bytes`);
    const index = this.#aps.size + 1;
    const bssid = (spec.bssid ?? `AA:BB:CC:DD:EE:${index.toString(16).padStart(2, '0')}`).toUpperCase();
    if (!MAC_RE.test(bssid)) throw bad(`access point "${spec.name}": bssid ${JSON.stringify(spec.bssid)} is invalid: expected six hex pairs such as "AA:BB:CC:DD:EE:01"`);
    for (const other of this.#aps.values()) {
      if (other.bssid === bssid) throw bad(`access points "${other.name}" and "${spec.name}" have the same bssid ${bssid}: give one of them another "bssid"`);
    }
    const channel = spec.channel ?? 6;
    const frequencyMHz = channelFrequency(channel);
    if (frequencyMHz === undefined) throw bad(`access point "${spec.name}": channel ${channel} is invalid: expected 1–14 (2.4 GHz) or 32–177 (5 GHz)`);
    const password = spec.password ?? '';
    const security: ApSecurity = spec.security ?? (password ? 'WPA2' : '');
    if (security === 'WPA2' && !validPassphrase(password)) throw bad(`access point "${spec.name}" is WPA2: expected a password of 8 to 63 characters`);
    if (security === '' && password) throw bad(`access point "${spec.name}" is open (security ""): it takes no password`);
    const signal = spec.signal ?? 70;
    checkSignal(spec.name, signal);
    const ap: AccessPoint = {
      name: spec.name,
      ssid: spec.ssid,
      bssid,
      channel,
      frequencyMHz,
      security,
      password,
      signal,
      present: spec.present ?? true,
      internet: spec.internet ?? true,
      portal: spec.portal ? { ...spec.portal } : undefined,
      rng: new Prng(deviceSeed(this.seed, `ap:${spec.name}`)),
    };
    this.#aps.set(ap.name, ap);
    return view(ap);
  }

  accessPoint(name: string): AccessPointState {
    return view(this.#ap(name));
  }

  accessPoints(): AccessPointState[] {
    return [...this.#aps.values()].map(view);
  }

  /** Bring an access point into range or take it away. */
  setPresent(name: string, present: boolean): void {
    const ap = this.#ap(name);
    if (ap.present === present) return;
    ap.present = present;
    this.events.emit('change', { ap: view(ap), what: 'present' });
  }

  setSignal(name: string, signal: number): void {
    const ap = this.#ap(name);
    checkSignal(name, signal);
    ap.signal = signal;
    this.events.emit('change', { ap: view(ap), what: 'signal' });
  }

  /** Its uplink starts or stops answering (the access point itself stays up). */
  setInternet(name: string, internet: boolean): void {
    const ap = this.#ap(name);
    if (ap.internet === internet) return;
    ap.internet = internet;
    this.events.emit('change', { ap: view(ap), what: 'internet' });
  }

  /** The owner changes the passphrase: stations holding the old one are dropped by the access point. */
  setPassword(name: string, password: string): void {
    const ap = this.#ap(name);
    if (ap.security === '') throw bad(`access point "${name}" is open: it has no password to change`);
    if (!validPassphrase(password)) throw bad(`access point "${name}": a WPA2 password has 8 to 63 characters`);
    ap.password = password;
    this.events.emit('change', { ap: view(ap), what: 'password' });
  }

  /** One scan of the air: every access point in range, with ±3 of noise on its signal. */
  scan(): ScanEntry[] {
    const out: ScanEntry[] = [];
    for (const ap of this.#aps.values()) {
      if (!ap.present) continue;
      const signal = Math.min(100, Math.max(0, ap.signal + ap.rng.int(-3, 3)));
      out.push({ name: ap.name, ssid: ap.ssid, bssid: ap.bssid, channel: ap.channel, frequencyMHz: ap.frequencyMHz, signal, security: ap.security });
    }
    return out;
  }

  #ap(name: string): AccessPoint {
    const ap = this.#aps.get(name);
    if (!ap) throw new DriverError('wifi', `no simulated access point named "${name}" (access points: ${[...this.#aps.keys()].join(', ') || 'none'})`, { code: 'WIFI_SIM_UNKNOWN' });
    return ap;
  }

  // ------------------------------------------------------------------------------------ clients

  addClient(spec: ClientSpec): ClientState {
    if (this.#clients.has(spec.name)) throw bad(`a simulated client named "${spec.name}" already exists`);
    if (!MAC_RE.test(spec.mac)) throw bad(`client "${spec.name}": mac ${JSON.stringify(spec.mac)} is invalid: expected six hex pairs such as "aa:bb:cc:dd:ee:ff"`);
    const mac = spec.mac.toLowerCase();
    for (const other of this.#clients.values()) {
      if (other.mac === mac) throw bad(`clients "${other.name}" and "${spec.name}" have the same mac ${mac}`);
    }
    const client: Client = { name: spec.name, mac, password: spec.password ?? '' };
    this.#clients.set(client.name, client);
    return { ...client };
  }

  client(name: string): ClientState {
    const c = this.#clients.get(name);
    if (!c) throw new DriverError('wifi', `no simulated client named "${name}" (clients: ${[...this.#clients.keys()].join(', ') || 'none'})`, { code: 'WIFI_SIM_UNKNOWN' });
    return { ...c };
  }

  clients(): ClientState[] {
    return [...this.#clients.values()].map((c) => ({ ...c }));
  }
}

function checkSignal(name: string, signal: number): void {
  if (!(Number.isInteger(signal) && signal >= 0 && signal <= 100)) throw bad(`access point "${name}": signal ${signal} is invalid: expected a whole number from 0 to 100`);
}

function view(ap: AccessPoint): AccessPointState {
  const { rng: _rng, portal, ...rest } = ap;
  return { ...rest, portal: portal ? { ...portal } : undefined };
}
