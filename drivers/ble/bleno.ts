/**
 * The real peripheral: advertising and a GATT server on @abandonware/bleno.
 *
 * bleno is a process singleton: loading the module opens its HCI socket, and the first
 * 'stateChange' listener binds it to the adapter named by BLENO_HCI_DEVICE_ID, once. So one
 * BlenoPeripheral can be open at a time in a process, always on the adapter the first one used;
 * another adapter needs another process. A closed peripheral stops bleno's socket and device poll
 * (the library never does), so the process can exit, and a later open() starts them again.
 *
 * What was asked for (the advertising payload, the services) is kept and re-applied when the
 * adapter comes back to poweredOn. A central connecting ends connectable advertising (the
 * controller stops it); bleno restarts it when that central leaves, and serves one central at a time.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Emitter } from '../../runtime/emitter.js';
import { DriverError, errorMessage } from '../../runtime/errors.js';
import { normaliseUuid, type BlePeripheral, type BleState, type GattHandlers, type LocalService, type PeripheralEvents } from './ble.js';
import { buildBlenoServices, checkServices, type GattTarget } from './bleno-gatt.js';
import { bleOpenError } from './hci-errors.js';
import { controlDevicePoll, eventOrTimeout, guardPacketHandling, initCapturingListeners, listen, quietStateChange, removeListeners, settleOpen, toBleState, type DevicePoll } from './library-guards.js';
import type { Bleno } from './libraries.js';

export const BLENO_LIBRARY = '@abandonware/bleno';

export interface BlenoPeripheralOptions {
  /** The adapter number: 0 for hci0. */
  hci: number;
  /** The GAP Device Name the GATT server shows (bleno's default is the host name). */
  deviceName?: string;
  /** Loads bleno (tests give one that fails). Called with BLENO_HCI_DEVICE_ID already set. */
  load?: () => unknown;
  openTimeoutMs?: number;
}

/** After a power-on, as for noble: bleno re-runs its initialisation on the kernel's own commands. */
const POWER_ON_SETTLE_MS = 1500;
const requireHere = createRequire(import.meta.url);

/** The process's bleno, once loaded: which adapter it is bound to, and whether init() ran. */
let shared: { adapter: number; bleno: Bleno; poll: DevicePoll; initError?: DriverError; initialised: boolean } | undefined;
let owner: BlenoPeripheral | undefined;

export class BlenoPeripheral implements BlePeripheral {
  readonly binding = 'bleno';
  readonly adapter: string;
  readonly events = new Emitter<PeripheralEvents>();
  readonly #hci: number;
  readonly #deviceName: string | undefined;
  readonly #load: () => unknown;
  readonly #openTimeoutMs: number;
  #bleno: Bleno | undefined;
  #opening: Promise<void> | undefined;
  #offs: (() => void)[] = [];
  #state: BleState = 'unknown';
  #offerState: ((state: BleState) => void) | undefined;
  #advert: { data: Buffer; scanResponse: Buffer } | undefined;
  #onAir = false;
  /** The payload changed while a central was connected: apply it when advertising restarts. */
  #dirty = false;
  #restartPending = false;
  #advertQueue: Promise<void> = Promise.resolve();
  #client: string | undefined;
  #target: GattTarget;

  constructor(options: BlenoPeripheralOptions) {
    this.#hci = options.hci;
    this.adapter = `hci${options.hci}`;
    this.#deviceName = options.deviceName;
    this.#load = options.load ?? (() => requireHere(BLENO_LIBRARY));
    this.#openTimeoutMs = options.openTimeoutMs ?? 10_000;
    this.#target = { services: [], client: () => this.#client ?? 'unknown', subscribers: new Map(), error: (err) => this.#error(err) };
  }

  state(): BleState {
    return this.#state;
  }

  get advertising(): boolean {
    return this.#onAir;
  }

  open(): Promise<void> {
    if (this.#bleno) return Promise.resolve();
    this.#opening ??= this.#claimAndOpen().finally(() => (this.#opening = undefined));
    return this.#opening;
  }

  async #claimAndOpen(): Promise<void> {
    const head = `Bluetooth LE peripheral on ${this.adapter} cannot start`;
    if (owner && owner !== this) {
      throw new DriverError('ble', `${head}: this process already has an open bleno peripheral (on ${owner.adapter}); bleno is a process singleton, so one peripheral per process`, { code: 'BLE_PERIPHERAL_IN_USE' });
    }
    if (shared && shared.adapter !== this.#hci) {
      throw new DriverError('ble', `${head}: bleno was started on hci${shared.adapter} in this process and cannot move to another adapter (it reads BLENO_HCI_DEVICE_ID once): restart the process to change the peripheral's adapter`, { code: 'BLE_PERIPHERAL_IN_USE' });
    }
    if (shared?.initError) throw shared.initError;
    owner = this;
    try {
      await this.#open();
    } catch (err) {
      if (owner === this) owner = undefined;
      throw err;
    }
  }

  async #open(): Promise<void> {
    const lib = shared ?? this.#loadLibrary();
    shared = lib;
    const bleno = lib.bleno;
    const bindings = bleno._bindings;
    const offs = this.#offs;
    listen(offs, bindings, 'stateChange', (state: string) => this.#onState(state));
    listen(offs, bleno, 'accept', (client: string) => this.#onAccept(client));
    listen(offs, bleno, 'disconnect', (client: string) => this.#onDisconnect(client));
    listen(offs, bindings._hci, 'leAdvertiseEnableSet', (status: number) => this.#onAdvertiseEnable(status));
    this.#bleno = bleno;
    const settle = settleOpen('peripheral', this.adapter, this.#openTimeoutMs);
    this.#offerState = settle.offer;
    try {
      if (!lib.initialised) {
        // The first 'stateChange' listener makes bleno bind its socket (BLENO_HCI_DEVICE_ID) and start.
        const { added, error } = initCapturingListeners(() => bleno.on('stateChange', () => undefined));
        removeListeners(added, 'SIGINT');
        if (error !== undefined) {
          // bleno cannot be initialised twice (it would add its listeners again): this stays the answer.
          lib.initError = bleOpenError('peripheral', this.adapter, BLENO_LIBRARY, error);
          settle.cancel();
          this.#state = 'missing';
          throw lib.initError;
        }
        lib.initialised = true;
      } else {
        // Reopened: start the socket and a fresh device poll, which re-runs bleno's initialisation.
        bindings._state = null;
        bindings._hci._state = null;
        bindings._hci._socket.start();
        lib.poll.restart();
      }
      await settle.done;
    } catch (err) {
      this.#detach();
      throw err;
    } finally {
      this.#offerState = undefined;
    }
    this.#applyServices();
  }

  #loadLibrary(): NonNullable<typeof shared> {
    // bleno reads the adapter from the environment (lib/hci-socket/hci.js init()).
    process.env.BLENO_HCI_DEVICE_ID = String(this.#hci);
    if (this.#deviceName !== undefined) process.env.BLENO_DEVICE_NAME = this.#deviceName;
    let bleno: Bleno;
    try {
      bleno = this.#load() as Bleno;
      if (!bleno?._bindings?._hci) throw new TypeError(`${BLENO_LIBRARY} is not the expected library (no HCI bindings)`);
      stopManagementSocket();
      // bind() would say ENODEV, but only from bleno's one-time init; say it before touching it.
      if (existsSync('/sys/class/bluetooth') && !existsSync(`/sys/class/bluetooth/${this.adapter}`)) {
        throw Object.assign(new Error(`bind ENODEV, No such device (${this.adapter})`), { code: 'ENODEV' });
      }
    } catch (err) {
      this.#state = 'missing';
      throw bleOpenError('peripheral', this.adapter, BLENO_LIBRARY, err);
    }
    const hci = bleno._bindings._hci;
    guardPacketHandling(hci, (err) => {
      if (owner) owner.#error(new DriverError('ble', `${owner.adapter}: bleno: ${errorMessage(err)}`, { cause: err, code: 'BLE_LIBRARY_ERROR' }));
    });
    quietStateChange(bleno._bindings);
    return { adapter: this.#hci, bleno, poll: controlDevicePoll(hci), initialised: false };
  }

  async startAdvertising(data: Buffer, scanResponse: Buffer = Buffer.alloc(0)): Promise<void> {
    this.#require('start advertising');
    for (const [name, bytes] of [['advertising data', data], ['scan response', scanResponse]] as const) {
      if (bytes.length > 31) throw new DriverError('ble', `${this.adapter}: cannot advertise: the ${name} is ${bytes.length} bytes, legacy advertising carries at most 31`, { code: 'BLE_ADVERT_TOO_LONG' });
    }
    this.#advert = { data: Buffer.from(data), scanResponse: Buffer.from(scanResponse) };
    if (this.#state !== 'poweredOn') return;
    if (this.#client !== undefined) {
      // Connectable advertising cannot run while the central is connected; it restarts when it leaves.
      this.#dirty = true;
      return;
    }
    await this.#serially(() => this.#applyAdvert());
  }

  async stopAdvertising(): Promise<void> {
    this.#advert = undefined;
    this.#dirty = false;
    this.#restartPending = false;
    if (!this.#bleno) return;
    await this.#serially(async () => {
      const wasOnAir = this.#onAir;
      if (wasOnAir || this.#bleno?._bindings._advertising) await this.#stopOnAir();
      if (wasOnAir) this.events.emit('advertising', { status: 'stopped' });
    });
  }

  async setServices(services: LocalService[], handlers: GattHandlers): Promise<void> {
    this.#require('serve GATT services');
    const checked = checkServices(services, this.adapter);
    this.#target.services = checked;
    this.#target.handlers = handlers;
    this.#target.subscribers.clear();
    this.#applyServices();
  }

  notify(service: string, characteristic: string, data: Buffer): number {
    const subscribers = this.#target.subscribers.get(`${normaliseUuid(service)}/${normaliseUuid(characteristic)}`);
    if (!subscribers) return 0;
    let reached = 0;
    for (const [client, send] of subscribers) {
      try {
        send(Buffer.from(data));
        reached++;
      } catch (err) {
        this.#error(new DriverError('ble', `${this.adapter}: notifying ${client} of ${service}/${characteristic} failed: ${errorMessage(err)}`, { cause: err }));
      }
    }
    return reached;
  }

  async close(): Promise<void> {
    const bleno = this.#bleno;
    if (!bleno) return;
    this.#advert = undefined;
    await this.stopAdvertising().catch(() => undefined);
    if (this.#client !== undefined) await eventOrTimeout(bleno, 'disconnect', 2000, () => bleno.disconnect());
    this.#target.services = [];
    this.#target.subscribers.clear();
    try {
      this.#applyServices();
    } catch {
      // An empty table; nothing to refuse.
    }
    this.#detach();
    this.#state = 'unknown';
  }

  /** Stops bleno's socket and device poll, drops this peripheral's listeners, frees the singleton. */
  #detach(): void {
    const bleno = this.#bleno;
    this.#bleno = undefined;
    this.#onAir = false;
    this.#client = undefined;
    this.#restartPending = false;
    for (const off of this.#offs.splice(0)) off();
    if (shared) shared.poll.stop();
    try {
      bleno?._bindings._hci._socket.stop();
    } catch {
      // A socket that never started.
    }
    if (owner === this) owner = undefined;
  }

  #onState(raw: string): void {
    const state = toBleState(raw);
    const previous = this.#state;
    this.#state = state;
    this.#offerState?.(state);
    if (state !== 'poweredOn') {
      this.#restartPending = false;
      if (this.#client !== undefined) this.#onDisconnect(this.#client);
      if (this.#onAir) {
        this.#onAir = false;
        this.events.emit('advertising', { status: 'aborted', error: new DriverError('ble', `${this.adapter}: advertising ended: the adapter is ${state}`, { code: 'BLE_ADAPTER_OFF' }) });
      }
    }
    if (state !== previous) this.events.emit('state', state);
    if (state === 'poweredOn' && previous !== 'poweredOn' && this.#advert && this.#bleno) this.#reapply(previous === 'poweredOff' ? POWER_ON_SETTLE_MS : 0);
  }

  /** Puts the wanted advert back on air, trying twice: the first try can meet bleno's re-initialisation. */
  #reapply(delay: number): void {
    setTimeout(() => {
      this.#serially(() => this.#applyAdvert(false))
        .catch(() => new Promise((r) => setTimeout(r, 1000)).then(() => this.#serially(() => this.#applyAdvert(true))))
        .catch(() => undefined);
    }, delay).unref();
  }

  #onAccept(client: string): void {
    this.#client = client;
    if (this.#onAir) {
      // The controller ended connectable advertising when the central connected.
      this.#onAir = false;
      this.events.emit('advertising', { status: 'stopped' });
    }
    this.events.emit('accept', { client });
  }

  #onDisconnect(client: string): void {
    if (this.#client === undefined) return;
    this.#client = undefined;
    for (const subscribers of this.#target.subscribers.values()) subscribers.delete(client);
    // bleno re-enables advertising by itself after a disconnection (when it was advertising).
    if (this.#advert && this.#bleno?._bindings._advertising && this.#state === 'poweredOn') this.#restartPending = true;
    this.events.emit('disconnect', { client });
    if (this.#advert && !this.#restartPending && this.#state === 'poweredOn') this.#reapply(0);
  }

  /** The answer to bleno's own re-enable after a central left (bleno reports nothing for it). */
  #onAdvertiseEnable(status: number): void {
    if (!this.#restartPending || this.#bleno?._bindings._gap._advertiseState !== 'restarting') return;
    this.#restartPending = false;
    if (status !== 0) {
      this.events.emit('advertising', { status: 'aborted', error: new DriverError('ble', `${this.adapter}: advertising did not restart after the central left (HCI status 0x${status.toString(16).padStart(2, '0')})`, { code: 'BLE_ADVERTISING_FAILED' }) });
      return;
    }
    this.#onAir = true;
    this.events.emit('advertising', { status: 'started' });
    if (this.#dirty) this.#reapply(0);
  }

  #serially(work: () => Promise<void>): Promise<void> {
    const run = this.#advertQueue.then(work, work);
    this.#advertQueue = run.catch(() => undefined);
    return run;
  }

  /** Puts the wanted payload on air (replacing what is there); emits started (or aborted, if `report`). */
  async #applyAdvert(report = true): Promise<void> {
    const bleno = this.#bleno;
    const want = this.#advert;
    if (!bleno || !want || this.#state !== 'poweredOn' || this.#client !== undefined) return;
    this.#dirty = false;
    // Enabling advertising that is already enabled is refused (Command Disallowed): stop first.
    if (this.#onAir || bleno._bindings._advertising) await this.#stopOnAir();
    this.#onAir = false;
    const error = await this.#await(bleno, ['advertisingStart', 'advertisingStartError'], 5000, () => bleno.startAdvertisingWithEIRData(want.data, want.scanResponse));
    if (error === undefined) {
      this.#onAir = true;
      this.events.emit('advertising', { status: 'started' });
      return;
    }
    const err = new DriverError('ble', `${this.adapter}: cannot start advertising: ${errorMessage(error)}`, { cause: error, code: 'BLE_ADVERTISING_FAILED' });
    if (report) this.events.emit('advertising', { status: 'aborted', error: err });
    throw err;
  }

  async #stopOnAir(): Promise<void> {
    const bleno = this.#bleno;
    if (!bleno) return;
    await this.#await(bleno, ['advertisingStop'], 2000, () => bleno.stopAdvertising());
    this.#onAir = false;
  }

  /** Calls `act` and waits for the first of `events`; resolves with its error argument (or a timeout error). */
  #await(bleno: Bleno, events: readonly string[], ms: number, act: () => void): Promise<unknown> {
    return new Promise((resolve) => {
      const listeners = events.map((event) => [event, (err?: unknown) => finish(err ?? undefined)] as const);
      const timer = setTimeout(() => finish(new Error(`no answer from the controller within ${ms} ms`)), ms);
      const finish = (result: unknown) => {
        clearTimeout(timer);
        for (const [event, listener] of listeners) bleno.removeListener(event, listener);
        resolve(result);
      };
      for (const [event, listener] of listeners) bleno.on(event, listener);
      try {
        act();
      } catch (err) {
        finish(err);
      }
    });
  }

  #applyServices(): void {
    const bleno = this.#bleno;
    if (!bleno) return;
    const built = buildBlenoServices(bleno, this.#target);
    // bleno reads the GAP Device Name from the environment each time services are set.
    const previous = process.env.BLENO_DEVICE_NAME;
    if (this.#deviceName !== undefined) process.env.BLENO_DEVICE_NAME = this.#deviceName;
    try {
      bleno.setServices(built);
    } catch (err) {
      throw new DriverError('ble', `${this.adapter}: bleno refused the GATT services: ${errorMessage(err)}`, { cause: err, code: 'BLE_BAD_SERVICES' });
    } finally {
      if (previous === undefined) delete process.env.BLENO_DEVICE_NAME;
      else process.env.BLENO_DEVICE_NAME = previous;
    }
  }

  #require(what: string): Bleno {
    if (!this.#bleno) throw new DriverError('ble', `${this.adapter}: cannot ${what}: the peripheral is not open (open() first)`, { code: 'BLE_NOT_OPEN' });
    return this.#bleno;
  }

  #error(err: Error): void {
    this.events.emit('error', err);
  }
}

/**
 * bleno's lib/hci-socket/mgmt.js opens and starts a management socket when it loads (to hand
 * the kernel the keys of paired centrals), which would keep the process alive for good. It is
 * only ever written to, which works on a stopped socket.
 */
function stopManagementSocket(): void {
  for (const [file, entry] of Object.entries(requireHere.cache)) {
    if (!/[\\/]@abandonware[\\/]bleno[\\/]lib[\\/]hci-socket[\\/]mgmt\.js$/.test(file)) continue;
    const socket = (entry?.exports as { _socket?: { stop?: () => void } } | undefined)?._socket;
    try {
      socket?.stop?.();
    } catch {
      // Not the socket expected; leave it.
    }
  }
}
