/**
 * Final result codes: the line that ends a command (ITU-T V.250 §5.7, 3GPP TS 27.007 §9.2,
 * TS 27.005 §3.2.5), and the echo a modem in ATE1 puts before its answer.
 *
 * A failure becomes a ModemError whose `number` is the +CME/+CMS number, also when the modem
 * spoke text (AT+CMEE=2): a task can test `err.number === 330` whichever way the modem is set.
 */
import { ModemError, type ModemErrorCode } from '../errors.js';

export type FinalResult =
  | { ok: true; text: 'OK' | 'CONNECT'; /** What followed CONNECT ("115200"), if anything. */ rate?: string }
  | { ok: false; error: ModemError };

// 27.007 §9.2.1 (general) and §9.2.2 (GPRS and EPS) — the ones a modem on a Pi is likely to say.
const CME_TEXT: ReadonlyMap<number, string> = new Map([
  [0, 'phone failure'], [1, 'no connection to phone'], [2, 'phone-adaptor link reserved'],
  [3, 'operation not allowed'], [4, 'operation not supported'], [5, 'PH-SIM PIN required'],
  [6, 'PH-FSIM PIN required'], [7, 'PH-FSIM PUK required'], [10, 'SIM not inserted'],
  [11, 'SIM PIN required'], [12, 'SIM PUK required'], [13, 'SIM failure'], [14, 'SIM busy'],
  [15, 'SIM wrong'], [16, 'incorrect password'], [17, 'SIM PIN2 required'], [18, 'SIM PUK2 required'],
  [20, 'memory full'], [21, 'invalid index'], [22, 'not found'], [23, 'memory failure'],
  [24, 'text string too long'], [25, 'invalid characters in text string'], [26, 'dial string too long'],
  [27, 'invalid characters in dial string'], [30, 'no network service'], [31, 'network timeout'],
  [32, 'network not allowed - emergency calls only'], [40, 'network personalization PIN required'],
  [41, 'network personalization PUK required'], [42, 'network subset personalization PIN required'],
  [43, 'network subset personalization PUK required'], [44, 'service provider personalization PIN required'],
  [45, 'service provider personalization PUK required'], [46, 'corporate personalization PIN required'],
  [47, 'corporate personalization PUK required'], [48, 'hidden key required'], [49, 'EAP method not supported'],
  [50, 'incorrect parameters'], [51, 'command implemented but currently disabled'],
  [52, 'command aborted by user'], [53, 'not attached to network due to MT functionality restrictions'],
  [54, 'modem not allowed - MT restricted to emergency calls only'],
  [55, 'operation not allowed because of MT functionality restrictions'],
  [56, 'fixed dial number only allowed - called number is not a fixed dial number'],
  [57, 'temporarily out of service due to other MT usage'], [58, 'language/alphabet not supported'],
  [59, 'unexpected data value'], [60, 'system failure'], [61, 'data missing'], [62, 'call barred'],
  [63, 'message waiting indication subscription failure'], [100, 'unknown'],
  [103, 'illegal MS'], [106, 'illegal ME'], [107, 'GPRS services not allowed'],
  [108, 'GPRS services and non-GPRS services not allowed'], [111, 'PLMN not allowed'],
  [112, 'location area not allowed'], [113, 'roaming not allowed in this location area'],
  [114, 'GPRS services not allowed in this PLMN'], [115, 'no suitable cells in location area'],
  [122, 'congestion'], [125, 'insufficient resources'], [126, 'missing or unknown APN'],
  [127, 'unknown PDP address or PDP type'], [128, 'user authentication failed'],
  [129, 'activation rejected by GGSN, Serving GW or PDN GW'], [130, 'activation rejected, unspecified'],
  [131, 'service option not supported'], [132, 'requested service option not subscribed'],
  [133, 'service option temporarily out of order'], [134, 'NS-api already used'],
  [148, 'unspecified GPRS error'], [149, 'PDP authentication failure'], [150, 'invalid mobile class'],
]);

// 27.005 §3.2.5; below 300 the network's own cause (TS 24.011 Annex E-2, TS 23.040 §9.2.3.22),
// which is what a failed AT+CMGS usually reports.
const CMS_TEXT: ReadonlyMap<number, string> = new Map([
  [1, 'unassigned (unallocated) number'], [8, 'operator determined barring'], [10, 'call barred'],
  [21, 'short message transfer rejected'], [27, 'destination out of service'],
  [28, 'unidentified subscriber'], [29, 'facility rejected'], [30, 'unknown subscriber'],
  [38, 'network out of order'], [41, 'temporary failure'], [42, 'congestion'],
  [47, 'resources unavailable, unspecified'], [50, 'requested facility not subscribed'],
  [69, 'requested facility not implemented'], [81, 'invalid short message transfer reference value'],
  [95, 'invalid message, unspecified'], [96, 'invalid mandatory information'],
  [97, 'message type non-existent or not implemented'],
  [98, 'message not compatible with short message protocol state'],
  [99, 'information element non-existent or not implemented'], [111, 'protocol error, unspecified'],
  [127, 'interworking, unspecified'], [128, 'telematic interworking not supported'],
  [143, 'cannot replace short message'], [175, 'unspecified TP-PID error'],
  [176, 'data coding scheme (alphabet) not supported'], [197, 'SC busy'], [198, 'no SC subscription'],
  [199, 'SC system failure'], [208, 'SIM SMS storage full'], [210, 'error in MS'],
  [255, 'unspecified error cause'], [300, 'ME failure'], [301, 'SMS service reserved'],
  [302, 'operation not allowed'], [303, 'operation not supported'], [304, 'invalid PDU mode parameter'],
  [305, 'invalid text mode parameter'], [310, 'SIM not inserted'], [311, 'SIM PIN required'],
  [312, 'PH-SIM PIN required'], [313, 'SIM failure'], [314, 'SIM busy'], [315, 'SIM wrong'],
  [316, 'SIM PUK required'], [317, 'SIM PIN2 required'], [318, 'SIM PUK2 required'],
  [320, 'memory failure'], [321, 'invalid memory index'], [322, 'memory full'],
  [330, 'SMSC address unknown'], [331, 'no network service'], [332, 'network timeout'],
  [340, 'no +CNMA acknowledgement expected'], [500, 'unknown error'],
]);

// Modems word the same error slightly differently ("SIM not inserted", "(U)SIM not inserted",
// "Incorrect Password"): compare letters and digits only.
const squash = (text: string) => text.toLowerCase().replace(/\(u\)/g, '').replace(/[^a-z0-9]+/g, ' ').trim();
const byText = (table: ReadonlyMap<number, string>) => new Map([...table].map(([n, t]) => [squash(t), n]));
const CME_NUMBER = byText(CME_TEXT);
const CMS_NUMBER = byText(CMS_TEXT);

/** 27.007 §9.2 meaning of a +CME ERROR number, if it is one this table knows. */
export function cmeErrorText(n: number): string | undefined {
  return CME_TEXT.get(n);
}

/** 27.005 §3.2.5 (and network cause) meaning of a +CMS ERROR number, if known. */
export function cmsErrorText(n: number): string | undefined {
  return CMS_TEXT.get(n);
}

/** The command as it should read in a message: "AT+CMGS", without its parameters. */
function commandName(command: string | undefined): string {
  if (command === undefined || command.trim() === '') return 'AT command';
  const name = /^[A-Za-z]*[+^#$%*!&_]?[A-Za-z0-9]*/.exec(command.trim())?.[0] ?? '';
  return name === '' ? command.trim() : name.toUpperCase();
}

function failure(code: ModemErrorCode, line: string, command: string | undefined, detail: string, number?: number, meaning?: string): FinalResult {
  const said = meaning === undefined || meaning.toLowerCase() === detail.toLowerCase() ? line : `${line} (${meaning})`;
  const options: { detail: string; number?: number; command?: string } = { detail };
  if (number !== undefined) options.number = number;
  if (command !== undefined) options.command = command;
  return { ok: false, error: new ModemError(code, `${commandName(command)} failed: ${said}`, options) };
}

function extendedError(kind: 'CME' | 'CMS', line: string, detail: string, command: string | undefined): FinalResult {
  const [code, texts, numbers] = kind === 'CME' ? (['CME_ERROR', CME_TEXT, CME_NUMBER] as const) : (['CMS_ERROR', CMS_TEXT, CMS_NUMBER] as const);
  if (/^\d+$/.test(detail)) {
    const n = Number.parseInt(detail, 10);
    return failure(code, line, command, detail, n, texts.get(n));
  }
  return failure(code, line, command, detail, numbers.get(squash(detail)));
}

// Results that end a command with a failure and carry no parameters.
const PLAIN_FAILURES: ReadonlyMap<string, ModemErrorCode> = new Map<string, ModemErrorCode>([
  ['ERROR', 'AT_ERROR'], ['NO CARRIER', 'NO_CARRIER'], ['BUSY', 'BUSY'], ['NO ANSWER', 'NO_ANSWER'],
  ['NO DIALTONE', 'NO_DIALTONE'], ['NO DIAL TONE', 'NO_DIALTONE'],
  // Other firmware's wordings of ERROR: the command is over and it failed.
  ['COMMAND NOT SUPPORT', 'AT_ERROR'], ['TOO MANY PARAMETERS', 'AT_ERROR'],
]);

/**
 * The final result `line` stands for, or `undefined` when it is not one (an information line, a
 * URC, an echo). `command` is only used to word the error ("AT+CMGS failed: …").
 */
export function parseFinal(line: string, command?: string): FinalResult | undefined {
  const t = line.trim();
  if (t === 'OK') return { ok: true, text: 'OK' };
  if (t === 'CONNECT') return { ok: true, text: 'CONNECT' };
  if (t.startsWith('CONNECT ')) return { ok: true, text: 'CONNECT', rate: t.slice(8).trim() };
  const plain = PLAIN_FAILURES.get(t);
  if (plain !== undefined) return failure(plain, t, command, t === 'ERROR' ? '' : t);
  // "+CME ERROR:" with nothing after it still ends the command; only the reason is missing.
  const extended = /^\+(CME|CMS) ERROR:\s*(.*)$/.exec(t);
  if (extended) return extendedError(extended[1] === 'CME' ? 'CME' : 'CMS', t, (extended[2] ?? '').trim(), command);
  // "MODEM ERROR: <n>", a non-standard form some firmware sends (ModemManager accepts it too).
  // Only the numeric form is known; a line that merely starts with those words is left alone.
  const modem = /^MODEM ERROR:\s*(\d+)$/.exec(t);
  if (modem) return failure('AT_ERROR', t, command, modem[1] ?? '', Number.parseInt(modem[1] ?? '', 10));
  return undefined;
}

/**
 * A response with the echo of the command removed. With ATE1 the modem repeats what it was sent
 * before answering `\r\n…`; anything in front of the first CR LF is taken as that echo (or line
 * noise) and dropped. A response that starts with a line end — CR LF, or the lone LF some modems
 * send before NO CARRIER or CONNECT — has no echo and is returned as it is, as is one too short to
 * hold an answer.
 */
export function stripEcho(response: string): string {
  if (response.length <= 2 || response.startsWith('\n')) return response;
  const at = response.indexOf('\r\n');
  return at <= 0 ? response : response.slice(at);
}
