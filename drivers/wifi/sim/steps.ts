/**
 * What a simulated board's timeline can do in the Wi-Fi environment (`{"wifi": {…}}` steps): an
 * access point leaving or coming back, fading, losing its uplink, changing its passphrase; a
 * phone joining or leaving the board's hotspot; NetworkManager stopping and starting. Checked
 * when the config loads (shape, then the names against the declared access points and phones),
 * applied when the step comes.
 */
import { ConfigError } from '../../../runtime/errors.js';
import { validPassphrase } from './environment.js';
import type { SimNetworkManager } from './nm.js';
import type { WifiSimConfig } from './schema.js';

export interface WifiApStep {
  ap: string;
  present?: boolean;
  /** Signal quality 0–100 (before each scan's noise). */
  signal?: number;
  internet?: boolean;
  /** The access point's new passphrase: stations holding the old one lose the link. */
  password?: string;
}

export interface WifiClientStep {
  client: string;
  /** true: the phone tries to join the hotspot with its passphrase; false: it leaves. */
  join: boolean;
}

export interface WifiNetworkManagerStep {
  networkManager: 'stopped' | 'running';
}

export type WifiStep = WifiApStep | WifiClientStep | WifiNetworkManagerStep;

const AP_CHANGES = ['present', 'signal', 'internet', 'password'];
const KEYS: Record<'ap' | 'client' | 'networkManager', string[]> = {
  ap: ['ap', ...AP_CHANGES],
  client: ['client', 'join'],
  networkManager: ['networkManager'],
};

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isName = (x: unknown): x is string => typeof x === 'string' && x !== '';

/**
 * Throws a ConfigError naming the bad field (`where` is where the step's `wifi` value is, e.g.
 * "sim.timeline[3].wifi"). Without `config` only the shape is checked.
 */
export function checkWifiStep(step: unknown, where: string, config?: WifiSimConfig): asserts step is WifiStep {
  const bad = (what: string, value: unknown, expected: string): never => {
    const path = what ? `${where}.${what}` : where;
    throw new ConfigError(`${path} ${value === undefined ? 'is missing' : `${JSON.stringify(value)} is invalid`}: expected ${expected}`, { path });
  };
  if (!isObject(step)) return bad('', step, 'an object such as {"ap": "home", "present": false}, {"client": "phone", "join": true} or {"networkManager": "stopped"}');
  const kinds = (Object.keys(KEYS) as Array<keyof typeof KEYS>).filter((k) => k in step);
  if (kinds.length !== 1) return bad('', step, 'exactly one of "ap", "client" or "networkManager"');
  const kind = kinds[0]!;
  const allowed = KEYS[kind];
  for (const key of Object.keys(step)) if (!allowed.includes(key)) bad(key, step[key], `no "${key}" in ${kind === 'ap' ? 'an' : 'a'} ${kind} step: its fields are ${allowed.join(', ')}`);

  if (kind === 'ap') {
    if (!isName(step.ap)) bad('ap', step.ap, 'the name of a simulated access point');
    if (!AP_CHANGES.some((k) => k in step)) bad('', step, `one or more of ${AP_CHANGES.map((k) => `"${k}"`).join(', ')} with "ap"`);
    if (step.present !== undefined && typeof step.present !== 'boolean') bad('present', step.present, 'true or false');
    if (step.internet !== undefined && typeof step.internet !== 'boolean') bad('internet', step.internet, 'true or false');
    const signal = step.signal;
    if (signal !== undefined && !(typeof signal === 'number' && Number.isInteger(signal) && signal >= 0 && signal <= 100)) bad('signal', signal, 'a whole number from 0 to 100');
    if (step.password !== undefined && !(typeof step.password === 'string' && validPassphrase(step.password))) bad('password', step.password, 'a WPA2 passphrase of 8 to 63 characters');
  } else if (kind === 'client') {
    if (!isName(step.client)) bad('client', step.client, 'the name of a simulated client (a phone)');
    if (typeof step.join !== 'boolean') bad('join', step.join, 'true (the phone joins the hotspot) or false (it leaves)');
  } else if (step.networkManager !== 'stopped' && step.networkManager !== 'running') {
    bad('networkManager', step.networkManager, '"stopped" or "running"');
  }
  if (config) checkWifiStepTargets(step as unknown as WifiStep, where, config);
}

/** The names in a (well-formed) step must be declared; a passphrase change needs a WPA2 access point. */
export function checkWifiStepTargets(step: WifiStep, where: string, config: WifiSimConfig): void {
  if ('ap' in step) {
    const ap = config.accessPoints[step.ap];
    if (!ap) {
      throw new ConfigError(`${where}.ap: no simulated access point named ${JSON.stringify(step.ap)} (access points: ${Object.keys(config.accessPoints).join(', ') || 'none'})`, { path: `${where}.ap` });
    }
    if (step.password !== undefined && ap.security !== 'WPA2') {
      throw new ConfigError(`${where}.password: access point ${JSON.stringify(step.ap)} is open (security ""), so it has no password to change`, { path: `${where}.password` });
    }
  } else if ('client' in step && !config.clients[step.client]) {
    throw new ConfigError(`${where}.client: no simulated client named ${JSON.stringify(step.client)} (clients: ${Object.keys(config.clients).join(', ') || 'none'})`, { path: `${where}.client` });
  }
}

/** Apply a step (its shape is checked again: the timeline hands it over untyped). */
export function applyWifiStep(step: unknown, nm: SimNetworkManager): void {
  checkWifiStep(step, 'wifi step');
  if ('networkManager' in step) {
    nm.setNetworkManager(step.networkManager);
  } else if ('client' in step) {
    if (step.join) nm.joinClient(step.client);
    else nm.leaveClient(step.client);
  } else {
    const env = nm.environment;
    // Presence last: an access point that comes back does so with its new signal, uplink and key.
    if (step.signal !== undefined) env.setSignal(step.ap, step.signal);
    if (step.internet !== undefined) env.setInternet(step.ap, step.internet);
    if (step.password !== undefined) env.setPassword(step.ap, step.password);
    if (step.present !== undefined) env.setPresent(step.ap, step.present);
  }
}
