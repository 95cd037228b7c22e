/**
 * BTHome v2 (https://bthome.io/format/): sensor readings in service data for UUID 0xFCD2. After
 * the UUID comes a device info byte (bit 0 encrypted, bit 2 trigger-based, bits 5-7 version),
 * then objects — an id byte and a little-endian value whose size the id fixes. Encrypted frames
 * carry the objects as AES-CCM ciphertext, then the 4-byte counter and the 4-byte MIC.
 *
 * An unknown object id ends decoding with an error: its size is unknown, so nothing after it can
 * be read (the spec orders objects by id so that older receivers lose only the newest kinds).
 */
import { BTHOME_BY_NAME, BTHOME_OBJECTS, BUTTON_EVENTS, DIMMER_EVENTS, type BthomeObject } from './bthome-objects.js';
import { addressBytes, COUNTER_LENGTH, decryptPayload, encryptPayload, MIC_LENGTH } from './bthome-crypto.js';
import { BthomeError } from './errors.js';
import { HEX2, toHex } from './hex.js';
import type { BthomeFrame } from './types.js';

export const BTHOME_UUID = 'fcd2';

const ENCRYPTED = 0x01;
const TRIGGER_BASED = 0x04;
const VERSION_2 = 2 << 5;

export interface BthomeKeyOptions {
  /** The 16-byte bind key. */
  key?: Buffer;
  /** The sensor's MAC address, "54:48:E6:8F:80:A5": part of the nonce. */
  address?: string;
}

/** "temperature", then "temperature2", "temperature3" for repeats within one frame. */
function channelName(seen: Record<string, number>, name: string): string {
  const n = (seen[name] ?? 0) + 1;
  seen[name] = n;
  return n === 1 ? name : name + n;
}

function describe(o: BthomeObject): string {
  return `0x${HEX2[o.id]} (${o.name})`;
}

/** Objects in `payload`; `base` is the byte index of payload[0] within the service data, for messages. */
function decodeObjects(payload: Buffer, base: number, frame: BthomeFrame): void {
  const seen: Record<string, number> = {};
  const length = payload.length;
  let i = 0;
  while (i < length) {
    const at = base + i;
    const o = BTHOME_OBJECTS[payload[i]!];
    if (o === undefined) throw new BthomeError('object', `unknown BTHome object id 0x${HEX2[payload[i]!]} at byte ${at}: its size is unknown, so the rest of the frame cannot be read`);
    i++;
    let size = o.size;
    if (size === 0) {
      if (i >= length) throw new BthomeError('truncated', `BTHome object ${describe(o)} at byte ${at} has no length byte`);
      size = payload[i++]!;
    }
    if (i + size > length) throw new BthomeError('truncated', `BTHome object ${describe(o)} at byte ${at} needs ${size} bytes: ${length - i} left`);
    switch (o.kind) {
      case 'number':
      case 'binary': {
        const raw = o.signed ? payload.readIntLE(i, size) : payload.readUIntLE(i, size);
        const value = o.mul === 1 && o.div === 1 ? raw : (raw * o.mul) / o.div;
        frame.readings.push({ name: channelName(seen, o.name), objectId: o.id, value, unit: o.unit });
        break;
      }
      case 'packetId':
        frame.packetId = payload[i]!;
        break;
      case 'button': {
        const id = payload[i]!;
        frame.events.push({ name: channelName(seen, o.name), objectId: o.id, event: BUTTON_EVENTS[id] ?? `0x${HEX2[id]}` });
        break;
      }
      case 'dimmer': {
        const id = payload[i]!;
        frame.events.push({ name: channelName(seen, o.name), objectId: o.id, event: DIMMER_EVENTS[id] ?? `0x${HEX2[id]}`, steps: payload[i + 1]! });
        break;
      }
      case 'text':
      case 'raw': {
        const bytes = payload.subarray(i, i + size);
        (frame.texts ??= []).push({ name: channelName(seen, o.name), objectId: o.id, value: o.kind === 'text' ? bytes.toString('utf8') : toHex(bytes) });
        break;
      }
      case 'deviceType':
        frame.deviceTypeId = payload.readUInt16LE(i);
        break;
      case 'firmware': {
        // Sent least significant part first: F1 00 01 02 04 is 4.2.1.0.
        const parts: number[] = [];
        for (let k = i + size - 1; k >= i; k--) parts.push(payload[k]!);
        frame.firmwareVersion = parts.join('.');
        break;
      }
    }
    i += size;
  }
}

/**
 * Decode BTHome service data (the bytes after the 0xFCD2 UUID). Throws BthomeError naming the
 * byte or field that is wrong; an encrypted frame needs `key` and `address`.
 */
export function decodeBthome(serviceData: Buffer, options?: BthomeKeyOptions): BthomeFrame {
  if (serviceData.length === 0) throw new BthomeError('truncated', 'BTHome frame is empty: expected a device info byte');
  const info = serviceData[0]!;
  const version = info >> 5;
  if (version !== 2) throw new BthomeError('version', `BTHome version ${version} (device info byte 0x${HEX2[info]}): only v2 is decoded`);
  const frame: BthomeFrame = { version: 2, encrypted: (info & ENCRYPTED) !== 0, triggerBased: (info & TRIGGER_BASED) !== 0, readings: [], events: [] };
  if (!frame.encrypted) {
    decodeObjects(serviceData.subarray(1), 1, frame);
    return frame;
  }
  if (!options?.key || !options.address) throw new BthomeError('encrypted', 'BTHome frame is encrypted: its bind key and the device address are needed (drivers.ble.sensors.NAME.key; --key and --address for vigil ble parse)');
  const end = serviceData.length;
  if (end < 1 + COUNTER_LENGTH + MIC_LENGTH) throw new BthomeError('truncated', `encrypted BTHome frame is ${end} bytes: expected at least ${1 + COUNTER_LENGTH + MIC_LENGTH} (device info, counter, MIC)`);
  const counter = serviceData.subarray(end - COUNTER_LENGTH - MIC_LENGTH, end - MIC_LENGTH);
  const plain = decryptPayload(serviceData.subarray(1, end - COUNTER_LENGTH - MIC_LENGTH), serviceData.subarray(end - MIC_LENGTH), options.key, addressBytes(options.address), info, counter);
  frame.counter = counter.readUInt32LE(0);
  decodeObjects(plain, 1, frame);
  return frame;
}

// ------------------------------------------------------------------------------------ encoding

export interface BthomeEncodeOptions extends BthomeKeyOptions {
  /** Encryption counter (0 … 2³²-1); it should grow with every advert. Default 0. */
  counter?: number;
  /** Packet id object (0x00), 0 … 255, for receivers to drop repeats. */
  packetId?: number;
  triggerBased?: boolean;
}

/** The objects a reading name may be sent as: "temperature", or a repeat such as "temperature2". */
function objectsFor(name: string): readonly BthomeObject[] {
  const exact = BTHOME_BY_NAME.get(name);
  if (exact) return exact;
  // A repeat: strip the trailing count ("co22" is the second co2, "pm102" the second pm10).
  for (let i = name.length - 1; i > 0 && name.charCodeAt(i) >= 0x30 && name.charCodeAt(i) <= 0x39; i--) {
    const list = BTHOME_BY_NAME.get(name.slice(0, i));
    if (list && Number(name.slice(i)) >= 2) return list;
  }
  throw new BthomeError('value', `unknown BTHome reading ${JSON.stringify(name)}: expected a channel name such as temperature, humidity, pressure, illuminance, battery, voltage, co2, moisture, motion or door (a repeat as temperature2)`);
}

function fits(raw: number, o: BthomeObject): boolean {
  const bits = o.size * 8;
  return o.signed ? raw >= -(2 ** (bits - 1)) && raw < 2 ** (bits - 1) : raw >= 0 && raw < 2 ** bits;
}

/** One encoded object for a reading: the smallest exact encoding, else the finest that fits. */
function encodeReading(name: string, value: number): { id: number; bytes: Buffer } {
  const candidates = objectsFor(name);
  const first = candidates[0]!;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new BthomeError('value', `BTHome reading ${name} is ${String(value)}: expected a finite number`);
  if (first.kind === 'binary') {
    if (value !== 0 && value !== 1) throw new BthomeError('value', `BTHome reading ${name} is ${value}: expected 0 or 1`);
    return { id: first.id, bytes: Buffer.from([first.id, value]) };
  }
  if (first.kind === 'button') {
    if (!Number.isInteger(value) || value < 0 || value > 255) throw new BthomeError('value', `BTHome reading ${name} is ${value}: expected a button event id 0-255 (1 press, 2 double press, 4 long press, …)`);
    return { id: first.id, bytes: Buffer.from([first.id, value]) };
  }
  if (first.kind === 'dimmer') {
    if (!Number.isInteger(value) || value < -255 || value > 255) throw new BthomeError('value', `BTHome reading ${name} is ${value}: expected dimmer steps -255 to 255 (negative turns left)`);
    return { id: first.id, bytes: Buffer.from([first.id, value < 0 ? 0x01 : value > 0 ? 0x02 : 0x00, Math.abs(value)]) };
  }
  let best: { o: BthomeObject; raw: number } | undefined;
  let fallback: { o: BthomeObject; raw: number } | undefined;
  for (const o of candidates) {
    const raw = Math.round((value * o.div) / o.mul);
    if (!fits(raw, o)) continue;
    fallback ??= { o, raw };
    const back = (raw * o.mul) / o.div;
    if (Math.abs(back - value) <= 1e-9 * Math.max(1, Math.abs(value)) && (!best || o.size < best.o.size)) best = { o, raw };
  }
  const chosen = best ?? fallback;
  if (!chosen) {
    const ranges = candidates.map((o) => {
      const bits = o.size * 8;
      const [min, max] = o.signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
      return `${(min * o.mul) / o.div}…${(max * o.mul) / o.div}`;
    });
    throw new BthomeError('value', `BTHome reading ${name} is ${value}: out of range (${ranges.join(' or ')} ${first.unit})`.trimEnd());
  }
  const bytes = Buffer.allocUnsafe(1 + chosen.o.size);
  bytes[0] = chosen.o.id;
  if (chosen.o.signed) bytes.writeIntLE(chosen.raw, 1, chosen.o.size);
  else bytes.writeUIntLE(chosen.raw, 1, chosen.o.size);
  return { id: chosen.o.id, bytes };
}

/**
 * BTHome v2 service data (the bytes after the 0xFCD2 UUID) for these readings, objects in
 * ascending id order as the spec asks. Encrypted when `key` is given (then `address` is needed).
 */
export function encodeBthome(readings: Record<string, number>, options: BthomeEncodeOptions = {}): Buffer {
  const objects = Object.entries(readings).map(([name, value]) => encodeReading(name, value));
  if (options.packetId !== undefined) {
    const p = options.packetId;
    if (!Number.isInteger(p) || p < 0 || p > 255) throw new BthomeError('value', `BTHome packetId is ${p}: expected 0-255`);
    objects.push({ id: 0x00, bytes: Buffer.from([0x00, p]) });
  }
  objects.sort((a, b) => a.id - b.id);
  const payload = Buffer.concat(objects.map((o) => o.bytes));
  let info = VERSION_2 | (options.triggerBased ? TRIGGER_BASED : 0);
  if (!options.key) return Buffer.concat([Buffer.from([info]), payload]);
  if (!options.address) throw new BthomeError('key', 'BTHome encryption needs the sensor address: the nonce starts with its MAC address');
  const counter = options.counter ?? 0;
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) throw new BthomeError('value', `BTHome counter is ${counter}: expected 0 to 4294967295`);
  info |= ENCRYPTED;
  const counterBytes = Buffer.allocUnsafe(COUNTER_LENGTH);
  counterBytes.writeUInt32LE(counter, 0);
  const { ciphertext, mic } = encryptPayload(payload, options.key, addressBytes(options.address), info, counterBytes);
  return Buffer.concat([Buffer.from([info]), ciphertext, counterBytes, mic]);
}
