/**
 * One BluetoothLEAdvertisementWatcherTrigger registration's view of the air: the advertisement
 * filter, the seed's signal-strength filter (a device comes into range at the in-range
 * threshold, is sampled at most once per interval while there, and goes out of range after
 * `outOfRangeTimeout` below the out-of-range threshold or unheard — reported once, with RSSI
 * -127, as the seed does), and batching (adverts collected for `batchMs`, one run per batch).
 */
import type { BleAdvert } from '../drivers/ble/ble.js';
import type { ParsedAdvert } from '../drivers/ble/adv/types.js';
import type { Clock, TimerHandle } from './clock.js';
import type { WatcherData } from './triggers/ble-data.js';

/** What a task gets for one advert. */
export interface AdvertReport {
  address: string;
  addressType: string;
  /** dBm; -127 in the report that says a device went out of range. */
  rssi: number;
  isConnectable: boolean;
  timestamp: string;
  /** The advertising data and scan response, hex. */
  data: string;
  scanResponse?: string;
  advertisement: AdvertSummary;
  /** Set by the signal-strength filter: the device just came into range / went out of range. */
  range?: 'in' | 'out';
}

export interface AdvertSummary {
  localName?: string;
  serviceUuids: string[];
  serviceData: { uuid: string; data: string }[];
  manufacturerData: { companyId: number; data: string }[];
  flags?: number;
  txPower?: number;
  appearance?: number;
  iBeacon?: unknown;
  eddystone?: unknown;
  bthome?: unknown;
}

interface Tracked {
  inRange: boolean;
  /** Last time it was heard at or above the out-of-range threshold. */
  strongAt: number;
  reportedAt: number;
  last: AdvertReport;
}

const UNMEASURED = 127;

export class AdvertWatcher {
  readonly #t: WatcherData;
  readonly #clock: Clock;
  readonly #deliver: (batch: AdvertReport[]) => void;
  readonly #devices = new Map<string, Tracked>();
  readonly #patterns: { type: number; offset: number; data: Buffer }[] | undefined;
  readonly #sections: { type: number; data: Buffer | undefined }[] | undefined;
  readonly #maker: { companyId: number; data: Buffer | undefined }[] | undefined;
  #batch: AdvertReport[] = [];
  #batchTimer: TimerHandle | undefined;
  #sweepTimer: TimerHandle | undefined;
  #sweepAt = Number.POSITIVE_INFINITY;

  constructor(t: WatcherData, clock: Clock, deliver: (batch: AdvertReport[]) => void) {
    this.#t = t;
    this.#clock = clock;
    this.#deliver = deliver;
    const f = t.advertisementFilter;
    this.#patterns = f?.bytePatterns?.map((p) => ({ type: p.type, offset: p.offset, data: Buffer.from(p.data, 'hex') }));
    this.#sections = f?.dataSections?.map((s) => ({ type: s.type, data: s.data ? Buffer.from(s.data, 'hex') : undefined }));
    this.#maker = f?.manufacturerData?.map((m) => ({ companyId: m.companyId, data: m.data ? Buffer.from(m.data, 'hex') : undefined }));
  }

  /** An advert from the scan; `parse` is shared by every watcher, so an advert is parsed once. */
  offer(advert: BleAdvert, parse: () => ParsedAdvert): void {
    const addresses = this.#t.advertisementFilter?.addresses;
    if (addresses && !addresses.includes(advert.address)) return;
    const parsed = this.#t.advertisementFilter ? parse() : undefined;
    if (parsed && !this.#matches(parsed)) return;
    const s = this.#t.signalStrengthFilter;
    const now = advert.time;
    if (!s) {
      this.#push(report(advert, parsed ?? parse()));
      return;
    }
    const inAt = s.inRangeThresholdInDBm ?? -127;
    const outAt = s.outOfRangeThresholdInDBm ?? inAt;
    const rssi = advert.rssi === UNMEASURED ? undefined : advert.rssi;
    let d = this.#devices.get(advert.address);
    if (!d || !d.inRange) {
      if (rssi === undefined || rssi < inAt) return;
      const r = report(advert, parsed ?? parse(), 'in');
      d = { inRange: true, strongAt: now, reportedAt: now, last: r };
      this.#devices.set(advert.address, d);
      this.#push(r);
      this.#scheduleSweep(now + s.outOfRangeTimeoutSec * 1000);
      return;
    }
    if (rssi !== undefined && rssi >= outAt) d.strongAt = now;
    if (now - d.reportedAt < s.samplingIntervalMs) return;
    // Below the out-of-range threshold it is on its way out: not reported, only timed.
    if (rssi !== undefined && rssi < outAt) return;
    d.reportedAt = now;
    d.last = report(advert, parsed ?? parse());
    this.#push(d.last);
  }

  /** The radio went away: devices in range cannot be heard any more; flush what waits. */
  radioLost(): void {
    this.#devices.clear();
    this.#flush();
  }

  close(): void {
    if (this.#batchTimer) this.#clock.clearTimeout(this.#batchTimer);
    if (this.#sweepTimer) this.#clock.clearTimeout(this.#sweepTimer);
    this.#batchTimer = this.#sweepTimer = undefined;
    this.#batch = [];
    this.#devices.clear();
  }

  /** Devices currently in range (status, tests). */
  inRange(): string[] {
    return [...this.#devices].filter(([, d]) => d.inRange).map(([a]) => a);
  }

  #matches(p: ParsedAdvert): boolean {
    const f = this.#t.advertisementFilter!;
    if (f.localName !== undefined && p.localName !== f.localName && p.shortName !== f.localName) return false;
    if (f.serviceUuids && !f.serviceUuids.every((u) => p.serviceUuids.includes(u) || p.serviceData.some((d) => d.uuid === u))) return false;
    if (this.#maker && !this.#maker.every((m) => p.manufacturerData.some((d) => d.companyId === m.companyId && (!m.data || startsWith(d.data, m.data, 0))))) return false;
    if (this.#sections && !this.#sections.every((s) => p.structures.some((st) => st.type === s.type && (!s.data || startsWith(st.data, s.data, 0))))) return false;
    if (this.#patterns && !this.#patterns.some((b) => p.structures.some((st) => st.type === b.type && startsWith(st.data, b.data, b.offset)))) return false;
    return true;
  }

  #push(r: AdvertReport): void {
    this.#batch.push(r);
    if (this.#batch.length >= this.#t.maxBatch) {
      this.#flush();
      return;
    }
    if (!this.#batchTimer) {
      this.#batchTimer = this.#clock.setTimeout(() => {
        this.#batchTimer = undefined;
        this.#flush();
      }, this.#t.batchMs);
      this.#batchTimer.unref();
    }
  }

  #flush(): void {
    if (this.#batchTimer) this.#clock.clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#deliver(batch);
  }

  #scheduleSweep(at: number): void {
    if (at >= this.#sweepAt) return;
    if (this.#sweepTimer) this.#clock.clearTimeout(this.#sweepTimer);
    this.#sweepAt = at;
    this.#sweepTimer = this.#clock.setTimeout(() => this.#sweep(), Math.max(0, at - this.#clock.now()));
    this.#sweepTimer.unref();
  }

  #sweep(): void {
    this.#sweepTimer = undefined;
    this.#sweepAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    const timeoutMs = this.#t.signalStrengthFilter!.outOfRangeTimeoutSec * 1000;
    let next = Number.POSITIVE_INFINITY;
    for (const [address, d] of this.#devices) {
      const due = d.strongAt + timeoutMs;
      if (due <= now) {
        this.#devices.delete(address);
        this.#push({ ...d.last, rssi: -127, timestamp: new Date(now).toISOString(), range: 'out' });
      } else next = Math.min(next, due);
    }
    if (next !== Number.POSITIVE_INFINITY) this.#scheduleSweep(next);
  }
}

function startsWith(data: Buffer, prefix: Buffer, offset: number): boolean {
  if (data.length < offset + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[offset + i] !== prefix[i]) return false;
  return true;
}

export function summarise(p: ParsedAdvert): AdvertSummary {
  return {
    ...(p.localName !== undefined ? { localName: p.localName } : p.shortName !== undefined ? { localName: p.shortName } : {}),
    serviceUuids: p.serviceUuids,
    serviceData: p.serviceData.map((d) => ({ uuid: d.uuid, data: d.data.toString('hex') })),
    manufacturerData: p.manufacturerData.map((d) => ({ companyId: d.companyId, data: d.data.toString('hex') })),
    ...(p.flags !== undefined ? { flags: p.flags } : {}),
    ...(p.txPower !== undefined ? { txPower: p.txPower } : {}),
    ...(p.appearance !== undefined ? { appearance: p.appearance } : {}),
    ...(p.iBeacon ? { iBeacon: p.iBeacon } : {}),
    ...(p.eddystone ? { eddystone: p.eddystone } : {}),
    ...(p.bthome ? { bthome: p.bthome } : {}),
  };
}

function report(a: BleAdvert, p: ParsedAdvert, range?: 'in'): AdvertReport {
  return {
    address: a.address,
    addressType: a.addressType,
    rssi: a.rssi,
    isConnectable: a.connectable,
    timestamp: new Date(a.time).toISOString(),
    data: a.data.toString('hex'),
    ...(a.scanResponse ? { scanResponse: a.scanResponse.toString('hex') } : {}),
    advertisement: summarise(p),
    ...(range ? { range } : {}),
  };
}
