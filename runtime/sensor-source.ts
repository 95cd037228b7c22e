/**
 * Connects the sensors to the runtime: SensorDataThresholdTrigger fed by their readings (I2C
 * chips polled by the hub, BTHome sensors heard over Bluetooth LE),
 * readings logged on change (at most once per `logEverySec` per sensor, the latest value when
 * the window opens, so a log shows what a sensor did without a line per poll), and faults
 * logged once per outage with the recovery after it.
 */
import type { SensorHub } from '../drivers/i2c/hub.js';
import type { Broker } from './broker.js';
import type { DeviceConfig } from './config.js';
import type { Unsubscribe } from './emitter.js';
import type { Logger } from './logger.js';
import { sensorThresholdTrigger, type SensorFeed, type SensorReadingEvent } from './triggers/sensor-threshold.js';

type SensorsConfig = NonNullable<DeviceConfig['drivers']['i2c']>['sensors'];

export function hubFeed(hub: SensorHub): SensorFeed {
  return {
    names: () => hub.names(),
    channels: (sensor) => (hub.names().includes(sensor) ? Object.keys(hub.info(sensor)[0]!.channels) : undefined),
    onReading: (sensor, listener) => hub.events.on('reading', (r) => r.sensor === sensor && listener(r)),
  };
}

/** SensorDataThresholdTrigger over every sensor the device has (I2C, BTHome over BLE): names are unique across them. */
export function defineSensors(feeds: SensorFeed[], broker: Broker): Unsubscribe {
  const owner = (sensor: string) => feeds.find((f) => f.channels(sensor) !== undefined);
  return broker.define(
    sensorThresholdTrigger({
      names: () => feeds.flatMap((f) => f.names()),
      channels: (sensor) => owner(sensor)?.channels(sensor),
      onReading: (sensor, listener) => owner(sensor)!.onReading(sensor, listener),
    }),
  );
}

/** Readings logged on change, at most once per `everySec(sensor)` (evt "sensor": what `vigil logs --sensor` reads). */
export function logReadings(onReading: (listener: (r: SensorReadingEvent) => void) => Unsubscribe, everySec: (sensor: string) => number, log: Logger): Unsubscribe {
  const logged = new Map<string, { at: number; values: Record<string, number> }>();
  return onReading((r) => {
    const last = logged.get(r.sensor);
    if (last && (sameValues(last.values, r.values) || r.time - last.at < everySec(r.sensor) * 1000)) return;
    logged.set(r.sensor, { at: r.time, values: r.values });
    log.info({ evt: 'sensor', sensor: r.sensor, type: r.type, values: r.values }, `${r.sensor} ${describe(r)}`);
  });
}

export function connectSensors(hub: SensorHub, sensors: SensorsConfig, log: Logger): Unsubscribe {
  const offs = [
    logReadings((listener) => hub.events.on('reading', listener), (sensor) => sensors[sensor]?.logEverySec ?? 10, log),
    hub.events.on('fault', ({ sensor, error }) => {
      log.warn({ evt: 'driver', driver: 'i2c', sensor, state: 'failed', err: { code: error.code, message: error.message } }, `${error.message} (retrying with backoff)`);
    }),
    hub.events.on('recovered', ({ sensor, downMs }) => {
      log.info({ evt: 'driver', driver: 'i2c', sensor, state: 'ok', downMs }, `sensor ${sensor} is answering again after ${Math.round(downMs / 1000)} s`);
    }),
  ];
  return () => offs.forEach((off) => off());
}

function sameValues(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(b);
  return keys.length === Object.keys(a).length && keys.every((k) => a[k] !== undefined && Math.abs(a[k]! - b[k]!) < 1e-9);
}

function describe(r: SensorReadingEvent): string {
  return Object.entries(r.values)
    .map(([k, v]) => `${k}=${Number(v.toPrecision(6))}`)
    .join(' ');
}
