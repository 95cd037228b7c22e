/**
 * Scripted timelines for the simulated system: what a demo board does over time (memory
 * draining, the SoC heating up, a brown-out, an operator logging in). Timelines come from
 * configuration files, so every step is checked on load and a mistake names the step.
 */
import { DriverError } from '../../runtime/errors.js';
import { EVENT_ID } from '../../runtime/trigger.js';
import type { LinkKind } from './system.js';

export interface SimStep {
  /** Seconds after open() (after the start of the cycle when the timeline repeats). */
  at: number;
  set?: { memAvailablePct?: number; memPressureSome10?: number; load1?: number; socTempC?: number };
  /** The firmware's get_throttled bits, as a number or as hex text ("0x50005"). */
  throttled?: number | string;
  timeZone?: string;
  login?: string;
  logout?: string;
  internet?: boolean;
  /** The kind of link carrying the default route; null removes the default route. */
  link?: LinkKind | null;
  /** A named device event to raise. */
  emit?: string;
  details?: Record<string, unknown>;
  /** A simulated GPIO input to move to `value` (logical level), with `bounce` contact bounces. */
  gpio?: string;
  value?: 0 | 1;
  bounce?: number;
  /** A simulated I2C sensor whose measured quantities become `values`. */
  sensor?: string;
  values?: Record<string, number>;
  /** Something the simulated modem does (checked by the board, which knows the modem). */
  modem?: Record<string, unknown>;
  /** Something on the simulated Bluetooth LE radio (checked by the board, which knows the radio). */
  ble?: Record<string, unknown>;
  /** Something in the simulated Wi-Fi environment (checked by the board, which knows it). */
  wifi?: Record<string, unknown>;
  note?: string;
}

const STEP_KEYS = new Set(['at', 'set', 'throttled', 'timeZone', 'login', 'logout', 'internet', 'link', 'emit', 'details', 'gpio', 'value', 'bounce', 'sensor', 'values', 'modem', 'ble', 'wifi', 'note']);
const SET_KEYS = new Set(['memAvailablePct', 'memPressureSome10', 'load1', 'socTempC']);
const LINK_KINDS = new Set<string>(['ethernet', 'wifi', 'cellular', 'other']);

/** Throttle bits from a step: a non-negative integer, or hex text with or without "0x". */
export function throttledBits(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const m = /^\s*(?:0x)?([0-9a-f]+)\s*$/i.exec(value);
  return m ? parseInt(m[1]!, 16) : undefined;
}

/**
 * Check a timeline: times finite, non-negative and in order; values of the right type and
 * range; no unknown keys (a misspelt key would otherwise be silently ignored); and a repeat
 * period longer than the last step, so one cycle ends before the next begins.
 */
export function validateTimeline(steps: readonly SimStep[], repeatSec: number | undefined): void {
  const bad = (i: number, what: string, value: unknown, expected: string): never => {
    throw new DriverError('system', `timeline step ${i}: ${what} ${JSON.stringify(value)} is invalid; expected ${expected}`);
  };
  let lastAt = 0;
  steps.forEach((step, i) => {
    if (typeof step !== 'object' || step === null) bad(i, 'step', step, 'an object');
    for (const key of Object.keys(step)) if (!STEP_KEYS.has(key)) bad(i, 'key', key, `one of ${[...STEP_KEYS].join(', ')}`);
    if (typeof step.at !== 'number' || !Number.isFinite(step.at) || step.at < 0) bad(i, 'at', step.at, 'a number of seconds ≥ 0');
    if (step.at < lastAt) bad(i, 'at', step.at, `a time not before the previous step's ${lastAt}`);
    lastAt = step.at;
    if (step.set !== undefined) {
      if (typeof step.set !== 'object' || step.set === null) bad(i, 'set', step.set, 'an object');
      for (const [key, value] of Object.entries(step.set)) {
        if (!SET_KEYS.has(key)) bad(i, 'set key', key, `one of ${[...SET_KEYS].join(', ')}`);
        if (typeof value !== 'number' || !Number.isFinite(value)) bad(i, `set.${key}`, value, 'a finite number');
        const pct = key === 'memAvailablePct' || key === 'memPressureSome10';
        if (pct && (value < 0 || value > 100)) bad(i, `set.${key}`, value, 'a percentage 0–100');
        if (key === 'load1' && value < 0) bad(i, 'set.load1', value, 'a load average ≥ 0');
      }
    }
    if (step.throttled !== undefined) {
      const ok = (typeof step.throttled === 'number' || typeof step.throttled === 'string') && throttledBits(step.throttled) !== undefined;
      if (!ok) bad(i, 'throttled', step.throttled, 'a non-negative integer or hex such as "0x50005"');
    }
    for (const key of ['timeZone', 'login', 'logout', 'emit'] as const) {
      const value = step[key];
      if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) bad(i, key, value, 'a non-empty string');
    }
    if (typeof step.emit === 'string' && step.emit.trim() !== '' && !EVENT_ID.test(step.emit)) {
      bad(i, 'emit', step.emit, 'an event id such as "door.opened" (letters, digits, . _ : -)');
    }
    if (step.internet !== undefined && typeof step.internet !== 'boolean') bad(i, 'internet', step.internet, 'true or false');
    if (step.link !== undefined && step.link !== null && !LINK_KINDS.has(step.link)) {
      bad(i, 'link', step.link, `one of ${[...LINK_KINDS].join(', ')}, or null for no default route`);
    }
    if (step.details !== undefined && (typeof step.details !== 'object' || step.details === null || Array.isArray(step.details))) {
      bad(i, 'details', step.details, 'an object');
    }
    // Which lines and sensors exist is the board's to check; the shape is checked here.
    for (const key of ['gpio', 'sensor'] as const) {
      const value = step[key];
      if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) bad(i, key, value, 'the name of a configured ' + (key === 'gpio' ? 'GPIO line' : 'sensor'));
    }
    if (step.gpio !== undefined && step.value !== 0 && step.value !== 1) bad(i, 'value', step.value, '0 or 1 (the level the line moves to)');
    if (step.gpio === undefined && (step.value !== undefined || step.bounce !== undefined)) bad(i, 'value', step.value, 'a "gpio" line name in the same step');
    if (step.bounce !== undefined && (!Number.isInteger(step.bounce) || step.bounce < 0 || step.bounce > 50)) bad(i, 'bounce', step.bounce, 'a number of bounces 0–50');
    if (step.sensor !== undefined) {
      const values = step.values;
      if (typeof values !== 'object' || values === null || Array.isArray(values) || Object.keys(values).length === 0) bad(i, 'values', values, 'an object of channel → number, such as {"temperature": 31}');
      for (const [k, x] of Object.entries(values!)) if (typeof x !== 'number' || !Number.isFinite(x)) bad(i, `values.${k}`, x, 'a finite number');
    } else if (step.values !== undefined) bad(i, 'values', step.values, 'a "sensor" name in the same step');
  });
  if (repeatSec !== undefined) {
    if (typeof repeatSec !== 'number' || !Number.isFinite(repeatSec) || repeatSec <= lastAt || repeatSec <= 0) {
      throw new DriverError('system', `repeatSec ${JSON.stringify(repeatSec)} is invalid; expected a number of seconds greater than the last step's at (${lastAt})`);
    }
  }
}
