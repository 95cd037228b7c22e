/**
 * GattServiceProviderTrigger: the services bundles declare, served together by the peripheral.
 * A read, write or subscription from a central activates the registration's task with the
 * request in its trigger details; the task answers with the `gatt.respond` capability (a value,
 * or an ATT error by name) and may push values with `gatt.notify`. A task that completes without
 * answering gets the characteristic's value (reads) or success (writes); one that fails, or does
 * not answer in time, gets Unlikely Error. Wrong-length writes are refused with Invalid Attribute
 * Value Length before any task runs; protection levels are enforced by the GATT server.
 */
import { ATT, normaliseUuid, type BlePeripheral, type GattHandlers, type GattRequestBase, type LocalService } from '../drivers/ble/ble.js';
import type { ArmedRegistration, SourcePort } from './broker.js';
import type { CapabilityCaller } from './capabilities.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Unsubscribe } from './emitter.js';
import { CapabilityError, errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import type { GattCharacteristicData, GattProviderData } from './triggers/ble-data.js';

/** The seed's GattProtocolError names, for `gatt.respond({ error })`. */
export const GATT_ERRORS: Record<string, number> = {
  InvalidHandle: 0x01,
  ReadNotPermitted: 0x02,
  WriteNotPermitted: 0x03,
  InvalidPdu: 0x04,
  InsufficientAuthentication: 0x05,
  RequestNotSupported: 0x06,
  InvalidOffset: 0x07,
  InsufficientAuthorization: 0x08,
  PrepareQueueFull: 0x09,
  AttributeNotFound: 0x0a,
  AttributeNotLong: 0x0b,
  InsufficientEncryptionKeySize: 0x0c,
  InvalidAttributeValueLength: 0x0d,
  UnlikelyError: 0x0e,
  InsufficientEncryption: 0x0f,
  UnsupportedGroupType: 0x10,
  InsufficientResources: 0x11,
};

type Kind = 'read' | 'write' | 'subscribe' | 'unsubscribe';

interface Served {
  registration: ArmedRegistration;
  data: GattProviderData;
  /** Current values: the declared one, then what writes and notifications set. */
  values: Map<string, Buffer>;
}

interface Pending {
  id: string;
  kind: 'read' | 'write';
  taskId: string;
  served: Served;
  characteristic: GattCharacteristicData;
  offset: number;
  data?: Buffer;
  timer: TimerHandle;
  resolve(result: { result: number; data?: Buffer }): void;
}

export interface GattServerDeps {
  peripheral: BlePeripheral;
  port: SourcePort;
  clock: Clock;
  log: Logger;
  /** How long a task has to answer a read or write. */
  responseMs: number;
  /** The served set changed (the advertiser advertises discoverable services). */
  changed(): void;
}

export class GattServer {
  readonly #d: GattServerDeps;
  /** Service UUID → the registration serving it (the first one armed; later ones wait). */
  readonly #served = new Map<string, Served>();
  readonly #waiting: ArmedRegistration[] = [];
  readonly #pending = new Map<string, Pending>();
  readonly #subscribers = new Map<string, Set<string>>();
  #nextId = 1;
  #applyQueued = false;
  #apply: Promise<void> = Promise.resolve();
  /** Services are given to the peripheral once it is open (registrations arm before it). */
  #started = false;

  constructor(deps: GattServerDeps) {
    this.#d = deps;
  }

  /** Arm a GattServiceProviderTrigger registration; returns its disarm. */
  add(r: ArmedRegistration): Unsubscribe {
    const data = r.trigger as unknown as GattProviderData;
    const owner = this.#served.get(data.service.uuid);
    if (owner) {
      this.#d.log.warn({ evt: 'ble', gatt: data.service.uuid, task: r.name, servedBy: `${owner.registration.bundle}/${owner.registration.name}` }, `GATT service ${data.service.uuid} is already served by ${owner.registration.bundle}/${owner.registration.name}: ${r.bundle}/${r.name} waits until it is removed`);
      this.#waiting.push(r);
      return () => this.#waiting.splice(this.#waiting.indexOf(r), 1);
    }
    this.#serve(r);
    return () => this.#remove(r);
  }

  /** The services as declared (status, the advertiser). */
  services(): GattProviderData[] {
    return [...this.#served.values()].map((s) => s.data);
  }

  subscriberCount(): number {
    let n = 0;
    for (const set of this.#subscribers.values()) n += set.size;
    return n;
  }

  /** `gatt.respond`: the answer to the request the calling run was started for. */
  respond(caller: CapabilityCaller, answer: unknown): true {
    const id = (caller.details as { request?: { id?: unknown } } | undefined)?.request?.id;
    const pending = typeof id === 'string' ? this.#pending.get(id) : undefined;
    if (!pending || pending.taskId !== caller.taskId) {
      throw new CapabilityError('gatt.respond', `gatt.respond: task "${caller.name}" has no GATT read or write waiting for an answer (it was not started for one, or the answer came too late: a task has ${this.#d.responseMs} ms)`, 'CAPABILITY_BAD_ARGUMENT');
    }
    const a = (typeof answer === 'object' && answer !== null ? answer : {}) as { value?: unknown; error?: unknown };
    if (a.error !== undefined) {
      const code = typeof a.error === 'number' ? a.error : GATT_ERRORS[String(a.error)];
      if (code === undefined || !Number.isInteger(code) || code < 1 || code > 0xff) {
        throw new CapabilityError('gatt.respond', `gatt.respond: error ${JSON.stringify(a.error)} is not an ATT error: expected one of ${Object.keys(GATT_ERRORS).join(', ')}, or an application error code 0x80–0x9f`, 'CAPABILITY_BAD_ARGUMENT');
      }
      this.#settle(pending, { result: code });
      return true;
    }
    if (pending.kind === 'write') {
      if (a.value !== undefined) throw new CapabilityError('gatt.respond', 'gatt.respond: a write is answered with {} (accepted) or { error }, not with a value', 'CAPABILITY_BAD_ARGUMENT');
      this.#accept(pending);
      return true;
    }
    const value = toBuffer(a.value);
    if (!value) throw new CapabilityError('gatt.respond', `gatt.respond: value ${JSON.stringify(a.value)} is invalid: expected hex text, an array of bytes or a Uint8Array`, 'CAPABILITY_BAD_ARGUMENT');
    if (value.length > 512) throw new CapabilityError('gatt.respond', `gatt.respond: value is ${value.length} bytes: an attribute holds at most 512`, 'CAPABILITY_BAD_ARGUMENT');
    pending.served.values.set(pending.characteristic.uuid, value);
    this.#settle(pending, pending.offset > value.length ? { result: ATT.INVALID_OFFSET } : { result: ATT.SUCCESS, data: value.subarray(pending.offset) });
    return true;
  }

  /** `gatt.notify`: push a value to the subscribers of a characteristic of the caller's bundle's service. */
  notify(caller: CapabilityCaller, characteristic: unknown, value: unknown, service?: unknown): number {
    const uuid = typeof characteristic === 'string' ? normaliseUuid(characteristic) : '';
    const mine = [...this.#served.values()].filter((s) => s.registration.bundle === caller.bundle && (service === undefined || s.data.service.uuid === normaliseUuid(String(service))));
    const served = mine.find((s) => s.data.service.characteristics.some((c) => c.uuid === uuid));
    const c = served?.data.service.characteristics.find((ch) => ch.uuid === uuid);
    if (!served || !c) {
      throw new CapabilityError('gatt.notify', `gatt.notify: ${JSON.stringify(characteristic)} is not a characteristic of a GATT service bundle "${caller.bundle}" serves (${mine.map((s) => s.data.service.uuid).join(', ') || 'it serves none'})`, 'CAPABILITY_BAD_ARGUMENT');
    }
    if (!c.properties.includes('notify') && !c.properties.includes('indicate')) {
      throw new CapabilityError('gatt.notify', `gatt.notify: characteristic ${c.uuid} has no "notify" or "indicate" property`, 'CAPABILITY_BAD_ARGUMENT');
    }
    const data = toBuffer(value);
    if (!data) throw new CapabilityError('gatt.notify', `gatt.notify: value ${JSON.stringify(value)} is invalid: expected hex text, an array of bytes or a Uint8Array`, 'CAPABILITY_BAD_ARGUMENT');
    served.values.set(c.uuid, data);
    return this.#d.peripheral.notify(served.data.service.uuid, c.uuid, data);
  }

  /** A run ended: a request it did not answer gets the default answer. */
  finished(taskId: string, details: unknown, completed: boolean): void {
    const id = (details as { request?: { id?: unknown } } | undefined)?.request?.id;
    const pending = typeof id === 'string' ? this.#pending.get(id) : undefined;
    if (!pending || pending.taskId !== taskId) return;
    if (!completed) this.#settle(pending, { result: ATT.UNLIKELY_ERROR });
    else this.#accept(pending);
  }

  /** The peripheral is open: serve from now on. */
  start(): Promise<void> {
    this.#started = true;
    return this.apply();
  }

  /** (Re)serve the current set on the peripheral, once per burst of changes. */
  apply(): Promise<void> {
    if (!this.#started || this.#applyQueued) return this.#apply;
    this.#applyQueued = true;
    this.#apply = this.#apply.then(async () => {
      await Promise.resolve();
      this.#applyQueued = false;
      try {
        await this.#d.peripheral.setServices(this.#localServices(), this.#handlers());
      } catch (err) {
        this.#d.log.error({ evt: 'ble', gatt: 'setServices', err: errorMessage(err) }, `GATT services cannot be served: ${errorMessage(err)}`);
      }
    });
    return this.#apply;
  }

  close(): void {
    for (const p of [...this.#pending.values()]) this.#settle(p, { result: ATT.UNLIKELY_ERROR });
    this.#served.clear();
  }

  #serve(r: ArmedRegistration): void {
    const data = r.trigger as unknown as GattProviderData;
    const values = new Map<string, Buffer>();
    for (const c of data.service.characteristics) if (c.value !== undefined) values.set(c.uuid, Buffer.from(c.value, 'hex'));
    this.#served.set(data.service.uuid, { registration: r, data, values });
    void this.apply();
    this.#d.changed();
  }

  #remove(r: ArmedRegistration): void {
    const data = r.trigger as unknown as GattProviderData;
    if (this.#served.get(data.service.uuid)?.registration !== r) return;
    this.#served.delete(data.service.uuid);
    for (const p of [...this.#pending.values()]) if (p.taskId === r.taskId) this.#settle(p, { result: ATT.UNLIKELY_ERROR });
    const next = this.#waiting.findIndex((w) => (w.trigger as unknown as GattProviderData).service.uuid === data.service.uuid);
    if (next >= 0) this.#serve(this.#waiting.splice(next, 1)[0]!);
    else {
      void this.apply();
      this.#d.changed();
    }
  }

  #localServices(): LocalService[] {
    return [...this.#served.values()].map(({ data }) => ({
      uuid: data.service.uuid,
      characteristics: data.service.characteristics.map((c) => ({
        uuid: c.uuid,
        properties: c.properties,
        secure: [...(c.readProtection === 'encryptionRequired' ? (['read'] as const) : []), ...(c.writeProtection === 'encryptionRequired' ? (['write', 'writeWithoutResponse'] as const).filter((p) => c.properties.includes(p)) : [])],
        descriptors: [
          ...(c.userDescription !== undefined ? [{ uuid: '2901', value: Buffer.from(c.userDescription, 'utf8') }] : []),
          ...(c.descriptors ?? []).map((d) => ({ uuid: d.uuid, value: Buffer.from(d.value, 'hex') })),
        ],
      })),
    }));
  }

  #handlers(): GattHandlers {
    return {
      read: (req) => this.#request('read', req, { offset: req.offset }),
      write: async (req) => {
        const found = this.#find(req);
        if (!found) return ATT.INVALID_HANDLE;
        const { c } = found;
        const end = req.offset + req.data.length;
        if (c.length !== undefined && (req.offset !== 0 || req.data.length !== c.length)) return ATT.INVALID_ATTRIBUTE_VALUE_LENGTH;
        if (end > (c.maxLength ?? 512)) return ATT.INVALID_ATTRIBUTE_VALUE_LENGTH;
        if (req.withoutResponse) {
          found.served.values.set(c.uuid, req.data);
          this.#fire(found.served, 'write', req, { data: req.data.toString('hex'), offset: req.offset, withoutResponse: true });
          return ATT.SUCCESS;
        }
        return (await this.#request('write', req, { data: req.data, offset: req.offset })).result;
      },
      subscribe: (req) => {
        const found = this.#find(req);
        if (!found) return;
        const key = `${found.served.data.service.uuid}/${found.c.uuid}`;
        let set = this.#subscribers.get(key);
        if (!set) this.#subscribers.set(key, (set = new Set()));
        set.add(req.client);
        this.#fire(found.served, 'subscribe', req, { maxValueSize: req.maxValueSize });
      },
      unsubscribe: (req) => {
        const found = this.#find(req);
        if (!found) return;
        this.#subscribers.get(`${found.served.data.service.uuid}/${found.c.uuid}`)?.delete(req.client);
        this.#fire(found.served, 'unsubscribe', req, {});
      },
    };
  }

  #find(req: GattRequestBase): { served: Served; c: GattCharacteristicData } | undefined {
    const served = this.#served.get(normaliseUuid(req.service));
    const c = served?.data.service.characteristics.find((ch) => ch.uuid === normaliseUuid(req.characteristic));
    return served && c ? { served, c } : undefined;
  }

  #request(kind: 'read' | 'write', req: GattRequestBase, extra: { offset: number; data?: Buffer }): Promise<{ result: number; data?: Buffer }> {
    const found = this.#find(req);
    if (!found) return Promise.resolve({ result: ATT.INVALID_HANDLE });
    return new Promise((resolve) => {
      const id = `g${this.#nextId++}`;
      const pending: Pending = {
        id,
        kind,
        taskId: found.served.registration.taskId,
        served: found.served,
        characteristic: found.c,
        offset: extra.offset,
        ...(extra.data ? { data: extra.data } : {}),
        resolve,
        timer: this.#d.clock.setTimeout(() => {
          this.#d.log.warn({ evt: 'ble', gatt: kind, task: found.served.registration.name, characteristic: found.c.uuid }, `GATT ${kind} of ${found.c.uuid} not answered within ${this.#d.responseMs} ms: Unlikely Error sent`);
          this.#settle(pending, { result: ATT.UNLIKELY_ERROR });
        }, this.#d.responseMs),
      };
      this.#pending.set(id, pending);
      this.#fire(found.served, kind, req, { id, offset: extra.offset, ...(extra.data ? { data: extra.data.toString('hex') } : {}) });
    });
  }

  #fire(served: Served, kind: Kind, req: GattRequestBase, extra: Record<string, unknown>): void {
    const request = { kind, service: served.data.service.uuid, characteristic: normaliseUuid(req.characteristic), client: req.client, ...extra };
    this.#d.log.info({ evt: 'ble', gatt: kind, task: served.registration.name, characteristic: request.characteristic, client: req.client }, `GATT ${kind} of ${request.characteristic} from ${req.client}`);
    this.#d.port.fire(served.registration.taskId, { triggerId: served.data.triggerId, request });
  }

  /** The default answer: the value (reads) or success (writes), the write remembered. */
  #accept(p: Pending): void {
    if (p.kind === 'write') {
      p.served.values.set(p.characteristic.uuid, p.data ?? Buffer.alloc(0));
      this.#settle(p, { result: ATT.SUCCESS });
      return;
    }
    const value = p.served.values.get(p.characteristic.uuid) ?? Buffer.alloc(0);
    this.#settle(p, p.offset > value.length ? { result: ATT.INVALID_OFFSET } : { result: ATT.SUCCESS, data: value.subarray(p.offset) });
  }

  #settle(p: Pending, result: { result: number; data?: Buffer }): void {
    if (!this.#pending.delete(p.id)) return;
    this.#d.clock.clearTimeout(p.timer);
    p.resolve(result);
  }
}

/** A value as tasks give it: hex text, an array of bytes, or bytes (a Uint8Array crosses a worker port). */
export function toBuffer(value: unknown): Buffer | undefined {
  if (typeof value === 'string') return /^([0-9a-fA-F]{2})*$/.test(value) ? Buffer.from(value, 'hex') : undefined;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return Buffer.from(value as number[]);
  return undefined;
}
