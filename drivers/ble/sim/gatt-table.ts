/**
 * The checks a GATT server makes before a request reaches the application, in the order bleno
 * makes them (lib/hci-socket/gatt.js): the attribute must exist, the characteristic must have
 * the property, and an operation marked secure needs an encrypted link. Both simulated servers
 * (vigil's peripheral and the virtual devices vigil connects to) use them, so a mistake in a
 * characteristic's properties fails on the simulator exactly as it would on a device.
 */
import { ATT, normaliseUuid, type GattProperty } from '../ble.js';

/**
 * Attribute Not Found. A characteristic without notify or indicate has no Client Characteristic
 * Configuration descriptor, so a client subscribing finds none: its Read By Type request for
 * 0x2902 is answered with this code, and the subscription never reaches the application.
 */
export const ATTRIBUTE_NOT_FOUND = 0x0a;

export const CCCD = '2902';

export interface TableCharacteristic {
  /** Canonical UUIDs (normaliseUuid). */
  service: string;
  uuid: string;
  properties: ReadonlySet<GattProperty>;
  secure: ReadonlySet<GattProperty>;
  /** Canonical descriptor UUID → value (read-only, never secure: bleno serves them so). */
  descriptors: ReadonlyMap<string, Buffer>;
}

const NAMES = new Map<number, string>([
  ...Object.entries(ATT).map(([name, code]) => [code, name.toLowerCase().replace(/_/g, ' ')] as [number, string]),
  [ATTRIBUTE_NOT_FOUND, 'attribute not found'],
]);

/** "0x02 (read not permitted)". */
export function attText(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')} (${NAMES.get(code) ?? 'unknown ATT error'})`;
}

export function gattKey(service: string, characteristic: string): string {
  return `${normaliseUuid(service)}/${normaliseUuid(characteristic)}`;
}

/** Characteristics by service and UUID; the first of duplicates wins, as a client's lookup would. */
export class GattTable<C extends TableCharacteristic> {
  readonly #byKey = new Map<string, C>();

  constructor(characteristics: Iterable<C>) {
    for (const c of characteristics) {
      const key = `${c.service}/${c.uuid}`;
      if (!this.#byKey.has(key)) this.#byKey.set(key, c);
    }
  }

  find(service: string, characteristic: string): C | undefined {
    return this.#byKey.get(gattKey(service, characteristic));
  }

  all(): IterableIterator<C> {
    return this.#byKey.values();
  }
}

/** ATT.SUCCESS when a read may go to the application. */
export function checkRead(c: TableCharacteristic | undefined, encrypted: boolean): number {
  if (!c) return ATT.INVALID_HANDLE;
  if (!c.properties.has('read')) return ATT.READ_NOT_PERMITTED;
  if (c.secure.has('read') && !encrypted) return ATT.INSUFFICIENT_AUTHENTICATION;
  return ATT.SUCCESS;
}

/** A Write Request needs "write"; a Write Command needs "writeWithoutResponse" (bleno tells them apart). */
export function checkWrite(c: TableCharacteristic | undefined, withoutResponse: boolean, encrypted: boolean): number {
  if (!c) return ATT.INVALID_HANDLE;
  const needed: GattProperty = withoutResponse ? 'writeWithoutResponse' : 'write';
  if (!c.properties.has(needed)) return ATT.WRITE_NOT_PERMITTED;
  if (c.secure.has(needed) && !encrypted) return ATT.INSUFFICIENT_AUTHENTICATION;
  return ATT.SUCCESS;
}

/** Notify is used when the characteristic has it, else indicate (as bleno and noble choose). */
export function subscribeKind(c: TableCharacteristic): 'notify' | 'indicate' | undefined {
  return c.properties.has('notify') ? 'notify' : c.properties.has('indicate') ? 'indicate' : undefined;
}

/** Writing the CCCD: ATT.SUCCESS when the subscription may go to the application. */
export function checkSubscribe(c: TableCharacteristic | undefined, encrypted: boolean): number {
  if (!c) return ATT.INVALID_HANDLE;
  const kind = subscribeKind(c);
  if (!kind) return ATTRIBUTE_NOT_FOUND;
  if (c.secure.has(kind) && !encrypted) return ATT.INSUFFICIENT_AUTHENTICATION;
  return ATT.SUCCESS;
}

/** Reading a descriptor other than the CCCD (the caller answers that one per link). */
export function readDescriptor(c: TableCharacteristic | undefined, descriptor: string): { result: number; data?: Buffer } {
  const value = c?.descriptors.get(normaliseUuid(descriptor));
  if (!value) return { result: ATT.INVALID_HANDLE };
  return { result: ATT.SUCCESS, data: Buffer.from(value) };
}

/** A Write to a descriptor other than the CCCD: bleno declares them read-only. */
export function checkDescriptorWrite(c: TableCharacteristic | undefined, descriptor: string): number {
  return c?.descriptors.has(normaliseUuid(descriptor)) ? ATT.WRITE_NOT_PERMITTED : ATT.INVALID_HANDLE;
}
