/**
 * Advertising data → ParsedAdvert. Lenient, like the scanners it is checked against (Home
 * Assistant's bluetooth-data-tools): a malformed structure is reported in `problems` and skipped,
 * what came before it is kept, and nothing ever throws — adverts are untrusted bytes from the air.
 *
 * - A length that runs past the end stops that payload.
 * - A zero length byte is padding: skipped. Zeros to the end are quiet; a zero before more
 *   structures is reported and reading goes on (some devices send an empty structure mid-payload,
 *   and the scanners read on). When an advertising payload is zero-padded to 31 bytes and more
 *   bytes follow, the stack has glued the scan response on: from offset 31 the structures are
 *   source 'scan'.
 * - A structure too short for its type (manufacturer data under 2 bytes, service data shorter
 *   than its UUID, a Tx power that is not 1 byte) is reported and skipped; a UUID list that is not
 *   a whole number of UUIDs keeps the whole ones and reports the rest.
 * - Complete local name wins over shortened; other single values: later wins; service data and
 *   manufacturer data: later wins per UUID / company; UUID lists are deduplicated in order.
 */
import { AD, AD_TYPE_NAMES } from './ad-types.js';
import { decodeBthome, BTHOME_UUID } from './bthome.js';
import { decodeEddystone, EDDYSTONE_UUID } from './eddystone.js';
import { decodeIBeacon, isIBeacon } from './ibeacon.js';
import { readUuid } from './uuid.js';
import type { AdStructure, ParsedAdvert } from './types.js';

export interface ParseOptions {
  /** BTHome bind key (16 bytes), to decode encrypted BTHome frames. */
  bthomeKey?: Buffer;
  /** The advertiser's address ("54:48:E6:8F:80:A5"), for the BTHome nonce. */
  address?: string;
}

/** A legacy advertising payload is at most 31 bytes; past that, a padded one may have the scan response glued on. */
const LEGACY_LENGTH = 31;

interface State {
  out: ParsedAdvert;
  /** The local name came from a Complete Local Name, so a shortened one no longer replaces it. */
  complete: boolean;
}

function emptyAdvert(): ParsedAdvert {
  return { structures: [], problems: [], serviceUuids: [], serviceData: [], manufacturerData: [] };
}

function addUuids(list: string[], body: Buffer, width: number, offset: number, source: 'adv' | 'scan', st: State, type: number): void {
  const whole = body.length - (body.length % width);
  for (let i = 0; i < whole; i += width) {
    const uuid = readUuid(body, i, width);
    if (!list.includes(uuid)) list.push(uuid);
  }
  if (whole !== body.length) {
    const extra = body.length - whole;
    st.out.problems.push({ offset, source, message: `${AD_TYPE_NAMES[type]} has ${body.length} bytes, not a multiple of ${width}: the last ${extra} byte${extra === 1 ? '' : 's'} ignored` });
  }
}

function setServiceData(out: ParsedAdvert, uuid: string, data: Buffer): void {
  for (const entry of out.serviceData) {
    if (entry.uuid === uuid) {
      entry.data = data;
      return;
    }
  }
  out.serviceData.push({ uuid, data });
}

function tooShort(st: State, type: number, body: Buffer, offset: number, source: 'adv' | 'scan', expected: string): void {
  st.out.problems.push({ offset, source, message: `${AD_TYPE_NAMES[type]} has ${body.length} byte${body.length === 1 ? '' : 's'}: expected ${expected}` });
}

/** Take one well-framed structure into the result. */
function apply(st: State, type: number, body: Buffer, offset: number, source: 'adv' | 'scan'): void {
  const out = st.out;
  if (body.length === 0) {
    out.problems.push({ offset, source, message: `${AD_TYPE_NAMES[type]} has no data: expected at least one byte after the type` });
    return;
  }
  switch (type) {
    case 0x00:
      out.problems.push({ offset, source, message: 'AD type 0x00 is not a data type: structure skipped' });
      return;
    case AD.FLAGS:
      out.flags = body[0]!;
      return;
    case AD.UUID16_INCOMPLETE:
    case AD.UUID16_COMPLETE:
      return addUuids(out.serviceUuids, body, 2, offset, source, st, type);
    case AD.UUID32_INCOMPLETE:
    case AD.UUID32_COMPLETE:
      return addUuids(out.serviceUuids, body, 4, offset, source, st, type);
    case AD.UUID128_INCOMPLETE:
    case AD.UUID128_COMPLETE:
      return addUuids(out.serviceUuids, body, 16, offset, source, st, type);
    case AD.SOLICIT_UUID16:
      return addUuids((out.solicitedUuids ??= []), body, 2, offset, source, st, type);
    case AD.SOLICIT_UUID32:
      return addUuids((out.solicitedUuids ??= []), body, 4, offset, source, st, type);
    case AD.SOLICIT_UUID128:
      return addUuids((out.solicitedUuids ??= []), body, 16, offset, source, st, type);
    case AD.SHORT_NAME:
      out.shortName = body.toString('utf8');
      if (!st.complete) out.localName = out.shortName;
      return;
    case AD.COMPLETE_NAME:
      out.localName = body.toString('utf8');
      st.complete = true;
      return;
    case AD.TX_POWER:
      if (body.length !== 1) return tooShort(st, type, body, offset, source, '1 (a signed dBm value)');
      out.txPower = body.readInt8(0);
      return;
    case AD.APPEARANCE:
      if (body.length !== 2) return tooShort(st, type, body, offset, source, '2');
      out.appearance = body.readUInt16LE(0);
      return;
    case AD.SERVICE_DATA16:
      if (body.length < 2) return tooShort(st, type, body, offset, source, 'at least 2 (the UUID)');
      return setServiceData(out, readUuid(body, 0, 2), body.subarray(2));
    case AD.SERVICE_DATA32:
      if (body.length < 4) return tooShort(st, type, body, offset, source, 'at least 4 (the UUID)');
      return setServiceData(out, readUuid(body, 0, 4), body.subarray(4));
    case AD.SERVICE_DATA128:
      if (body.length < 16) return tooShort(st, type, body, offset, source, 'at least 16 (the UUID)');
      return setServiceData(out, readUuid(body, 0, 16), body.subarray(16));
    case AD.MANUFACTURER: {
      if (body.length < 2) return tooShort(st, type, body, offset, source, 'at least 2 (the company id)');
      const companyId = body[0]! | (body[1]! << 8);
      const data = body.subarray(2);
      for (const entry of out.manufacturerData) {
        if (entry.companyId === companyId) {
          entry.data = data;
          return;
        }
      }
      out.manufacturerData.push({ companyId, data });
      return;
    }
  }
}

/** Walk one payload's structures into `st`. */
function walk(data: Buffer, source: 'adv' | 'scan', st: State): void {
  const out = st.out;
  const n = data.length;
  let src = source;
  let base = 0;
  let i = 0;
  while (i < n) {
    const length = data[i]!;
    if (length === 0) {
      let j = i + 1;
      while (j < n && data[j] === 0) j++;
      if (j >= n) return; // padding to the end
      if (src === 'adv' && i < LEGACY_LENGTH && j >= LEGACY_LENGTH) {
        // Advertising data padded to 31 bytes with the scan response after it.
        src = 'scan';
        base = LEGACY_LENGTH;
        i = LEGACY_LENGTH;
        continue;
      }
      const zeros = j - i;
      out.problems.push({ offset: i - base, source: src, message: `${zeros === 1 ? 'a zero length byte' : `${zeros} zero bytes`} before more structures: skipped as padding` });
      i = j;
      continue;
    }
    if (i + 1 + length > n) {
      const left = n - i - 1;
      out.problems.push({ offset: i - base, source: src, message: `length ${length} runs past the end: ${left} byte${left === 1 ? '' : 's'} follow${left === 1 ? 's' : ''}` });
      return;
    }
    const type = data[i + 1]!;
    const body = data.subarray(i + 2, i + 1 + length);
    const structure: AdStructure = { type, typeName: AD_TYPE_NAMES[type]!, offset: i - base, data: body, source: src };
    out.structures.push(structure);
    apply(st, type, body, i - base, src);
    i += 1 + length;
  }
}

function addFrameError(out: ParsedAdvert, message: string): void {
  out.frameError = out.frameError === undefined ? message : `${out.frameError}; ${message}`;
}

/** iBeacon, Eddystone and BTHome frames, from the merged manufacturer and service data. */
function decodeFrames(out: ParsedAdvert, options: ParseOptions | undefined): void {
  for (const m of out.manufacturerData) {
    if (!isIBeacon(m.companyId, m.data)) continue;
    const frame = decodeIBeacon(m.data);
    if (typeof frame === 'string') addFrameError(out, frame);
    else out.iBeacon = frame;
  }
  for (const s of out.serviceData) {
    if (s.uuid === EDDYSTONE_UUID) {
      const frame = decodeEddystone(s.data);
      if (typeof frame === 'string') addFrameError(out, frame);
      else out.eddystone = frame;
    } else if (s.uuid === BTHOME_UUID) {
      try {
        out.bthome = decodeBthome(s.data, { key: options?.bthomeKey, address: options?.address });
      } catch (err) {
        addFrameError(out, err instanceof Error ? err.message : String(err));
      }
    }
  }
}

function asBuffer(data: unknown): Buffer | undefined {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/**
 * Parse advertising data, and the scan response when there is one (its structures come after,
 * so they win where later wins). Never throws.
 */
export function parseAdvert(data: Buffer, scanResponse?: Buffer, options?: ParseOptions): ParsedAdvert {
  const st: State = { out: emptyAdvert(), complete: false };
  const adv = asBuffer(data);
  if (adv) walk(adv, 'adv', st);
  else st.out.problems.push({ offset: 0, source: 'adv', message: `advertising data is ${typeof data}: expected bytes` });
  if (scanResponse !== undefined) {
    const scan = asBuffer(scanResponse);
    if (scan) walk(scan, 'scan', st);
    else st.out.problems.push({ offset: 0, source: 'scan', message: `scan response is ${typeof scanResponse}: expected bytes` });
  }
  safeDecodeFrames(st.out, options);
  return st.out;
}

/** The decoders check lengths before reading; this catch is for the bug nobody has found yet, so a bad advert never takes the watcher down. */
function safeDecodeFrames(out: ParsedAdvert, options: ParseOptions | undefined): void {
  try {
    decodeFrames(out, options);
  } catch (err) {
    addFrameError(out, `frame decoding failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Several parsed payloads as one, in order: what a scanner that has seen them all reports
 * (later wins, complete name wins). Structures and problems are concatenated as they were.
 */
export function mergeAdverts(adverts: readonly ParsedAdvert[], options?: ParseOptions): ParsedAdvert {
  const st: State = { out: emptyAdvert(), complete: false };
  for (const advert of adverts) {
    for (const s of advert.structures) {
      st.out.structures.push(s);
      apply(st, s.type, s.data, s.offset, s.source);
    }
  }
  // Re-applying reports each problem again; keep the originals, once each, in order.
  st.out.problems = adverts.flatMap((a) => a.problems);
  safeDecodeFrames(st.out, options);
  return st.out;
}
