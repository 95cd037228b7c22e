/**
 * The simulated NetworkManager from its checked configuration (schema.ts): the environment's
 * access points and phones, with anything the schema cannot see (a generated bssid colliding
 * with a given one) reported as a ConfigError naming the field.
 */
import type { Clock } from '../../../runtime/clock.js';
import { ConfigError, DriverError } from '../../../runtime/errors.js';
import { WifiEnvironment } from './environment.js';
import { SimNetworkManager } from './nm.js';
import type { WifiSimConfig } from './schema.js';

export { wifiSimSchema, type WifiSimConfig } from './schema.js';

export interface CreateSimNetworkManagerOptions {
  /** The client interface ("wlan0"). */
  iface: string;
  /** The hotspot's interface; the client's by default. */
  hotspotIface?: string;
  /** Where the sim config sits in the device config, for error messages. Default "drivers.wifi.sim". */
  field?: string;
}

export function createSimNetworkManager(config: WifiSimConfig, clock: Clock, options: CreateSimNetworkManagerOptions): SimNetworkManager {
  const root = options.field ?? 'drivers.wifi.sim';
  const environment = new WifiEnvironment({ seed: config.seed });
  const add = (where: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof DriverError)) throw err;
      throw new ConfigError(`${where}: ${err.message}`, { path: where, cause: err });
    }
  };
  for (const [name, ap] of Object.entries(config.accessPoints ?? {})) {
    add(`${root}.accessPoints.${name}`, () => environment.addAccessPoint({ name, ...withoutUndefined(ap) }));
  }
  for (const [name, c] of Object.entries(config.clients ?? {})) {
    add(`${root}.clients.${name}`, () => environment.addClient({ name, ...withoutUndefined(c) }));
  }
  return new SimNetworkManager({
    clock,
    environment,
    iface: options.iface,
    ...(options.hotspotIface !== undefined ? { hotspotIface: options.hotspotIface } : {}),
    ...(config.associateMs !== undefined ? { associateMs: config.associateMs } : {}),
    ...(config.connectivityIntervalSec !== undefined ? { connectivityIntervalSec: config.connectivityIntervalSec } : {}),
  });
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, value]) => value !== undefined)) as T;
}
