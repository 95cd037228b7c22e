/**
 * The peripheral's GATT table as bleno objects: each characteristic's read, write and
 * (un)subscribe callbacks ask the runtime's GattHandlers and answer with the ATT result they
 * return. A handler that throws or answers something that is not an ATT code is answered
 * UNLIKELY_ERROR (0x0e) and reported, so a bug above never leaves a central without an answer.
 */
import { DriverError, errorMessage } from '../../runtime/errors.js';
import { ATT, normaliseUuid, type GattHandlers, type GattProperty, type LocalService } from './ble.js';
import type { Bleno } from './libraries.js';

export interface GattTarget {
  /** The services as checked by checkServices (canonical UUIDs). */
  services: LocalService[];
  handlers?: GattHandlers;
  /** The connected central's address. */
  client(): string;
  /** "service/characteristic" → client → bleno's updateValueCallback. */
  subscribers: Map<string, Map<string, (data: Buffer) => void>>;
  error(err: Error): void;
}

const PROPERTIES: ReadonlySet<string> = new Set<GattProperty>(['read', 'write', 'writeWithoutResponse', 'notify', 'indicate']);
const UUID = /^(?:[0-9a-f]{4}|[0-9a-f]{32})$/;

/** Copies of `services` with canonical UUIDs; a DriverError quoting the first bad value otherwise. */
export function checkServices(services: readonly LocalService[], adapter: string): LocalService[] {
  const bad = (where: string, what: string) => new DriverError('ble', `${adapter}: cannot serve GATT services: ${where}: ${what}`, { code: 'BLE_BAD_SERVICES' });
  const uuid = (value: unknown, where: string) => {
    const u = typeof value === 'string' ? normaliseUuid(value) : '';
    if (!UUID.test(u)) throw bad(where, `UUID ${JSON.stringify(value)} is not a 16-bit ("180d") or 128-bit UUID`);
    return u;
  };
  return services.map((s, i) => ({
    uuid: uuid(s.uuid, `services[${i}]`),
    characteristics: s.characteristics.map((c, j) => {
      const where = `services[${i}].characteristics[${j}]`;
      for (const p of [...c.properties, ...c.secure]) if (!PROPERTIES.has(p)) throw bad(where, `property ${JSON.stringify(p)} is not one of ${[...PROPERTIES].join(', ')}`);
      return {
        uuid: uuid(c.uuid, where),
        properties: [...c.properties],
        secure: [...c.secure],
        descriptors: c.descriptors.map((d, k) => ({ uuid: uuid(d.uuid, `${where}.descriptors[${k}]`), value: Buffer.from(d.value) })),
      };
    }),
  }));
}

export function buildBlenoServices(bleno: Bleno, target: GattTarget): unknown[] {
  return target.services.map(
    (service) =>
      new bleno.PrimaryService({
        uuid: service.uuid,
        characteristics: service.characteristics.map((c) => {
          const key = `${service.uuid}/${c.uuid}`;
          const base = { service: service.uuid, characteristic: c.uuid };
          const fail = (what: string, err: unknown) => target.error(new DriverError('ble', `GATT ${what} of ${key}: ${errorMessage(err)}`, { cause: err, code: 'BLE_HANDLER_FAILED' }));
          return new bleno.Characteristic({
            uuid: c.uuid,
            properties: c.properties,
            // bleno answers INSUFFICIENT_AUTHENTICATION on an unencrypted link for these.
            secure: c.secure,
            descriptors: c.descriptors.map((d) => new bleno.Descriptor({ uuid: d.uuid, value: d.value })),
            onReadRequest(offset, callback) {
              const reply = once(callback);
              Promise.resolve()
                .then(() => handlers(target, 'read').read({ ...base, client: target.client(), offset }))
                .then((r) => {
                  const result = attCode(r.result);
                  if (result === undefined) throw new Error(`the read handler answered ${JSON.stringify(r.result)}, not an ATT code`);
                  reply(result, Buffer.from(r.data ?? Buffer.alloc(0)));
                })
                .catch((err: unknown) => (fail('read', err), reply(ATT.UNLIKELY_ERROR)));
            },
            onWriteRequest(data, offset, withoutResponse, callback) {
              const reply = once(callback);
              Promise.resolve()
                .then(() => handlers(target, 'write').write({ ...base, client: target.client(), data: Buffer.from(data), offset, withoutResponse }))
                .then((r) => {
                  const result = attCode(r);
                  if (result === undefined) throw new Error(`the write handler answered ${JSON.stringify(r)}, not an ATT code`);
                  reply(result);
                })
                .catch((err: unknown) => (fail('write', err), reply(ATT.UNLIKELY_ERROR)));
            },
            onSubscribe(maxValueSize, updateValueCallback) {
              const client = target.client();
              let subscribers = target.subscribers.get(key);
              if (!subscribers) target.subscribers.set(key, (subscribers = new Map()));
              subscribers.set(client, updateValueCallback);
              try {
                handlers(target, 'subscribe').subscribe({ ...base, client, maxValueSize });
              } catch (err) {
                fail('subscribe', err);
              }
            },
            onUnsubscribe() {
              const client = target.client();
              target.subscribers.get(key)?.delete(client);
              try {
                handlers(target, 'unsubscribe').unsubscribe({ ...base, client });
              } catch (err) {
                fail('unsubscribe', err);
              }
            },
          });
        }),
      }),
  );
}

function handlers(target: GattTarget, what: string): GattHandlers {
  if (!target.handlers) throw new Error(`no handlers to ${what} with`);
  return target.handlers;
}

function attCode(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xff ? value : undefined;
}

/** bleno's answer callback, callable once; a throw from it (the link went away meanwhile) ends there. */
function once<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
  let called = false;
  return (...args) => {
    if (called) return;
    called = true;
    try {
      callback(...args);
    } catch {
      // Nothing left to answer.
    }
  };
}
