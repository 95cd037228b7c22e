/**
 * AD type numbers and names, from the Bluetooth Assigned Numbers ("Common Data Types", §2.3) as
 * the Core Specification Supplement defines them; and the long form of a UUID for people.
 */
import { HEX2 } from './hex.js';

export const AD = {
  FLAGS: 0x01,
  UUID16_INCOMPLETE: 0x02,
  UUID16_COMPLETE: 0x03,
  UUID32_INCOMPLETE: 0x04,
  UUID32_COMPLETE: 0x05,
  UUID128_INCOMPLETE: 0x06,
  UUID128_COMPLETE: 0x07,
  SHORT_NAME: 0x08,
  COMPLETE_NAME: 0x09,
  TX_POWER: 0x0a,
  CLASS_OF_DEVICE: 0x0d,
  PERIPHERAL_CONN_INTERVAL: 0x12,
  SOLICIT_UUID16: 0x14,
  SOLICIT_UUID128: 0x15,
  SERVICE_DATA16: 0x16,
  PUBLIC_TARGET_ADDRESS: 0x17,
  RANDOM_TARGET_ADDRESS: 0x18,
  APPEARANCE: 0x19,
  ADVERTISING_INTERVAL: 0x1a,
  LE_DEVICE_ADDRESS: 0x1b,
  LE_ROLE: 0x1c,
  SOLICIT_UUID32: 0x1f,
  SERVICE_DATA32: 0x20,
  SERVICE_DATA128: 0x21,
  URI: 0x24,
  MANUFACTURER: 0xff,
} as const;

const NAMED: [number, string][] = [
  [0x01, 'Flags'],
  [0x02, 'Incomplete List of 16-bit Service UUIDs'],
  [0x03, 'Complete List of 16-bit Service UUIDs'],
  [0x04, 'Incomplete List of 32-bit Service UUIDs'],
  [0x05, 'Complete List of 32-bit Service UUIDs'],
  [0x06, 'Incomplete List of 128-bit Service UUIDs'],
  [0x07, 'Complete List of 128-bit Service UUIDs'],
  [0x08, 'Shortened Local Name'],
  [0x09, 'Complete Local Name'],
  [0x0a, 'Tx Power Level'],
  [0x0d, 'Class of Device'],
  [0x0e, 'Simple Pairing Hash C-192'],
  [0x0f, 'Simple Pairing Randomizer R-192'],
  [0x10, 'Security Manager TK Value'],
  [0x11, 'Security Manager Out of Band Flags'],
  [0x12, 'Peripheral Connection Interval Range'],
  [0x14, 'List of 16-bit Service Solicitation UUIDs'],
  [0x15, 'List of 128-bit Service Solicitation UUIDs'],
  [0x16, 'Service Data - 16-bit UUID'],
  [0x17, 'Public Target Address'],
  [0x18, 'Random Target Address'],
  [0x19, 'Appearance'],
  [0x1a, 'Advertising Interval'],
  [0x1b, 'LE Bluetooth Device Address'],
  [0x1c, 'LE Role'],
  [0x1d, 'Simple Pairing Hash C-256'],
  [0x1e, 'Simple Pairing Randomizer R-256'],
  [0x1f, 'List of 32-bit Service Solicitation UUIDs'],
  [0x20, 'Service Data - 32-bit UUID'],
  [0x21, 'Service Data - 128-bit UUID'],
  [0x22, 'LE Secure Connections Confirmation Value'],
  [0x23, 'LE Secure Connections Random Value'],
  [0x24, 'URI'],
  [0x25, 'Indoor Positioning'],
  [0x26, 'Transport Discovery Data'],
  [0x27, 'LE Supported Features'],
  [0x28, 'Channel Map Update Indication'],
  [0x29, 'PB-ADV'],
  [0x2a, 'Mesh Message'],
  [0x2b, 'Mesh Beacon'],
  [0x2c, 'BIGInfo'],
  [0x2d, 'Broadcast_Code'],
  [0x2e, 'Resolvable Set Identifier'],
  [0x2f, 'Advertising Interval - long'],
  [0x30, 'Broadcast_Name'],
  [0x31, 'Encrypted Advertising Data'],
  [0x32, 'Periodic Advertising Response Timing Information'],
  [0x34, 'Electronic Shelf Label'],
  [0x3d, '3D Information Data'],
  [0xff, 'Manufacturer Specific Data'],
];

/** Indexed by type, so the parser names a structure with one array read; unnamed types read "0x2a". */
export const AD_TYPE_NAMES: readonly string[] = (() => {
  const names = Array.from({ length: 256 }, (_, i) => `0x${HEX2[i]}`);
  for (const [type, name] of NAMED) names[type] = name;
  return names;
})();

export function adTypeName(type: number): string {
  return AD_TYPE_NAMES[type & 0xff]!;
}

/** What the Flags bits mean (Core Specification Supplement, Part A, 1.3), lowest bit first. */
const FLAG_BITS = [
  'LE Limited Discoverable',
  'LE General Discoverable',
  'BR/EDR not supported',
  'simultaneous LE and BR/EDR (controller)',
  'simultaneous LE and BR/EDR (host)',
];

export function describeFlags(flags: number): string {
  const out: string[] = [];
  for (let bit = 0; bit < 8; bit++) {
    if (flags & (1 << bit)) out.push(FLAG_BITS[bit] ?? `reserved bit ${bit}`);
  }
  return out.length ? out.join(', ') : 'none';
}

const BASE_TAIL_DASHED = '-0000-1000-8000-00805f9b34fb';

/**
 * The full dashed 128-bit form of a canonical UUID: "180d" → "0000180d-0000-1000-8000-00805f9b34fb".
 * Anything that is not 4 or 32 hex digits comes back as it was.
 */
export function uuidString(canonical: string): string {
  const u = canonical.toLowerCase();
  if (u.length === 4) return `0000${u}${BASE_TAIL_DASHED}`;
  if (u.length === 8) return `${u}${BASE_TAIL_DASHED}`;
  if (u.length !== 32) return canonical;
  return `${u.slice(0, 8)}-${u.slice(8, 12)}-${u.slice(12, 16)}-${u.slice(16, 20)}-${u.slice(20)}`;
}
