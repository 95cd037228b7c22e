/**
 * Bluetooth LE as the runtime sees it: two roles, each on its own adapter if the device has two.
 * The central scans and connects (noble on a device); the peripheral advertises and serves GATT
 * (bleno on a device). Both speak in raw advertising bytes and ATT result codes, so the runtime
 * above them is the same over the real libraries and over the simulated radio.
 */
import type { Emitter, Unsubscribe } from '../../runtime/emitter.js';

/** Adapter state, as noble and bleno report it, plus "missing": the library could not open it. */
export type BleState = 'unknown' | 'resetting' | 'unsupported' | 'unauthorized' | 'poweredOff' | 'poweredOn' | 'missing';

export type AddressType = 'public' | 'random' | 'unknown';

/** One advertising report, as the controller delivered it. */
export interface BleAdvert {
  /** "aa:bb:cc:dd:ee:ff", lower case. */
  address: string;
  addressType: AddressType;
  /** dBm; 127 when the controller did not measure it. */
  rssi: number;
  connectable: boolean;
  /** The advertising data (AD structures, at most 31 bytes legacy). */
  data: Buffer;
  /** The scan response, when an active scan got one. */
  scanResponse?: Buffer;
  /** When it was received (epoch ms). */
  time: number;
}

export type GattProperty = 'read' | 'write' | 'writeWithoutResponse' | 'notify' | 'indicate';

/** ATT error codes (Bluetooth Core, Vol 3, Part F, 3.4.1.1) a GATT server answers with. */
export const ATT = {
  SUCCESS: 0x00,
  INVALID_HANDLE: 0x01,
  READ_NOT_PERMITTED: 0x02,
  WRITE_NOT_PERMITTED: 0x03,
  INVALID_PDU: 0x04,
  INSUFFICIENT_AUTHENTICATION: 0x05,
  REQUEST_NOT_SUPPORTED: 0x06,
  INVALID_OFFSET: 0x07,
  INSUFFICIENT_AUTHORIZATION: 0x08,
  ATTRIBUTE_NOT_FOUND: 0x0a,
  ATTRIBUTE_NOT_LONG: 0x0b,
  INVALID_ATTRIBUTE_VALUE_LENGTH: 0x0d,
  UNLIKELY_ERROR: 0x0e,
  INSUFFICIENT_ENCRYPTION: 0x0f,
} as const;

// ---------------------------------------------------------------- central role (scan, connect)

export interface CentralEvents {
  state: [BleState];
  advert: [BleAdvert];
  /** Something went wrong that did not change the state (a failed scan start, a library error). */
  error: [Error];
}

/** A characteristic found by discovery. UUIDs are lower case: 4 hex digits for 16-bit, else 32 without dashes. */
export interface RemoteCharacteristic {
  uuid: string;
  properties: GattProperty[];
}

export interface RemoteService {
  uuid: string;
  characteristics: RemoteCharacteristic[];
}

export interface ConnectionEvents {
  /** The link dropped (the peer went away, or disconnect() was called). */
  disconnect: [{ reason: string }];
}

/** A connection to a remote peripheral. Every operation rejects with a DriverError once it is gone. */
export interface BleConnection {
  readonly address: string;
  readonly events: Emitter<ConnectionEvents>;
  readonly connected: boolean;
  /** Discover every primary service and its characteristics. */
  discover(signal?: AbortSignal): Promise<RemoteService[]>;
  read(service: string, characteristic: string): Promise<Buffer>;
  write(service: string, characteristic: string, data: Buffer, withoutResponse?: boolean): Promise<void>;
  /** Enable notifications (or indications); resolves once the CCCD is written. */
  subscribe(service: string, characteristic: string, onValue: (data: Buffer) => void): Promise<Unsubscribe>;
  disconnect(): Promise<void>;
}

export interface BleCentral {
  /** "noble" or "sim". */
  readonly binding: string;
  /** The adapter, for messages: "hci1", "sim". */
  readonly adapter: string;
  readonly events: Emitter<CentralEvents>;
  state(): BleState;
  /**
   * Load the library and open the adapter. Rejects with a DriverError naming the adapter and the
   * cause (no Bluetooth, no permission, library not installed); the runtime runs on without it.
   */
  open(): Promise<void>;
  /** Scan (active, duplicates reported: the watcher does its own sampling). Idempotent. */
  startScan(): Promise<void>;
  stopScan(): Promise<void>;
  readonly scanning: boolean;
  /** Connect to a peripheral seen in a scan (address as in BleAdvert). */
  connect(address: string, signal?: AbortSignal): Promise<BleConnection>;
  close(): Promise<void>;
}

// ---------------------------------------------------------- peripheral role (advertise, serve)

export interface LocalDescriptor {
  uuid: string;
  value: Buffer;
}

export interface LocalCharacteristic {
  uuid: string;
  properties: GattProperty[];
  /** Operations that need an encrypted link; the binding answers INSUFFICIENT_AUTHENTICATION otherwise. */
  secure: GattProperty[];
  descriptors: LocalDescriptor[];
}

export interface LocalService {
  uuid: string;
  characteristics: LocalCharacteristic[];
}

/** A request from a remote central, for the runtime to answer. */
export interface GattRequestBase {
  service: string;
  characteristic: string;
  /** The central's address. */
  client: string;
}

export interface GattReadRequest extends GattRequestBase {
  offset: number;
}

export interface GattWriteRequest extends GattRequestBase {
  data: Buffer;
  offset: number;
  withoutResponse: boolean;
}

export interface GattSubscribeRequest extends GattRequestBase {
  maxValueSize: number;
}

/** How the peripheral hands requests to the runtime. Results are ATT codes (ATT.SUCCESS …). */
export interface GattHandlers {
  read(request: GattReadRequest): Promise<{ result: number; data?: Buffer }>;
  write(request: GattWriteRequest): Promise<number>;
  subscribe(request: GattSubscribeRequest): void;
  unsubscribe(request: GattRequestBase): void;
}

export type AdvertisingStatus = 'started' | 'stopped' | 'aborted';

export interface PeripheralEvents {
  state: [BleState];
  advertising: [{ status: AdvertisingStatus; error?: Error }];
  /** A central connected / disconnected. */
  accept: [{ client: string }];
  disconnect: [{ client: string }];
  error: [Error];
}

export interface BlePeripheral {
  readonly binding: string;
  readonly adapter: string;
  readonly events: Emitter<PeripheralEvents>;
  state(): BleState;
  open(): Promise<void>;
  /** Advertise these bytes (connectable, undirected); replaces what is advertised. */
  startAdvertising(data: Buffer, scanResponse?: Buffer): Promise<void>;
  stopAdvertising(): Promise<void>;
  readonly advertising: boolean;
  /** Serve these services (replacing any served before); requests go to `handlers`. */
  setServices(services: LocalService[], handlers: GattHandlers): Promise<void>;
  /** Send a notification (or indication) to every subscriber; returns how many were reached. */
  notify(service: string, characteristic: string, data: Buffer): number;
  close(): Promise<void>;
}

const BASE_TAIL = '00001000800000805f9b34fb';

/** Canonical UUID form used across the BLE driver: "180d", or 32 lower-case hex digits without dashes. */
export function normaliseUuid(uuid: string): string {
  let u = uuid.toLowerCase().replace(/-/g, '');
  if (u.startsWith('0x')) u = u.slice(2);
  // A 32-bit UUID sits on the Bluetooth base too.
  if (u.length === 8) u = `${u}${BASE_TAIL}`;
  // A 16-bit UUID written out on the Bluetooth base is the same UUID.
  if (u.length === 32 && u.startsWith('0000') && u.endsWith(BASE_TAIL)) return u.slice(4, 8);
  return u;
}

/** The canonical form of a UUID as a user may write it ("180D", "0x180d", 8 hex digits, dashed 128-bit), or undefined if it is not one. */
export function parseUuid(text: string): string | undefined {
  if (!/^(0x)?([0-9a-f]{4}|[0-9a-f]{8}|[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.test(text)) return undefined;
  if (/^0x/i.test(text) && text.includes('-')) return undefined;
  return normaliseUuid(text);
}

/** "aa:bb:cc:dd:ee:ff" from any case, or undefined if it is not a Bluetooth address. */
export function parseAddress(text: string): string | undefined {
  return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(text) ? text.toLowerCase() : undefined;
}
