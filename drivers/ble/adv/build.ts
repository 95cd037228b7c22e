/**
 * AdvertSpec → advertising bytes. Every value is checked and a bad one is an AdvertBuildError
 * naming its field; the result must fit a legacy advertisement (31 bytes), which is what every
 * scanner can receive. A scan response is built the same way, without flags.
 */
import { parseUuid } from '../ble.js';
import { AD } from './ad-types.js';
import { BTHOME_UUID, encodeBthome } from './bthome.js';
import { EDDYSTONE_UUID, encodeEddystone } from './eddystone.js';
import { AdvertBuildError } from './errors.js';
import { parseHex } from './hex.js';
import { APPLE, encodeIBeacon } from './ibeacon.js';
import { uuidBytes } from './uuid.js';
import type { AdvertSpec } from './types.js';

export const LEGACY_ADVERT_BYTES = 31;

function int(value: unknown, min: number, max: number, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new AdvertBuildError(`${field} is ${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`, { field });
  }
  return value;
}

function hex(text: unknown, field: string): Buffer {
  if (typeof text !== 'string') throw new AdvertBuildError(`${field} is ${JSON.stringify(text)}: expected a hex string`, { field });
  try {
    return parseHex(text, field);
  } catch (err) {
    throw new AdvertBuildError((err as Error).message, { field, cause: err });
  }
}

function uuid(text: unknown, field: string): string {
  const canonical = typeof text === 'string' ? parseUuid(text) : undefined;
  if (canonical === undefined) throw new AdvertBuildError(`${field} is ${JSON.stringify(text)}: expected a UUID of 4, 8 or 32 hex digits ("180d", "0000fcd2", or 128-bit with or without dashes)`, { field });
  return canonical;
}

/** Service data type for a UUID's on-air width. */
function serviceDataType(width: number): number {
  return width === 2 ? AD.SERVICE_DATA16 : width === 4 ? AD.SERVICE_DATA32 : AD.SERVICE_DATA128;
}

class Structures {
  readonly parts: Buffer[] = [];
  length = 0;
  add(type: number, data: Buffer, field: string): void {
    if (data.length + 1 > 255) throw new AdvertBuildError(`${field} is ${data.length} bytes: one AD structure holds at most 254`, { field });
    const header = Buffer.from([data.length + 1, type]);
    this.parts.push(header, data);
    this.length += 2 + data.length;
  }
}

function addUuidLists(out: Structures, uuids: string[]): void {
  const byWidth = new Map<number, Buffer[]>();
  for (const u of uuids) {
    const bytes = uuidBytes(u);
    const list = byWidth.get(bytes.length) ?? [];
    list.push(bytes);
    byWidth.set(bytes.length, list);
  }
  const types: [number, number][] = [
    [2, AD.UUID16_COMPLETE],
    [4, AD.UUID32_COMPLETE],
    [16, AD.UUID128_COMPLETE],
  ];
  for (const [width, type] of types) {
    const list = byWidth.get(width);
    if (list) out.add(type, Buffer.concat(list), 'serviceUuids');
  }
}

function bthomeData(spec: NonNullable<AdvertSpec['bthome']>): Buffer {
  let key: Buffer | undefined;
  if (spec.key !== undefined) {
    key = hex(spec.key, 'bthome.key');
    if (key.length !== 16) throw new AdvertBuildError(`bthome.key is ${key.length} bytes: expected 16 (32 hex digits)`, { field: 'bthome.key' });
    if (spec.address === undefined) throw new AdvertBuildError('bthome.address is missing: an encrypted BTHome advert needs the sensor address, part of the nonce', { field: 'bthome.address' });
  }
  try {
    return encodeBthome(spec.readings, { key, address: spec.address, counter: spec.counter, packetId: spec.packetId, triggerBased: spec.triggerBased });
  } catch (err) {
    throw new AdvertBuildError(`bthome: ${(err as Error).message}`, { field: 'bthome', cause: err });
  }
}

function assemble(spec: AdvertSpec, defaultFlags: number | null, what: string): Buffer {
  const out = new Structures();
  const flags = spec.flags === undefined ? defaultFlags : spec.flags;
  if (flags !== null) out.add(AD.FLAGS, Buffer.from([int(flags, 0, 255, 'flags')]), 'flags');

  const uuids: string[] = [];
  (spec.serviceUuids ?? []).forEach((u, i) => {
    const c = uuid(u, `serviceUuids[${i}]`);
    if (!uuids.includes(c)) uuids.push(c);
  });
  // Eddystone receivers look for 0xFEAA in the complete 16-bit list as well as in service data.
  if (spec.eddystone && !uuids.includes(EDDYSTONE_UUID)) uuids.push(EDDYSTONE_UUID);
  addUuidLists(out, uuids);

  if (spec.localName !== undefined) {
    if (typeof spec.localName !== 'string') throw new AdvertBuildError(`localName is ${JSON.stringify(spec.localName)}: expected a string`, { field: 'localName' });
    out.add(spec.shortName ? AD.SHORT_NAME : AD.COMPLETE_NAME, Buffer.from(spec.localName, 'utf8'), 'localName');
  }
  if (spec.txPower !== undefined) out.add(AD.TX_POWER, Buffer.from([int(spec.txPower, -128, 127, 'txPower') & 0xff]), 'txPower');
  if (spec.appearance !== undefined) {
    const a = Buffer.alloc(2);
    a.writeUInt16LE(int(spec.appearance, 0, 0xffff, 'appearance'));
    out.add(AD.APPEARANCE, a, 'appearance');
  }

  const serviceData: { uuid: string; data: Buffer; field: string }[] = [];
  (spec.serviceData ?? []).forEach((s, i) => serviceData.push({ uuid: uuid(s.uuid, `serviceData[${i}].uuid`), data: hex(s.data, `serviceData[${i}].data`), field: `serviceData[${i}]` }));
  if (spec.eddystone) serviceData.push({ uuid: EDDYSTONE_UUID, data: encodeEddystone(spec.eddystone), field: 'eddystone' });
  if (spec.bthome) serviceData.push({ uuid: BTHOME_UUID, data: bthomeData(spec.bthome), field: 'bthome' });
  for (const s of serviceData) {
    const u = uuidBytes(s.uuid);
    out.add(serviceDataType(u.length), Buffer.concat([u, s.data]), s.field);
  }

  const manufacturer: { companyId: number; data: Buffer; field: string }[] = [];
  (spec.manufacturerData ?? []).forEach((m, i) => manufacturer.push({ companyId: int(m.companyId, 0, 0xffff, `manufacturerData[${i}].companyId`), data: hex(m.data, `manufacturerData[${i}].data`), field: `manufacturerData[${i}]` }));
  if (spec.iBeacon) {
    const b = spec.iBeacon;
    uuid(b.uuid, 'iBeacon.uuid');
    int(b.major, 0, 0xffff, 'iBeacon.major');
    int(b.minor, 0, 0xffff, 'iBeacon.minor');
    int(b.measuredPower, -128, 127, 'iBeacon.measuredPower');
    manufacturer.push({ companyId: APPLE, data: encodeIBeacon(b), field: 'iBeacon' });
  }
  for (const m of manufacturer) {
    const data = Buffer.allocUnsafe(2 + m.data.length);
    data.writeUInt16LE(m.companyId, 0);
    m.data.copy(data, 2);
    out.add(AD.MANUFACTURER, data, m.field);
  }

  (spec.sections ?? []).forEach((s, i) => out.add(int(s.type, 0, 255, `sections[${i}].type`), hex(s.data, `sections[${i}].data`), `sections[${i}]`));

  if (out.length > LEGACY_ADVERT_BYTES) {
    const hint = spec.localName !== undefined ? 'move the name to the scan response or shorten it' : 'move some fields to the scan response';
    throw new AdvertBuildError(`${what} is ${out.length} bytes: at most ${LEGACY_ADVERT_BYTES} fit in a legacy advertisement; ${hint}`);
  }
  return Buffer.concat(out.parts, out.length);
}

/** Advertising data for `spec`. Flags default to 0x06 (LE General Discoverable, BR/EDR not supported); `flags: null` leaves them out. */
export function buildAdvert(spec: AdvertSpec): Buffer {
  return assemble(spec, 0x06, 'advertisement');
}

/** A scan response: the same fields, no flags unless `spec.flags` asks for them. */
export function buildScanResponse(spec: AdvertSpec): Buffer {
  return assemble(spec, null, 'scan response');
}
