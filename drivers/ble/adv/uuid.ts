/**
 * UUIDs on air: little-endian, 2, 4 or 16 bytes. 16- and 32-bit UUIDs are shorthand for 128-bit
 * ones on the Bluetooth base (0000xxxx-0000-1000-8000-00805f9b34fb), so every width comes out in
 * the driver's canonical form (`normaliseUuid`): "180d" when it is a 16-bit UUID however it was
 * sent, else 32 lower-case hex digits.
 */
import { normaliseUuid } from '../ble.js';
import { HEX2 } from './hex.js';

const BASE_TAIL = '00001000800000805f9b34fb';
/** The base UUID's low 12 bytes as they appear on air (little-endian), to spot a 16-bit UUID sent long. */
const BASE_LE = Buffer.from('fb349b5f80000080001000000000', 'hex').subarray(0, 12);

/** The canonical UUID in `width` (2, 4 or 16) bytes at `at`. The caller has checked the bytes are there. */
export function readUuid(data: Uint8Array, at: number, width: number): string {
  if (width === 2) return HEX2[data[at + 1]!]! + HEX2[data[at]!]!;
  if (width === 4) {
    const hi = HEX2[data[at + 3]!]! + HEX2[data[at + 2]!]!;
    return hi === '0000' ? HEX2[data[at + 1]!]! + HEX2[data[at]!]! : hi + HEX2[data[at + 1]!]! + HEX2[data[at]!]! + BASE_TAIL;
  }
  let onBase = data[at + 14] === 0 && data[at + 15] === 0;
  for (let i = 0; onBase && i < 12; i++) onBase = data[at + i] === BASE_LE[i];
  if (onBase) return HEX2[data[at + 13]!]! + HEX2[data[at + 12]!]!;
  let out = '';
  for (let i = at + 15; i >= at; i--) out += HEX2[data[i]!]!;
  return out;
}

/**
 * The shortest on-air form of a canonical (or any `normaliseUuid`-able) UUID: 2 bytes for a 16-bit
 * UUID, 4 for a 32-bit one on the base, else 16; little-endian.
 */
export function uuidBytes(uuid: string): Buffer {
  const u = normaliseUuid(uuid);
  if (u.length === 4) return Buffer.from(u.slice(2) + u.slice(0, 2), 'hex');
  const be = Buffer.from(u, 'hex');
  if (u.endsWith(BASE_TAIL)) return be.subarray(0, 4).reverse();
  return be.reverse();
}

/** A 128-bit UUID as written (big-endian), for frames that carry it that way (iBeacon). */
export function uuidBigEndian(uuid: string): Buffer {
  const u = normaliseUuid(uuid);
  return Buffer.from(u.length === 4 ? `0000${u}${BASE_TAIL}` : u, 'hex');
}
