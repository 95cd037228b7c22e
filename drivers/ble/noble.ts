/**
 * The real central: scanning and connecting on @abandonware/noble, on one HCI adapter chosen with
 * noble's `deviceId` option (lib/hci-socket/hci.js), so several centrals can live in one process.
 *
 * noble decodes adverts into fields and merges them per device; the runtime wants the bytes. So
 * the binding reads the LE advertising report events from the raw HCI packets on noble's socket
 * (noble-adverts.ts) and pairs each scannable advert with the scan response that follows it.
 * noble's own pipeline still runs alongside: its peripheral objects are what connect() uses.
 *
 * What it asks for (a scan) it keeps (noble-scan.ts): re-applied when the adapter comes back to
 * poweredOn, after a connection attempt (the kernel makes the connection and stops the scan,
 * below), and whenever another program's scan commands took the adapter.
 */
import { createRequire } from 'node:module';
import { Emitter } from '../../runtime/emitter.js';
import { DriverError, errorMessage } from '../../runtime/errors.js';
import type { BleCentral, BleConnection, BleState, CentralEvents } from './ble.js';
import { bleOpenError } from './hci-errors.js';
import {
  controlDevicePoll,
  eventOrTimeout,
  guardPacketHandling,
  initCapturingListeners,
  listen,
  quietStateChange,
  removeListeners,
  settleOpen,
  toBleState,
  type DevicePoll,
  type ProcessListener,
} from './library-guards.js';
import type { Noble, NobleBindings, NobleFactory, NoblePeripheral } from './libraries.js';
import { AdvertAssembler, parseAdvertisingReports } from './noble-adverts.js';
import { NobleConnection } from './noble-connection.js';
import { ScanKeeper } from './noble-scan.js';

export const NOBLE_LIBRARY = '@abandonware/noble';

export interface NobleCentralOptions {
  /** The adapter number: 1 for hci1. */
  hci: number;
  /** Loads noble's with-custom-binding factory (tests give one that fails). */
  load?: () => unknown;
  /** How long open() waits for the adapter to report poweredOn/poweredOff. */
  openTimeoutMs?: number;
  /**
   * How long connect() may take. Longer than the kernel's 40 s L2CAP connect (see connect()), so
   * that noble's own LE Create Connection, sent when the kernel gives up, still has a moment.
   */
  connectTimeoutMs?: number;
}

/**
 * After a power-on, wait before scanning again: the kernel initialises the controller, and noble
 * reacts to the completions of the kernel's commands (HCI Reset, Read Local Version) by re-running
 * parts of its own initialisation, which would stop a scan started meanwhile.
 */
const POWER_ON_SETTLE_MS = 1500;
const ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

const requireHere = createRequire(import.meta.url);

export class NobleCentral implements BleCentral {
  readonly binding = 'noble';
  readonly adapter: string;
  readonly events = new Emitter<CentralEvents>();
  readonly #hci: number;
  readonly #load: () => unknown;
  readonly #openTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  #noble: Noble | undefined;
  #opening: Promise<void> | undefined;
  #poll: DevicePoll | undefined;
  #offs: (() => void)[] = [];
  #exitListeners: ProcessListener[] = [];
  #state: BleState = 'unknown';
  #offerState: ((state: BleState) => void) | undefined;
  readonly #scan: ScanKeeper;
  readonly #adverts = new AdvertAssembler((advert) => this.events.emit('advert', advert));
  #connecting = new Set<string>();
  #connections = new Map<string, NobleConnection>();

  constructor(options: NobleCentralOptions) {
    this.#hci = options.hci;
    this.adapter = `hci${options.hci}`;
    this.#load = options.load ?? (() => requireHere(`${NOBLE_LIBRARY}/with-custom-binding`));
    this.#openTimeoutMs = options.openTimeoutMs ?? 10_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 45_000;
    this.#scan = new ScanKeeper({
      adapter: this.adapter,
      // Active scan, duplicates reported: the watcher above does its own sampling.
      startScanning: () => this.#noble?.startScanning([], true),
      free: () => this.#noble !== undefined && this.#state === 'poweredOn' && this.#connecting.size === 0,
      report: (err) => this.events.emit('error', err),
    });
  }

  state(): BleState {
    return this.#state;
  }

  get scanning(): boolean {
    return this.#scan.on;
  }

  open(): Promise<void> {
    if (this.#noble) return Promise.resolve();
    this.#opening ??= this.#open().finally(() => (this.#opening = undefined));
    return this.#opening;
  }

  async #open(): Promise<void> {
    let noble: Noble;
    try {
      const factory = this.#load() as NobleFactory;
      if (typeof factory !== 'function') throw new TypeError(`${NOBLE_LIBRARY}/with-custom-binding did not export a function`);
      // Loads the native addon and opens the HCI socket: EAFNOSUPPORT here on a kernel without Bluetooth.
      noble = factory({ deviceId: this.#hci });
    } catch (err) {
      this.#state = 'missing';
      throw bleOpenError('central', this.adapter, NOBLE_LIBRARY, err);
    }
    const bindings = noble._bindings;
    const hci = bindings._hci;
    guardPacketHandling(
      hci,
      (err) => this.#libraryError(err),
      (packet) => {
        if (!this.#scan.wanted) return;
        const time = Date.now();
        for (const report of parseAdvertisingReports(packet)) this.#adverts.add(report, time, this.#scan.active);
      },
    );
    guardAsync(hci, ['writeAclDataPkt', 'flushAcl'], (err) => this.#libraryError(err));
    quietStateChange(bindings);
    quietUnknownDisconnections(bindings);
    this.#poll = controlDevicePoll(hci);
    const offs = this.#offs;
    listen(offs, bindings, 'stateChange', (state: string) => this.#onState(state));
    listen(offs, hci, 'leScanEnableSet', (status: number) => this.#scan.status(status));
    listen(offs, noble, 'scanStart', (filterDuplicates: boolean) => this.#scan.started(filterDuplicates));
    listen(offs, noble, 'scanStop', () => this.#scan.stopped());
    listen(offs, noble, 'warning', (message: string) => this.#libraryError(new Error(message)));
    this.#noble = noble;
    const settle = settleOpen('central', this.adapter, this.#openTimeoutMs);
    this.#offerState = settle.offer;
    // Reading `state` makes noble bind the socket to the adapter now (ENODEV, EBUSY throw here)
    // rather than on a later tick where the error would only be printed.
    const { added, error } = initCapturingListeners(() => void noble.state);
    removeListeners(added, 'SIGINT');
    this.#exitListeners = added.filter((l) => l.event === 'exit');
    try {
      if (error !== undefined) {
        settle.cancel();
        this.#state = 'missing';
        throw bleOpenError('central', this.adapter, NOBLE_LIBRARY, error);
      }
      await settle.done;
    } catch (err) {
      this.#teardown();
      throw err;
    } finally {
      this.#offerState = undefined;
    }
  }

  async startScan(): Promise<void> {
    this.#require('start a scan');
    await this.#scan.start();
  }

  async stopScan(): Promise<void> {
    this.#scan.unwant();
    this.#adverts.flush(true);
    const noble = this.#noble;
    if (!noble || !this.#scan.active) return;
    // noble never confirms stopping a scan the controller had already ended: do not wait long for it.
    await eventOrTimeout(noble, 'scanStop', 2000, () => noble.stopScanning());
    this.#scan.off();
  }

  #onState(raw: string): void {
    const state = toBleState(raw);
    const previous = this.#state;
    this.#state = state;
    this.#offerState?.(state);
    if (state !== 'poweredOn') {
      this.#scan.adapterOff(`the adapter is ${state}`);
      this.#adverts.flush(false);
      for (const conn of [...this.#connections.values()]) conn.drop(`adapter ${this.adapter} is ${state}`);
    }
    if (state !== previous) this.events.emit('state', state);
    if (state === 'poweredOn' && previous !== 'poweredOn') this.#scan.resume(previous === 'poweredOff' ? POWER_ON_SETTLE_MS : 0);
  }

  /**
   * Connects through noble. The hci-socket addon does not send noble's LE Create Connection: it
   * makes a blocking L2CAP connect() to the device's ATT channel and lets the kernel connect
   * (scanning for the device on its own, which ends any scan here). That call blocks the whole
   * event loop until the link is up, or the kernel's attempt fails, or 40 s pass without the
   * device being seen (the L2CAP connect timeout); nothing, an AbortSignal included, runs
   * meanwhile. If the kernel gives up, the addon sends noble's own command after all.
   */
  async connect(address: string, signal?: AbortSignal): Promise<BleConnection> {
    const noble = this.#require(`connect to ${address}`);
    const addr = address.toLowerCase();
    const fail = (why: string, code: string) => new DriverError('ble', `${this.adapter}: cannot connect to ${address}: ${why}`, { code });
    if (!ADDRESS.test(addr)) throw fail('expected an address like "aa:bb:cc:dd:ee:ff"', 'BLE_BAD_ADDRESS');
    if (this.#state !== 'poweredOn') throw fail(`the adapter is ${this.#state}`, 'BLE_NOT_READY');
    const peripheral = noble._peripherals[addr.replace(/:/g, '')];
    if (!peripheral) throw fail('it has not been seen in a scan (scan until its advert arrives, then connect)', 'BLE_NOT_SEEN');
    if (this.#connections.has(addr) || this.#connecting.has(addr)) throw fail('already connected (or connecting) on this adapter', 'BLE_ALREADY_CONNECTED');
    if (signal?.aborted) throw fail('aborted', 'BLE_ABORTED');
    this.#connecting.add(addr);
    try {
      await this.#establish(peripheral, addr, signal);
    } finally {
      this.#connecting.delete(addr);
      this.#scan.resume(0);
    }
    let conn: NobleConnection;
    try {
      conn = new NobleConnection({ adapter: this.adapter, address: addr, peripheral, bindings: noble._bindings });
    } catch (err) {
      peripheral.disconnect();
      throw err;
    }
    this.#connections.set(addr, conn);
    conn.events.once('disconnect', () => this.#connections.delete(addr));
    return conn;
  }

  #establish(peripheral: NoblePeripheral, address: string, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const onConnect = (err?: unknown) => {
        if (settled) {
          // A link that came up after the attempt was given up is not wanted.
          if (!err) peripheral.disconnect();
          return;
        }
        settled = true;
        finish();
        if (err) reject(new DriverError('ble', `${this.adapter}: cannot connect to ${address}: ${errorMessage(err)}`, { cause: err, code: 'BLE_CONNECT_FAILED' }));
        else resolve();
      };
      const giveUp = (err: DriverError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(err);
        peripheral.cancelConnect();
        // Kept a while for a late success, which is then disconnected.
        setTimeout(() => peripheral.removeListener('connect', onConnect), 10_000).unref();
        setTimeout(() => this.#forgetAttempt(peripheral.id), 2000).unref();
      };
      const onAbort = () => giveUp(new DriverError('ble', `${this.adapter}: connecting to ${address} was aborted`, { cause: signal?.reason, code: 'BLE_ABORTED' }));
      const timer = setTimeout(() => giveUp(new DriverError('ble', `${this.adapter}: cannot connect to ${address}: no connection within ${this.#connectTimeoutMs / 1000} s (is it still advertising, and in range?)`, { code: 'BLE_CONNECT_TIMEOUT' })), this.#connectTimeoutMs);
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        peripheral.removeListener('connect', onConnect);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      peripheral.on('connect', onConnect);
      try {
        peripheral.connect();
      } catch (err) {
        onConnect(err);
      }
    });
  }

  /**
   * noble forgets a connection attempt only when the controller reports how it ended; a controller
   * that never does (the cancel refused) would leave every later connect queued behind it.
   */
  #forgetAttempt(id: string): void {
    const bindings = this.#noble?._bindings;
    if (!bindings || bindings._pendingConnectionUuid !== id) return;
    bindings._pendingConnectionUuid = null;
    const next = bindings._connectionQueue.shift();
    if (next) {
      bindings._pendingConnectionUuid = next.id;
      bindings._hci.createLeConn?.(bindings._addresses[next.id], bindings._addresseTypes[next.id], next.params);
    }
  }

  async close(): Promise<void> {
    const noble = this.#noble;
    if (!noble) return;
    this.#scan.unwant();
    await Promise.all([...this.#connections.values()].map((c) => c.disconnect().catch(() => undefined)));
    await this.stopScan().catch(() => undefined);
    this.#teardown();
    this.#state = 'unknown';
  }

  /** Stops the library's socket and device poll and lets go of it (the addon keeps the fd open). */
  #teardown(): void {
    const noble = this.#noble;
    this.#noble = undefined;
    this.#poll?.stop();
    this.#poll = undefined;
    this.#adverts.flush(false);
    this.#scan.close();
    for (const off of this.#offs.splice(0)) off();
    removeListeners(this.#exitListeners.splice(0));
    try {
      noble?._bindings._hci._socket.stop();
    } catch {
      // A socket that never started.
    }
  }

  #require(what: string): Noble {
    if (!this.#noble) throw new DriverError('ble', `${this.adapter}: cannot ${what}: the central is not open (open() first)`, { code: 'BLE_NOT_OPEN' });
    return this.#noble;
  }

  #libraryError(err: unknown): void {
    this.events.emit('error', new DriverError('ble', `${this.adapter}: noble: ${errorMessage(err)}`, { cause: err, code: 'BLE_LIBRARY_ERROR' }));
  }
}

/**
 * noble prints a warning for every disconnection of a link it did not make: on an adapter shared
 * with bleno, each central leaving the peripheral. Those are not noble's business; the rest is.
 */
function quietUnknownDisconnections(bindings: NobleBindings): void {
  const handle = bindings.onDisconnComplete;
  bindings.onDisconnComplete = function onDisconnComplete(this: NobleBindings, connection: number, reason: number) {
    if (this._handles[connection] === undefined) return;
    handle.call(this, connection, reason);
  };
}

/** noble's ACL writers are async functions; a throw inside them would be an unhandled rejection. */
function guardAsync(target: object, methods: readonly string[], report: (err: unknown) => void): void {
  const t = target as Record<string, unknown>;
  for (const name of methods) {
    const method = t[name];
    if (typeof method !== 'function') continue;
    t[name] = function guarded(this: unknown, ...args: unknown[]) {
      return Promise.resolve()
        .then(() => (method as (...a: unknown[]) => unknown).apply(this, args))
        .catch(report);
    };
  }
}
