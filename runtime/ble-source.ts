/**
 * Connects Bluetooth LE to the runtime. The central's scan feeds the advertisement watchers, the
 * notification links and the BTHome sensors, each advert parsed at most once; the peripheral
 * serves the bundles' GATT services and advertises for the publishers. Triggers exist from the
 * config, so registrations arm even while an adapter is missing or off: the bindings put the
 * scan, the advert and the services back when the adapter returns, the links reconnect, and
 * every state change is logged and shown by `vigil status`.
 */
import { parseAdvert } from '../drivers/ble/adv/parse.js';
import { BTHOME_CHANNELS } from '../drivers/ble/adv/bthome-objects.js';
import type { DeviceConfig } from './config.js';
import type { ParsedAdvert } from '../drivers/ble/adv/types.js';
import type { BleAdvert, BleCentral, BlePeripheral, BleState } from '../drivers/ble/ble.js';
import { Advertiser } from './ble-advertiser.js';
import { BleSensors, type BleSensorConfig } from './ble-sensors.js';
import { AdvertWatcher } from './ble-watcher.js';
import type { ArmedRegistration, Broker } from './broker.js';
import type { Capabilities } from './capabilities.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Unsubscribe } from './emitter.js';
import { errorMessage, type VigilError } from './errors.js';
import { GattLinks, type LinkStatus } from './gatt-links.js';
import { GattServer } from './gatt-server.js';
import type { Logger } from './logger.js';
import { bleTriggers } from './triggers/ble.js';
import { bleRoleLimits } from '../drivers/ble/role-limits.js';
import type { WatcherData } from './triggers/ble-data.js';

export interface BleSourceConfig {
  sensors: Record<string, BleSensorConfig>;
  gattResponseMs: number;
  reconnect: { minSec: number; maxSec: number };
  deviceName: string;
}

export interface BleDeps {
  broker: Broker;
  capabilities: Capabilities;
  log: Logger;
  clock: Clock;
  /** Channel names a BTHome sensor may have when its config does not list them (all of BTHome's by default). */
  bthomeChannels?: readonly string[];
}

type BleConfig = NonNullable<DeviceConfig['drivers']['ble']>;

export interface BleStatus {
  central?: { binding: string; adapter: string; state: BleState; scanning: boolean; adverts: number; watchers: number; error?: string };
  peripheral?: { binding: string; adapter: string; state: BleState; advertising: boolean; services: string[]; subscribers: number; publishers: { name: string; status: string }[]; error?: string };
  sensors: ReturnType<BleSensors['status']>;
  links: LinkStatus[];
}

const LIVE: BleState = 'poweredOn';

export class BleSource {
  readonly central: BleCentral | undefined;
  readonly peripheral: BlePeripheral | undefined;
  readonly sensors: BleSensors;
  readonly #d: BleDeps;
  readonly #watchers = new Map<string, { watcher: AdvertWatcher; registration: ArmedRegistration }>();
  readonly #links: GattLinks | undefined;
  readonly #gatt: GattServer | undefined;
  readonly #advertiser: Advertiser | undefined;
  readonly #offs: Unsubscribe[] = [];
  readonly #errors: { central?: string; peripheral?: string } = {};
  readonly #retries = new Set<TimerHandle>();
  readonly #shared: boolean;
  /** Centrals connected to the peripheral. */
  readonly #clients = new Set<string>();
  #closed = false;
  #centralOpen = false;
  #centralWas: BleState | undefined;
  #peripheralWas: BleState | undefined;
  #adverts = 0;

  constructor(drivers: { central?: BleCentral; peripheral?: BlePeripheral }, cfg: BleSourceConfig, deps: BleDeps) {
    this.#d = deps;
    this.central = drivers.central;
    this.peripheral = drivers.peripheral;
    this.sensors = new BleSensors(cfg.sensors, deps.bthomeChannels ?? BTHOME_CHANNELS);
    const { broker, clock, log } = deps;
    // On one real adapter, bleno tracks a single connection whatever its role: a link noble makes
    // while a central is connected to bleno would hide that central's disconnection from it, so
    // notification links wait until the peripheral has no client.
    const shared = (this.#shared = drivers.central !== undefined && drivers.peripheral !== undefined && drivers.central.binding !== 'sim' && drivers.central.adapter === drivers.peripheral.adapter);
    if (this.central) {
      this.#links = new GattLinks({
        central: this.central,
        port: broker.port,
        clock,
        log,
        minMs: cfg.reconnect.minSec * 1000,
        maxMs: cfg.reconnect.maxSec * 1000,
        ...(shared ? { mayConnect: () => this.#clients.size === 0 } : {}),
      });
    }
    if (this.peripheral) {
      const peripheral = this.peripheral;
      this.#gatt = new GattServer({ peripheral, port: broker.port, clock, log, responseMs: cfg.gattResponseMs, changed: () => void this.#advertiser?.update() });
      this.#advertiser = new Advertiser({ peripheral, port: broker.port, log, deviceName: cfg.deviceName, services: () => this.#gatt!.services() });
    }
    const definitions = bleTriggers(
      {
        publisher: (r) => this.#advertiser!.add(r),
        gattService: (r) => this.#gatt!.add(r),
        watcher: (r) => this.#addWatcher(r),
        notification: (r) => {
          const off = this.#links!.add(r);
          this.#updateScan();
          return () => {
            off();
            this.#updateScan();
          };
        },
      },
      { central: this.central !== undefined, peripheral: this.peripheral !== undefined },
    );
    for (const def of definitions) this.#offs.push(broker.define(def));
    this.#defineCapabilities();
  }

  /** The source for `drivers.ble` of a device config; the peripheral's GAP name defaults to the device's. */
  static fromConfig(cfg: BleConfig, deviceName: string, drivers: { central?: BleCentral | undefined; peripheral?: BlePeripheral | undefined }, deps: BleDeps): BleSource {
    const sensors = Object.fromEntries(
      Object.entries(cfg.sensors).map(([name, s]) => [name, { address: s.address, logEverySec: s.logEverySec, ...(s.key ? { key: s.key } : {}), ...(s.channels ? { channels: s.channels } : {}) }]),
    );
    return new BleSource(
      { ...(drivers.central ? { central: drivers.central } : {}), ...(drivers.peripheral ? { peripheral: drivers.peripheral } : {}) },
      { sensors, gattResponseMs: cfg.gattResponseMs, reconnect: cfg.reconnect, deviceName: (cfg.peripheral ? cfg.peripheral.deviceName : undefined) ?? deviceName },
      deps,
    );
  }

  /**
   * Open the adapters. A failure is logged and kept for status, and the runtime runs on; the
   * adapter is tried again with backoff (5 s doubling to 5 min: a USB dongle plugged in later,
   * a bluetooth service that was still starting), quietly, with one line when it opens.
   */
  async connect(): Promise<void> {
    const { log } = this.#d;
    if (this.central) {
      const c = this.central;
      this.#offs.push(
        c.events.on('state', (s) => this.#centralState(s)),
        c.events.on('advert', (a) => this.#advert(a)),
        c.events.on('error', (err) => log.warn({ evt: 'driver', driver: 'ble', role: 'central', adapter: c.adapter, err: errorMessage(err) }, `Bluetooth LE central on ${c.adapter}: ${errorMessage(err)}`)),
        this.sensors.events.on('frameError', ({ sensor, message }) => log.warn({ evt: 'ble', sensor, err: message }, `BTHome sensor ${sensor}: ${message}`)),
      );
      await this.#open('central', async () => {
        await c.open();
        this.#centralOpen = true;
        this.#updateScan();
      });
    }
    if (this.#shared) {
      const n = Number(this.central!.adapter.replace(/^hci/, ''));
      log.info({ evt: 'driver', driver: 'ble', adapter: this.central!.adapter, limits: bleRoleLimits(n, n) }, `${this.central!.adapter} serves both Bluetooth LE roles: notification links connect only while no central is connected to the peripheral (the other limits are in this line's "limits")`);
    }
    if (this.peripheral) {
      const p = this.peripheral;
      this.#offs.push(
        p.events.on('state', (s) => {
          const was = this.#peripheralWas;
          this.#peripheralWas = s;
          if (was !== undefined && was !== s) log.info({ evt: 'driver', driver: 'ble', role: 'peripheral', adapter: p.adapter, state: s }, `Bluetooth LE peripheral on ${p.adapter}: ${s}`);
        }),
        p.events.on('accept', ({ client }) => {
          this.#clients.add(client);
          log.info({ evt: 'ble', client, connected: true }, `central ${client} connected`);
        }),
        p.events.on('disconnect', ({ client }) => {
          this.#clients.delete(client);
          log.info({ evt: 'ble', client, connected: false }, `central ${client} disconnected`);
        }),
        p.events.on('error', (err) => log.warn({ evt: 'driver', driver: 'ble', role: 'peripheral', adapter: p.adapter, err: errorMessage(err) }, `Bluetooth LE peripheral on ${p.adapter}: ${errorMessage(err)}`)),
      );
      await this.#open('peripheral', async () => {
        await p.open();
        await this.#gatt!.start();
        await this.#advertiser!.start();
      });
    }
  }

  async #open(role: 'central' | 'peripheral', open: () => Promise<void>, attempt = 1): Promise<void> {
    const { log, clock } = this.#d;
    const driver = role === 'central' ? this.central! : this.peripheral!;
    try {
      await open();
      delete this.#errors[role];
      log.info({ evt: 'driver', driver: 'ble', role, binding: driver.binding, adapter: driver.adapter, state: driver.state() }, `Bluetooth LE ${role} open on ${driver.adapter} (${driver.binding}), ${driver.state()}${attempt > 1 ? ` after ${attempt} attempts` : ''}`);
    } catch (err) {
      if (this.#closed) return;
      const first = this.#errors[role] === undefined;
      this.#errors[role] = errorMessage(err);
      if (first) log.error({ evt: 'driver', driver: 'ble', role, adapter: driver.adapter, state: 'failed', err: { code: (err as VigilError).code ?? 'DRIVER_FAILED', message: errorMessage(err) } }, `${errorMessage(err)} (trying again in the background)`);
      const timer = clock.setTimeout(() => void this.#open(role, open, attempt + 1), Math.min(300_000, 5000 * 2 ** (attempt - 1)));
      timer.unref();
      this.#retries.add(timer);
    }
  }

  /** A run ended (the dispatcher's `finished`): a GATT request it left unanswered gets its default answer. */
  finished(taskId: string, details: unknown, completed: boolean): void {
    this.#gatt?.finished(taskId, details, completed);
  }

  status(): BleStatus {
    const c = this.central;
    const p = this.peripheral;
    return {
      ...(c ? { central: { binding: c.binding, adapter: c.adapter, state: c.state(), scanning: c.scanning, adverts: this.#adverts, watchers: this.#watchers.size, ...(this.#errors.central ? { error: this.#errors.central } : {}) } } : {}),
      ...(p
        ? {
            peripheral: {
              binding: p.binding,
              adapter: p.adapter,
              state: p.state(),
              advertising: p.advertising,
              services: this.#gatt!.services().map((s) => s.service.uuid),
              subscribers: this.#gatt!.subscriberCount(),
              publishers: this.#advertiser!.status().map(({ name, status }) => ({ name, status })),
              ...(this.#errors.peripheral ? { error: this.#errors.peripheral } : {}),
            },
          }
        : {}),
      sensors: this.sensors.status(),
      links: this.#links?.status() ?? [],
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#retries) this.#d.clock.clearTimeout(t);
    this.#offs.splice(0).forEach((off) => off());
    for (const { watcher } of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    this.#links?.close();
    this.#gatt?.close();
    this.#advertiser?.close();
    await Promise.allSettled([this.central?.close(), this.peripheral?.close()]);
  }

  #addWatcher(r: ArmedRegistration): Unsubscribe {
    const t = r.trigger as unknown as WatcherData;
    const port = this.#d.broker.port;
    const watcher = new AdvertWatcher(t, this.#d.clock, (advertisements) =>
      port.fire(r.taskId, { error: 'Success', advertisements, signalStrengthFilter: t.signalStrengthFilter ?? null }),
    );
    this.#watchers.set(r.taskId, { watcher, registration: r });
    this.#updateScan();
    return () => {
      watcher.close();
      this.#watchers.delete(r.taskId);
      this.#updateScan();
    };
  }

  /** Scan while anything listens: watchers, notification links (they connect on an advert), BTHome sensors. */
  #updateScan(): void {
    const c = this.central;
    if (!c || !this.#centralOpen) return;
    const wanted = this.#watchers.size > 0 || (this.#links?.size ?? 0) > 0 || this.sensors.size > 0;
    if (wanted === c.scanning) return;
    (wanted ? c.startScan() : c.stopScan()).catch((err: unknown) =>
      this.#d.log.warn({ evt: 'driver', driver: 'ble', role: 'central', adapter: c.adapter, err: errorMessage(err) }, `scan cannot ${wanted ? 'start' : 'stop'}: ${errorMessage(err)}`),
    );
  }

  #advert(a: BleAdvert): void {
    this.#adverts++;
    let parsed: ParsedAdvert | undefined;
    const parse = (): ParsedAdvert => (parsed ??= parseAdvert(a.data, a.scanResponse, this.#keyOptions(a.address)));
    if (this.sensors.wants(a.address)) this.sensors.offer(a, parse());
    for (const { watcher } of this.#watchers.values()) watcher.offer(a, parse);
    this.#links?.offer(a, parse);
  }

  #keyOptions(address: string): { bthomeKey: Buffer; address: string } | undefined {
    const k = this.sensors.keyFor(address);
    return k ? { bthomeKey: k.key, address: k.address } : undefined;
  }

  #centralState(s: BleState): void {
    const c = this.central!;
    const { log, broker } = this.#d;
    const was = this.#centralWas;
    this.#centralWas = s;
    if (was === s) return;
    const back = s === LIVE && was !== undefined && was !== 'unknown';
    // The first state is reported by the "open" line.
    if (was !== undefined) log.info({ evt: 'driver', driver: 'ble', role: 'central', adapter: c.adapter, state: s }, `Bluetooth LE central on ${c.adapter}: ${s}${back ? ' (scan and links re-armed)' : ''}`);
    // A scan asked for while the adapter was down is started now (the binding restores one that ran).
    if (s === LIVE) {
      this.#updateScan();
      return;
    }
    if (was !== LIVE) return;
    // The seed's watcher reports a radio that went away as an error, once, with no adverts.
    for (const { watcher, registration } of this.#watchers.values()) {
      watcher.radioLost();
      broker.port.fire(registration.taskId, { error: 'RadioNotAvailable', state: s, advertisements: [] });
    }
    this.#links?.radioLost();
  }

  #defineCapabilities(): void {
    const gatt = this.#gatt;
    if (!gatt) return;
    this.#offs.push(
      this.#d.capabilities.define('gatt.respond', { invoke: (args, caller) => gatt.respond(caller, args[0]) }),
      this.#d.capabilities.define('gatt.notify', {
        target: (args) => (typeof args[0] === 'string' ? args[0].toLowerCase() : undefined),
        invoke: (args, caller) => gatt.notify(caller, args[0], args[1], (args[2] as { service?: unknown } | undefined)?.service),
      }),
    );
  }
}
