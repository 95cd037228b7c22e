/**
 * Advertising data as vigil reads and writes it: the AD structures as they came (with every
 * malformed one reported, never thrown), the common fields decoded, and the beacon or sensor
 * frame they carry. UUIDs are in the driver's canonical form (`normaliseUuid`: "180d", or 32
 * lower-case hex digits without dashes).
 */

/**
 * One AD structure: [length][type][data…]. `offset` is where its length byte is, within its payload
 * (a scan response found glued after advertising data padded to 31 bytes counts from there).
 */
export interface AdStructure {
  type: number;
  /** "Flags", "Complete Local Name", …, or "0x2a" for a type vigil has no name for. */
  typeName: string;
  offset: number;
  data: Buffer;
  /** Which payload it came from (a scan response is parsed after the advertising data). */
  source: 'adv' | 'scan';
}

/** A structure that could not be used, and why (a length past the end, a field too short, …). */
export interface AdProblem {
  offset: number;
  source: 'adv' | 'scan';
  message: string;
}

export interface IBeaconFrame {
  uuid: string;
  major: number;
  minor: number;
  /** Calibrated RSSI at 1 m, dBm. */
  measuredPower: number;
}

export type EddystoneFrame =
  | { frame: 'uid'; txPower: number; namespace: string; instance: string }
  | { frame: 'url'; txPower: number; url: string }
  | { frame: 'tlm'; version: number; batteryMv: number; temperature: number | null; advCount: number; uptimeSec: number }
  | { frame: 'eid'; txPower: number; eid: string };

export interface BthomeReading {
  /** Channel name, camelCase ("temperature", "humidity", "pressure", "illuminance", "battery", …); a repeat gets "2", "3". */
  name: string;
  /** BTHome object id. */
  objectId: number;
  value: number;
  /** "°C", "%", "hPa", "lx", "V", … ("" for counts and binary states). */
  unit: string;
}

export interface BthomeFrame {
  version: 2;
  encrypted: boolean;
  /** Sent on a trigger (button, motion) rather than at a regular interval. */
  triggerBased: boolean;
  packetId?: number;
  /** Encryption counter (encrypted frames). */
  counter?: number;
  readings: BthomeReading[];
  /** Events (button presses, dimmer turns), as BTHome defines them. */
  events: { name: string; objectId: number; event: string; steps?: number }[];
  /** Text (0x53, UTF-8) and raw (0x54, as hex) objects, which carry no number. */
  texts?: { name: string; objectId: number; value: string }[];
  /** Device type id (0xF0). */
  deviceTypeId?: number;
  /** Firmware version (0xF1 "4.2.1.0" or 0xF2 "6.1.0"). */
  firmwareVersion?: string;
}

export interface ParsedAdvert {
  structures: AdStructure[];
  problems: AdProblem[];
  flags?: number;
  /** Complete local name if present (it wins over a shortened one in either payload), else the shortened one. */
  localName?: string;
  shortName?: string;
  serviceUuids: string[];
  serviceData: { uuid: string; data: Buffer }[];
  manufacturerData: { companyId: number; data: Buffer }[];
  /** dBm (signed). */
  txPower?: number;
  appearance?: number;
  /** Service solicitation UUIDs (AD types 0x14, 0x15, 0x1F), deduplicated in order. */
  solicitedUuids?: string[];
  iBeacon?: IBeaconFrame;
  eddystone?: EddystoneFrame;
  /** A BTHome v2 frame. Encrypted frames are decoded only when a key is given. */
  bthome?: BthomeFrame;
  /** Why a beacon or sensor frame that is present could not be decoded (bad key, unknown object id, …). */
  frameError?: string;
}

/** What to advertise, for the builder. Byte strings are hex. */
export interface AdvertSpec {
  /** Default 0x06 (LE General Discoverable, BR/EDR not supported); null leaves flags out (scan responses). */
  flags?: number | null;
  localName?: string;
  /** Advertise the name as shortened (0x08) rather than complete (0x09). */
  shortName?: boolean;
  serviceUuids?: string[];
  serviceData?: { uuid: string; data: string }[];
  manufacturerData?: { companyId: number; data: string }[];
  txPower?: number;
  appearance?: number;
  iBeacon?: IBeaconFrame;
  eddystone?: { url: string; txPower?: number } | { namespace: string; instance: string; txPower?: number } | { tlm: { batteryMv: number; temperature: number; advCount: number; uptimeSec: number } };
  /** A BTHome v2 sensor advert; encrypted when `key` (32 hex digits) is given, with `address` for the nonce. */
  bthome?: { readings: Record<string, number>; key?: string; address?: string; counter?: number; packetId?: number; triggerBased?: boolean };
  /** Raw structures, appended as given. */
  sections?: { type: number; data: string }[];
}
