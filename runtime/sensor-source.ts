/**
 * Connects the I2C sensors to the runtime: SensorDataThresholdTrigger fed by their readings,
 * readings logged on change (at most once per `logEverySec` per sensor, the latest value when
 * the window opens, so a log shows what a sensor did without a line per poll), and faults
 * logged once per outage with the recovery after it.
 */
import type { SensorHub, SensorReading } from '../drivers/i2c/hub.js';
import type { Broker } from './broker.js';
import type { DeviceConfig } from './config.js';
import type { Unsubscribe } from './emitter.js';
import type { Logger } from './logger.js';
import { sensorThresholdTrigger } from './triggers/sensor-threshold.js';

type SensorsConfig = NonNullable<DeviceConfig['drivers']['i2c']>['sensors'];

export function defineSensors(hub: SensorHub, broker: Broker): Unsubscribe {
  return broker.define(
    sensorThresholdTrigger({
      names: () => hub.names(),
      channels: (sensor) => (hub.names().includes(sensor) ? Object.keys(hub.info(sensor)[0]!.channels) : undefined),
      onReading: (sensor, listener) => hub.events.on('reading', (r) => r.sensor === sensor && listener(r)),
    }),
  );
}

export function connectSensors(hub: SensorHub, sensors: SensorsConfig, log: Logger): Unsubscribe {
  const logged = new Map<string, { at: number; values: Record<string, number> }>();
  const offs = [
    hub.events.on('reading', (r) => {
      const last = logged.get(r.sensor);
      const everyMs = (sensors[r.sensor]?.logEverySec ?? 10) * 1000;
      if (last && (sameValues(last.values, r.values) || r.time - last.at < everyMs)) return;
      logged.set(r.sensor, { at: r.time, values: r.values });
      log.info({ evt: 'sensor', sensor: r.sensor, type: r.type, values: r.values }, `${r.sensor} ${describe(r)}`);
    }),
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

function describe(r: SensorReading): string {
  return Object.entries(r.values)
    .map(([k, v]) => `${k}=${Number(v.toPrecision(6))}`)
    .join(' ');
}
