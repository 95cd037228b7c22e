/**
 * What a simulated board's timeline can do to the modem: an SMS arriving (in parts, out of
 * order), a call, registration, signal, radio and operator changes, a raw URC, bytes on the
 * cellular interface. Checked when the config loads, applied when the step comes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../runtime/errors.js';
import type { SimModem } from './sim/modem.js';

export interface ModemStep {
  sms?: { from: string; text: string; order?: number[]; gapMs?: number };
  ring?: string;
  hangup?: boolean;
  registration?: keyof typeof STAT;
  act?: number;
  signal?: number;
  radio?: keyof typeof FUN;
  operator?: { long: string; short: string; numeric: string };
  urc?: string;
  /** Total bytes the cellular interface has counted so far. */
  dataBytes?: number;
}

const STAT = { idle: 0, home: 1, searching: 2, denied: 3, unknown: 4, roaming: 5 } as const;
const FUN = { off: 0, on: 1, flight: 4 } as const;
const KEYS = new Set(['sms', 'ring', 'hangup', 'registration', 'act', 'signal', 'radio', 'operator', 'urc', 'dataBytes']);

export function checkModemStep(step: unknown, where: string): void {
  const bad = (what: string, value: unknown, expected: string): never => {
    throw new ConfigError(`${where}.${what} ${JSON.stringify(value)} is invalid: expected ${expected}`, { path: `${where}.${what}` });
  };
  if (typeof step !== 'object' || step === null || Array.isArray(step)) bad('', step, 'an object such as {"sms": {"from": "+447700900123", "text": "hi"}}');
  const s = step as Record<string, unknown>;
  for (const key of Object.keys(s)) if (!KEYS.has(key)) bad('key', key, `one of ${[...KEYS].join(', ')}`);
  if (s.sms !== undefined) {
    const sms = s.sms as Record<string, unknown>;
    if (typeof sms !== 'object' || sms === null || typeof sms.from !== 'string' || typeof sms.text !== 'string' || sms.text === '') bad('sms', s.sms, '{"from": "+447700900123", "text": "…"}');
    if (sms.order !== undefined && !(Array.isArray(sms.order) && sms.order.every((n) => Number.isInteger(n) && n >= 0))) bad('sms.order', sms.order, 'part indices such as [2, 0, 1]');
  }
  if (s.ring !== undefined && (typeof s.ring !== 'string' || !/^\+?[0-9]{3,20}$/.test(s.ring))) bad('ring', s.ring, 'the caller\'s number');
  if (s.registration !== undefined && !(typeof s.registration === 'string' && s.registration in STAT)) bad('registration', s.registration, Object.keys(STAT).join(', '));
  if (s.act !== undefined && !(Number.isInteger(s.act) && (s.act as number) >= 0 && (s.act as number) <= 13)) bad('act', s.act, 'a 3GPP access technology number 0–13 (7 is LTE)');
  if (s.signal !== undefined && !(Number.isInteger(s.signal) && (((s.signal as number) >= 0 && (s.signal as number) <= 31) || s.signal === 99))) bad('signal', s.signal, 'an RSSI 0–31, or 99 for unknown');
  if (s.radio !== undefined && !(typeof s.radio === 'string' && s.radio in FUN)) bad('radio', s.radio, Object.keys(FUN).join(', '));
  if (s.urc !== undefined && (typeof s.urc !== 'string' || s.urc === '' || /[\r\n]/.test(s.urc))) bad('urc', s.urc, 'one line such as "+QIND: \\"csq\\",20,99"');
  if (s.dataBytes !== undefined && !(Number.isInteger(s.dataBytes) && (s.dataBytes as number) >= 0)) bad('dataBytes', s.dataBytes, 'a byte count ≥ 0');
}

export async function applyModemStep(step: ModemStep, sim: SimModem, stats: { dir: string; iface: string } | undefined): Promise<void> {
  if (step.sms) await sim.deliverSms({ from: step.sms.from, text: step.sms.text, ...(step.sms.order ? { order: step.sms.order } : {}), ...(step.sms.gapMs !== undefined ? { gapMs: step.sms.gapMs } : {}) });
  if (step.operator) sim.setOperator(step.operator);
  if (step.registration) sim.setRegistration({ stat: STAT[step.registration], ...(step.act !== undefined ? { act: step.act } : {}) });
  if (step.signal !== undefined) sim.setSignal(step.signal);
  if (step.radio) sim.setRadio(FUN[step.radio]);
  if (step.ring) sim.ring({ number: step.ring });
  if (step.hangup) sim.hangup();
  if (step.urc) sim.urc(step.urc);
  if (step.dataBytes !== undefined && stats) await writeCounters(stats.dir, stats.iface, step.dataBytes);
}

/** The simulated interface's counters, laid out as /sys/class/net/IFACE/statistics is. */
export async function writeCounters(dir: string, iface: string, bytes: number): Promise<void> {
  const at = join(dir, iface, 'statistics');
  await mkdir(at, { recursive: true });
  const rx = Math.round(bytes * 0.8);
  await Promise.all([writeFile(join(at, 'rx_bytes'), `${rx}\n`), writeFile(join(at, 'tx_bytes'), `${bytes - rx}\n`)]);
}
