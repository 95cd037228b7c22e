/**
 * What a simulated board's timeline can do on the Bluetooth air: a device's signal fading, a
 * device leaving, a sensor's readings changing, a device dropping its links; a phone connecting
 * to vigil and reading, writing, subscribing; vigil's adapters powered off, unplugged, back.
 * Checked when the config loads (shape, then the names against the declared devices), applied
 * when the step comes.
 */
import { ConfigError } from '../../../runtime/errors.js';
import type { BleSimConfig } from './schema.js';
import type { AdapterAction, AdapterRole, SimRadio } from './radio.js';

export interface GattTarget {
  service: string;
  characteristic: string;
}

export interface BlePeripheralStep {
  peripheral: string;
  /** dBm the level moves to, over `fadeSec` (at once without it). */
  rssi?: number;
  fadeSec?: number;
  present?: boolean;
  /** BTHome readings (merged into the current ones). */
  readings?: Record<string, number>;
  /** The device drops its links. */
  drop?: true;
}

export interface BleCentralStep {
  central: string;
  connect?: true;
  /** With connect: over an encrypted link (default: the central's config). */
  encrypted?: boolean;
  read?: GattTarget;
  write?: GattTarget & { value: string; withoutResponse?: boolean };
  subscribe?: GattTarget;
  unsubscribe?: GattTarget;
  disconnect?: true;
}

export interface BleAdapterStep {
  adapter: AdapterAction;
  /** Default "both". */
  role?: AdapterRole | 'both';
}

export type BleStep = BlePeripheralStep | BleCentralStep | BleAdapterStep;

const PERIPHERAL_KEYS = ['peripheral', 'rssi', 'fadeSec', 'present', 'readings', 'drop'];
const CENTRAL_OPS = ['connect', 'read', 'write', 'subscribe', 'unsubscribe', 'disconnect'];
const CENTRAL_KEYS = ['central', 'encrypted', ...CENTRAL_OPS];
const ADAPTER_KEYS = ['adapter', 'role'];
const ACTIONS: readonly AdapterAction[] = ['off', 'on', 'gone', 'back'];
const ROLES = ['central', 'peripheral', 'both'];

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isName = (x: unknown): x is string => typeof x === 'string' && x !== '';

/** Throws a ConfigError naming the bad field (`field` is where the step's `ble` value is, e.g. "sim.timeline[3].ble"). */
export function checkBleStep(step: unknown, field: string, config?: BleSimConfig): asserts step is BleStep {
  const bad = (what: string, value: unknown, expected: string): never => {
    const path = what ? `${field}.${what}` : field;
    throw new ConfigError(`${path} ${value === undefined ? 'is missing' : `${JSON.stringify(value)} is invalid`}: expected ${expected}`, { path });
  };
  if (!isObject(step)) return bad('', step, 'an object such as {"peripheral": "tag", "rssi": -80, "fadeSec": 5}, {"central": "phone", "connect": true} or {"adapter": "off"}');
  const kinds = ['peripheral', 'central', 'adapter'].filter((k) => k in step);
  if (kinds.length !== 1) return bad('', step, 'exactly one of "peripheral", "central" or "adapter"');
  const allowed = kinds[0] === 'peripheral' ? PERIPHERAL_KEYS : kinds[0] === 'central' ? CENTRAL_KEYS : ADAPTER_KEYS;
  for (const key of Object.keys(step)) if (!allowed.includes(key)) bad(key, step[key], `no "${key}" in a ${kinds[0]} step: its fields are ${allowed.join(', ')}`);

  if (kinds[0] === 'peripheral') {
    if (!isName(step.peripheral)) bad('peripheral', step.peripheral, 'the name of a simulated peripheral');
    if (!['rssi', 'present', 'readings', 'drop'].some((k) => k in step)) bad('', step, 'one of "rssi", "present", "readings" or "drop" with "peripheral"');
    const rssi = step.rssi;
    if (rssi !== undefined && !(typeof rssi === 'number' && rssi >= -127 && rssi <= 20)) bad('rssi', rssi, 'a level in dBm from -127 to 20');
    if (step.fadeSec !== undefined) {
      if (rssi === undefined) bad('fadeSec', step.fadeSec, 'it only with "rssi" (the level to fade to)');
      if (!(typeof step.fadeSec === 'number' && Number.isFinite(step.fadeSec) && step.fadeSec >= 0)) bad('fadeSec', step.fadeSec, 'seconds ≥ 0');
    }
    if (step.present !== undefined && typeof step.present !== 'boolean') bad('present', step.present, 'true or false');
    if (step.readings !== undefined) {
      const r = step.readings;
      if (!isObject(r) || Object.keys(r).length === 0) bad('readings', r, 'BTHome readings such as {"temperature": 21.5, "humidity": 40}');
      for (const [name, value] of Object.entries(r as Record<string, unknown>)) {
        if (typeof value !== 'number' || !Number.isFinite(value)) bad(`readings.${name}`, value, 'a number');
      }
    }
    if (step.drop !== undefined && step.drop !== true) bad('drop', step.drop, 'true');
  } else if (kinds[0] === 'central') {
    if (!isName(step.central)) bad('central', step.central, 'the name of a simulated central');
    const ops = CENTRAL_OPS.filter((k) => k in step);
    if (ops.length !== 1) bad('', step, `exactly one of ${CENTRAL_OPS.map((k) => `"${k}"`).join(', ')} with "central"`);
    if (step.connect !== undefined && step.connect !== true) bad('connect', step.connect, 'true');
    if (step.disconnect !== undefined && step.disconnect !== true) bad('disconnect', step.disconnect, 'true');
    if (step.encrypted !== undefined) {
      if (step.connect === undefined) bad('encrypted', step.encrypted, 'it only with "connect"');
      if (typeof step.encrypted !== 'boolean') bad('encrypted', step.encrypted, 'true or false');
    }
    for (const op of ['read', 'write', 'subscribe', 'unsubscribe'] as const) {
      const t = step[op];
      if (t === undefined) continue;
      const keys = op === 'write' ? ['service', 'characteristic', 'value', 'withoutResponse'] : ['service', 'characteristic'];
      if (!isObject(t)) bad(op, t, `{${keys.slice(0, op === 'write' ? 3 : 2).map((k) => `"${k}": …`).join(', ')}}`);
      const target = t as Record<string, unknown>;
      for (const key of Object.keys(target)) if (!keys.includes(key)) bad(`${op}.${key}`, target[key], `no "${key}" here: the fields are ${keys.join(', ')}`);
      for (const key of ['service', 'characteristic']) {
        if (!(typeof target[key] === 'string' && /^(?:[0-9a-fA-F]{4}|[0-9a-fA-F]{8}|[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/.test(target[key] as string))) {
          bad(`${op}.${key}`, target[key], 'a UUID: 4 hex digits ("180d") or 128 bits ("6e400001-b5a3-f393-e0a9-e50e24dcca9e")');
        }
      }
      if (op === 'write') {
        if (!(typeof target.value === 'string' && /^(?:[0-9a-fA-F]{2})*$/.test(target.value))) bad('write.value', target.value, 'hex bytes such as "0102ff"');
        if (target.withoutResponse !== undefined && typeof target.withoutResponse !== 'boolean') bad('write.withoutResponse', target.withoutResponse, 'true or false');
      }
    }
  } else {
    if (!(typeof step.adapter === 'string' && (ACTIONS as readonly string[]).includes(step.adapter))) bad('adapter', step.adapter, `one of ${ACTIONS.join(', ')}`);
    if (step.role !== undefined && !(typeof step.role === 'string' && ROLES.includes(step.role))) bad('role', step.role, `one of ${ROLES.join(', ')}`);
  }
  if (config) checkBleStepTargets(step as unknown as BleStep, field, config);
}

/** The names in a (well-formed) step must be declared devices; readings need a BTHome advert. */
export function checkBleStepTargets(step: BleStep, field: string, config: BleSimConfig): void {
  if ('peripheral' in step) {
    const p = config.peripherals[step.peripheral];
    if (!p) {
      throw new ConfigError(`${field}.peripheral: no simulated peripheral named ${JSON.stringify(step.peripheral)} (peripherals: ${Object.keys(config.peripherals).join(', ') || 'none'})`, { path: `${field}.peripheral` });
    }
    if (step.readings !== undefined && !p.advert.bthome) {
      throw new ConfigError(`${field}.readings: peripheral ${JSON.stringify(step.peripheral)} does not advertise a BTHome frame, so it has no readings to change`, { path: `${field}.readings` });
    }
  } else if ('central' in step && !config.centrals[step.central]) {
    throw new ConfigError(`${field}.central: no simulated central named ${JSON.stringify(step.central)} (centrals: ${Object.keys(config.centrals).join(', ') || 'none'})`, { path: `${field}.central` });
  }
}

/** Apply a checked step. GATT results are kept in the central's `outcomes`; a failure (not connected) rejects. */
export async function applyBleStep(radio: SimRadio, step: BleStep): Promise<void> {
  if ('adapter' in step) {
    radio.setAdapter(step.adapter, step.role ?? 'both');
    return;
  }
  if ('peripheral' in step) {
    const p = radio.peripheral(step.peripheral);
    if (step.present !== undefined) p.setPresent(step.present);
    if (step.rssi !== undefined) p.setRssi(step.rssi, (step.fadeSec ?? 0) * 1000);
    if (step.readings) p.setReadings(step.readings);
    if (step.drop) p.drop();
    return;
  }
  const c = radio.central(step.central);
  if (step.connect) await c.connect(step.encrypted !== undefined ? { encrypted: step.encrypted } : {});
  else if (step.read) await c.read(step.read.service, step.read.characteristic);
  else if (step.write) await c.write(step.write.service, step.write.characteristic, step.write.value, step.write.withoutResponse ?? false);
  else if (step.subscribe) await c.subscribe(step.subscribe.service, step.subscribe.characteristic);
  else if (step.unsubscribe) await c.unsubscribe(step.unsubscribe.service, step.unsubscribe.characteristic);
  else if (step.disconnect) await c.disconnect();
}
