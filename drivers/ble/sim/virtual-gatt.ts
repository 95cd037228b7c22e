/**
 * The GATT server of a virtual device: its characteristics with their values, what vigil's
 * central may do with them (the same checks as any GATT server), and the notifications it sends
 * on its own, on the device's one timer.
 */
import type { Clock } from '../../../runtime/clock.js';
import { DriverError, errorMessage } from '../../../runtime/errors.js';
import { ATT, normaliseUuid, type GattProperty, type RemoteService } from '../ble.js';
import type { Agenda } from './agenda.js';
import { checkRead, checkSubscribe, checkWrite, GattTable, gattKey, readDescriptor, type TableCharacteristic } from './gatt-table.js';
import { hexBytes } from './payload.js';

export interface VirtualCharacteristicConfig {
  uuid: string;
  properties: GattProperty[];
  secure?: GattProperty[];
  /** Hex; what a read returns until written or notified. */
  value?: string;
  descriptors?: { uuid: string; value: string }[];
  /** While someone is subscribed, notify the next value this often. */
  notifyEveryMs?: number;
  /** The values notified in turn (hex), or "counter": a count in the width of `value` (1–4 bytes, little-endian). */
  notifyValues?: string[] | 'counter';
}

export interface VirtualServiceConfig {
  uuid: string;
  characteristics: VirtualCharacteristicConfig[];
}

/** vigil's end of a link to a virtual device. */
export interface PeerLink {
  readonly client: string;
  /** The device ended the link (dropped it, left, was removed). */
  lost(reason: string): void;
}

export interface ReceivedWrite {
  service: string;
  characteristic: string;
  data: Buffer;
  withoutResponse: boolean;
  client: string;
  time: number;
}

interface Characteristic extends TableCharacteristic {
  value: Buffer;
  notifyEveryMs: number | undefined;
  notifyValues: Buffer[] | 'counter' | undefined;
  sent: number;
}

export class VirtualGatt {
  /** Every write that reached the device, in order. */
  readonly writes: ReceivedWrite[] = [];
  readonly #device: string;
  readonly #clock: Clock;
  readonly #agenda: Agenda;
  readonly #services: { uuid: string; characteristics: Characteristic[] }[];
  readonly #table: GattTable<Characteristic>;
  /** gattKey → link → callback. */
  readonly #subscribers = new Map<string, Map<PeerLink, (data: Buffer) => void>>();

  constructor(device: string, services: VirtualServiceConfig[], clock: Clock, agenda: Agenda) {
    this.#device = device;
    this.#clock = clock;
    this.#agenda = agenda;
    this.#services = services.map((s) => ({ uuid: normaliseUuid(s.uuid), characteristics: s.characteristics.map((c) => makeCharacteristic(normaliseUuid(s.uuid), c, device)) }));
    this.#table = new GattTable(this.#services.flatMap((s) => s.characteristics));
  }

  get empty(): boolean {
    return this.#services.length === 0;
  }

  /** What discovery finds. */
  services(): RemoteService[] {
    return this.#services.map((s) => ({ uuid: s.uuid, characteristics: s.characteristics.map((c) => ({ uuid: c.uuid, properties: [...c.properties] })) }));
  }

  setValue(service: string, characteristic: string, value: Buffer | string): void {
    this.#characteristic(service, characteristic).value = bytes(value);
  }

  value(service: string, characteristic: string): Buffer {
    return Buffer.from(this.#characteristic(service, characteristic).value);
  }

  /** Notify subscribers now, with `value` or the next scripted one; returns how many were reached. */
  notify(service: string, characteristic: string, value?: Buffer | string): number {
    const c = this.#characteristic(service, characteristic);
    c.value = value !== undefined ? bytes(value) : nextValue(c);
    return this.#send(c);
  }

  // vigil's central links never encrypt: the BleConnection interface has no pairing.

  read(service: string, characteristic: string): { result: number; data?: Buffer } {
    const c = this.#table.find(service, characteristic);
    const result = checkRead(c, false);
    return result === ATT.SUCCESS ? { result, data: Buffer.from(c!.value) } : { result };
  }

  readDescriptor(service: string, characteristic: string, descriptor: string): { result: number; data?: Buffer } {
    return readDescriptor(this.#table.find(service, characteristic), descriptor);
  }

  write(link: PeerLink, service: string, characteristic: string, data: Buffer, withoutResponse: boolean): number {
    const c = this.#table.find(service, characteristic);
    const result = checkWrite(c, withoutResponse, false);
    if (result !== ATT.SUCCESS) return result;
    c!.value = Buffer.from(data);
    this.writes.push({ service: c!.service, characteristic: c!.uuid, data: Buffer.from(data), withoutResponse, client: link.client, time: this.#clock.now() });
    return ATT.SUCCESS;
  }

  subscribe(link: PeerLink, service: string, characteristic: string, onValue: (data: Buffer) => void): number {
    const c = this.#table.find(service, characteristic);
    const result = checkSubscribe(c, false);
    if (result !== ATT.SUCCESS) return result;
    const key = gattKey(c!.service, c!.uuid);
    let subs = this.#subscribers.get(key);
    if (!subs) this.#subscribers.set(key, (subs = new Map()));
    subs.set(link, onValue);
    if (c!.notifyEveryMs !== undefined && !this.#agenda.has(`notify:${key}`)) this.#schedule(c!, key, this.#clock.now());
    return ATT.SUCCESS;
  }

  unsubscribe(link: PeerLink, service: string, characteristic: string): void {
    const key = gattKey(service, characteristic);
    const subs = this.#subscribers.get(key);
    if (!subs?.delete(link) || subs.size > 0) return;
    this.#subscribers.delete(key);
    this.#agenda.delete(`notify:${key}`);
  }

  /** A link ended: its subscriptions go, and with the last subscriber the notifications stop. */
  detach(link: PeerLink): void {
    for (const [key, subs] of this.#subscribers) {
      if (subs.delete(link) && subs.size === 0) {
        this.#subscribers.delete(key);
        this.#agenda.delete(`notify:${key}`);
      }
    }
  }

  #schedule(c: Characteristic, key: string, from: number): void {
    this.#agenda.set(`notify:${key}`, from + c.notifyEveryMs!, (due) => {
      c.value = nextValue(c);
      this.#send(c);
      this.#schedule(c, key, due);
    });
  }

  #send(c: Characteristic): number {
    const subs = this.#subscribers.get(gattKey(c.service, c.uuid));
    if (!subs) return 0;
    for (const onValue of [...subs.values()]) {
      try {
        onValue(Buffer.from(c.value));
      } catch (err) {
        // One subscriber's mistake must not keep the value from the others, or stop the device.
        process.emitWarning(`a notification callback for ${c.service}/${c.uuid} on ${this.#device} threw: ${errorMessage(err)}`);
      }
    }
    return subs.size;
  }

  #characteristic(service: string, characteristic: string): Characteristic {
    const c = this.#table.find(service, characteristic);
    if (!c) throw new DriverError('ble', `peripheral ${this.#device} has no characteristic ${normaliseUuid(characteristic)} in service ${normaliseUuid(service)}`, { code: 'BLE_UNKNOWN_ATTRIBUTE' });
    return c;
  }
}

const bytes = (value: Buffer | string): Buffer => (typeof value === 'string' ? hexBytes(value, 'value') : Buffer.from(value));

function makeCharacteristic(service: string, c: VirtualCharacteristicConfig, device: string): Characteristic {
  const what = `peripheral ${device}: characteristic ${c.uuid}`;
  return {
    service,
    uuid: normaliseUuid(c.uuid),
    properties: new Set(c.properties),
    secure: new Set(c.secure ?? []),
    descriptors: new Map((c.descriptors ?? []).map((d) => [normaliseUuid(d.uuid), hexBytes(d.value, `${what}: descriptor ${d.uuid}`)])),
    value: c.value !== undefined ? hexBytes(c.value, `${what}: value`) : Buffer.alloc(0),
    notifyEveryMs: c.notifyEveryMs,
    notifyValues: Array.isArray(c.notifyValues) ? c.notifyValues.map((v, i) => hexBytes(v, `${what}: notifyValues[${i}]`)) : c.notifyValues,
    sent: 0,
  };
}

/** The next scripted value: the list in turn, or a count; without a script, the current value again. */
function nextValue(c: Characteristic): Buffer {
  const script = c.notifyValues;
  const n = c.sent++;
  if (script === 'counter') {
    const width = Math.min(4, Math.max(1, c.value.length));
    const out = Buffer.alloc(width);
    out.writeUIntLE((n + 1) % 2 ** (8 * width), 0, width);
    return out;
  }
  if (script && script.length > 0) return Buffer.from(script[n % script.length]!);
  return Buffer.from(c.value);
}
