/**
 * What a simulated modem can be built with, and the initial state those options make: an EC25
 * on a UK network with a PIN-less SIM unless told otherwise.
 */
import type { Clock } from '../../../runtime/clock.js';
import { resolveIdentity, type ModemIdentity } from './identity.js';
import type { Random } from './random.js';
import { SimCard } from './sim-card.js';
import { checkRegistration, checkRssi, copySettings, factorySettings } from './state.js';
import type { ModemState, Operator, Registration } from './state.js';
import { MessageStorage } from './storage.js';
import { simError } from './sim-error.js';

export interface SimModemOptions {
  identity?: Partial<ModemIdentity>;
  /** The SIM's PIN. Giving one also turns the PIN lock on unless `pinEnabled` says otherwise. */
  pin?: string;
  pinEnabled?: boolean;
  /** Default "12345678". */
  puk?: string;
  /** PIN tries left on the card (default 3) and PUK tries (default 10). */
  pinAttempts?: number;
  pukAttempts?: number;
  /** Slots in the SIM message store (default 30). */
  storageSize?: number;
  /** Networks AT+COPS=? finds; the first is the one the modem is on unless `operator` is given. */
  operators?: Operator[];
  operator?: Operator;
  /** What the network grants in every domain at start (default: home, E-UTRAN). */
  registration?: Partial<Registration>;
  signal?: { rssi: number; ber?: number };
  /** The service centre number on the SIM (+CSCA). */
  smsc?: string;
  clock?: Clock;
  /** Seeds IMEI/IMSI/ICCID when not given, message references, jitter and noise. */
  seed?: number;
  /** Delay of each response: a fixed number of ms or a [min, max] range (default [0, 2]). */
  responseDelayMs?: number | [number, number];
  /** How long the modem is silent while restarting (power cycle, AT+CFUN=1,1). Default 200. */
  bootMs?: number;
  copsScanMs?: number;
  submitDelayMs?: number;
  /** Default 1000. */
  statusReportDelayMs?: number;
  /** Default 500: how soon the network retries after a slot frees or an acknowledgement is missed. */
  retryDelayMs?: number;
  /** Default 15000: how long a +CMT waits for AT+CNMA when +CSMS=1. */
  ackTimeoutMs?: number;
  /** Replay this transcript instead of interpreting commands (see transcript.ts). */
  transcript?: string;
}

export const DEFAULT_OPERATORS: Operator[] = [
  { long: 'EE', short: 'EE', numeric: '23430', act: 7, status: 'available' },
  { long: 'vodafone UK', short: 'voda UK', numeric: '23415', act: 7, status: 'available' },
  { long: 'O2 - UK', short: 'O2 - UK', numeric: '23410', act: 2, status: 'forbidden' },
];

export function initialState(o: SimModemOptions, random: Random): ModemState {
  const identity = resolveIdentity(o.identity, random);
  const sim = new SimCard({
    pin: o.pin ?? '1234',
    puk: o.puk ?? '12345678',
    pinEnabled: o.pinEnabled ?? o.pin !== undefined,
    phSimPin: o.pin ?? '1234',
    pinAttempts: o.pinAttempts ?? 3,
    pukAttempts: o.pukAttempts ?? 10,
  });
  const operators = (o.operators ?? DEFAULT_OPERATORS).map((op) => ({ ...op }));
  const operator = { ...(o.operator ?? operators[0] ?? DEFAULT_OPERATORS[0]!) };
  const reg: Registration = { stat: 1, lac: 0x1a2b, ci: 0x01c4d5e6, act: operator.act ?? 7, ...o.registration };
  checkRegistration(reg);
  const signal = { rssi: o.signal?.rssi ?? 20, ber: o.signal?.ber ?? 99 };
  checkRssi(signal.rssi, signal.ber);
  const settings = factorySettings();
  return {
    identity,
    sim,
    fun: 1,
    network: { cs: { ...reg }, ps: { ...reg }, eps: { ...reg } },
    copsMode: 0,
    operator,
    operators,
    signal,
    smsc: o.smsc ?? '+447802000332',
    storage: new MessageStorage(o.storageSize ?? 30),
    contexts: [{ cid: 1, type: 'IP', apn: '' }],
    settings,
    profile: copySettings(settings),
  };
}

export function delayRange(value: SimModemOptions['responseDelayMs']): [number, number] {
  const [min, max] = value === undefined ? [0, 2] : typeof value === 'number' ? [value, value] : value;
  if (!(min >= 0) || !(max >= min)) {
    throw simError(`responseDelayMs ${JSON.stringify(value)} is not a delay: expected ms >= 0 or [min, max] with 0 <= min <= max`);
  }
  return [min, max];
}
