/**
 * One link made by the noble central. noble's GATT client (lib/hci-socket/gatt.js) never reports
 * an ATT error answer: a failed read resolves with an empty value, a failed write or
 * notification setup never completes. So this class runs one GATT operation at a time (as ATT
 * itself does), watches the link's ATT stream for Error Responses to the operation in flight, and
 * turns them into BleAttErrors naming the code ("ATT error 0x0d"); an operation with no answer
 * fails after ATT's 30 s transaction timeout. Every operation rejects with a DriverError once the
 * link is gone.
 */
import type { EventEmitter } from 'node:events';
import { Emitter, type Unsubscribe } from '../../runtime/emitter.js';
import { DriverError, errorMessage } from '../../runtime/errors.js';
import { normaliseUuid, type BleConnection, type ConnectionEvents, type GattProperty, type RemoteService } from './ble.js';
import { BleAttError, hciReason } from './hci-errors.js';
import type { NobleBindings, NobleCharacteristic, NobleGattCharacteristic, NoblePeripheral, NobleService } from './libraries.js';

/** Bluetooth Core Vol 3 Part F 3.3.3: a request with no response after 30 s has failed. */
const ATT_TIMEOUT_MS = 30_000;
const ATT_CID = 0x0004;
const ATT_ERROR_RSP = 0x01;
const ATT_INVALID_PDU = 0x04;
const GATT_PROPERTIES: readonly GattProperty[] = ['read', 'write', 'writeWithoutResponse', 'notify', 'indicate'];

/** Which ATT requests (and attribute handles) belong to the operation in flight. */
interface AttScope {
  requests: readonly number[];
  first: number;
  last: number;
}

interface Op {
  what: string;
  scope?: AttScope;
  fail(err: Error): void;
  cleanups: (() => void)[];
}

interface Found {
  service: NobleService;
  characteristics: Map<string, NobleCharacteristic>;
}

interface Subscription {
  listeners: Set<(data: Buffer) => void>;
  ready: Promise<void>;
  off: () => void;
}

export interface NobleLinkParts {
  /** "hci1", for messages. */
  adapter: string;
  address: string;
  peripheral: NoblePeripheral;
  bindings: NobleBindings;
}

/** A 16-bit UUID as noble prints it ("a01") in the driver's canonical form ("0a01"). */
export function nobleUuid(uuid: string): string {
  return normaliseUuid(uuid.length < 4 ? uuid.padStart(4, '0') : uuid);
}

export class NobleConnection implements BleConnection {
  readonly address: string;
  readonly events = new Emitter<ConnectionEvents>();
  readonly #adapter: string;
  readonly #peripheral: NoblePeripheral;
  readonly #bindings: NobleBindings;
  readonly #handle: number;
  #connected = true;
  /** disconnect() was called: the controller's reason code then says little (emulators echo 0x13). */
  #leaving = false;
  #tail: Promise<void> = Promise.resolve();
  #current: Op | undefined;
  #found = new Map<string, Found>();
  #subscriptions = new Map<NobleCharacteristic, Subscription>();
  #offs: (() => void)[] = [];

  constructor(parts: NobleLinkParts) {
    this.address = parts.address;
    this.#adapter = parts.adapter;
    this.#peripheral = parts.peripheral;
    this.#bindings = parts.bindings;
    const handle = parts.bindings._handles[parts.peripheral.id];
    const acl = typeof handle === 'number' ? parts.bindings._aclStreams[handle] : undefined;
    if (typeof handle !== 'number' || !acl) throw new DriverError('ble', `${this.#adapter}: connected to ${this.address} but noble has no link state for it`, { code: 'BLE_CONNECT_FAILED' });
    this.#handle = handle;
    const onDisconnect = (reason: unknown) => {
      const code = typeof reason === 'number' ? hciReason(reason) : 'disconnected';
      this.drop(this.#leaving ? `ended by this device (${code.replace(/^.*\((HCI 0x[0-9a-f]+)\)$/, '$1')})` : code);
    };
    parts.peripheral.on('disconnect', onDisconnect);
    // First in line: noble's own listener consumes the answer and may move on to the next request.
    const onAtt = (cid: number, data: Buffer) => this.#onAtt(cid, data);
    acl.prependListener('data', onAtt);
    this.#offs.push(
      () => parts.peripheral.removeListener('disconnect', onDisconnect),
      () => acl.removeListener('data', onAtt),
    );
  }

  get connected(): boolean {
    return this.#connected;
  }

  discover(signal?: AbortSignal): Promise<RemoteService[]> {
    return this.#exclusive('discover services', signal, async (op) => {
      const [services] = await this.#waitFor<[NobleService[]]>(op, this.#peripheral, 'servicesDiscover', () => {
        // Without a callback: noble's callback form leaves a listener behind if the link drops.
        this.#peripheral._noble.discoverServices(this.#peripheral.id, []);
      });
      const found = new Map<string, Found>();
      const result: RemoteService[] = [];
      for (const service of services) {
        const [characteristics] = await this.#waitFor<[NobleCharacteristic[]]>(op, service, 'characteristicsDiscover', () => service.discoverCharacteristics([]));
        const byUuid = new Map(characteristics.map((c) => [nobleUuid(c.uuid), c] as const));
        found.set(nobleUuid(service.uuid), { service, characteristics: byUuid });
        result.push({
          uuid: nobleUuid(service.uuid),
          characteristics: characteristics.map((c) => ({ uuid: nobleUuid(c.uuid), properties: c.properties.filter((p): p is GattProperty => (GATT_PROPERTIES as readonly string[]).includes(p)) })),
        });
      }
      this.#found = found;
      return result;
    });
  }

  read(service: string, characteristic: string): Promise<Buffer> {
    const what = `read ${service}/${characteristic}`;
    return this.#exclusive(what, undefined, async (op) => {
      const c = this.#characteristic(service, characteristic, what);
      const h = this.#handles(service, c);
      op.scope = { requests: [0x0a, 0x0c], first: h.valueHandle, last: h.valueHandle };
      const [data] = await this.#waitFor<[Buffer, boolean]>(op, c, 'data', () => c.read(), (_d, isNotification) => !isNotification);
      return Buffer.from(data);
    });
  }

  write(service: string, characteristic: string, data: Buffer, withoutResponse = false): Promise<void> {
    const what = `write ${service}/${characteristic}`;
    return this.#exclusive(what, undefined, async (op) => {
      const c = this.#characteristic(service, characteristic, what);
      const h = this.#handles(service, c);
      // Write Request, or Prepare/Execute Write for a value longer than the MTU allows (handle 0 on Execute).
      op.scope = { requests: [0x12, 0x16, 0x18], first: h.valueHandle, last: h.valueHandle };
      await this.#waitFor(op, c, 'write', () => c.write(Buffer.from(data), withoutResponse));
    });
  }

  async subscribe(service: string, characteristic: string, onValue: (data: Buffer) => void): Promise<Unsubscribe> {
    const what = `subscribe to ${service}/${characteristic}`;
    if (!this.#connected) throw this.#gone(what);
    const c = this.#characteristic(service, characteristic, what);
    if (!c.properties.includes('notify') && !c.properties.includes('indicate')) {
      throw new DriverError('ble', `${this.#label(what)}: the characteristic neither notifies nor indicates (properties: ${c.properties.join(', ') || 'none'})`, { code: 'BLE_NOT_NOTIFIABLE' });
    }
    let sub = this.#subscriptions.get(c);
    if (!sub) {
      const listeners = new Set<(data: Buffer) => void>();
      const onData = (data: Buffer, isNotification: boolean) => {
        if (!isNotification) return;
        for (const listener of [...listeners]) {
          try {
            listener(Buffer.from(data));
          } catch (err) {
            process.emitWarning(`a notification listener for ${service}/${characteristic} threw: ${errorMessage(err)}`);
          }
        }
      };
      c.on('data', onData);
      const h = this.#handles(service, c);
      // Finding the Client Characteristic Configuration descriptor (Read By Type), then writing it.
      const ready = this.#exclusive(what, undefined, async (op) => {
        op.scope = { requests: [0x08, 0x12], first: h.startHandle, last: h.endHandle ?? 0xffff };
        await this.#waitFor(op, c, 'notify', () => c.notify(true));
      });
      sub = { listeners, ready, off: () => c.removeListener('data', onData) };
      this.#subscriptions.set(c, sub);
    }
    const current = sub;
    current.listeners.add(onValue);
    try {
      await current.ready;
    } catch (err) {
      current.listeners.delete(onValue);
      if (this.#subscriptions.get(c) === current) {
        current.off();
        this.#subscriptions.delete(c);
      }
      throw err;
    }
    return () => {
      current.listeners.delete(onValue);
      if (current.listeners.size > 0 || this.#subscriptions.get(c) !== current) return;
      current.off();
      this.#subscriptions.delete(c);
      if (this.#connected) {
        void this.#exclusive(`unsubscribe from ${service}/${characteristic}`, undefined, (op) => this.#waitFor(op, c, 'notify', () => c.notify(false))).catch(() => undefined);
      }
    };
  }

  async disconnect(): Promise<void> {
    if (!this.#connected) return;
    this.#leaving = true;
    await new Promise<void>((resolve) => {
      const off = this.events.once('disconnect', () => {
        clearTimeout(timer);
        resolve();
      });
      // The controller always answers a Disconnect; if it does not, the link is given up here.
      const timer = setTimeout(() => {
        off();
        this.drop('ended by this device (no Disconnection Complete from the controller)');
        resolve();
      }, 5000);
      this.#peripheral.disconnect();
    });
  }

  /** The link is gone (the peer left, the adapter went down): fail what is pending, tell listeners. */
  drop(reason: string): void {
    if (!this.#connected) return;
    this.#connected = false;
    for (const off of this.#offs.splice(0)) off();
    for (const sub of this.#subscriptions.values()) sub.off();
    this.#subscriptions.clear();
    this.#current?.fail(this.#gone(this.#current.what, reason));
    // noble learns of a link lost without a Disconnection Complete (adapter powered off) only this way.
    if (this.#bindings._aclStreams[this.#handle]) {
      try {
        this.#bindings.onDisconnComplete(this.#handle, 0x16);
      } catch {
        // noble's bookkeeping for a dead link; nothing more to do.
      }
    }
    this.events.emit('disconnect', { reason });
  }

  #label(what: string): string {
    return `${this.#adapter}: ${what} on ${this.address}`;
  }

  #gone(what: string, reason?: string): DriverError {
    return new DriverError('ble', `${this.#label(what)}: the link is gone${reason ? ` (${reason})` : ''}`, { code: 'BLE_DISCONNECTED' });
  }

  #characteristic(service: string, characteristic: string, what: string): NobleCharacteristic {
    if (!this.#connected) throw this.#gone(what);
    const c = this.#found.get(normaliseUuid(service))?.characteristics.get(normaliseUuid(characteristic));
    if (c) return c;
    const why = this.#found.size === 0 ? 'call discover() first' : this.#found.has(normaliseUuid(service)) ? 'the service has no such characteristic' : 'the peripheral has no such service';
    throw new DriverError('ble', `${this.#label(what)}: ${why}`, { code: 'BLE_NO_SUCH_CHARACTERISTIC' });
  }

  #handles(service: string, c: NobleCharacteristic): NobleGattCharacteristic {
    const gatt = this.#bindings._gatts[this.#peripheral.id];
    const s = this.#found.get(normaliseUuid(service))?.service;
    const h = s ? gatt?._characteristics[s.uuid]?.[c.uuid] : undefined;
    if (!h) throw new DriverError('ble', `${this.#label(`use ${service}/${c.uuid}`)}: noble has no handles for it`, { code: 'BLE_NO_SUCH_CHARACTERISTIC' });
    return h;
  }

  #onAtt(cid: number, data: Buffer): void {
    if (cid !== ATT_CID || data.length < 5 || data[0] !== ATT_ERROR_RSP) return;
    const op = this.#current;
    const scope = op?.scope;
    if (!op || !scope) return;
    const request = data[1]!;
    const handle = data.readUInt16LE(2);
    const code = data[4]!;
    if (!scope.requests.includes(request)) return;
    if ((handle < scope.first || handle > scope.last) && !(handle === 0 && request === 0x18)) return;
    op.fail(new BleAttError(this.#label(op.what), code));
    // noble's GATT queue stops for good after an Invalid PDU answer (it never clears the request in
    // flight), so nothing more could be done on this link.
    if (code === ATT_INVALID_PDU) this.#peripheral.disconnect();
  }

  /** Runs `work` when the operations before it are done; at most one GATT operation is in flight. */
  #exclusive<T>(what: string, signal: AbortSignal | undefined, work: (op: Op) => Promise<T>): Promise<T> {
    const start = async (): Promise<T> => {
      if (!this.#connected) throw this.#gone(what);
      if (signal?.aborted) throw aborted(this.#label(what), signal);
      const op: Op = { what, fail: () => undefined, cleanups: [] };
      const outcome = new Promise<T>((resolve, reject) => {
        op.fail = reject;
        work(op).then(resolve, reject);
      });
      this.#current = op;
      try {
        return await outcome;
      } finally {
        for (const cleanup of op.cleanups.splice(0)) cleanup();
        if (this.#current === op) this.#current = undefined;
      }
    };
    const result = this.#tail.then(start, start);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    if (!signal) return result;
    // The caller is released at once; the queue still waits for the library to finish (or the link to go).
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(aborted(this.#label(what), signal));
      signal.addEventListener('abort', onAbort, { once: true });
      result.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Calls `act`, then waits for `event` on `emitter` (matching `accept`), within ATT's timeout. */
  #waitFor<A extends unknown[]>(op: Op, emitter: EventEmitter, event: string, act: () => void, accept?: (...args: A) => boolean): Promise<A> {
    return new Promise<A>((resolve, reject) => {
      const listener = (...args: unknown[]) => {
        if (accept && !accept(...(args as A))) return;
        done();
        resolve(args as A);
      };
      const timer = setTimeout(() => {
        done();
        reject(new DriverError('ble', `${this.#label(op.what)}: no answer within ${ATT_TIMEOUT_MS / 1000} s (ATT transaction timeout)`, { code: 'BLE_ATT_TIMEOUT' }));
      }, ATT_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        emitter.removeListener(event, listener);
      };
      op.cleanups.push(done);
      emitter.on(event, listener);
      try {
        act();
      } catch (err) {
        done();
        reject(new DriverError('ble', `${this.#label(op.what)}: ${errorMessage(err)}`, { cause: err }));
      }
    });
  }
}

function aborted(what: string, signal: AbortSignal): DriverError {
  return new DriverError('ble', `${what}: aborted${signal.reason instanceof Error ? ` (${signal.reason.message})` : ''}`, { cause: signal.reason, code: 'BLE_ABORTED' });
}
