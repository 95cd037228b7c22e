/**
 * Which lines are unsolicited result codes. The engine asks this of every line that is not the
 * running command's answer, so that a +CMTI arriving in the middle of AT+COPS=? is delivered as
 * an event instead of being mistaken for part of the answer.
 *
 * The standard ones come from 3GPP TS 27.007 and 27.005; the vendor ones are the URCs of the
 * modules ModemManager has plugins for (Huawei, Quectel, SIMCom, u-blox, Telit, Cinterion, Sierra,
 * Option, Ericsson, Icera, Altair), as those plugins and the vendors' AT manuals list them. Only
 * lines a modem sends on its own are listed: a prefix that is only ever an answer (+CGCONTRDP,
 * +CSQ) is not a URC.
 */
import { parseRegistration } from './registration.js';
import { splitParams } from './tokens.js';

export interface UrcKind {
  /** The URC's name as the table has it: '+CMTI', 'RING', '^MODE', 'SMS DONE'. */
  name: string;
  /** Lines that belong to the URC after this one: +CMT, +CBM and PDU-mode +CDS are followed by the message. */
  bodyLines: 0 | 1;
  /**
   * The command whose answer has the same prefix (and, for some, the same form), when there is one:
   * while that command runs, the line is its answer, not a URC. NO CARRIER is also ATD's final result.
   */
  alsoResponseTo?: string;
}

type Kind = 'vendor' | 'stk' | 'packet' | 'packet-vendor' | 'standard';

interface Entry {
  kind: Kind;
  body?: (line: string) => 0 | 1;
  /** Tells a URC from the answer that shares its prefix, where their forms differ. */
  isUrc?: (line: string) => boolean;
  alsoResponseTo?: string;
}

const params = (line: string) => splitParams(line.slice(line.indexOf(':') + 1).trim());
// `+CLIP: <n>,<m>` and `+CCWA: <status>,<class>` answer a query; the URCs start with a number in quotes.
const notTwoIntegers = (line: string) => {
  const p = params(line);
  return !(p.length === 2 && p.every((f) => /^\d+$/.test(f)));
};
// The URC has no <n>; the AT+CxREG? answer starts with it (see registration.ts for how that is told).
const unsolicitedRegistration = (line: string) => {
  try {
    return parseRegistration(line)?.solicited === false;
  } catch {
    return false; // unreadable: not a registration URC the tracker could use
  }
};
// PDU mode: `+CDS: <length>` and the PDU follows; text mode: everything is on the one line.
const cdsBody = (line: string): 0 | 1 => (params(line).length === 1 ? 1 : 0);
const one = (): 1 => 1;

const TABLE = new Map<string, Entry>();
function add(kind: Kind, names: readonly string[], extra: Omit<Entry, 'kind'> = {}): void {
  for (const name of names) TABLE.set(name, { kind, ...extra });
}

// 27.005: messages and cell broadcasts.
add('standard', ['+CMTI', '+CDSI', '+CBMI']);
add('standard', ['+CMT', '+CBM'], { body: one });
add('standard', ['+CDS'], { body: cdsBody });
// 27.007: calls, supplementary services, indicators, time zone, USSD, IMS, power saving.
add('standard', ['RING', '+CRING', '+CNAP', '+CSSI', '+CSSU', '+CCCM', '+CCWV', '+CIEV', '+CTZV', '+CTZE', '+CEDRXP', '+CIREPH', '+CIREPI', '+CIREGU']);
add('standard', ['NO CARRIER'], { alsoResponseTo: 'ATD' });
add('standard', ['+CLIP'], { isUrc: notTwoIntegers, alsoResponseTo: 'AT+CLIP?' });
add('standard', ['+CCWA'], { isUrc: notTwoIntegers, alsoResponseTo: 'AT+CCWA=1,2' });
add('standard', ['+CREG'], { isUrc: unsolicitedRegistration, alsoResponseTo: 'AT+CREG?' });
add('packet', ['+CGREG'], { isUrc: unsolicitedRegistration, alsoResponseTo: 'AT+CGREG?' });
add('packet', ['+CEREG'], { isUrc: unsolicitedRegistration, alsoResponseTo: 'AT+CEREG?' });
add('packet', ['+C5GREG'], { isUrc: unsolicitedRegistration, alsoResponseTo: 'AT+C5GREG?' });
add('packet', ['+CGEV']);
add('packet', ['+CSCON'], { alsoResponseTo: 'AT+CSCON?' });
add('standard', ['+CUSD'], { alsoResponseTo: 'AT+CUSD' });
// Sent on their own by modems that report SIM and power changes (Quectel, SIMCom at start-up).
add('standard', ['+CPIN'], { alsoResponseTo: 'AT+CPIN?' });
add('standard', ['+CFUN'], { alsoResponseTo: 'AT+CFUN?' });
// SIM toolkit (USAT) proactive commands, standard and vendor.
add('stk', ['+CUSATP', '+CUSATEND', '+STIN', '+STKPCI', '^STIN', '^SSTN', '#STN']);

// Huawei.
add('vendor', ['^MODE', '^RSSI', '^SRVST', '^SIMST', '^BOOT', '^RFSWITCH', '^CEND', '^ORIG', '^CONF', '^CONN', '^CSNR', '^CERSSI', '^EONS', '^NWTIME', '^TIME', '^CTZV', '^ECCLIST', '^SMMEMFULL', '^POSITION']);
add('vendor', ['^HCSQ'], { alsoResponseTo: 'AT^HCSQ?' });
add('packet-vendor', ['^DSFLOWRPT', '^NDISEND', '^DSDORMANT']);
add('packet-vendor', ['^NDISSTAT'], { alsoResponseTo: 'AT^NDISSTAT?' });
// Quectel.
add('vendor', ['+QIND', '+QUSIM', '+QIURC', '+QMTRECV', '+QMTSTAT', '+QGPSURC']);
add('vendor', ['+QSIMSTAT'], { alsoResponseTo: 'AT+QSIMSTAT?' });
// SIMCom, and the start-up banners SIMCom and Quectel modules print.
add('vendor', ['*PSNWID', '*PSUTTZ', 'DST', '+SIMCARD', '+RECEIVE', '+CIPRXGET', 'RDY', 'SMS READY', 'CALL READY', 'SMS DONE', 'PB DONE']);
add('vendor', ['+CNSMOD'], { alsoResponseTo: 'AT+CNSMOD?' });
add('packet-vendor', ['+PDP']);
// u-blox.
add('vendor', ['+UUSORD', '+UUSORF', '+UUSOCL', '+UUSOLI', '+UUHTTPCR', '+UUFTPCR', '+UUSIMSTAT', '+UUPING', '+UUPINGER']);
add('packet-vendor', ['+UUPSDA', '+UUPSDD']);
// Telit.
add('vendor', ['#SRING', '#NITZ']);
add('vendor', ['#QSS'], { alsoResponseTo: 'AT#QSS?' });
add('packet-vendor', ['#PSNT'], { alsoResponseTo: 'AT#PSNT?' });
// Cinterion (Thales).
add('vendor', ['^SYSSTART', '^SHUTDOWN', '^SIS', '^SISR', '^SISW', '^SBC', '^SCTM_A', '^SCTM_B']);
add('vendor', ['^SIND'], { alsoResponseTo: 'AT^SIND?' });
add('vendor', ['^SCKS'], { alsoResponseTo: 'AT^SCKS?' });
// Cinterion PLS8 `+CTZU: "19/07/09,10:19:15",+08,1`; the AT+CTZU? answer is a bare 0 or 1.
add('vendor', ['+CTZU'], { isUrc: (line) => params(line)[0]?.startsWith('"') === true, alsoResponseTo: 'AT+CTZU?' });
// Sierra (+PACSP0 / +PACSP1, no colon).
add('vendor', ['+PACSP']);
// Option (HSO).
add('vendor', ['_OSIGQ', '_OCTI', '_OUWCTI', '_OSSYS']);
add('packet-vendor', ['_OWANCALL']);
// Ericsson MBM.
add('vendor', ['*ECAV', '*ERINFO', '*EMRDY']);
add('packet-vendor', ['*E2NAP']);
// Icera and Altair.
add('vendor', ['%NWSTATE', '%PCOINFO', '%NOTIFYEV']);
add('packet-vendor', ['%IPDPACT', '%STATCM']);

// Names sent without a colon and sometimes with words after them.
const BARE_PREFIXES = ['+PACSP', '^SYSSTART', '^SHUTDOWN'];

function nameOf(line: string): string {
  const t = line.trim();
  const bare = BARE_PREFIXES.find((p) => t.toUpperCase().startsWith(p));
  if (bare !== undefined) return bare;
  const colon = t.indexOf(':');
  return (colon < 0 ? t : t.slice(0, colon)).trim().toUpperCase();
}

/**
 * What URC `line` is, or `undefined` when it is not one (an answer line, an echo, noise). The name
 * is what comes before the colon ("+CMTI: …"), or the whole line for the words sent alone ("RING").
 */
export function classifyUrc(line: string): UrcKind | undefined {
  if (line.trim() === '') return undefined;
  const name = nameOf(line);
  const entry = TABLE.get(name);
  if (entry === undefined) return undefined;
  if (entry.isUrc && !entry.isUrc(line.trim())) return undefined;
  const kind: UrcKind = { name, bodyLines: entry.body ? entry.body(line.trim()) : 0 };
  if (entry.alsoResponseTo !== undefined) kind.alsoResponseTo = entry.alsoResponseTo;
  return kind;
}

/**
 * Vendor and SIM-toolkit URCs: nothing in vigil reads them, so they are passed on as they are to
 * the trigger for device-service notifications, where a task that knows the module can.
 */
export function isVendorUrc(name: string): boolean {
  const kind = TABLE.get(name.toUpperCase())?.kind;
  return kind === 'vendor' || kind === 'stk' || kind === 'packet-vendor';
}

/** URCs about the packet domain: PS/EPS/5GS registration, PDP context and bearer events, data sessions. */
export function isPacketDomainUrc(name: string): boolean {
  const kind = TABLE.get(name.toUpperCase())?.kind;
  return kind === 'packet' || kind === 'packet-vendor';
}

/** Every URC name in the table, for documentation and tests. */
export function urcNames(): string[] {
  return [...TABLE.keys()];
}
