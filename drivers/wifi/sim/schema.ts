/**
 * The simulated Wi-Fi environment's part of the device configuration (drivers.wifi.sim): the
 * access points around the board and the phones that may join its hotspot. Only the schema lives
 * here, so reading a configuration does not load the simulator.
 */
import * as v from 'valibot';
import { keyed } from '../../../runtime/schema-errors.js';
import { channelFrequency, MAC_RE, validPassphrase } from './environment.js';

const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const text = () => v.pipe(v.string(), v.minLength(1));
const mac = (example: string) => v.pipe(v.string(), v.regex(MAC_RE, `six hex pairs such as "${example}"`));

/**
 * A rule across fields, reported on `key` (or on the object) with what was expected, so the
 * message reads like the schema's own ("…password is "x": expected …").
 */
function rule<T extends Record<string, unknown>>(ok: (value: T) => boolean, expected: string, key?: keyof T & string) {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed || ok(dataset.value)) return;
    const input = key === undefined ? dataset.value : dataset.value[key];
    addIssue({ expected, input, ...(key === undefined ? {} : { path: [{ type: 'object', origin: 'value', input: dataset.value, key, value: input }] }) });
  });
}

const accessPoint = v.pipe(
  v.strictObject({
    ssid: v.pipe(v.string(), v.check((s) => Buffer.byteLength(s, 'utf8') >= 1 && Buffer.byteLength(s, 'utf8') <= 32, 'an SSID of 1 to 32 bytes')),
    /** Default "AA:BB:CC:DD:EE:0N", N the access point's position in this list (from 1). */
    bssid: v.optional(mac('AA:BB:CC:DD:EE:01')),
    channel: v.optional(v.pipe(v.number(), v.check((c) => channelFrequency(c) !== undefined, 'a channel 1–14 (2.4 GHz) or 32–177 (5 GHz)')), 6),
    /** "WPA2" or "" (open). Default: "WPA2" with a password, open without. */
    security: v.optional(v.picklist(['WPA2', ''])),
    password: v.optional(v.pipe(v.string(), v.check(validPassphrase, 'a WPA2 passphrase of 8 to 63 characters'))),
    /** Signal quality 0–100 as NetworkManager reports it; each scan adds ±3 of noise. */
    signal: v.optional(int(0, 100), 70),
    present: v.optional(v.boolean(), true),
    /** Its uplink answers the connectivity check. */
    internet: v.optional(v.boolean(), true),
    /** A captive portal that lets the board through after this login. */
    portal: v.optional(v.strictObject({ user: text(), password: text() })),
  }),
  rule((a) => a.security !== 'WPA2' || a.password !== undefined, 'a password with security "WPA2"', 'password'),
  rule((a) => a.security !== '' || a.password === undefined, 'no password on an open network (security ""); leave "password" out or make it "WPA2"', 'password'),
  v.transform((a) => ({ ...a, security: a.security ?? (a.password !== undefined ? ('WPA2' as const) : ('' as const)) })),
);

const client = v.strictObject({
  /** The phone's address (kept lower case, as the kernel prints it). */
  mac: v.pipe(mac('aa:bb:cc:dd:ee:ff'), v.toLowerCase()),
  /** The passphrase it tries when it joins the hotspot. */
  password: v.optional(v.string()),
});

export const wifiSimSchema = v.pipe(
  v.strictObject({
    /** Seeds signal noise, generated addresses and profile UUIDs. */
    seed: v.optional(int(0, 0xffffffff), 1),
    /** How long associating with an access point takes. */
    associateMs: v.optional(int(0, 120_000), 1500),
    /** NetworkManager's connectivity check interval while the internet answers. */
    connectivityIntervalSec: v.optional(int(1, 86_400), 300),
    accessPoints: v.optional(keyed(accessPoint), {}),
    clients: v.optional(keyed(client), {}),
  }),
  rule((c) => {
    const given = Object.values(c.accessPoints).flatMap((a) => (a.bssid ? [a.bssid.toUpperCase()] : []));
    return new Set(given).size === given.length;
  }, 'a different "bssid" for every access point', 'accessPoints'),
);

export type WifiSimConfig = v.InferOutput<typeof wifiSimSchema>;
export type WifiSimAccessPointConfig = v.InferOutput<typeof accessPoint>;
export type WifiSimClientConfig = v.InferOutput<typeof client>;
