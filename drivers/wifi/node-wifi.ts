/**
 * node-wifi, with its defects kept out of the process:
 * - its env module is `Object.assign(process.env, { LANG, LC_ALL, LC_MESSAGES: 'en_US.UTF-8' })`,
 *   which changes the language of everything the runtime and its tasks start, and names a locale
 *   a Pi may not have. We put our own object in its place in the module cache before it loads,
 *   so node-wifi's children get the C locale and process.env is never touched;
 * - its connect puts the passphrase on nmcli's command line, where `ps` shows it to every user,
 *   and passes `undefined` as an argument for open networks. The driver connects through nmcli
 *   itself, with the passphrase on a pipe; node-wifi is used to scan, read the current
 *   connection and disconnect;
 * - its scan parser splits lines on ':' after removing the BSSID, so an SSID with a ':' shifts
 *   every later field, and it leaves nmcli's "\\" escape in an SSID with a backslash. Results are
 *   checked, and a scan with an unreadable record is read again by the driver's own parser.
 */
import { createRequire } from 'node:module';
import { DriverError, errorMessage } from '../../runtime/errors.js';

const require = createRequire(import.meta.url);

/** What node-wifi returns for a network (scan and getCurrentConnections). */
export interface NodeWifiNetwork {
  ssid: string;
  bssid: string;
  mode?: string;
  channel: number;
  frequency: number;
  quality: number;
  security: string;
  iface?: string;
}

export interface NodeWifi {
  scan(): Promise<NodeWifiNetwork[]>;
  getCurrentConnections(): Promise<NodeWifiNetwork[]>;
  disconnect(): Promise<void>;
}

interface NodeWifiModule {
  init(options: { iface?: string | null }): void;
  scan(): Promise<NodeWifiNetwork[]>;
  getCurrentConnections(): Promise<NodeWifiNetwork[]>;
  disconnect(): Promise<void>;
}

const LOCALE = { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', LC_MESSAGES: 'C.UTF-8' };

/** The object node-wifi's children get as their environment; refreshed before every call. */
const childEnv: NodeJS.ProcessEnv = {};

function refreshEnv(): void {
  for (const key of Object.keys(childEnv)) delete childEnv[key];
  Object.assign(childEnv, process.env, LOCALE);
}

let loaded: NodeWifiModule | undefined;

function load(): NodeWifiModule {
  if (loaded) return loaded;
  let envPath: string;
  try {
    envPath = require.resolve('node-wifi/src/env.js');
  } catch (err) {
    throw new DriverError('wifi', `node-wifi is not installed (${errorMessage(err)}); expected it in node_modules (npm install)`, { code: 'WIFI_LIBRARY', cause: err });
  }
  const cached = require.cache[envPath];
  if (cached && cached.exports !== childEnv) {
    // Someone loaded node-wifi first, and process.env already carries its locale.
    throw new DriverError('wifi', 'node-wifi was loaded before the Wi-Fi driver could contain its process.env rewrite; load it only through drivers/wifi/node-wifi.ts', { code: 'WIFI_LIBRARY' });
  }
  if (!cached) {
    const before = { LANG: process.env.LANG, LC_ALL: process.env.LC_ALL, LC_MESSAGES: process.env.LC_MESSAGES };
    // Resolve the module object the way require would have made it, with our exports.
    require.cache[envPath] = { id: envPath, filename: envPath, loaded: true, exports: childEnv, children: [], paths: [], path: envPath } as unknown as NodeJS.Module;
    loaded = require('node-wifi') as NodeWifiModule;
    for (const [k, v] of Object.entries(before)) {
      if (process.env[k] !== v) throw new DriverError('wifi', `loading node-wifi changed process.env.${k}; the containment of its locale rewrite failed`, { code: 'WIFI_LIBRARY' });
    }
  } else {
    loaded = require('node-wifi') as NodeWifiModule;
  }
  return loaded;
}

/**
 * node-wifi for one interface. node-wifi keeps its configuration in the module (init() sets a
 * module-wide iface), so a second interface would silently take over the first: refused.
 */
let boundIface: string | undefined;

export function nodeWifi(iface: string): NodeWifi {
  const lib = load();
  if (boundIface !== undefined && boundIface !== iface) {
    throw new DriverError('wifi', `node-wifi is already bound to ${boundIface}; it keeps one interface per process, and ${iface} was asked for`, { code: 'WIFI_LIBRARY' });
  }
  boundIface = iface;
  lib.init({ iface });
  const call = <T>(f: () => Promise<T>): Promise<T> => {
    refreshEnv();
    return f();
  };
  return {
    scan: () => call(() => lib.scan()),
    getCurrentConnections: () => call(() => lib.getCurrentConnections()),
    disconnect: () => call(() => lib.disconnect()),
  };
}

/** A node-wifi record the driver can trust: node-wifi's own parser produced sane fields. */
export function wellFormed(n: NodeWifiNetwork): boolean {
  return (
    // nmcli escapes "\\" in terse output and node-wifi leaves the escape in place: such an SSID is unreadable here.
    typeof n.ssid === 'string' && !n.ssid.includes('\\') &&
    /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/i.test(n.bssid ?? '') &&
    Number.isInteger(n.channel) && n.channel > 0 &&
    Number.isInteger(n.frequency) && n.frequency > 0 &&
    Number.isFinite(n.quality) && n.quality >= 0 && n.quality <= 100 &&
    typeof n.security === 'string'
  );
}
