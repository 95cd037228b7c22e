/**
 * vigil's peripheral role on the simulated air, behaving as bleno does on a Linux HCI socket:
 * the advertising data goes on the air as given (31 bytes at most), requests from virtual
 * centrals pass bleno's checks before they reach the runtime's handlers, the controller stops
 * advertising while its one central is connected, and when the adapter comes back after being
 * powered off or unplugged the binding puts its services and advertising back by itself.
 */
import { DriverError } from '../../../runtime/errors.js';
import { Emitter } from '../../../runtime/emitter.js';
import {
  ATT,
  normaliseUuid,
  type BlePeripheral,
  type BleState,
  type GattHandlers,
  type LocalService,
  type PeripheralEvents,
} from '../ble.js';
import { CCCD, checkRead, checkSubscribe, checkWrite, GattTable, gattKey, readDescriptor, subscribeKind, type TableCharacteristic } from './gatt-table.js';
import { MAX_LEGACY_ADV } from './payload.js';
import type { ClientEnd, ServerLink, SimRadio, VigilAdvert, VigilServer } from './radio.js';

/** bleno's largest ATT MTU. */
const MAX_MTU = 256;

interface Link {
  client: ClientEnd;
  mtu: number;
  /** gattKeys it has subscribed to. */
  subscriptions: Set<string>;
}

export class SimPeripheral implements BlePeripheral {
  readonly binding = 'sim';
  readonly adapter = 'sim';
  readonly events = new Emitter<PeripheralEvents>();
  readonly #radio: SimRadio;
  #open = false;
  #lastState: BleState = 'unknown';
  #detach: (() => void) | undefined;
  #offAdapter: (() => void) | undefined;
  /** What the runtime asked to advertise (kept while the adapter is off, to put back). */
  #wanted: { data: Buffer; scanResponse: Buffer | undefined } | undefined;
  #table = new GattTable<TableCharacteristic>([]);
  #handlers: GattHandlers | undefined;
  readonly #links = new Set<Link>();
  readonly #server: VigilServer = { advert: () => this.#advert(), connect: (client) => this.#accept(client) };

  constructor(radio: SimRadio) {
    this.#radio = radio;
  }

  state(): BleState {
    return this.#open ? this.#radio.adapterState('peripheral') : 'unknown';
  }

  async open(): Promise<void> {
    if (this.#open) return;
    if (this.#radio.adapterState('peripheral') === 'missing') throw new DriverError('ble', 'cannot open Bluetooth adapter sim for advertising: no adapter (it was removed)', { code: 'BLE_NO_ADAPTER' });
    this.#detach = this.#radio.attachServer(this.#server);
    this.#offAdapter = this.#radio.events.on('adapter', ({ role, state }) => {
      if (role === 'peripheral') this.#adapterChanged(state);
    });
    this.#open = true;
    this.#lastState = this.state();
    this.events.emit('state', this.#lastState);
  }

  get advertising(): boolean {
    return this.#wanted !== undefined && this.state() === 'poweredOn';
  }

  async startAdvertising(data: Buffer, scanResponse?: Buffer): Promise<void> {
    this.#need('advertise');
    for (const [what, bytes] of [['advertising data', data], ['scan response', scanResponse]] as const) {
      if (bytes && bytes.length > MAX_LEGACY_ADV) {
        throw new DriverError('ble', `cannot advertise on adapter sim: the ${what} is ${bytes.length} bytes, at most ${MAX_LEGACY_ADV} fit (the controller rejects the command)`, { code: 'BLE_ADVERT_TOO_LONG' });
      }
    }
    const state = this.state();
    if (state !== 'poweredOn') throw new DriverError('ble', `cannot advertise on adapter sim: it is ${state}`, { code: 'BLE_ADAPTER_OFF' });
    this.#wanted = { data: Buffer.from(data), scanResponse: scanResponse ? Buffer.from(scanResponse) : undefined };
    this.events.emit('advertising', { status: 'started' });
  }

  async stopAdvertising(): Promise<void> {
    const was = this.advertising;
    this.#wanted = undefined;
    if (was) this.events.emit('advertising', { status: 'stopped' });
  }

  async setServices(services: LocalService[], handlers: GattHandlers): Promise<void> {
    this.#need('serve GATT');
    this.#table = new GattTable(
      services.flatMap((s) =>
        s.characteristics.map((c) => ({
          service: normaliseUuid(s.uuid),
          uuid: normaliseUuid(c.uuid),
          properties: new Set(c.properties),
          secure: new Set(c.secure),
          descriptors: new Map(c.descriptors.filter((d) => normaliseUuid(d.uuid) !== CCCD).map((d) => [normaliseUuid(d.uuid), Buffer.from(d.value)])),
        })),
      ),
    );
    this.#handlers = handlers;
    // New attribute handles: a subscription survives only where a notifying characteristic still is.
    for (const link of this.#links) {
      for (const key of [...link.subscriptions]) {
        const [s, c] = key.split('/') as [string, string];
        const entry = this.#table.find(s, c);
        if (!entry || !subscribeKind(entry)) link.subscriptions.delete(key);
      }
    }
  }

  notify(service: string, characteristic: string, data: Buffer): number {
    if (this.state() !== 'poweredOn') return 0;
    const key = gattKey(service, characteristic);
    const [s, c] = key.split('/') as [string, string];
    let reached = 0;
    for (const link of [...this.#links]) {
      if (!link.subscriptions.has(key)) continue;
      // Longer values are cut to what one notification carries, as bleno does.
      link.client.notified(s, c, Buffer.from(data.subarray(0, link.mtu - 3)));
      reached++;
    }
    return reached;
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    await this.stopAdvertising();
    for (const link of [...this.#links]) this.#drop(link, 'adapter closed', true);
    this.#offAdapter?.();
    this.#detach?.();
    this.#open = false;
  }

  /** Centrals connected now (addresses). */
  clients(): string[] {
    return [...this.#links].map((l) => l.client.address);
  }

  // ------------------------------------------------------------------------------- internals

  #need(what: string): void {
    if (!this.#open) throw new DriverError('ble', `cannot ${what}: the peripheral binding on adapter sim is not open`, { code: 'BLE_NOT_OPEN' });
  }

  #adapterChanged(state: BleState): void {
    const wasOn = this.#lastState === 'poweredOn';
    this.#lastState = state;
    if (state !== 'poweredOn') {
      const reason = state === 'missing' ? 'adapter removed' : 'adapter powered off';
      for (const link of [...this.#links]) this.#drop(link, reason, true);
      this.events.emit('state', state);
      if (state === 'missing') this.events.emit('error', new DriverError('ble', 'Bluetooth adapter sim (peripheral) was removed', { code: 'BLE_ADAPTER_REMOVED' }));
      if (this.#wanted && wasOn) this.events.emit('advertising', { status: 'aborted', error: new DriverError('ble', `advertising on adapter sim stopped: ${reason}`, { code: 'BLE_ADAPTER_OFF' }) });
      return;
    }
    this.events.emit('state', state);
    // Services are still in the table; advertising is enabled again with the same data.
    if (this.#wanted) this.events.emit('advertising', { status: 'started' });
  }

  #advert(): VigilAdvert | undefined {
    if (!this.advertising || this.#links.size >= this.#radio.peripheralLinks) return undefined;
    const w = this.#wanted!;
    return { address: this.#radio.peripheralAddress, addressType: 'public', data: w.data, ...(w.scanResponse ? { scanResponse: w.scanResponse } : {}), connectable: true };
  }

  #accept(client: ClientEnd): ServerLink {
    if (!this.#advert()) throw new DriverError('ble', `${client.address} cannot connect: vigil is not advertising`, { code: 'BLE_CONNECT_FAILED' });
    const link: Link = { client, mtu: Math.max(23, Math.min(client.mtu, MAX_MTU)), subscriptions: new Set() };
    this.#links.add(link);
    this.events.emit('accept', { client: client.address });
    const live = () => this.#links.has(link);
    return {
      mtu: link.mtu,
      read: async (service, characteristic, offset) => {
        if (!live()) return { result: ATT.UNLIKELY_ERROR };
        const entry = this.#table.find(service, characteristic);
        const result = checkRead(entry, client.encrypted);
        if (result !== ATT.SUCCESS) return { result };
        const answer = await this.#call(() => this.#handlers!.read({ service: entry!.service, characteristic: entry!.uuid, client: client.address, offset }), { result: ATT.UNLIKELY_ERROR });
        // One response carries MTU - 1 bytes; the client reads on with Read Blob.
        return answer.data ? { result: answer.result, data: answer.data.subarray(0, link.mtu - 1) } : answer;
      },
      readDescriptor: (service, characteristic, descriptor) => {
        const entry = this.#table.find(service, characteristic);
        if (normaliseUuid(descriptor) !== CCCD) return readDescriptor(entry, descriptor);
        const kind = entry && subscribeKind(entry);
        if (!kind) return { result: ATT.INVALID_HANDLE };
        const on = link.subscriptions.has(gattKey(entry.service, entry.uuid));
        return { result: ATT.SUCCESS, data: Buffer.from([on ? (kind === 'notify' ? 1 : 2) : 0, 0]) };
      },
      write: async (service, characteristic, data, withoutResponse) => {
        if (!live()) return withoutResponse ? undefined : ATT.UNLIKELY_ERROR;
        const entry = this.#table.find(service, characteristic);
        const result = checkWrite(entry, withoutResponse, client.encrypted);
        if (result !== ATT.SUCCESS) return withoutResponse ? undefined : result;
        const answer = await this.#call(() => this.#handlers!.write({ service: entry!.service, characteristic: entry!.uuid, client: client.address, data: Buffer.from(data), offset: 0, withoutResponse }), ATT.UNLIKELY_ERROR);
        return withoutResponse ? undefined : answer;
      },
      subscribe: (service, characteristic) => {
        if (!live()) return ATT.UNLIKELY_ERROR;
        const entry = this.#table.find(service, characteristic);
        const result = checkSubscribe(entry, client.encrypted);
        if (result !== ATT.SUCCESS) return result;
        const key = gattKey(entry!.service, entry!.uuid);
        if (!link.subscriptions.has(key)) {
          link.subscriptions.add(key);
          this.#handlers!.subscribe({ service: entry!.service, characteristic: entry!.uuid, client: client.address, maxValueSize: link.mtu - 3 });
        }
        return ATT.SUCCESS;
      },
      unsubscribe: (service, characteristic) => {
        if (!live()) return ATT.UNLIKELY_ERROR;
        const entry = this.#table.find(service, characteristic);
        const result = checkSubscribe(entry, client.encrypted);
        if (result !== ATT.SUCCESS) return result;
        const key = gattKey(entry!.service, entry!.uuid);
        if (link.subscriptions.delete(key)) this.#handlers!.unsubscribe({ service: entry!.service, characteristic: entry!.uuid, client: client.address });
        return ATT.SUCCESS;
      },
      disconnect: () => {
        if (live()) this.#drop(link, 'remote disconnect', false);
      },
    };
  }

  /** A handler that throws answers Unlikely Error (and is reported) rather than leaving the central waiting. */
  async #call<T>(handler: () => Promise<T>, failed: T): Promise<T> {
    try {
      return await handler();
    } catch (err) {
      this.events.emit('error', new DriverError('ble', `a GATT request handler failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, code: 'BLE_HANDLER_FAILED' }));
      return failed;
    }
  }

  /** The link ends: subscriptions end first, then the disconnect, as bleno reports them. */
  #drop(link: Link, reason: string, tellClient: boolean): void {
    if (!this.#links.delete(link)) return;
    for (const key of link.subscriptions) {
      const [service, characteristic] = key.split('/') as [string, string];
      this.#handlers?.unsubscribe({ service, characteristic, client: link.client.address });
    }
    link.subscriptions.clear();
    this.events.emit('disconnect', { client: link.client.address });
    if (tellClient) link.client.lost(reason);
  }
}
