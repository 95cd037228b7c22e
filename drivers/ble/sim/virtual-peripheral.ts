/**
 * A device on the simulated air: a tag, a sensor, a heart-rate strap. It advertises raw bytes
 * every interval (plus the 0–10 ms advDelay the Core spec adds to each event) with an RSSI that
 * can fade and is noisy, and, when connectable, serves GATT to vigil's central. It can leave
 * (present = false), drop its links at any moment, or drop them while vigil discovers it.
 */
import type { Clock } from '../../../runtime/clock.js';
import { DriverError } from '../../../runtime/errors.js';
import type { AddressType, BleAdvert, RemoteService } from '../ble.js';
import { Agenda } from './agenda.js';
import { AdvertPayload, type AdvertSource } from './payload.js';
import { deviceSeed, Prng, staticAddress } from './random.js';
import { VirtualGatt, type PeerLink, type ReceivedWrite, type VirtualServiceConfig } from './virtual-gatt.js';

export type { PeerLink, ReceivedWrite, VirtualCharacteristicConfig, VirtualServiceConfig } from './virtual-gatt.js';

export interface VirtualPeripheralOptions {
  name: string;
  /** Default: a random static address derived from the radio's seed and the name. */
  address?: string;
  /** Default "random" (a static address), or "public" when an address is given. */
  addressType?: AddressType;
  advert: AdvertSource;
  scanResponse?: AdvertSource;
  /** Default 1000; real devices use 20 ms – 10.24 s. */
  intervalMs?: number;
  /** dBm at the receiver, default -60. */
  rssi?: number;
  /** Reported RSSI is the level ± up to this many dB, default 2. */
  noiseDb?: number;
  /** Calibrated TX power (dBm), added to a built advert that does not set one. */
  txPower?: number;
  /** Default: true when it has services. */
  connectable?: boolean;
  present?: boolean;
  /** Every discovery drops the link half-way (a flaky device). */
  dropDuringDiscovery?: boolean;
  /** How long discovering its services takes (0: the next turn of the event loop). */
  discoveryMs?: number;
  services?: VirtualServiceConfig[];
}

/** The air the device is on (the radio). */
export interface Air {
  readonly clock: Clock;
  readonly seed: number;
  /** Someone is scanning: advertising events are worth simulating. */
  readonly listening: boolean;
  deliver(advert: BleAdvert): void;
}

export const RSSI_MIN = -127;
export const RSSI_MAX = 20;

export class VirtualPeripheral {
  readonly name: string;
  readonly address: string;
  readonly addressType: AddressType;
  readonly connectable: boolean;
  readonly intervalMs: number;
  readonly noiseDb: number;
  readonly #air: Air;
  readonly #rng: Prng;
  readonly #agenda: Agenda;
  readonly #advert: AdvertPayload;
  readonly #scanResponse: Buffer | undefined;
  readonly #gatt: VirtualGatt;
  readonly #discoveryMs: number;
  readonly #dropAlways: boolean;
  #dropNext = 0;
  #present: boolean;
  #fade: { from: number; to: number; start: number; end: number };
  readonly #links = new Set<PeerLink>();
  #nextDiscovery = 0;

  constructor(air: Air, options: VirtualPeripheralOptions) {
    this.#air = air;
    this.name = options.name;
    this.address = (options.address ?? staticAddress(air.seed, options.name)).toLowerCase();
    this.addressType = options.addressType ?? (options.address ? 'public' : 'random');
    this.intervalMs = options.intervalMs ?? 1000;
    if (!(this.intervalMs > 0)) throw new RangeError(`peripheral ${this.name}: intervalMs must be > 0, got ${this.intervalMs}`);
    this.noiseDb = options.noiseDb ?? 2;
    this.#rng = new Prng(deviceSeed(air.seed, options.name));
    this.#agenda = new Agenda(air.clock);
    const level = options.rssi ?? -60;
    this.#fade = { from: level, to: level, start: 0, end: 0 };
    this.#advert = new AdvertPayload(this.#complete(options.advert, options.txPower), `peripheral ${this.name}: advert`, 'advert');
    this.#scanResponse = options.scanResponse ? new AdvertPayload(options.scanResponse, `peripheral ${this.name}: scanResponse`, 'scanResponse').current() : undefined;
    this.#gatt = new VirtualGatt(this.name, options.services ?? [], air.clock, this.#agenda);
    this.connectable = options.connectable ?? !this.#gatt.empty;
    this.#discoveryMs = options.discoveryMs ?? 0;
    this.#dropAlways = options.dropDuringDiscovery ?? false;
    this.#present = options.present ?? true;
  }

  /** A built advert gets the device's TX power and, for an encrypted BTHome frame, its address (the nonce needs it). */
  #complete(source: AdvertSource, txPower: number | undefined): AdvertSource {
    if ('hex' in source) return source;
    let spec = source;
    if (txPower !== undefined && spec.txPower === undefined) spec = { ...spec, txPower };
    if (spec.bthome?.key !== undefined && spec.bthome.address === undefined) spec = { ...spec, bthome: { ...spec.bthome, address: this.address } };
    return spec;
  }

  get present(): boolean {
    return this.#present;
  }

  /** Links vigil holds to it. */
  get connections(): number {
    return this.#links.size;
  }

  /** The level (dBm) without noise, at the clock's time (or `at`). */
  level(at = this.#air.clock.now()): number {
    const { from, to, start, end } = this.#fade;
    if (at >= end) return to;
    if (at <= start) return from;
    return from + ((to - from) * (at - start)) / (end - start);
  }

  /** Move the level to `target` dBm, linearly over `fadeMs` (at once when 0). */
  setRssi(target: number, fadeMs = 0): void {
    const now = this.#air.clock.now();
    this.#fade = { from: this.level(now), to: target, start: now, end: now + Math.max(0, fadeMs) };
  }

  /** A device leaving stops advertising and loses its links ("out of range"); coming back resumes. */
  setPresent(present: boolean): void {
    if (present === this.#present) return;
    this.#present = present;
    if (!present) this.drop('out of range');
    this.airChanged();
  }

  /** BTHome readings (merged into the current ones); the next advert carries them. */
  setReadings(readings: Record<string, number>): void {
    this.#advert.setReadings(readings);
  }

  readings(): Record<string, number> {
    return this.#advert.readings();
  }

  /** The BTHome packet id the next advert will carry. */
  get packetId(): number {
    return this.#advert.packetId;
  }

  /** The next `count` discoveries drop the link half-way. */
  dropNextDiscovery(count = 1): void {
    this.#dropNext += count;
  }

  /** End every link now. */
  drop(reason = 'peer disconnected'): void {
    for (const link of [...this.#links]) {
      this.#detach(link);
      link.lost(reason);
    }
  }

  /** Every write that reached the device, in order. */
  get writes(): readonly ReceivedWrite[] {
    return this.#gatt.writes;
  }

  /** Set a characteristic's value (hex or bytes); subscribers are not told (see notify). */
  setValue(service: string, characteristic: string, value: Buffer | string): void {
    this.#gatt.setValue(service, characteristic, value);
  }

  value(service: string, characteristic: string): Buffer {
    return this.#gatt.value(service, characteristic);
  }

  /** Notify subscribers now, with `value` or the characteristic's next scripted value; returns how many were reached. */
  notify(service: string, characteristic: string, value?: Buffer | string): number {
    return this.#gatt.notify(service, characteristic, value);
  }

  /** Stop every timer (the radio is closing). */
  close(): void {
    this.drop('adapter closed');
    this.#agenda.clear();
  }

  // ------------------------------------------------------------------ the air (called by the radio)

  /** Someone started or stopped listening, or the device came or went. */
  airChanged(): void {
    const on = this.#present && this.#air.listening;
    if (on && !this.#agenda.has('advert')) {
      // The first event lands anywhere in the first interval, as with a device already advertising.
      this.#agenda.set('advert', this.#air.clock.now() + this.#rng.int(0, this.intervalMs - 1), (due) => this.#advertise(due));
    } else if (!on) {
      this.#agenda.delete('advert');
    }
  }

  #advertise(due: number): void {
    if (!this.#present || !this.#air.listening) return;
    const now = this.#air.clock.now();
    const advert: BleAdvert = {
      address: this.address,
      addressType: this.addressType,
      rssi: this.#noisy(now),
      connectable: this.connectable,
      data: this.#advert.next(),
      time: now,
    };
    if (this.#scanResponse) advert.scanResponse = this.#scanResponse;
    this.#air.deliver(advert);
    let next = due + this.intervalMs + this.#rng.int(0, 10);
    // After a stall (a suspended process), resume the cadence rather than catch up in a burst.
    if (next <= now) next = now + this.intervalMs;
    this.#agenda.set('advert', next, (d) => this.#advertise(d));
  }

  #noisy(now: number): number {
    const noise = this.noiseDb > 0 ? (this.#rng.next() * 2 - 1) * this.noiseDb : 0;
    return Math.min(RSSI_MAX, Math.max(RSSI_MIN, Math.round(this.level(now) + noise)));
  }

  // --------------------------------------------------------- GATT server (called by vigil's link)

  /** vigil's central connects. */
  accept(link: PeerLink): void {
    if (!this.#present) throw new DriverError('ble', `cannot connect to ${this.address} (${this.name}): the device is out of range`, { code: 'BLE_CONNECT_FAILED' });
    if (!this.connectable) throw new DriverError('ble', `cannot connect to ${this.address} (${this.name}): it advertises as not connectable`, { code: 'BLE_CONNECT_FAILED' });
    this.#links.add(link);
  }

  /** vigil's central disconnects. */
  release(link: PeerLink): void {
    this.#detach(link);
  }

  /** Start discovering; `done` runs when the services are known, unless the device drops the link first. */
  discover(link: PeerLink, done: (services: RemoteService[]) => void): () => void {
    const key = `discover:${this.#nextDiscovery++}`;
    const drop = this.#dropAlways || this.#dropNext > 0;
    if (drop && !this.#dropAlways) this.#dropNext--;
    const run = drop
      ? () => {
          if (!this.#links.has(link)) return;
          this.#detach(link);
          link.lost('peer disconnected');
        }
      : () => done(this.#gatt.services());
    // A drop comes half-way through.
    const ms = drop ? this.#discoveryMs / 2 : this.#discoveryMs;
    if (ms > 0) {
      this.#agenda.set(key, this.#air.clock.now() + ms, run);
      return () => this.#agenda.delete(key);
    }
    const immediate = setImmediate(run);
    return () => clearImmediate(immediate);
  }

  read(service: string, characteristic: string): { result: number; data?: Buffer } {
    return this.#gatt.read(service, characteristic);
  }

  readDescriptor(service: string, characteristic: string, descriptor: string): { result: number; data?: Buffer } {
    return this.#gatt.readDescriptor(service, characteristic, descriptor);
  }

  write(link: PeerLink, service: string, characteristic: string, data: Buffer, withoutResponse: boolean): number {
    return this.#gatt.write(link, service, characteristic, data, withoutResponse);
  }

  subscribe(link: PeerLink, service: string, characteristic: string, onValue: (data: Buffer) => void): number {
    return this.#gatt.subscribe(link, service, characteristic, onValue);
  }

  unsubscribe(link: PeerLink, service: string, characteristic: string): void {
    this.#gatt.unsubscribe(link, service, characteristic);
  }

  #detach(link: PeerLink): void {
    if (this.#links.delete(link)) this.#gatt.detach(link);
  }
}
