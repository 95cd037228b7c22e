/**
 * Deterministic randomness for the simulated air: RSSI noise, advertising delays and addresses
 * come from a seeded generator, so a failing test replays exactly. Each device gets its own
 * stream (derived from the radio's seed and the device's name), so adding a device does not
 * change the noise another one sees.
 */

import { Random as Prng } from '../../modem/sim/random.js';

/** The modem simulator's generator (mulberry32): small, fast, and good enough for noise. */
export { Prng };

/** FNV-1a over the seed and a name: the seed of one device's stream. */
export function deviceSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ (Math.trunc(seed) >>> 0)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A random static address (Core Vol 6, Part B, 1.3.2.1: the two top bits set, the rest neither
 * all zeros nor all ones), the same for the same seed and name.
 */
export function staticAddress(seed: number, name: string): string {
  const rng = new Prng(deviceSeed(seed, `address:${name}`));
  const bytes = Array.from({ length: 6 }, () => rng.int(0, 255));
  bytes[0] = (bytes[0]! | 0xc0) & 0xff;
  const rest = bytes.slice(1);
  if (rest.every((b) => b === 0)) bytes[5] = 1;
  if (rest.every((b) => b === 0xff) && (bytes[0] & 0x3f) === 0x3f) bytes[5] = 0xfe;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export const ADDRESS_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
