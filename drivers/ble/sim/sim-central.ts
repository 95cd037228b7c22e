/**
 * vigil's central role on the simulated air: advertising reports arrive while it scans and its
 * adapter is on, links to virtual devices drop when the device leaves or the adapter goes. A
 * scan asked for survives the adapter powering off: it resumes when the adapter comes back.
 */
import { DriverError } from '../../../runtime/errors.js';
import { Emitter } from '../../../runtime/emitter.js';
import type { BleAdvert, BleCentral, BleConnection, BleState, CentralEvents } from '../ble.js';
import type { SimRadio } from './radio.js';
import { SimConnection } from './sim-connection.js';

export class SimCentral implements BleCentral {
  readonly binding = 'sim';
  readonly adapter = 'sim';
  readonly events = new Emitter<CentralEvents>();
  readonly #radio: SimRadio;
  #open = false;
  #wantScan = false;
  #stopListening: (() => void) | undefined;
  #offAdapter: (() => void) | undefined;
  readonly #connections = new Map<string, SimConnection>();
  readonly #receive = (advert: BleAdvert) => this.events.emit('advert', advert);

  constructor(radio: SimRadio) {
    this.#radio = radio;
  }

  state(): BleState {
    return this.#open ? this.#radio.adapterState('central') : 'unknown';
  }

  async open(): Promise<void> {
    if (this.#open) return;
    if (this.#radio.adapterState('central') === 'missing') throw new DriverError('ble', 'cannot open Bluetooth adapter sim for scanning: no adapter (it was removed)', { code: 'BLE_NO_ADAPTER' });
    this.#offAdapter = this.#radio.events.on('adapter', ({ role, state }) => {
      if (role === 'central') this.#adapterChanged(state);
    });
    this.#open = true;
    this.events.emit('state', this.state());
  }

  get scanning(): boolean {
    return this.#stopListening !== undefined;
  }

  async startScan(): Promise<void> {
    if (!this.#open) throw new DriverError('ble', 'cannot scan: the central binding on adapter sim is not open', { code: 'BLE_NOT_OPEN' });
    const state = this.state();
    if (state !== 'poweredOn') throw new DriverError('ble', `cannot scan on adapter sim: it is ${state}`, { code: 'BLE_ADAPTER_OFF' });
    this.#wantScan = true;
    this.#sync();
  }

  async stopScan(): Promise<void> {
    this.#wantScan = false;
    this.#sync();
  }

  async connect(address: string, signal?: AbortSignal): Promise<BleConnection> {
    const at = address.toLowerCase();
    const fail = (why: string, code = 'BLE_CONNECT_FAILED') => new DriverError('ble', `cannot connect to ${at}: ${why}`, { code });
    if (!this.#open) throw fail('the central binding on adapter sim is not open', 'BLE_NOT_OPEN');
    if (signal?.aborted) throw fail('aborted', 'BLE_ABORTED');
    const state = this.state();
    if (state !== 'poweredOn') throw fail(`adapter sim is ${state}`, 'BLE_ADAPTER_OFF');
    if (this.#connections.has(at)) throw fail('already connected', 'BLE_ALREADY_CONNECTED');
    const peer = this.#radio.peripheralAt(at);
    if (!peer) throw fail('no such device on the air');
    const connection = new SimConnection(peer, this.#radio.centralAddress, (c) => {
      if (this.#connections.get(c.address) === c) this.#connections.delete(c.address);
    });
    this.#connections.set(at, connection);
    return connection;
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    this.#wantScan = false;
    this.#sync();
    await Promise.all([...this.#connections.values()].map((c) => c.disconnect()));
    this.#offAdapter?.();
    this.#open = false;
  }

  #adapterChanged(state: BleState): void {
    if (state !== 'poweredOn') {
      const reason = state === 'missing' ? 'adapter removed' : 'adapter powered off';
      for (const c of [...this.#connections.values()]) c.adapterLost(reason);
    }
    this.#sync();
    this.events.emit('state', state);
    if (state === 'missing') this.events.emit('error', new DriverError('ble', 'Bluetooth adapter sim (central) was removed', { code: 'BLE_ADAPTER_REMOVED' }));
  }

  /** Receive reports exactly while open, asked to scan and powered on. */
  #sync(): void {
    const on = this.#open && this.#wantScan && this.state() === 'poweredOn';
    if (on && !this.#stopListening) this.#stopListening = this.#radio.listen(this.#receive);
    else if (!on && this.#stopListening) {
      this.#stopListening();
      this.#stopListening = undefined;
    }
  }
}
