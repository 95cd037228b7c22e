/**
 * vigil's link to a virtual device. Every operation takes a turn of the event loop (or the
 * device's discovery time), so the device can drop the link while one is under way; then the
 * operation rejects with a DriverError and `disconnect` fires once, with the reason.
 */
import { DriverError } from '../../../runtime/errors.js';
import { Emitter, type Unsubscribe } from '../../../runtime/emitter.js';
import { ATT, normaliseUuid, type BleConnection, type ConnectionEvents, type RemoteService } from '../ble.js';
import { attText } from './gatt-table.js';
import type { PeerLink } from './virtual-gatt.js';
import type { VirtualPeripheral } from './virtual-peripheral.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SimConnection implements BleConnection, PeerLink {
  readonly address: string;
  readonly client: string;
  readonly events = new Emitter<ConnectionEvents>();
  readonly #peer: VirtualPeripheral;
  readonly #onEnd: (connection: SimConnection) => void;
  #connected = true;
  readonly #pending = new Set<(err: Error) => void>();

  constructor(peer: VirtualPeripheral, client: string, onEnd: (connection: SimConnection) => void) {
    this.#peer = peer;
    this.address = peer.address;
    this.client = client;
    this.#onEnd = onEnd;
    peer.accept(this);
  }

  get connected(): boolean {
    return this.#connected;
  }

  discover(signal?: AbortSignal): Promise<RemoteService[]> {
    this.#need('discover services');
    if (signal?.aborted) return Promise.reject(this.#aborted('discovery'));
    return new Promise<RemoteService[]>((resolve, reject) => {
      const fail = (err: Error) => {
        cancel();
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(fail);
        reject(err);
      };
      const onAbort = () => fail(this.#aborted('discovery'));
      this.#pending.add(fail);
      signal?.addEventListener('abort', onAbort, { once: true });
      const cancel = this.#peer.discover(this, (services) => {
        signal?.removeEventListener('abort', onAbort);
        if (!this.#pending.delete(fail)) return;
        resolve(services);
      });
    });
  }

  async read(service: string, characteristic: string): Promise<Buffer> {
    await this.#turn('read');
    const { result, data } = this.#peer.read(service, characteristic);
    if (result !== ATT.SUCCESS) throw this.#attError('read', service, characteristic, result);
    return data!;
  }

  async write(service: string, characteristic: string, data: Buffer, withoutResponse = false): Promise<void> {
    await this.#turn('write');
    const result = this.#peer.write(this, service, characteristic, data, withoutResponse);
    // A write without response has no answer: a refused one is lost silently, as on the air.
    if (result !== ATT.SUCCESS && !withoutResponse) throw this.#attError('write', service, characteristic, result);
  }

  async subscribe(service: string, characteristic: string, onValue: (data: Buffer) => void): Promise<Unsubscribe> {
    await this.#turn('subscribe');
    const result = this.#peer.subscribe(this, service, characteristic, onValue);
    if (result !== ATT.SUCCESS) throw this.#attError('subscribe to', service, characteristic, result);
    return () => {
      if (this.#connected) this.#peer.unsubscribe(this, service, characteristic);
    };
  }

  async disconnect(): Promise<void> {
    if (!this.#connected) return;
    this.#peer.release(this);
    this.#end('local disconnect');
  }

  /** vigil's adapter went away: the link ends at both ends. */
  adapterLost(reason: string): void {
    if (!this.#connected) return;
    this.#peer.release(this);
    this.#end(reason);
  }

  /** The device (or the air) ended the link. */
  lost(reason: string): void {
    if (this.#connected) this.#end(reason);
  }

  #end(reason: string): void {
    this.#connected = false;
    this.#onEnd(this);
    const err = new DriverError('ble', `the link to ${this.address} dropped: ${reason}`, { code: 'BLE_DISCONNECTED' });
    for (const fail of [...this.#pending]) fail(err);
    this.events.emit('disconnect', { reason });
  }

  /** One turn of the event loop, failing if the link drops meanwhile. */
  async #turn(what: string): Promise<void> {
    this.#need(what);
    let failed: Error | undefined;
    const fail = (err: Error) => {
      failed = err;
    };
    this.#pending.add(fail);
    await turn();
    this.#pending.delete(fail);
    if (failed) throw failed;
    this.#need(what);
  }

  #need(what: string): void {
    if (!this.#connected) throw new DriverError('ble', `cannot ${what} on ${this.address}: not connected`, { code: 'BLE_NOT_CONNECTED' });
  }

  #aborted(what: string): DriverError {
    return new DriverError('ble', `${what} on ${this.address} was aborted`, { code: 'BLE_ABORTED' });
  }

  #attError(op: string, service: string, characteristic: string, code: number): DriverError {
    return new DriverError('ble', `cannot ${op} ${normaliseUuid(service)}/${normaliseUuid(characteristic)} on ${this.address}: ATT error ${attText(code)}`, { code: 'BLE_GATT_ERROR' });
  }
}
