/**
 * What the peripheral advertises. A legacy controller sends one advertising set, so
 * BluetoothLEAdvertisementPublisherTrigger registrations take turns: the first armed is on the
 * air (Started), the others are Waiting until it is removed. With no publisher, discoverable
 * GATT services are advertised (their UUIDs, the device name in the scan response) so centrals
 * can find them. Each publisher's task fires on its status changes, with the seed's status and
 * error names: Waiting, Started, Stopped, Aborted (RadioNotAvailable, OtherError).
 */
import { buildAdvert } from '../drivers/ble/adv/build.js';
import type { AdvertSpec } from '../drivers/ble/adv/types.js';
import type { BlePeripheral } from '../drivers/ble/ble.js';
import type { ArmedRegistration, SourcePort } from './broker.js';
import type { Unsubscribe } from './emitter.js';
import { errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import { publisherPayload, type GattProviderData, type PublisherData } from './triggers/ble-data.js';

export type PublisherStatus = 'Waiting' | 'Started' | 'Stopped' | 'Aborted';

interface Payload {
  data: Buffer;
  scanResponse?: Buffer;
  /** The publisher it belongs to; undefined for the GATT services' advert. */
  owner?: ArmedRegistration;
}

export interface AdvertiserDeps {
  peripheral: BlePeripheral;
  port: SourcePort;
  log: Logger;
  deviceName: string;
  services(): GattProviderData[];
}

export class Advertiser {
  readonly #d: AdvertiserDeps;
  readonly #publishers: ArmedRegistration[] = [];
  readonly #status = new Map<string, PublisherStatus>();
  readonly #offs: Unsubscribe[];
  /** What is on the air (or being put there). */
  #current: Payload | undefined;
  #chain: Promise<void> = Promise.resolve();
  /** Nothing goes on the air before the peripheral is open (registrations arm before it). */
  #started = false;

  constructor(deps: AdvertiserDeps) {
    this.#d = deps;
    this.#offs = [
      deps.peripheral.events.on('advertising', (e) => {
        const owner = this.#current?.owner;
        if (!owner) return;
        if (e.status === 'started') this.#set(owner, 'Started');
        else if (e.status === 'aborted') this.#set(owner, 'Aborted', e.error);
        else this.#set(owner, 'Stopped');
      }),
    ];
  }

  add(r: ArmedRegistration): Unsubscribe {
    this.#publishers.push(r);
    if (this.#publishers.length > 1) this.#set(r, 'Waiting');
    this.update();
    return () => {
      const i = this.#publishers.indexOf(r);
      if (i >= 0) this.#publishers.splice(i, 1);
      this.#status.delete(r.taskId);
      this.update();
    };
  }

  status(): { taskId: string; name: string; status: PublisherStatus }[] {
    return this.#publishers.map((r) => ({ taskId: r.taskId, name: `${r.bundle}/${r.name}`, status: this.#status.get(r.taskId) ?? 'Waiting' }));
  }

  /** The peripheral is open: advertise from now on. */
  start(): Promise<void> {
    this.#started = true;
    return this.update();
  }

  /** Work out what should be on the air and put it there (serialised: one change at a time). */
  update(): Promise<void> {
    if (!this.#started) return this.#chain;
    this.#chain = this.#chain.then(() => this.#apply());
    return this.#chain;
  }

  close(): void {
    this.#offs.forEach((off) => off());
  }

  async #apply(): Promise<void> {
    const wanted = this.#wanted();
    const same = wanted && this.#current && this.#current.owner === wanted.owner && this.#current.data.equals(wanted.data) && equalOptional(this.#current.scanResponse, wanted.scanResponse);
    if (same) return;
    const { peripheral, log } = this.#d;
    this.#current = wanted;
    try {
      if (!wanted) {
        if (peripheral.advertising) await peripheral.stopAdvertising();
        return;
      }
      await peripheral.startAdvertising(wanted.data, wanted.scanResponse);
      log.info({ evt: 'ble', advertising: wanted.data.toString('hex'), ...(wanted.owner ? { task: wanted.owner.name } : { gatt: true }) }, wanted.owner ? `advertising for ${wanted.owner.bundle}/${wanted.owner.name}` : 'advertising the GATT services');
    } catch (err) {
      log.warn({ evt: 'ble', advertising: 'failed', err: errorMessage(err) }, `advertising cannot start: ${errorMessage(err)}`);
      if (wanted?.owner) this.#set(wanted.owner, 'Aborted', err as Error);
    }
  }

  #wanted(): Payload | undefined {
    const first = this.#publishers[0];
    if (first) {
      const p = publisherPayload(first.trigger as unknown as PublisherData, 'trigger');
      return { ...p, owner: first };
    }
    const discoverable = this.#d.services().filter((s) => s.advertisingParameters.isDiscoverable);
    if (discoverable.length === 0) return undefined;
    return gattAdvert(discoverable, this.#d.deviceName);
  }

  #set(r: ArmedRegistration, status: PublisherStatus, error?: Error): void {
    if (this.#status.get(r.taskId) === status && status !== 'Aborted') return;
    this.#status.set(r.taskId, status);
    const errorName = status !== 'Aborted' ? 'Success' : /power|radio|adapter|not available/i.test(error?.message ?? '') ? 'RadioNotAvailable' : 'OtherError';
    const details = { status, error: errorName, ...(error ? { message: errorMessage(error) } : {}) };
    this.#d.log.info({ evt: 'ble', publisher: `${r.bundle}/${r.name}`, ...details }, `publisher ${r.bundle}/${r.name}: ${status}${error ? ` (${errorMessage(error)})` : ''}`);
    this.#d.port.fire(r.taskId, details);
  }
}

/** Flags and as many service UUIDs (with service data) as fit; the name in the scan response. */
function gattAdvert(services: GattProviderData[], name: string): Payload {
  const withData = services.filter((s) => s.advertisingParameters.serviceData !== undefined);
  for (let n = services.length; n >= 0; n--) {
    const spec: AdvertSpec = {
      serviceUuids: services.slice(0, n).map((s) => s.service.uuid),
      ...(withData.length ? { serviceData: withData.slice(0, 1).map((s) => ({ uuid: s.service.uuid, data: s.advertisingParameters.serviceData! })) } : {}),
    };
    try {
      return { data: buildAdvert(spec), scanResponse: buildScanName(name) };
    } catch {
      // Too long: one UUID fewer (centrals still find the rest after connecting).
    }
  }
  return { data: buildAdvert({}), scanResponse: buildScanName(name) };
}

function buildScanName(name: string): Buffer {
  // 29 bytes of name fit a scan response; a longer one is sent shortened.
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length <= 29) return buildAdvert({ flags: null, localName: name });
  return buildAdvert({ flags: null, localName: bytes.subarray(0, 29).toString('utf8').replace(/\uFFFD+$/, ''), shortName: true });
}

function equalOptional(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.equals(b));
}
