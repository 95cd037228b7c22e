/**
 * Eddystone (Google's open beacon format): service data for UUID 0xFEAA, first byte the frame
 * type — UID 0x00, URL 0x10, TLM 0x20, EID 0x30. Multi-byte fields are big-endian. The URL frame
 * compresses the scheme into one byte and common endings (".com/") into one byte each.
 */
import { AdvertBuildError } from './errors.js';
import { HexError, parseHex, toHex } from './hex.js';
import type { AdvertSpec, EddystoneFrame } from './types.js';

export const EDDYSTONE_UUID = 'feaa';

const SCHEMES = ['http://www.', 'https://www.', 'http://', 'https://'];
const EXPANSIONS = ['.com/', '.org/', '.edu/', '.net/', '.info/', '.biz/', '.gov/', '.com', '.org', '.edu', '.net', '.info', '.biz', '.gov'];
/** Longest first, so ".com/" is chosen over ".com" where both fit. */
const EXPANSIONS_BY_LENGTH = EXPANSIONS.map((text, code) => ({ text, code })).sort((a, b) => b.text.length - a.text.length);
const SCHEMES_BY_LENGTH = SCHEMES.map((text, code) => ({ text, code })).sort((a, b) => b.text.length - a.text.length);
const MAX_URL_BYTES = 17;

function decodeUrl(data: Buffer): EddystoneFrame | string {
  if (data.length < 3) return `Eddystone URL frame is ${data.length} bytes: expected at least 3 (type, power, scheme)`;
  const scheme = SCHEMES[data[2]!];
  if (scheme === undefined) return `Eddystone URL scheme 0x${data[2]!.toString(16).padStart(2, '0')} is reserved: expected 0x00-0x03`;
  let url = scheme;
  for (let i = 3; i < data.length; i++) {
    const b = data[i]!;
    if (b < EXPANSIONS.length) url += EXPANSIONS[b];
    else if (b > 0x20 && b < 0x7f) url += String.fromCharCode(b);
    else return `Eddystone URL byte 0x${b.toString(16).padStart(2, '0')} at byte ${i} is reserved: expected a printable character or an expansion code 0x00-0x0d`;
  }
  return { frame: 'url', txPower: data.readInt8(1), url };
}

/** The frame, or a string saying why it cannot be decoded. */
export function decodeEddystone(data: Buffer): EddystoneFrame | string {
  if (data.length === 0) return 'Eddystone frame is empty: expected a frame type byte';
  const type = data[0]!;
  if (type === 0x00) {
    if (data.length < 18) return `Eddystone UID frame is ${data.length} bytes: expected 18 or 20`;
    return { frame: 'uid', txPower: data.readInt8(1), namespace: toHex(data.subarray(2, 12)), instance: toHex(data.subarray(12, 18)) };
  }
  if (type === 0x10) return decodeUrl(data);
  if (type === 0x20) {
    if (data.length < 2) return 'Eddystone TLM frame has no version byte';
    if (data[1] !== 0) return `Eddystone TLM version ${data[1]} is not decoded: only version 0 (unencrypted) is`;
    if (data.length < 14) return `Eddystone TLM frame is ${data.length} bytes: expected 14`;
    const raw = data.readInt16BE(4);
    return {
      frame: 'tlm',
      version: 0,
      batteryMv: data.readUInt16BE(2),
      // 8.8 fixed point; 0x8000 is the frame's "no temperature sensor".
      temperature: raw === -0x8000 ? null : raw / 256,
      advCount: data.readUInt32BE(6),
      uptimeSec: data.readUInt32BE(10) / 10,
    };
  }
  if (type === 0x30) {
    if (data.length < 10) return `Eddystone EID frame is ${data.length} bytes: expected 10`;
    return { frame: 'eid', txPower: data.readInt8(1), eid: toHex(data.subarray(2, 10)) };
  }
  return `unknown Eddystone frame type 0x${type.toString(16).padStart(2, '0')}: expected 0x00 (UID), 0x10 (URL), 0x20 (TLM) or 0x30 (EID)`;
}

// ------------------------------------------------------------------------------------ encoding

/** What the builder takes (AdvertSpec['eddystone']). */
export type EddystoneSpec = NonNullable<AdvertSpec['eddystone']>;

function checkInt(value: unknown, min: number, max: number, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new AdvertBuildError(`${field} is ${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`, { field });
  }
  return value;
}

function fixedHex(text: string, bytes: number, field: string): Buffer {
  let out: Buffer;
  try {
    out = parseHex(text, field);
  } catch (err) {
    throw new AdvertBuildError((err as HexError).message, { field, cause: err });
  }
  if (out.length !== bytes) throw new AdvertBuildError(`${field} ${JSON.stringify(text)} is ${out.length} bytes: expected ${bytes} (${bytes * 2} hex digits)`, { field });
  return out;
}

export function encodeEddystoneUrl(url: string, txPower: number): Buffer {
  const field = 'eddystone.url';
  const scheme = SCHEMES_BY_LENGTH.find((s) => url.startsWith(s.text));
  if (!scheme) throw new AdvertBuildError(`${field} ${JSON.stringify(url)} has no scheme Eddystone can send: expected http:// or https://`, { field });
  const bytes: number[] = [0x10, txPower & 0xff, scheme.code];
  for (let i = scheme.text.length; i < url.length; ) {
    const exp = EXPANSIONS_BY_LENGTH.find((e) => url.startsWith(e.text, i));
    if (exp) {
      bytes.push(exp.code);
      i += exp.text.length;
      continue;
    }
    const c = url.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) throw new AdvertBuildError(`${field} ${JSON.stringify(url)} has ${JSON.stringify(url[i])} at ${i}: Eddystone URLs carry printable ASCII only (percent-encode it)`, { field });
    bytes.push(c);
    i++;
  }
  const length = bytes.length - 3;
  if (length > MAX_URL_BYTES) throw new AdvertBuildError(`${field} ${JSON.stringify(url)} encodes to ${length} bytes after the scheme: at most ${MAX_URL_BYTES} fit; shorten it`, { field });
  return Buffer.from(bytes);
}

/** The service data for UUID 0xFEAA. `txPower` is the calibrated power at 0 m; 0 when not given. */
export function encodeEddystone(spec: EddystoneSpec): Buffer {
  if ('tlm' in spec) {
    const t = spec.tlm;
    const out = Buffer.alloc(14);
    out[0] = 0x20;
    out.writeUInt16BE(checkInt(t.batteryMv, 0, 0xffff, 'eddystone.tlm.batteryMv'), 2);
    const temp = Math.round(t.temperature * 256);
    if (!Number.isFinite(temp) || temp < -0x7fff || temp > 0x7fff) throw new AdvertBuildError(`eddystone.tlm.temperature is ${t.temperature}: expected -127.99 to 127.99 °C`, { field: 'eddystone.tlm.temperature' });
    out.writeInt16BE(temp, 4);
    out.writeUInt32BE(checkInt(t.advCount, 0, 0xffffffff, 'eddystone.tlm.advCount'), 6);
    const tenths = Math.round(t.uptimeSec * 10);
    out.writeUInt32BE(checkInt(tenths, 0, 0xffffffff, 'eddystone.tlm.uptimeSec (in tenths)'), 10);
    return out;
  }
  const txPower = checkInt(spec.txPower ?? 0, -128, 127, 'eddystone.txPower');
  if ('url' in spec) return encodeEddystoneUrl(spec.url, txPower);
  return Buffer.concat([Buffer.from([0x00, txPower & 0xff]), fixedHex(spec.namespace, 10, 'eddystone.namespace'), fixedHex(spec.instance, 6, 'eddystone.instance'), Buffer.alloc(2)]);
}
