/**
 * The simulated air: the virtual devices on it (peripherals that advertise, centrals such as a
 * phone that connect to vigil), and vigil's own two adapters, each of which can be powered off
 * or pulled out. vigil's SimCentral and SimPeripheral are bindings on top of it, so the runtime
 * above them runs the same code as over noble and bleno. One radio per simulated board; never a
 * module-level singleton.
 */
import { systemClock, type Clock } from '../../../runtime/clock.js';
import { DriverError } from '../../../runtime/errors.js';
import { Emitter } from '../../../runtime/emitter.js';
import type { AddressType, BleAdvert, BleState } from '../ble.js';
import { staticAddress } from './random.js';
import { VirtualCentral, type VirtualCentralOptions } from './virtual-central.js';
import { VirtualPeripheral, type Air, type VirtualPeripheralOptions } from './virtual-peripheral.js';

export type AdapterRole = 'central' | 'peripheral';
/** off/on: power; gone: the adapter is unplugged (state "missing"); back: plugged in again (powered on). */
export type AdapterAction = 'off' | 'on' | 'gone' | 'back';

export interface SimRadioOptions {
  clock?: Clock;
  /** Seeds RSSI noise, advertising delays and addresses. Default 1. */
  seed?: number;
  /**
   * How many centrals vigil's peripheral serves at once. bleno on a Linux HCI socket serves one:
   * the controller stops advertising while a central is connected and bleno resumes it after.
   */
  peripheralLinks?: number;
}

export interface RadioEvents {
  adapter: [{ role: AdapterRole; state: BleState }];
}

/** What vigil's peripheral has on the air, as a scanning phone sees it. */
export interface VigilAdvert {
  address: string;
  addressType: AddressType;
  data: Buffer;
  scanResponse?: Buffer;
  connectable: boolean;
}

/** A virtual central's end of a link to vigil's peripheral. */
export interface ClientEnd {
  readonly address: string;
  readonly encrypted: boolean;
  /** ATT MTU it asks for. */
  readonly mtu: number;
  notified(service: string, characteristic: string, data: Buffer): void;
  /** vigil's side ended the link. */
  lost(reason: string): void;
}

/** vigil's peripheral, as the link a virtual central holds to it. */
export interface ServerLink {
  readonly mtu: number;
  read(service: string, characteristic: string, offset: number): Promise<{ result: number; data?: Buffer }>;
  readDescriptor(service: string, characteristic: string, descriptor: string): { result: number; data?: Buffer };
  /** undefined for a write without response: nothing comes back. */
  write(service: string, characteristic: string, data: Buffer, withoutResponse: boolean): Promise<number | undefined>;
  subscribe(service: string, characteristic: string): number;
  unsubscribe(service: string, characteristic: string): number;
  /** The central ends the link. */
  disconnect(): void;
}

/** vigil's peripheral, as the radio sees it. */
export interface VigilServer {
  advert(): VigilAdvert | undefined;
  connect(client: ClientEnd): ServerLink;
}

interface Adapter {
  present: boolean;
  powered: boolean;
}

export class SimRadio implements Air {
  readonly clock: Clock;
  readonly seed: number;
  readonly peripheralLinks: number;
  readonly events = new Emitter<RadioEvents>();
  /** vigil's adapters' addresses (what a virtual central sees as vigil, what a virtual device sees as its client). */
  readonly centralAddress: string;
  readonly peripheralAddress: string;
  readonly #adapters: Record<AdapterRole, Adapter> = { central: { present: true, powered: true }, peripheral: { present: true, powered: true } };
  readonly #peripherals = new Map<string, VirtualPeripheral>();
  readonly #byAddress = new Map<string, VirtualPeripheral>();
  readonly #centrals = new Map<string, VirtualCentral>();
  readonly #scanners = new Set<(advert: BleAdvert) => void>();
  #server: VigilServer | undefined;

  constructor(options: SimRadioOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.seed = options.seed ?? 1;
    this.peripheralLinks = options.peripheralLinks ?? 1;
    this.centralAddress = staticAddress(this.seed, 'vigil:central');
    this.peripheralAddress = staticAddress(this.seed, 'vigil:peripheral');
  }

  // ------------------------------------------------------------------------- virtual devices

  addPeripheral(options: VirtualPeripheralOptions): VirtualPeripheral {
    if (this.#peripherals.has(options.name)) throw new DriverError('ble', `a simulated peripheral named "${options.name}" already exists`, { code: 'BLE_SIM_DUPLICATE' });
    const p = new VirtualPeripheral(this, options);
    const other = this.#byAddress.get(p.address);
    if (other) throw new DriverError('ble', `simulated peripherals "${other.name}" and "${p.name}" have the same address ${p.address}`, { code: 'BLE_SIM_DUPLICATE' });
    this.#peripherals.set(p.name, p);
    this.#byAddress.set(p.address, p);
    p.airChanged();
    return p;
  }

  peripheral(name: string): VirtualPeripheral {
    const p = this.#peripherals.get(name);
    if (!p) throw new DriverError('ble', `no simulated peripheral named "${name}" (peripherals: ${[...this.#peripherals.keys()].join(', ') || 'none'})`, { code: 'BLE_SIM_UNKNOWN' });
    return p;
  }

  /** The device with this address, present or not. */
  peripheralAt(address: string): VirtualPeripheral | undefined {
    return this.#byAddress.get(address.toLowerCase());
  }

  peripherals(): VirtualPeripheral[] {
    return [...this.#peripherals.values()];
  }

  addCentral(options: VirtualCentralOptions): VirtualCentral {
    if (this.#centrals.has(options.name)) throw new DriverError('ble', `a simulated central named "${options.name}" already exists`, { code: 'BLE_SIM_DUPLICATE' });
    const c = new VirtualCentral(this, options);
    this.#centrals.set(c.name, c);
    return c;
  }

  central(name: string): VirtualCentral {
    const c = this.#centrals.get(name);
    if (!c) throw new DriverError('ble', `no simulated central named "${name}" (centrals: ${[...this.#centrals.keys()].join(', ') || 'none'})`, { code: 'BLE_SIM_UNKNOWN' });
    return c;
  }

  centrals(): VirtualCentral[] {
    return [...this.#centrals.values()];
  }

  // ----------------------------------------------------------------------------- vigil's adapters

  adapterState(role: AdapterRole): BleState {
    const a = this.#adapters[role];
    return !a.present ? 'missing' : a.powered ? 'poweredOn' : 'poweredOff';
  }

  /** Power an adapter off or on, pull it out or plug it back in ("both": the two roles' adapters). */
  setAdapter(action: AdapterAction, role: AdapterRole | 'both' = 'both'): void {
    for (const r of role === 'both' ? (['central', 'peripheral'] as const) : [role]) {
      const a = this.#adapters[r];
      const before = this.adapterState(r);
      if (action === 'off') a.powered = false;
      else if (action === 'on') a.powered = true;
      else if (action === 'gone') a.present = false;
      else {
        // Plugged back in, the system brings it up powered, as bluetoothd does.
        a.present = true;
        a.powered = true;
      }
      const after = this.adapterState(r);
      if (after !== before) this.events.emit('adapter', { role: r, state: after });
    }
  }

  // ---------------------------------------------------------------------------------- the air

  /** A central (vigil's SimCentral) starts receiving advertising reports. */
  listen(sink: (advert: BleAdvert) => void): () => void {
    const was = this.listening;
    this.#scanners.add(sink);
    if (!was) this.#airChanged();
    return () => {
      if (this.#scanners.delete(sink) && this.#scanners.size === 0) this.#airChanged();
    };
  }

  get listening(): boolean {
    return this.#scanners.size > 0;
  }

  deliver(advert: BleAdvert): void {
    for (const sink of this.#scanners) sink(advert);
  }

  #airChanged(): void {
    for (const p of this.#peripherals.values()) p.airChanged();
  }

  /** vigil's peripheral binding puts itself on the air (one at a time, as one adapter can). */
  attachServer(server: VigilServer): () => void {
    if (this.#server && this.#server !== server) throw new DriverError('ble', 'the simulated peripheral adapter is already in use by another binding', { code: 'BLE_ADAPTER_BUSY' });
    this.#server = server;
    return () => {
      if (this.#server === server) this.#server = undefined;
    };
  }

  get server(): VigilServer | undefined {
    return this.#server;
  }

  /** What vigil advertises now, as a phone scanning would see it (empty when it does not). */
  advertisedByVigil(): VigilAdvert[] {
    const advert = this.#server?.advert();
    return advert ? [advert] : [];
  }

  /** Stop every device's timers and end every link. */
  close(): void {
    for (const c of this.#centrals.values()) c.close();
    for (const p of this.#peripherals.values()) p.close();
    this.#scanners.clear();
  }
}
