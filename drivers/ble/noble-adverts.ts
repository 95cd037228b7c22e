/**
 * Advertising reports as the controller delivered them, read from the raw HCI event packets on
 * noble's socket (before noble parses them into its merged per-device fields), and paired: a
 * scannable advert is held until the scan response that follows it (or until it is clear none
 * will come), so each BleAdvert carries the advertising data and the scan response apart.
 *
 * Both report events are read: noble switches itself to extended scanning when it sees a
 * controller's supported-commands answer (the kernel asks for it on every power-on), and
 * the controller then reports even legacy adverts as LE Extended Advertising Reports.
 */
import type { AddressType, BleAdvert } from './ble.js';

export interface RawReport {
  address: string;
  addressType: AddressType;
  connectable: boolean;
  scannable: boolean;
  scanResponse: boolean;
  /** An extended advert whose data continues in the next report. */
  partial: boolean;
  rssi: number;
  data: Buffer;
}

const HCI_EVENT_PKT = 0x04;
const EVT_LE_META = 0x3e;
const LE_ADVERTISING_REPORT = 0x02;
const LE_EXTENDED_ADVERTISING_REPORT = 0x0d;

function addressOf(packet: Buffer, at: number): string {
  return [...packet.subarray(at, at + 6)]
    .reverse()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join(':');
}

function addressType(code: number): AddressType {
  // 0x02/0x03: an identity address the controller resolved from a private one.
  return code === 0x00 || code === 0x02 ? 'public' : code === 0x01 || code === 0x03 ? 'random' : 'unknown';
}

/** The advertising reports in one HCI packet (none if it is something else or malformed). */
export function parseAdvertisingReports(packet: Buffer): RawReport[] {
  if (packet.length < 5 || packet[0] !== HCI_EVENT_PKT || packet[1] !== EVT_LE_META) return [];
  const sub = packet[3];
  const count = packet[4]!;
  const reports: RawReport[] = [];
  let at = 5;
  try {
    for (let i = 0; i < count; i++) {
      if (sub === LE_ADVERTISING_REPORT) {
        // Core Vol 4 Part E 7.7.65.2, one report after another as Linux reads them.
        const type = packet.readUInt8(at);
        const length = packet.readUInt8(at + 8);
        if (at + 10 + length > packet.length) break;
        reports.push({
          address: addressOf(packet, at + 2),
          addressType: addressType(packet.readUInt8(at + 1)),
          connectable: type === 0x00 || type === 0x01,
          scannable: type === 0x00 || type === 0x02,
          scanResponse: type === 0x04,
          partial: false,
          data: Buffer.from(packet.subarray(at + 9, at + 9 + length)),
          rssi: packet.readInt8(at + 9 + length),
        });
        at += 10 + length;
      } else if (sub === LE_EXTENDED_ADVERTISING_REPORT) {
        // 7.7.65.13: event type bits 0 connectable, 1 scannable, 3 scan response; bits 5-6 data status.
        const type = packet.readUInt16LE(at);
        const length = packet.readUInt8(at + 23);
        if (at + 24 + length > packet.length) break;
        reports.push({
          address: addressOf(packet, at + 3),
          addressType: addressType(packet.readUInt8(at + 2)),
          connectable: (type & 0x01) !== 0,
          scannable: (type & 0x02) !== 0,
          scanResponse: (type & 0x08) !== 0,
          partial: ((type >> 5) & 0x03) === 0x01,
          rssi: packet.readInt8(at + 13),
          data: Buffer.from(packet.subarray(at + 24, at + 24 + length)),
        });
        at += 24 + length;
      }
    }
  } catch {
    // A truncated packet: keep the reports read so far.
  }
  return reports;
}

/** An active scan's scan response follows its advert within the same advertising event. */
const SCAN_RESPONSE_WAIT_MS = 200;

/** Pairs adverts with their scan responses and joins extended advertising data sent in pieces. */
export class AdvertAssembler {
  readonly #emit: (advert: BleAdvert) => void;
  #pending = new Map<string, BleAdvert>();
  #pieces = new Map<string, Buffer[]>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(emit: (advert: BleAdvert) => void) {
    this.#emit = emit;
  }

  /** `active`: the report came from our active scan (a passive one, the kernel's, gets no scan responses). */
  add(report: RawReport, time: number, active: boolean): void {
    const key = `${report.address}/${report.scanResponse ? 'scan' : 'adv'}`;
    if (report.partial) {
      this.#pieces.set(key, [...(this.#pieces.get(key) ?? []), report.data]);
      return;
    }
    const earlier = this.#pieces.get(key);
    this.#pieces.delete(key);
    const data = earlier ? Buffer.concat([...earlier, report.data]) : report.data;
    if (report.scanResponse) {
      const advert = this.#pending.get(report.address);
      // A scan response whose advert was already passed on (or never seen) has nothing to join.
      if (!advert) return;
      this.#pending.delete(report.address);
      this.#emit({ ...advert, scanResponse: data });
      return;
    }
    const advert: BleAdvert = { address: report.address, addressType: report.addressType, rssi: report.rssi, connectable: report.connectable, data, time };
    const before = this.#pending.get(report.address);
    if (before) {
      this.#pending.delete(report.address);
      this.#emit(before);
    }
    if (report.scannable && active) {
      this.#pending.set(report.address, advert);
      this.#arm();
    } else {
      this.#emit(advert);
    }
  }

  /** Adverts still waiting for a scan response: pass them on, or drop them. */
  flush(emit: boolean): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#pieces.clear();
    if (emit) for (const advert of pending) this.#emit(advert);
  }

  #arm(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const cutoff = Date.now() - SCAN_RESPONSE_WAIT_MS;
      for (const [address, advert] of this.#pending) {
        if (advert.time > cutoff) continue;
        this.#pending.delete(address);
        this.#emit(advert);
      }
      if (this.#pending.size > 0) this.#arm();
    }, SCAN_RESPONSE_WAIT_MS);
    this.#timer.unref();
  }
}
