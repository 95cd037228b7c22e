/**
 * GattCharacteristicNotificationTrigger: one link per peripheral, shared by every registration
 * that listens to it. A link waits until the device is heard in the scan (a connection needs a
 * fresh advert), connects, discovers, subscribes to each wanted characteristic and fires the
 * registrations with every value. When the peripheral goes away (or discovery fails, or the
 * characteristic is missing) the link backs off, doubling from `minMs` to `maxMs`, and tries again
 * the next time the device is heard; a link that reached its subscriptions starts again at `minMs`.
 */
import type { BleAdvert, BleCentral, BleConnection } from '../drivers/ble/ble.js';
import type { ParsedAdvert } from '../drivers/ble/adv/types.js';
import type { ArmedRegistration, SourcePort } from './broker.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Unsubscribe } from './emitter.js';
import { errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import type { NotificationData } from './triggers/ble-data.js';

export type LinkState = 'waiting' | 'connecting' | 'subscribed' | 'backoff';

interface Link {
  key: string;
  device: NotificationData['device'];
  registrations: Set<ArmedRegistration>;
  state: LinkState;
  connection?: BleConnection;
  address?: string;
  backoffMs: number;
  timer?: TimerHandle;
  lastError?: string;
  /** Characteristic keys ("service/characteristic") subscribed on the current connection. */
  subscribed: Map<string, Unsubscribe>;
  notifications: number;
}

export interface LinkStatus {
  device: string;
  state: LinkState;
  address?: string;
  registrations: number;
  notifications: number;
  error?: string;
}

export interface GattLinksDeps {
  central: BleCentral;
  port: SourcePort;
  clock: Clock;
  log: Logger;
  minMs: number;
  maxMs: number;
  /** Whether a connection may be made now (not while bleno serves a central on the same adapter). */
  mayConnect?(): boolean;
}

const deviceKey = (d: NotificationData['device']) => (d.address ? `address:${d.address}` : `name:${d.localName}`);
const charKey = (t: NotificationData) => `${t.service}/${t.characteristic}`;

export class GattLinks {
  readonly #d: GattLinksDeps;
  readonly #links = new Map<string, Link>();
  #closed = false;

  constructor(deps: GattLinksDeps) {
    this.#d = deps;
  }

  get size(): number {
    return this.#links.size;
  }

  add(r: ArmedRegistration): Unsubscribe {
    const t = r.trigger as unknown as NotificationData;
    const key = deviceKey(t.device);
    let link = this.#links.get(key);
    if (!link) {
      link = { key, device: t.device, registrations: new Set(), state: 'waiting', backoffMs: this.#d.minMs, subscribed: new Map(), notifications: 0 };
      this.#links.set(key, link);
    }
    link.registrations.add(r);
    // A live link takes the new characteristic at once.
    if (link.state === 'subscribed' && link.connection) void this.#subscribeAll(link, link.connection);
    return () => {
      link.registrations.delete(r);
      if (link.registrations.size > 0) return;
      this.#links.delete(key);
      this.#drop(link);
    };
  }

  /** An advert from the scan: a waiting link whose device this is connects now. */
  offer(advert: BleAdvert, parse: () => ParsedAdvert): void {
    if (this.#links.size === 0 || !advert.connectable || this.#d.mayConnect?.() === false) return;
    for (const link of this.#links.values()) {
      if (link.state !== 'waiting') continue;
      if (link.device.address ? link.device.address !== advert.address : (parse().localName ?? parse().shortName) !== link.device.localName) continue;
      void this.#connect(link, advert.address);
    }
  }

  /** The adapter went away: every link is down; they reconnect when it is back and the device is heard. */
  radioLost(): void {
    for (const link of this.#links.values()) {
      this.#drop(link);
      link.state = 'waiting';
    }
  }

  status(): LinkStatus[] {
    return [...this.#links.values()].map((l) => ({
      device: l.device.address ?? l.device.localName!,
      state: l.state,
      ...(l.address ? { address: l.address } : {}),
      registrations: l.registrations.size,
      notifications: l.notifications,
      ...(l.lastError ? { error: l.lastError } : {}),
    }));
  }

  close(): void {
    this.#closed = true;
    for (const link of this.#links.values()) this.#drop(link);
    this.#links.clear();
  }

  async #connect(link: Link, address: string): Promise<void> {
    const { log } = this.#d;
    link.state = 'connecting';
    link.address = address;
    let connection: BleConnection | undefined;
    try {
      connection = await this.#d.central.connect(address);
      if (this.#closed || !this.#links.has(link.key)) {
        await connection.disconnect().catch(() => {});
        return;
      }
      link.connection = connection;
      const conn = connection;
      conn.events.once('disconnect', ({ reason }) => {
        if (link.connection !== conn) return;
        this.#fail(link, `disconnected: ${reason}`);
      });
      await this.#subscribeAll(link, conn);
      if (link.connection !== conn) return;
      link.state = 'subscribed';
      link.backoffMs = this.#d.minMs;
      delete link.lastError;
      log.info({ evt: 'ble', link: link.device, address, subscribed: [...link.subscribed.keys()] }, `subscribed to ${[...link.subscribed.keys()].join(', ')} on ${address}`);
    } catch (err) {
      if (connection && link.connection !== connection) await connection.disconnect().catch(() => {});
      this.#fail(link, errorMessage(err));
    }
  }

  async #subscribeAll(link: Link, conn: BleConnection): Promise<void> {
    const services = await conn.discover();
    for (const r of link.registrations) {
      const t = r.trigger as unknown as NotificationData;
      const key = charKey(t);
      if (link.subscribed.has(key)) continue;
      const service = services.find((s) => s.uuid === t.service);
      const c = service?.characteristics.find((ch) => ch.uuid === t.characteristic);
      if (!service) throw new Error(`${link.address} has no service ${t.service} (it has ${services.map((s) => s.uuid).join(', ') || 'none'})`);
      if (!c) throw new Error(`service ${t.service} on ${link.address} has no characteristic ${t.characteristic}`);
      if (!c.properties.includes('notify') && !c.properties.includes('indicate')) throw new Error(`characteristic ${t.characteristic} on ${link.address} cannot notify (properties: ${c.properties.join(', ')})`);
      const off = await conn.subscribe(t.service, t.characteristic, (value) => this.#value(link, t, value));
      link.subscribed.set(key, off);
    }
  }

  #value(link: Link, t: NotificationData, value: Buffer): void {
    link.notifications++;
    const details = { device: link.address, service: t.service, characteristic: t.characteristic, value: value.toString('hex'), timestamp: new Date(this.#d.clock.now()).toISOString() };
    for (const r of link.registrations) {
      const rt = r.trigger as unknown as NotificationData;
      if (rt.service === t.service && rt.characteristic === t.characteristic) this.#d.port.fire(r.taskId, details);
    }
  }

  #fail(link: Link, why: string): void {
    if (this.#closed || !this.#links.has(link.key)) return;
    this.#drop(link);
    link.lastError = why;
    link.state = 'backoff';
    const wait = link.backoffMs;
    link.backoffMs = Math.min(this.#d.maxMs, link.backoffMs * 2);
    this.#d.log.warn({ evt: 'ble', link: link.device, address: link.address, err: why, retryMs: wait }, `link to ${link.device.address ?? link.device.localName} down (${why}): trying again in ${Math.round(wait / 100) / 10} s`);
    link.timer = this.#d.clock.setTimeout(() => {
      link.timer = undefined;
      if (link.state === 'backoff') link.state = 'waiting';
    }, wait);
    link.timer.unref();
  }

  #drop(link: Link): void {
    if (link.timer) this.#d.clock.clearTimeout(link.timer);
    link.timer = undefined;
    link.subscribed.clear();
    const conn = link.connection;
    link.connection = undefined;
    if (conn?.connected) void conn.disconnect().catch(() => {});
  }
}
