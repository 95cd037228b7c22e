/**
 * Everything the simulated modem knows, in one plain structure the command handlers read and
 * change: who it is, its SIM, radio, registration per domain, operator, signal, message store and
 * the settings a host changes with AT commands (which ATZ / a power cycle put back).
 */
import type { ModemIdentity } from './identity.js';
import type { SimCard } from './sim-card.js';
import type { MessageStorage } from './storage.js';
import { simError } from './sim-error.js';

/** CS (+CREG), PS (+CGREG), EPS (+CEREG). */
export type Domain = 'cs' | 'ps' | 'eps';
export const DOMAINS: readonly Domain[] = ['cs', 'ps', 'eps'];

/**
 * TS 27.007 §7.2 <stat>: 0 not registered, 1 home, 2 searching, 3 denied, 4 unknown, 5 roaming.
 * <AcT>: 0 GSM, 2 UTRAN, 3 GSM/EGPRS, 4 HSDPA, 5 HSUPA, 6 HSPA, 7 E-UTRAN.
 */
export interface Registration {
  stat: number;
  /** LAC for CS/PS, TAC for EPS (16 bits). */
  lac: number;
  /** Cell id: 16 bits on GSM, 28 bits on UTRAN/E-UTRAN. */
  ci: number;
  act: number;
}

export interface Operator {
  long: string;
  short: string;
  /** MCC+MNC, 5 or 6 digits. */
  numeric: string;
  act?: number;
  /** How AT+COPS=? lists it when it is not the one in use. */
  status?: 'available' | 'forbidden' | 'unknown';
}

export type Fun = 0 | 1 | 4;

export interface Cnmi {
  mode: number;
  mt: number;
  bm: number;
  ds: number;
  bfr: number;
}

export interface Settings {
  echo: boolean;
  /** ATV1: verbose result codes framed with CR LF; ATV0: numeric codes. */
  verbose: boolean;
  /** ATQ1: no result codes at all. */
  quiet: boolean;
  cmee: 0 | 1 | 2;
  cmgf: 0 | 1;
  csdh: 0 | 1;
  cnmi: Cnmi;
  creg: number;
  cgreg: number;
  cereg: number;
  clip: boolean;
  cscs: string;
  /** +CSMS <service>: 1 makes direct-routed messages wait for AT+CNMA. */
  csms: 0 | 1;
  /** +COPS <format> for the read answer: 0 long, 1 short, 2 numeric. */
  copsFormat: 0 | 1 | 2;
  /** Text-mode +CSMP <fo>,<vp>,<pid>,<dcs>. */
  csmp: [number, number, number, number];
  /** Quectel AT+QINDCFG="csq",1: report signal changes as +QIND: "csq". */
  qindCsq: boolean;
  /** V.250 S-registers a host commonly touches (S0 auto-answer rings, S3 CR, S4 LF, S5 BS, …). */
  sRegisters: Record<number, number>;
}

/** Power-on values of a Quectel EC25 (its AT manual's defaults). */
export function factorySettings(): Settings {
  return {
    echo: true,
    verbose: true,
    quiet: false,
    cmee: 1,
    cmgf: 0,
    csdh: 0,
    cnmi: { mode: 2, mt: 1, bm: 0, ds: 0, bfr: 0 },
    creg: 0,
    cgreg: 0,
    cereg: 0,
    clip: false,
    cscs: 'GSM',
    csms: 0,
    copsFormat: 0,
    csmp: [17, 167, 0, 0],
    qindCsq: false,
    sRegisters: { 0: 0, 3: 13, 4: 10, 5: 8, 6: 2, 7: 0, 8: 2, 10: 15 },
  };
}

export function copySettings(s: Settings): Settings {
  return { ...s, cnmi: { ...s.cnmi }, csmp: [...s.csmp], sRegisters: { ...s.sRegisters } };
}

export interface ModemState {
  identity: ModemIdentity;
  sim: SimCard;
  fun: Fun;
  /** What the network would grant per domain while the radio is on and the SIM usable. */
  network: Record<Domain, Registration>;
  /** +COPS <mode>: 0 automatic, 1 manual, 2 deregistered. */
  copsMode: 0 | 1 | 2;
  operator: Operator;
  operators: Operator[];
  signal: { rssi: number; ber: number };
  smsc: string;
  storage: MessageStorage;
  /** PDP contexts defined with +CGDCONT (stored and listed, never activated). */
  contexts: { cid: number; type: string; apn: string }[];
  settings: Settings;
  /** The profile AT&W saved and ATZ / power-on restore. */
  profile: Settings;
}

/** A registration the modem would report if it could: what the network grants, radio and SIM permitting. */
export function effectiveRegistration(state: ModemState, domain: Domain): Registration {
  const granted = state.network[domain];
  const usable = state.fun === 1 && state.sim.status() === 'READY' && state.copsMode !== 2;
  return usable ? { ...granted } : { stat: 0, lac: 0, ci: 0, act: granted.act };
}

export function isRegistered(reg: Registration): boolean {
  return reg.stat === 1 || reg.stat === 5;
}

/** The network serves the modem in some domain: SMS can flow. */
export function canUseNetwork(state: ModemState): boolean {
  return DOMAINS.some((d) => isRegistered(effectiveRegistration(state, d)));
}

export function checkRssi(rssi: number, ber: number): void {
  if (!Number.isInteger(rssi) || !((rssi >= 0 && rssi <= 31) || rssi === 99)) {
    throw simError(`rssi ${String(rssi)} is not a +CSQ level: expected 0 to 31, or 99 for unknown`);
  }
  if (!Number.isInteger(ber) || !((ber >= 0 && ber <= 7) || ber === 99)) {
    throw simError(`ber ${String(ber)} is not a +CSQ bit error rate: expected 0 to 7, or 99 for unknown`);
  }
}

export function checkRegistration(reg: Registration): void {
  if (!Number.isInteger(reg.stat) || reg.stat < 0 || reg.stat > 11) {
    throw simError(`registration stat ${String(reg.stat)} is not a TS 27.007 <stat>: expected 0 to 11`);
  }
  if (!Number.isInteger(reg.lac) || reg.lac < 0 || reg.lac > 0xffff) {
    throw simError(`lac ${String(reg.lac)} does not fit a location/tracking area code: expected 0 to 0xFFFF`);
  }
  if (!Number.isInteger(reg.ci) || reg.ci < 0 || reg.ci > 0xfffffff) {
    throw simError(`ci ${String(reg.ci)} does not fit a cell id: expected 0 to 0xFFFFFFF`);
  }
  if (!Number.isInteger(reg.act) || reg.act < 0 || reg.act > 13) {
    throw simError(`act ${String(reg.act)} is not a TS 27.007 <AcT>: expected 0 to 13`);
  }
}
