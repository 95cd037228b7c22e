/**
 * The simulated radio from its checked configuration (schema.ts): the virtual devices, with an
 * advert the builder cannot make reported as a ConfigError naming the device's field.
 */
import type { Clock } from '../../../runtime/clock.js';
import { ConfigError, errorMessage } from '../../../runtime/errors.js';
import type { AdvertSpec } from '../adv/types.js';
import { AdvertSourceError, type AdvertSource } from './payload.js';
import { SimRadio } from './radio.js';

export { bleSimSchema, type BleSimConfig, type BleSimPeripheralConfig } from './schema.js';
import type { AdvertConfig, BleSimConfig, BleSimPeripheralConfig } from './schema.js';
import type { VirtualPeripheralOptions } from './virtual-peripheral.js';

/** The builder's spec (or raw bytes) from the checked config. */
export function advertSource(a: AdvertConfig): AdvertSource {
  if (a.hex !== undefined) return { hex: a.hex };
  const { hex: _hex, eddystone: e, ...rest } = a;
  const spec: AdvertSpec = rest;
  if (e) {
    const tx = e.txPower !== undefined ? { txPower: e.txPower } : {};
    if (e.url !== undefined) spec.eddystone = { url: e.url, ...tx };
    else if (e.tlm) spec.eddystone = { tlm: e.tlm };
    else spec.eddystone = { namespace: e.namespace!, instance: e.instance!, ...tx };
  }
  return spec;
}

/** Options for radio.addPeripheral from one configured device. */
export function peripheralOptions(name: string, p: BleSimPeripheralConfig): VirtualPeripheralOptions {
  const { advert: a, scanResponse, ...rest } = p;
  return { ...rest, name, advert: advertSource(a), ...(scanResponse ? { scanResponse: advertSource(scanResponse) } : {}) };
}

/**
 * The radio and its devices. An advert the builder cannot make (a name too long for 31 bytes, an
 * unknown BTHome reading) is a ConfigError naming the device's field under `field`.
 */
export function createSimRadio(cfg: BleSimConfig, clock: Clock, options: { field?: string } = {}): SimRadio {
  const root = options.field ?? 'drivers.ble.sim';
  const radio = new SimRadio({ clock, seed: cfg.seed, peripheralLinks: cfg.peripheralLinks });
  for (const [name, p] of Object.entries(cfg.peripherals)) {
    try {
      radio.addPeripheral(peripheralOptions(name, p));
    } catch (err) {
      const where = `${root}.peripherals.${name}${err instanceof AdvertSourceError ? `.${err.field}` : ''}`;
      const why = err instanceof AdvertSourceError ? errorMessage(err.cause) : errorMessage(err);
      throw new ConfigError(`${where}: ${why}`, { path: where, cause: err });
    }
  }
  for (const [name, c] of Object.entries(cfg.centrals)) radio.addCentral({ name, ...c });
  return radio;
}
