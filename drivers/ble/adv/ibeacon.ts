/**
 * Apple iBeacon: manufacturer data for company 0x004C whose first two bytes are 0x02 (type) and
 * 0x15 (21 bytes follow): proximity UUID (16, as written), major and minor (big-endian), and the
 * calibrated RSSI at 1 m (signed).
 */
import { readUuid, uuidBigEndian } from './uuid.js';
import type { IBeaconFrame } from './types.js';

export const APPLE = 0x004c;
const LENGTH = 23;

/** True when this manufacturer data claims to be an iBeacon (whether or not it is long enough). */
export function isIBeacon(companyId: number, data: Buffer): boolean {
  return companyId === APPLE && data.length >= 2 && data[0] === 0x02 && data[1] === 0x15;
}

/** The frame, or a string saying why it is not one. */
export function decodeIBeacon(data: Buffer): IBeaconFrame | string {
  if (data.length < LENGTH) return `iBeacon frame is ${data.length} bytes: expected ${LENGTH} (0x02 0x15, UUID, major, minor, power)`;
  const be = Buffer.from(data.subarray(2, 18)).reverse();
  return { uuid: readUuid(be, 0, 16), major: data.readUInt16BE(18), minor: data.readUInt16BE(20), measuredPower: data.readInt8(22) };
}

/** The manufacturer data (after the company id). Values are checked by the caller. */
export function encodeIBeacon(frame: IBeaconFrame): Buffer {
  const out = Buffer.alloc(LENGTH);
  out[0] = 0x02;
  out[1] = 0x15;
  uuidBigEndian(frame.uuid).copy(out, 2);
  out.writeUInt16BE(frame.major, 18);
  out.writeUInt16BE(frame.minor, 20);
  out.writeInt8(frame.measuredPower, 22);
  return out;
}
