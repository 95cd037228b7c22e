/**
 * The BTHome v2 object table (https://bthome.io/format/): for each object id, how many bytes its
 * value takes, whether it is signed, its scale and unit, and the channel name vigil gives it.
 * Values are little-endian. A scale is kept as multiplier/divisor pairs of whole numbers so
 * 2506 × 0.01 comes out as 25.06 rather than 25.060000000000002.
 *
 * Names are camelCase channel names (what SensorDataThresholdTrigger matches). Where the spec has
 * the same quantity in two units (kg and lb, mm and m, L and mL) the second gets the unit in its
 * name, so one channel never mixes units. Binary sensors that share a word with a measurement
 * (battery, power, moisture, gas) get a name that says the state (batteryLow, powerOn, wet,
 * gasDetected).
 */

export type BthomeKind = 'number' | 'binary' | 'packetId' | 'button' | 'dimmer' | 'text' | 'raw' | 'deviceType' | 'firmware';

export interface BthomeObject {
  id: number;
  name: string;
  kind: BthomeKind;
  /** Value bytes after the id; 0 for text and raw, whose first byte is their length. */
  size: number;
  signed: boolean;
  /** value = raw × mul / div */
  mul: number;
  div: number;
  unit: string;
}

const S = true;
const U = false;

function num(id: number, name: string, size: number, signed: boolean, div: number, unit: string, mul = 1): BthomeObject {
  return { id, name, kind: 'number', size, signed, mul, div, unit };
}

function bin(id: number, name: string): BthomeObject {
  return { id, name, kind: 'binary', size: 1, signed: false, mul: 1, div: 1, unit: '' };
}

function other(id: number, name: string, kind: BthomeKind, size: number): BthomeObject {
  return { id, name, kind, size, signed: false, mul: 1, div: 1, unit: '' };
}

export const BTHOME_OBJECT_LIST: readonly BthomeObject[] = [
  other(0x00, 'packetId', 'packetId', 1),
  num(0x01, 'battery', 1, U, 1, '%'),
  num(0x02, 'temperature', 2, S, 100, '°C'),
  num(0x03, 'humidity', 2, U, 100, '%'),
  num(0x04, 'pressure', 3, U, 100, 'hPa'),
  num(0x05, 'illuminance', 3, U, 100, 'lx'),
  num(0x06, 'mass', 2, U, 100, 'kg'),
  num(0x07, 'massLb', 2, U, 100, 'lb'),
  num(0x08, 'dewPoint', 2, S, 100, '°C'),
  num(0x09, 'count', 1, U, 1, ''),
  num(0x0a, 'energy', 3, U, 1000, 'kWh'),
  num(0x0b, 'power', 3, U, 100, 'W'),
  num(0x0c, 'voltage', 2, U, 1000, 'V'),
  num(0x0d, 'pm25', 2, U, 1, 'µg/m³'),
  num(0x0e, 'pm10', 2, U, 1, 'µg/m³'),
  bin(0x0f, 'genericBoolean'),
  bin(0x10, 'powerOn'),
  bin(0x11, 'opening'),
  num(0x12, 'co2', 2, U, 1, 'ppm'),
  num(0x13, 'tvoc', 2, U, 1, 'µg/m³'),
  num(0x14, 'moisture', 2, U, 100, '%'),
  bin(0x15, 'batteryLow'),
  bin(0x16, 'batteryCharging'),
  bin(0x17, 'carbonMonoxide'),
  bin(0x18, 'cold'),
  bin(0x19, 'connectivity'),
  bin(0x1a, 'door'),
  bin(0x1b, 'garageDoor'),
  bin(0x1c, 'gasDetected'),
  bin(0x1d, 'heat'),
  bin(0x1e, 'light'),
  bin(0x1f, 'lock'),
  bin(0x20, 'wet'),
  bin(0x21, 'motion'),
  bin(0x22, 'moving'),
  bin(0x23, 'occupancy'),
  bin(0x24, 'plug'),
  bin(0x25, 'presence'),
  bin(0x26, 'problem'),
  bin(0x27, 'running'),
  bin(0x28, 'safety'),
  bin(0x29, 'smoke'),
  bin(0x2a, 'sound'),
  bin(0x2b, 'tamper'),
  bin(0x2c, 'vibration'),
  bin(0x2d, 'window'),
  num(0x2e, 'humidity', 1, U, 1, '%'),
  num(0x2f, 'moisture', 1, U, 1, '%'),
  other(0x3a, 'button', 'button', 1),
  other(0x3c, 'dimmer', 'dimmer', 2),
  num(0x3d, 'count', 2, U, 1, ''),
  num(0x3e, 'count', 4, U, 1, ''),
  num(0x3f, 'rotation', 2, S, 10, '°'),
  num(0x40, 'distance', 2, U, 1, 'mm'),
  num(0x41, 'distanceM', 2, U, 10, 'm'),
  num(0x42, 'duration', 3, U, 1000, 's'),
  num(0x43, 'current', 2, U, 1000, 'A'),
  num(0x44, 'speed', 2, U, 100, 'm/s'),
  num(0x45, 'temperature', 2, S, 10, '°C'),
  num(0x46, 'uvIndex', 1, U, 10, ''),
  num(0x47, 'volume', 2, U, 10, 'L'),
  num(0x48, 'volumeMl', 2, U, 1, 'mL'),
  num(0x49, 'volumeFlowRate', 2, U, 1000, 'm³/h'),
  num(0x4a, 'voltage', 2, U, 10, 'V'),
  num(0x4b, 'gas', 3, U, 1000, 'm³'),
  num(0x4c, 'gas', 4, U, 1000, 'm³'),
  num(0x4d, 'energy', 4, U, 1000, 'kWh'),
  num(0x4e, 'volume', 4, U, 1000, 'L'),
  num(0x4f, 'water', 4, U, 1000, 'L'),
  // Seconds since 1970-01-01 UTC.
  num(0x50, 'timestamp', 4, U, 1, 's'),
  num(0x51, 'acceleration', 2, U, 1000, 'm/s²'),
  num(0x52, 'gyroscope', 2, U, 1000, '°/s'),
  other(0x53, 'text', 'text', 0),
  other(0x54, 'raw', 'raw', 0),
  num(0x55, 'volumeStorage', 4, U, 1000, 'L'),
  num(0x56, 'conductivity', 2, U, 1, 'µS/cm'),
  num(0x57, 'temperature', 1, S, 1, '°C'),
  num(0x58, 'temperature', 1, S, 100, '°C', 35),
  num(0x59, 'count', 1, S, 1, ''),
  num(0x5a, 'count', 2, S, 1, ''),
  num(0x5b, 'count', 4, S, 1, ''),
  num(0x5c, 'power', 4, S, 100, 'W'),
  num(0x5d, 'current', 2, S, 1000, 'A'),
  num(0x5e, 'direction', 2, U, 100, '°'),
  // The format page first gave factor 1 (5FA00F = 4000 mm); the reference decoder reads 0.1.
  num(0x5f, 'precipitation', 2, U, 10, 'mm'),
  num(0x60, 'channel', 1, U, 1, ''),
  num(0x61, 'rotationalSpeed', 2, U, 1, 'rpm'),
  num(0x62, 'speed', 4, S, 1_000_000, 'm/s'),
  num(0x63, 'acceleration', 4, S, 1_000_000, 'm/s²'),
  num(0x64, 'lightLevel', 1, U, 1, ''),
  other(0xf0, 'deviceTypeId', 'deviceType', 2),
  other(0xf1, 'firmwareVersion', 'firmware', 4),
  other(0xf2, 'firmwareVersion', 'firmware', 3),
];

/** By object id: one array read per object while decoding. */
export const BTHOME_OBJECTS: readonly (BthomeObject | undefined)[] = (() => {
  const table: (BthomeObject | undefined)[] = new Array(256).fill(undefined);
  for (const o of BTHOME_OBJECT_LIST) table[o.id] = o;
  return table;
})();

/** Event names, by event id (button 0x3A). */
export const BUTTON_EVENTS: Record<number, string> = {
  0x00: 'none',
  0x01: 'press',
  0x02: 'double_press',
  0x03: 'triple_press',
  0x04: 'long_press',
  0x05: 'long_double_press',
  0x06: 'long_triple_press',
  0x80: 'hold_press',
};

/** Dimmer (0x3C) events: the second byte is the number of steps. */
export const DIMMER_EVENTS: Record<number, string> = {
  0x00: 'none',
  0x01: 'rotate_left',
  0x02: 'rotate_right',
};

/**
 * Encoding: the objects a reading name can be sent as, in order of preference (finest resolution
 * first). Only objects in the same unit share a name, so the choice never changes the meaning.
 */
export const BTHOME_BY_NAME: ReadonlyMap<string, readonly BthomeObject[]> = (() => {
  const map = new Map<string, BthomeObject[]>();
  for (const o of BTHOME_OBJECT_LIST) {
    if (o.kind !== 'number' && o.kind !== 'binary' && o.kind !== 'button' && o.kind !== 'dimmer') continue;
    // 0x58 (steps of 0.35 °C) is for senders short of room; a value that happens to be a multiple of 0.35 should not land there.
    if (o.mul !== 1) continue;
    const list = map.get(o.name) ?? [];
    list.push(o);
    map.set(o.name, list);
  }
  // Finest step first (smallest mul/div), then the wider range; the encoder takes the first that fits.
  for (const list of map.values()) list.sort((a, b) => a.mul / a.div - b.mul / b.div || a.size - b.size);
  return map;
})();

/** Every channel name a BTHome reading can carry (first of each; repeats add "2", "3"), in object-id order. */
export const BTHOME_CHANNELS: readonly string[] = [...new Set(BTHOME_OBJECT_LIST.filter((o) => o.kind === 'number' || o.kind === 'binary').map((o) => o.name))];
