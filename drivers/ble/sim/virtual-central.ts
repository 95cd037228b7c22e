/**
 * A phone or gateway on the simulated air that uses vigil's GATT server: it connects while vigil
 * advertises (optionally over an encrypted link), reads (long values with Read Blob, as phones
 * do), writes, subscribes and collects what vigil notifies. Results are the ATT codes a real
 * client would get back.
 */
import { DriverError } from '../../../runtime/errors.js';
import { Emitter } from '../../../runtime/emitter.js';
import { ATT, normaliseUuid } from '../ble.js';
import { hexBytes } from './payload.js';
import type { ClientEnd, SimRadio, ServerLink } from './radio.js';
import { staticAddress } from './random.js';

export interface VirtualCentralOptions {
  name: string;
  /** Default: a random static address from the radio's seed and the name. */
  address?: string;
  /** Connect over an encrypted (bonded) link unless connect() says otherwise. Default false. */
  encrypted?: boolean;
  /** ATT MTU it asks for (phones: 185 or more). Default 185. */
  mtu?: number;
}

export interface ReceivedNotification {
  service: string;
  characteristic: string;
  data: Buffer;
  time: number;
}

/** What a GATT operation got back, kept for tests and for timeline steps (which have no caller to answer). */
export interface GattOutcome {
  op: 'read' | 'readDescriptor' | 'write' | 'subscribe' | 'unsubscribe';
  service: string;
  characteristic: string;
  result: number | undefined;
  data?: Buffer;
  time: number;
}

export interface VirtualCentralEvents {
  notification: [ReceivedNotification];
  disconnect: [{ reason: string }];
}

/** Longest attribute value (Core Vol 3, Part F, 3.2.9). */
const MAX_ATTRIBUTE = 512;

export class VirtualCentral implements ClientEnd {
  readonly name: string;
  readonly address: string;
  readonly mtu: number;
  readonly events = new Emitter<VirtualCentralEvents>();
  /** Every operation's outcome, in order. */
  readonly outcomes: GattOutcome[] = [];
  readonly #radio: SimRadio;
  readonly #defaultEncrypted: boolean;
  #encrypted = false;
  #link: ServerLink | undefined;
  #received: ReceivedNotification[] = [];
  /** Operations waiting for an answer; the link going away fails them. */
  readonly #pending = new Set<(err: Error) => void>();

  constructor(radio: SimRadio, options: VirtualCentralOptions) {
    this.#radio = radio;
    this.name = options.name;
    this.address = (options.address ?? staticAddress(radio.seed, `central:${options.name}`)).toLowerCase();
    this.#defaultEncrypted = options.encrypted ?? false;
    this.mtu = options.mtu ?? 185;
  }

  get connected(): boolean {
    return this.#link !== undefined;
  }

  get encrypted(): boolean {
    return this.#encrypted;
  }

  /** Connect to vigil's peripheral; fails unless vigil is advertising (connectable) with its adapter on. */
  async connect(options: { encrypted?: boolean } = {}): Promise<void> {
    if (this.#link) throw this.#error(`${this.name} is already connected to vigil`, 'BLE_ALREADY_CONNECTED');
    const server = this.#radio.server;
    const advert = server?.advert();
    if (!server || !advert?.connectable) throw this.#error(`${this.name} cannot connect: vigil is not advertising (connectable) on the simulated air`, 'BLE_CONNECT_FAILED');
    this.#encrypted = options.encrypted ?? this.#defaultEncrypted;
    this.#link = server.connect(this);
  }

  /** Read a characteristic; a value that fills the MTU is continued with Read Blob requests. */
  async read(service: string, characteristic: string): Promise<{ result: number; data?: Buffer }> {
    const link = this.#need();
    const chunks: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const answer = await this.#wait(link.read(service, characteristic, offset));
      if (answer.result !== ATT.SUCCESS) {
        // A value that is not long ends the blob reads; what was read is the value.
        if (offset > 0 && answer.result === ATT.ATTRIBUTE_NOT_LONG) break;
        this.#record({ op: 'read', service, characteristic, result: answer.result });
        return { result: answer.result };
      }
      const data = answer.data ?? Buffer.alloc(0);
      chunks.push(data);
      offset += data.length;
      if (data.length < link.mtu - 1 || offset >= MAX_ATTRIBUTE) break;
    }
    const data = Buffer.concat(chunks);
    this.#record({ op: 'read', service, characteristic, result: ATT.SUCCESS, data });
    return { result: ATT.SUCCESS, data };
  }

  async readDescriptor(service: string, characteristic: string, descriptor: string): Promise<{ result: number; data?: Buffer }> {
    const link = this.#need();
    const answer = link.readDescriptor(service, characteristic, descriptor);
    this.#record({ op: 'readDescriptor', service, characteristic, ...answer });
    return answer;
  }

  /** Write (hex or bytes); the ATT code, or undefined for a write without response (nothing comes back). */
  async write(service: string, characteristic: string, data: Buffer | string, withoutResponse = false): Promise<number | undefined> {
    const link = this.#need();
    const bytes = typeof data === 'string' ? hexBytes(data, 'write value') : data;
    const result = await this.#wait(link.write(service, characteristic, bytes, withoutResponse));
    this.#record({ op: 'write', service, characteristic, result });
    return result;
  }

  /** Enable notifications (writes the CCCD); the ATT code. */
  async subscribe(service: string, characteristic: string): Promise<number> {
    const result = this.#need().subscribe(service, characteristic);
    this.#record({ op: 'subscribe', service, characteristic, result });
    return result;
  }

  async unsubscribe(service: string, characteristic: string): Promise<number> {
    const result = this.#need().unsubscribe(service, characteristic);
    this.#record({ op: 'unsubscribe', service, characteristic, result });
    return result;
  }

  /** Notifications received (optionally only one characteristic's). */
  notifications(service?: string, characteristic?: string): ReceivedNotification[] {
    const s = service !== undefined ? normaliseUuid(service) : undefined;
    const c = characteristic !== undefined ? normaliseUuid(characteristic) : undefined;
    return this.#received.filter((n) => (s === undefined || n.service === s) && (c === undefined || n.characteristic === c));
  }

  /** The notifications received so far, forgetting them. */
  takeNotifications(): ReceivedNotification[] {
    const out = this.#received;
    this.#received = [];
    return out;
  }

  async disconnect(): Promise<void> {
    const link = this.#link;
    if (!link) return;
    this.#end('local disconnect');
    link.disconnect();
  }

  /** The radio is closing. */
  close(): void {
    void this.disconnect();
  }

  // ------------------------------------------------------------------- ClientEnd (vigil's side)

  notified(service: string, characteristic: string, data: Buffer): void {
    const n = { service: normaliseUuid(service), characteristic: normaliseUuid(characteristic), data, time: this.#radio.clock.now() };
    this.#received.push(n);
    this.events.emit('notification', n);
  }

  lost(reason: string): void {
    if (this.#link) this.#end(reason);
  }

  #end(reason: string): void {
    this.#link = undefined;
    this.#encrypted = false;
    const err = this.#error(`${this.name}: the link to vigil dropped (${reason})`, 'BLE_DISCONNECTED');
    for (const fail of [...this.#pending]) fail(err);
    this.#pending.clear();
    this.events.emit('disconnect', { reason });
  }

  #need(): ServerLink {
    if (!this.#link) throw this.#error(`${this.name} is not connected to vigil`, 'BLE_NOT_CONNECTED');
    return this.#link;
  }

  /** An answer, unless the link drops first (then the operation fails, as a client's would). */
  #wait<T>(answer: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.add(reject);
      answer.then(
        (value) => {
          if (!this.#pending.delete(reject)) return;
          resolve(value);
        },
        (err: unknown) => {
          if (this.#pending.delete(reject)) reject(err);
        },
      );
    });
  }

  #record(outcome: Omit<GattOutcome, 'time'>): void {
    this.outcomes.push({ ...outcome, time: this.#radio.clock.now() });
  }

  #error(message: string, code: string): DriverError {
    return new DriverError('ble', message, { code });
  }
}
