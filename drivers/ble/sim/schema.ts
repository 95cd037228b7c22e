/**
 * The simulated radio's part of the device configuration: the devices on the air around vigil
 * (tags, sensors, things to connect to) and the phones that use vigil's GATT server. Only the
 * schema lives here, so reading a configuration does not load the simulator.
 */
import * as v from 'valibot';
import { keyed } from '../../../runtime/schema-errors.js';
import { ADDRESS_RE } from './random.js';

const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const hex = () => v.pipe(v.string(), v.regex(/^(?:[0-9a-fA-F]{2})*$/, 'hex bytes: pairs of hex digits such as "0201060302aafe"'));
const hexOf = (bytes: number) => v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `${bytes} bytes as ${bytes * 2} hex digits`));
const uuid = () =>
  v.pipe(
    v.string(),
    v.regex(/^(?:[0-9a-fA-F]{4}|[0-9a-fA-F]{8}|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$/, 'a UUID: 4 hex digits ("180d") or 128 bits ("6e400001-b5a3-f393-e0a9-e50e24dcca9e")'),
  );
const address = () => v.pipe(v.string(), v.regex(ADDRESS_RE, 'a Bluetooth address such as "c4:7c:8d:6a:12:34"'));
const property = v.picklist(['read', 'write', 'writeWithoutResponse', 'notify', 'indicate']);
const dbm = () => v.pipe(v.number(), v.minValue(-127), v.maxValue(20));

/**
 * A rule across fields, reported on `key` (or on the object) with what was expected, so the
 * message reads like the schema's own ("…notifyEveryMs is 100: expected …").
 */
function rule<T extends Record<string, unknown>>(ok: (value: T) => boolean, expected: string, key?: keyof T & string) {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed || ok(dataset.value)) return;
    const input = key === undefined ? dataset.value : dataset.value[key];
    addIssue({ expected, input, ...(key === undefined ? {} : { path: [{ type: 'object', origin: 'value', input: dataset.value, key, value: input }] }) });
  });
}

/** One Eddystone frame: {"url"}, {"namespace", "instance"} or {"tlm"} (flat, so a mistake names its field). */
const eddystone = v.pipe(
  v.strictObject({
    url: v.optional(v.pipe(v.string(), v.minLength(1))),
    namespace: v.optional(hexOf(10)),
    instance: v.optional(hexOf(6)),
    txPower: v.optional(int(-100, 20)),
    tlm: v.optional(
      v.strictObject({
        batteryMv: int(0, 0xffff),
        temperature: v.pipe(v.number(), v.minValue(-128), v.maxValue(128)),
        advCount: int(0, 0xffffffff),
        uptimeSec: v.pipe(v.number(), v.minValue(0)),
      }),
    ),
  }),
  rule((e) => {
    const frames = [e.url !== undefined, e.namespace !== undefined || e.instance !== undefined, e.tlm !== undefined].filter(Boolean).length;
    return frames === 1 && (e.namespace === undefined) === (e.instance === undefined);
  }, 'one frame: {"url": …}, {"namespace": …, "instance": …} or {"tlm": {…}}'),
);

/** What a device advertises: the builder's fields, or `hex`, the bytes exactly as they go on the air. */
const advert = v.pipe(
  v.strictObject({
    hex: v.optional(hex()),
    flags: v.optional(v.nullable(int(0, 255))),
    localName: v.optional(v.string()),
    shortName: v.optional(v.boolean()),
    serviceUuids: v.optional(v.array(uuid())),
    serviceData: v.optional(v.array(v.strictObject({ uuid: uuid(), data: hex() }))),
    manufacturerData: v.optional(v.array(v.strictObject({ companyId: int(0, 0xffff), data: hex() }))),
    txPower: v.optional(int(-127, 127)),
    appearance: v.optional(int(0, 0xffff)),
    iBeacon: v.optional(v.strictObject({ uuid: uuid(), major: int(0, 0xffff), minor: int(0, 0xffff), measuredPower: int(-128, 127) })),
    eddystone: v.optional(eddystone),
    bthome: v.optional(
      v.strictObject({
        readings: v.record(v.string(), v.number()),
        key: v.optional(hexOf(16)),
        address: v.optional(address()),
        counter: v.optional(int(0, 0xffffffff)),
        packetId: v.optional(int(0, 255)),
        triggerBased: v.optional(v.boolean()),
      }),
    ),
    sections: v.optional(v.array(v.strictObject({ type: int(0, 255), data: hex() }))),
  }),
  rule((a) => a.hex === undefined || Object.keys(a).length === 1, '"hex" alone ("hex" gives the bytes as they go on the air: leave the other fields out, or leave "hex" out)'),
);

const characteristic = v.pipe(
  v.strictObject({
    uuid: uuid(),
    properties: v.pipe(v.array(property), v.minLength(1)),
    /** Operations refused on a link that is not encrypted. */
    secure: v.optional(v.array(property)),
    /** Hex; what a read returns until written or notified. */
    value: v.optional(hex()),
    descriptors: v.optional(v.array(v.strictObject({ uuid: uuid(), value: hex() }))),
    /** While someone is subscribed, notify this often (a connection interval is at least 7.5 ms). */
    notifyEveryMs: v.optional(int(8, 86_400_000)),
    /** Values notified in turn (hex), or "counter". */
    notifyValues: v.optional(v.union([v.literal('counter'), v.pipe(v.array(hex()), v.minLength(1))])),
  }),
  rule((c) => c.notifyEveryMs === undefined || c.properties.includes('notify') || c.properties.includes('indicate'), 'it only with "notify" or "indicate" in properties', 'notifyEveryMs'),
);

const peripheral = v.strictObject({
  /** Default: a random static address from the seed and the name. */
  address: v.optional(address()),
  addressType: v.optional(v.picklist(['public', 'random'])),
  advert,
  scanResponse: v.optional(advert),
  /** Advertising interval; the Core spec allows 20 ms to 10.24 s. */
  intervalMs: v.optional(int(20, 10_240), 1000),
  /** Received level in dBm. */
  rssi: v.optional(dbm(), -60),
  /** Reported RSSI varies by up to this many dB either way. */
  noiseDb: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(40)), 2),
  /** Calibrated TX power, added to the advert when it does not set one. */
  txPower: v.optional(int(-127, 20)),
  /** Default: whether it has services. */
  connectable: v.optional(v.boolean()),
  present: v.optional(v.boolean(), true),
  /** Every discovery of its services drops the link half-way. */
  dropDuringDiscovery: v.optional(v.boolean(), false),
  /** How long discovering its services takes. */
  discoveryMs: v.optional(int(0, 60_000), 0),
  services: v.optional(v.array(v.strictObject({ uuid: uuid(), characteristics: v.array(characteristic) })), []),
});

const central = v.strictObject({
  address: v.optional(address()),
  /** Connect over an encrypted (bonded) link. */
  encrypted: v.optional(v.boolean(), false),
  /** ATT MTU it asks for. */
  mtu: v.optional(int(23, 517), 185),
});

export const bleSimSchema = v.strictObject({
  /** Seeds RSSI noise, advertising delays and generated addresses. */
  seed: v.optional(int(0, 0xffffffff), 1),
  /** Centrals vigil's peripheral serves at once (bleno on an HCI socket: one). */
  peripheralLinks: v.optional(int(1, 16), 1),
  peripherals: v.optional(keyed(peripheral), {}),
  centrals: v.optional(keyed(central), {}),
});

export type BleSimConfig = v.InferOutput<typeof bleSimSchema>;
export type BleSimPeripheralConfig = v.InferOutput<typeof peripheral>;
export type AdvertConfig = v.InferOutput<typeof advert>;

