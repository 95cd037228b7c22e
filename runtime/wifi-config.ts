/**
 * The `drivers.wifi` section of the device configuration. Passwords may be written inline or,
 * better on a shared device, read from a file (`passwordFile`, relative to the config file),
 * so a config can be committed without its secrets.
 */
import * as v from 'valibot';
import { checkPassphrase } from '../drivers/wifi/secrets.js';
import { wifiSimSchema } from '../drivers/wifi/sim/schema.js';
import { ConfigError } from './errors.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const text = () => v.pipe(v.string(), v.minLength(1));
const ssid = v.pipe(v.string(), v.minLength(1), v.check((s) => Buffer.byteLength(s) <= 32, 'an SSID is at most 32 bytes'));

const network = v.strictObject({
  ssid,
  password: v.optional(v.string()),
  passwordFile: v.optional(text()),
  /** Higher is joined first when several are in range (then the stronger signal). */
  priority: v.optional(int(-1000, 1000), 0),
  /** An operator hotspot: a captive portal after joining is passed by a NetworkOperatorHotspotAuthenticationTrigger task. */
  operatorHotspot: v.optional(v.boolean(), false),
});

export const wifiConfigSchema = v.strictObject({
  /** "nmcli": NetworkManager (nmcli, with node-wifi for scans); "sim": the simulated radio environment. */
  binding: v.optional(v.picklist(['nmcli', 'sim']), 'nmcli'),
  /** The client interface. */
  iface: v.optional(text(), 'wlan0'),
  /** The interface the device's own hotspot uses (the client's by default: one radio does one at a time). */
  hotspotIface: v.optional(text()),
  /** Networks to join, best first (priority, then signal). */
  networks: v.optional(v.array(network), []),
  /** The device's on-demand hotspot. */
  hotspot: v.optional(
    v.strictObject({
      ssid,
      password: v.optional(v.string()),
      passwordFile: v.optional(text()),
      band: v.optional(v.picklist(['bg', 'a']), 'bg'),
      channel: v.optional(int(1, 196)),
      /** How long a TetheringEntitlementCheckTrigger task has to allow or deny. */
      entitlementMs: v.optional(int(100, 120_000), 10_000),
      /** WiFiOnDemandHotspotUpdateMetadataTrigger fires this often (and after scans). */
      metadataIntervalSec: v.optional(int(5, 86_400), 300),
    }),
  ),
  /** How often to look for a configured network while none is joined (and back-off floor after a failure). */
  scanIntervalSec: v.optional(int(5, 3600), 30),
  /** Back-off ceiling for a network that failed to join (not-found, timeout). */
  retryMaxSec: v.optional(int(5, 86_400), 600),
  /** The captive-portal probe: a URL that answers 204 on the open internet. */
  portalProbe: v.optional(
    v.strictObject({ url: v.optional(v.pipe(v.string(), v.url()), 'http://connectivitycheck.gstatic.com/generate_204'), timeoutMs: v.optional(int(100, 60_000), 5000) }),
    {},
  ),
  /** The simulated radio environment (binding "sim"). */
  sim: v.optional(wifiSimSchema),
});

export type WifiConfig = v.InferOutput<typeof wifiConfigSchema>;

/** What the schema cannot say: one way to give each password, inline passwords that WPA2 would refuse, one entry per SSID. */
export function checkWifi(wifi: WifiConfig | undefined, file: string): void {
  if (!wifi) return;
  const fail = (path: string, msg: string): never => {
    throw new ConfigError(`config ${file}: ${path}: ${msg}`, { path });
  };
  if (wifi.binding === 'nmcli' && wifi.sim !== undefined) fail('drivers.wifi.sim', 'is set but drivers.wifi.binding is "nmcli": the simulated radio environment is used with binding "sim"');
  const secret = (entry: { password?: string | undefined; passwordFile?: string | undefined }, path: string) => {
    if (entry.password !== undefined && entry.passwordFile !== undefined) fail(path, 'has both password and passwordFile; expected one of them');
    if (entry.password !== undefined) {
      try {
        checkPassphrase(entry.password, 'the password');
      } catch (err) {
        fail(`${path}.password`, (err as Error).message);
      }
    }
  };
  const seen = new Set<string>();
  wifi.networks.forEach((n, i) => {
    const path = `drivers.wifi.networks[${i}]`;
    if (seen.has(n.ssid)) fail(`${path}.ssid`, `"${n.ssid}" is listed twice; expected one entry per network`);
    seen.add(n.ssid);
    secret(n, path);
  });
  if (wifi.hotspot) {
    secret(wifi.hotspot, 'drivers.wifi.hotspot');
    if (wifi.hotspot.password === undefined && wifi.hotspot.passwordFile === undefined) fail('drivers.wifi.hotspot', 'has no password or passwordFile; the hotspot is always WPA2-protected');
    if (wifi.hotspot.channel !== undefined && (wifi.hotspot.band === 'bg') !== wifi.hotspot.channel <= 14) {
      fail('drivers.wifi.hotspot.channel', `${wifi.hotspot.channel} is not a ${wifi.hotspot.band === 'bg' ? '2.4 GHz channel (1–14)' : '5 GHz channel (above 14)'} for band "${wifi.hotspot.band}"`);
    }
  }
}
