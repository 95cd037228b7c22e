/**
 * The radio's power level (+CFUN, 3GPP TS 27.007 §8.2) and signal strength (+CSQ §8.5,
 * +CESQ §8.69), converted to the units people reason in: dBm, dB and a 0–100 quality.
 */
import { badResponse, parseIntField, parseOptionalInt, splitParams, stripPrefix } from './tokens.js';

/**
 * What <fun> means: 0 minimum functionality (radio off), 1 full, 2 transmitter off, 3 receiver
 * off, 4 both off ("flight mode"); 5–127 are the manufacturer's (Telit's 5, full functionality
 * with power saving, for one) and are reported as 'vendor'.
 */
export type RadioState = 'off' | 'on' | 'tx-off' | 'rx-off' | 'flight' | 'vendor';

export interface Cfun {
  fun: number;
  state: RadioState;
}

const RADIO: readonly RadioState[] = ['off', 'on', 'tx-off', 'rx-off', 'flight'];

/**
 * Reads `+CFUN: <fun>`. Some firmware adds a second field (`+CFUN: 1,0`, the <rst> it was set
 * with); it says nothing about the current level and is ignored.
 */
export function parseCfun(line: string): Cfun | undefined {
  const body = stripPrefix(line, '+CFUN:');
  if (body === undefined) return undefined;
  const fun = parseIntField(splitParams(body)[0], `<fun> of ${JSON.stringify(line.trim())}`);
  if (fun > 127) throw badResponse(`<fun> of ${JSON.stringify(line.trim())} is ${fun}: expected 0 to 127 (27.007 §8.2)`);
  return { fun, state: RADIO[fun] ?? 'vendor' };
}

export interface Csq {
  /** 0–31, `undefined` for 99 (not known or not detectable). */
  rssi: number | undefined;
  /** -113 dBm + 2 × rssi: -113 (or less) to -51 (or more). */
  dbm: number | undefined;
  /** Bit error rate class 0–7 (TS 45.008 §8.2.4), `undefined` for 99. */
  ber: number | undefined;
  /** rssi as 0–100 %, `undefined` when rssi is. */
  quality: number | undefined;
}

/** Reads `+CSQ: <rssi>,<ber>`. */
export function parseCsq(line: string): Csq | undefined {
  const body = stripPrefix(line, '+CSQ:');
  if (body === undefined) return undefined;
  const what = JSON.stringify(line.trim());
  const [r, b] = splitParams(body);
  const rssi = parseIntField(r, `<rssi> of ${what}`);
  const ber = parseIntField(b, `<ber> of ${what}`);
  if (rssi > 31 && rssi !== 99) throw badResponse(`<rssi> of ${what} is ${rssi}: expected 0 to 31, or 99`);
  if (ber > 7 && ber !== 99) throw badResponse(`<ber> of ${what} is ${ber}: expected 0 to 7, or 99`);
  const known = rssi === 99 ? undefined : rssi;
  return {
    rssi: known,
    dbm: known === undefined ? undefined : -113 + 2 * known,
    ber: ber === 99 ? undefined : ber,
    quality: known === undefined ? undefined : Math.round((known * 100) / 31),
  };
}

export interface Cesq {
  /** GSM: received level index 0–63, RSSI in dBm, bit error rate class. */
  gsm?: { rxlev: number; rssi: number; ber?: number };
  /** UMTS: RSCP index 0–96 and dBm; Ec/No index 0–49 and dB. */
  umts?: { rscpLevel: number; rscp: number; ecn0Level?: number; ecio?: number };
  /** LTE: RSRQ index 0–34 and dB; RSRP index 0–97 and dBm. */
  lte?: { rsrqLevel?: number; rsrq?: number; rsrpLevel?: number; rsrp?: number };
  /** NR (27.007 Rel-15 fields 7–9): SS-RSRQ, SS-RSRP, SS-SINR indexes and values. */
  nr?: { ssRsrqLevel?: number; ssRsrq?: number; ssRsrpLevel?: number; ssRsrp?: number; ssSinrLevel?: number; ssSinr?: number };
}

// An index past its range, or the "not known" value (99 for GSM, 255 for the others), is no reading.
const level = (value: number | undefined, max: number, unknown: number): number | undefined =>
  value === undefined || value === unknown || value > max ? undefined : value;

/** Reads `+CESQ: <rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp>[,<ss_rsrq>,<ss_rsrp>,<ss_sinr>]`. */
export function parseCesq(line: string): Cesq | undefined {
  const body = stripPrefix(line, '+CESQ:');
  if (body === undefined) return undefined;
  const what = JSON.stringify(line.trim());
  const names = ['rxlev', 'ber', 'rscp', 'ecno', 'rsrq', 'rsrp', 'ss_rsrq', 'ss_rsrp', 'ss_sinr'];
  const fields = splitParams(body);
  if (fields.length < 6) throw badResponse(`+CESQ answer ${what} has ${fields.length} fields: expected 6 (or 9 with NR)`);
  const v = names.map((name, i) => parseOptionalInt(fields[i], `<${name}> of ${what}`));
  const [rxlev, ber, rscp, ecno, rsrq, rsrp] = [level(v[0], 63, 99), level(v[1], 7, 99), level(v[2], 96, 255), level(v[3], 49, 255), level(v[4], 34, 255), level(v[5], 97, 255)];
  const [ssRsrq, ssRsrp, ssSinr] = [level(v[6], 127, 255), level(v[7], 126, 255), level(v[8], 127, 255)];
  // Index 0 is "below the range" and each step is 1 dB (0.5 dB for Ec/No and RSRQ), reported as
  // the step's lower edge: RSRP index 1 is -140 ≤ rsrp < -139 dBm, so the value is -141 + index.
  const out: Cesq = {};
  if (rxlev !== undefined) out.gsm = { rxlev, rssi: -111 + rxlev, ...(ber === undefined ? {} : { ber }) };
  if (rscp !== undefined) {
    out.umts = { rscpLevel: rscp, rscp: -121 + rscp };
    if (ecno !== undefined) Object.assign(out.umts, { ecn0Level: ecno, ecio: -24.5 + ecno / 2 });
  }
  if (rsrq !== undefined || rsrp !== undefined) {
    out.lte = {};
    if (rsrq !== undefined) Object.assign(out.lte, { rsrqLevel: rsrq, rsrq: -20 + rsrq / 2 });
    if (rsrp !== undefined) Object.assign(out.lte, { rsrpLevel: rsrp, rsrp: -141 + rsrp });
  }
  if (ssRsrq !== undefined || ssRsrp !== undefined || ssSinr !== undefined) {
    out.nr = {};
    if (ssRsrq !== undefined) Object.assign(out.nr, { ssRsrqLevel: ssRsrq, ssRsrq: -43.5 + ssRsrq / 2 });
    if (ssRsrp !== undefined) Object.assign(out.nr, { ssRsrpLevel: ssRsrp, ssRsrp: -157 + ssRsrp });
    if (ssSinr !== undefined) Object.assign(out.nr, { ssSinrLevel: ssSinr, ssSinr: -23.5 + ssSinr / 2 });
  }
  return out;
}
