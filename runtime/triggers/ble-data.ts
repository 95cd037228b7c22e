/**
 * The data of the four Bluetooth LE triggers, as manifests and register() give it, checked so
 * that every mistake names its field ("tasks[0].trigger.service.characteristics[1].uuid") and
 * normalised (UUIDs canonical, addresses lower case, hex as Buffers where the source needs them).
 */
import * as v from 'valibot';
import { buildAdvert } from '../../drivers/ble/adv/build.js';
import type { AdvertSpec } from '../../drivers/ble/adv/types.js';
import { parseAddress, parseUuid, type GattProperty } from '../../drivers/ble/ble.js';
import { errorMessage, RegistrationError } from '../errors.js';
import { parseTriggerData } from './parse.js';

const hex = (what: string) => v.pipe(v.string(), v.regex(/^([0-9a-fA-F]{2})*$/, `${what} as hex, two digits per byte`));
const uuidText = v.pipe(v.string(), v.check((s) => parseUuid(s) !== undefined, 'a UUID: 4 or 8 hex digits ("180d"), or 128 bits ("6e400001-b5a3-f393-e0a9-e50e24dcca9e")'));
const addressText = v.pipe(v.string(), v.check((s) => parseAddress(s) !== undefined, 'a Bluetooth address such as "a4:c1:38:12:34:56"'));
const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

// ------------------------------------------------------------------------------ advertisements

const advertSpecSchema = v.strictObject({
  flags: v.optional(v.nullable(int(0, 255))),
  localName: v.optional(v.pipe(v.string(), v.minLength(1))),
  shortName: v.optional(v.boolean()),
  serviceUuids: v.optional(v.array(uuidText)),
  serviceData: v.optional(v.array(v.strictObject({ uuid: uuidText, data: hex('data') }))),
  manufacturerData: v.optional(v.array(v.strictObject({ companyId: int(0, 0xffff), data: hex('data') }))),
  txPower: v.optional(int(-127, 20)),
  appearance: v.optional(int(0, 0xffff)),
  iBeacon: v.optional(v.strictObject({ uuid: uuidText, major: int(0, 0xffff), minor: int(0, 0xffff), measuredPower: int(-127, 20) })),
  eddystone: v.optional(v.record(v.string(), v.unknown())),
  bthome: v.optional(v.record(v.string(), v.unknown())),
  sections: v.optional(v.array(v.strictObject({ type: int(1, 255), data: hex('data') }))),
});

const publisherSchema = v.strictObject({
  type: v.literal('BluetoothLEAdvertisementPublisherTrigger'),
  /** What to advertise (at most 31 bytes once built). */
  advertisement: advertSpecSchema,
  /** What an active scanner gets back (a longer name, more UUIDs). */
  scanResponse: v.optional(advertSpecSchema),
  /** Add the TX power level (AD 0x0A) the advertisement is sent at. */
  includeTransmitPowerLevel: v.optional(v.boolean(), false),
});

export type PublisherData = { type: 'BluetoothLEAdvertisementPublisherTrigger'; advertisement: AdvertSpec; scanResponse?: AdvertSpec; includeTransmitPowerLevel: boolean };

/** Build now, so a payload that does not fit is a registration error, not a failure at arm time. */
export function publisherPayload(t: PublisherData, field: string): { data: Buffer; scanResponse?: Buffer } {
  const build = (spec: AdvertSpec, at: string, flagsDefault: number | null) => {
    try {
      return buildAdvert({ flags: flagsDefault, ...spec, ...(t.includeTransmitPowerLevel && at === 'advertisement' && spec.txPower === undefined ? { txPower: 0 } : {}) } as AdvertSpec);
    } catch (err) {
      throw new RegistrationError('TRIGGER_INVALID', `${field}.${at}: ${errorMessage(err)}`, { cause: err });
    }
  };
  const data = build(t.advertisement, 'advertisement', 0x06);
  return t.scanResponse ? { data, scanResponse: build(t.scanResponse, 'scanResponse', null) } : { data };
}

export function parsePublisher(data: unknown, field: string): PublisherData {
  const t = parseTriggerData(publisherSchema, data, field) as unknown as PublisherData;
  publisherPayload(t, field);
  return t;
}

// ------------------------------------------------------------------------------------ watcher

const watcherSchema = v.strictObject({
  type: v.literal('BluetoothLEAdvertisementWatcherTrigger'),
  /** Every part given must match (AND); of the byte patterns, any one (OR). */
  advertisementFilter: v.optional(
    v.strictObject({
      /** Exactly this local name (complete or shortened). */
      localName: v.optional(v.pipe(v.string(), v.minLength(1))),
      /** Every one of these service UUIDs is advertised. */
      serviceUuids: v.optional(v.array(uuidText)),
      /** Manufacturer data of this company, starting with `data` when given. */
      manufacturerData: v.optional(v.array(v.strictObject({ companyId: int(0, 0xffff), data: v.optional(hex('data')) }))),
      /** A section of this AD type whose data starts with `data`. */
      dataSections: v.optional(v.array(v.strictObject({ type: int(1, 255), data: v.optional(hex('data')) }))),
      /** A section of this AD type holding `data` at `offset`. */
      bytePatterns: v.optional(v.array(v.strictObject({ type: int(1, 255), offset: int(0, 254), data: v.pipe(hex('data'), v.minLength(2, 'at least one byte')) }))),
      /** Only these devices. */
      addresses: v.optional(v.array(addressText)),
    }),
  ),
  /** The seed's BluetoothSignalStrengthFilter. */
  signalStrengthFilter: v.optional(
    v.strictObject({
      /** A device is in range from this RSSI on. */
      inRangeThresholdInDBm: v.optional(int(-127, 20)),
      /** … and out of range once it stays below this (or unheard) for `outOfRangeTimeoutSec`. */
      outOfRangeThresholdInDBm: v.optional(int(-127, 20)),
      outOfRangeTimeoutSec: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(60)), 60),
      /** At most one advert per device in this interval while it is in range (0: every advert). */
      samplingIntervalMs: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(60_000)), 0),
    }),
  ),
  /** Adverts are collected for this long and delivered to one run. */
  batchMs: v.optional(v.pipe(v.number(), v.minValue(10), v.maxValue(60_000)), 1000),
  /** … or as soon as this many are waiting. */
  maxBatch: v.optional(int(1, 10_000), 256),
});

export interface WatcherData {
  type: 'BluetoothLEAdvertisementWatcherTrigger';
  advertisementFilter?: {
    localName?: string;
    serviceUuids?: string[];
    manufacturerData?: { companyId: number; data?: string }[];
    dataSections?: { type: number; data?: string }[];
    bytePatterns?: { type: number; offset: number; data: string }[];
    addresses?: string[];
  };
  signalStrengthFilter?: { inRangeThresholdInDBm?: number; outOfRangeThresholdInDBm?: number; outOfRangeTimeoutSec: number; samplingIntervalMs: number };
  batchMs: number;
  maxBatch: number;
}

export function parseWatcher(data: unknown, field: string): WatcherData {
  const t = parseTriggerData(watcherSchema, data, field) as unknown as WatcherData;
  const f = t.advertisementFilter;
  if (f?.serviceUuids) f.serviceUuids = f.serviceUuids.map((u) => parseUuid(u)!);
  if (f?.addresses) f.addresses = f.addresses.map((a) => parseAddress(a)!);
  const s = t.signalStrengthFilter;
  if (s?.inRangeThresholdInDBm !== undefined && s.outOfRangeThresholdInDBm !== undefined && s.outOfRangeThresholdInDBm > s.inRangeThresholdInDBm) {
    throw new RegistrationError(
      'TRIGGER_INVALID',
      `${field}.signalStrengthFilter: outOfRangeThresholdInDBm (${s.outOfRangeThresholdInDBm}) is above inRangeThresholdInDBm (${s.inRangeThresholdInDBm}): expected out-of-range <= in-range`,
    );
  }
  return t;
}

// ------------------------------------------------------------------------------- GATT server

const PROPERTIES = ['read', 'write', 'writeWithoutResponse', 'notify', 'indicate'] as const;
const PROTECTION = ['plain', 'encryptionRequired'] as const;

const characteristicSchema = v.strictObject({
  uuid: uuidText,
  properties: v.pipe(v.array(v.picklist(PROPERTIES)), v.minLength(1, 'at least one property')),
  /** The value reads get when no task answers (and the starting value). */
  value: v.optional(hex('value')),
  /** Writes must be exactly this long … */
  length: v.optional(int(0, 512)),
  /** … or at most this long. */
  maxLength: v.optional(int(0, 512)),
  /** "encryptionRequired": an unencrypted link gets Insufficient Authentication. */
  readProtection: v.optional(v.picklist(PROTECTION), 'plain'),
  writeProtection: v.optional(v.picklist(PROTECTION), 'plain'),
  /** Shown by GATT browsers (descriptor 0x2901). */
  userDescription: v.optional(v.pipe(v.string(), v.maxLength(100))),
  descriptors: v.optional(v.array(v.strictObject({ uuid: uuidText, value: hex('value') }))),
});

const gattProviderSchema = v.strictObject({
  type: v.literal('GattServiceProviderTrigger'),
  /** Names the service to tasks (the seed's TriggerId). */
  triggerId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, ".", "_" or "-"')),
  service: v.strictObject({ uuid: uuidText, characteristics: v.pipe(v.array(characteristicSchema), v.minLength(1, 'at least one characteristic')) }),
  advertisingParameters: v.optional(
    v.strictObject({
      /** Advertise the service so centrals find it (when no publisher advertises something else). */
      isDiscoverable: v.optional(v.boolean(), true),
      /** Service data for the service UUID in the advert. */
      serviceData: v.optional(hex('serviceData')),
    }),
    {},
  ),
});

export interface GattCharacteristicData {
  uuid: string;
  properties: GattProperty[];
  value?: string;
  length?: number;
  maxLength?: number;
  readProtection: 'plain' | 'encryptionRequired';
  writeProtection: 'plain' | 'encryptionRequired';
  userDescription?: string;
  descriptors?: { uuid: string; value: string }[];
}

export interface GattProviderData {
  type: 'GattServiceProviderTrigger';
  triggerId: string;
  service: { uuid: string; characteristics: GattCharacteristicData[] };
  advertisingParameters: { isDiscoverable: boolean; serviceData?: string };
}

// Managed by the GATT server itself: a manifest declaring them would clash with it.
const STACK_DESCRIPTORS: Record<string, string> = { '2902': 'Client Characteristic Configuration (the server manages subscriptions)', '2901': 'Characteristic User Description (use "userDescription")' };

export function parseGattProvider(data: unknown, field: string): GattProviderData {
  const t = parseTriggerData(gattProviderSchema, data, field) as unknown as GattProviderData;
  const bad = (at: string, what: string): never => {
    throw new RegistrationError('TRIGGER_INVALID', `${field}.${at}: ${what}`);
  };
  t.service.uuid = parseUuid(t.service.uuid)!;
  if (t.service.uuid === '1800' || t.service.uuid === '1801') bad('service.uuid', `${t.service.uuid} is the GAP/GATT service the stack serves itself: expected a service of your own`);
  const seen = new Map<string, number>();
  t.service.characteristics.forEach((c, i) => {
    const at = `service.characteristics[${i}]`;
    c.uuid = parseUuid(c.uuid)!;
    const before = seen.get(c.uuid);
    if (before !== undefined) bad(`${at}.uuid`, `${c.uuid} is declared twice (also service.characteristics[${before}]): expected each characteristic once`);
    seen.set(c.uuid, i);
    const dup = c.properties.find((p, j) => c.properties.indexOf(p) !== j);
    if (dup) bad(`${at}.properties`, `"${dup}" is listed twice`);
    const writable = c.properties.includes('write') || c.properties.includes('writeWithoutResponse');
    if ((c.length !== undefined || c.maxLength !== undefined) && !writable) bad(at, '"length"/"maxLength" limit writes, but the characteristic has no "write" or "writeWithoutResponse" property');
    if (c.length !== undefined && c.maxLength !== undefined) bad(at, 'give "length" (exact) or "maxLength", not both');
    if (c.writeProtection !== 'plain' && !writable) bad(`${at}.writeProtection`, 'the characteristic is not writable');
    if (c.readProtection !== 'plain' && !c.properties.includes('read')) bad(`${at}.readProtection`, 'the characteristic is not readable');
    if (c.value !== undefined && c.value.length / 2 > 512) bad(`${at}.value`, `${c.value.length / 2} bytes: an attribute value holds at most 512`);
    c.descriptors?.forEach((d, j) => {
      d.uuid = parseUuid(d.uuid)!;
      const why = STACK_DESCRIPTORS[d.uuid];
      if (why) bad(`${at}.descriptors[${j}].uuid`, `${d.uuid} is the ${why}`);
    });
  });
  return t;
}

// ---------------------------------------------------------------------------- GATT client

const notificationSchema = v.strictObject({
  type: v.literal('GattCharacteristicNotificationTrigger'),
  /** The peripheral: by address, or by the local name it advertises. */
  device: v.pipe(
    v.strictObject({ address: v.optional(addressText), localName: v.optional(v.pipe(v.string(), v.minLength(1))) }),
    v.check((d) => (d.address === undefined) !== (d.localName === undefined), 'give "address" or "localName" (one of them)'),
  ),
  service: uuidText,
  characteristic: uuidText,
  /** The seed's BluetoothEventTriggeringMode: Serial (a run per notification) or KeepLatest (only the newest waits). */
  eventTriggeringMode: v.optional(v.picklist(['Serial', 'KeepLatest']), 'Serial'),
});

export interface NotificationData {
  type: 'GattCharacteristicNotificationTrigger';
  device: { address?: string; localName?: string };
  service: string;
  characteristic: string;
  eventTriggeringMode: 'Serial' | 'KeepLatest';
}

export function parseNotification(data: unknown, field: string): NotificationData {
  if (typeof data === 'object' && data !== null && (data as { eventTriggeringMode?: unknown }).eventTriggeringMode === 'Batch') {
    throw new RegistrationError('TRIGGER_INVALID', `${field}.eventTriggeringMode: "Batch" is not supported on this device: expected "Serial" or "KeepLatest"`);
  }
  const t = parseTriggerData(notificationSchema, data, field) as unknown as NotificationData;
  t.service = parseUuid(t.service)!;
  t.characteristic = parseUuid(t.characteristic)!;
  if (t.device.address) t.device.address = parseAddress(t.device.address)!;
  return t;
}
