/**
 * Short messages (TS 27.005): format (+CMGF), routing of new messages (+CNMI, +CSMS, +CNMA),
 * the SIM store (+CPMS, +CMGL, +CMGR, +CMGD, +CMGW) and sending (+CMGS with the `> ` prompt,
 * the PDU or text ended by Ctrl-Z). PDU handling is the SMS codec's; this file only checks what a
 * modem checks: the announced length, that it is an SMS-SUBMIT, and that the network is there.
 */
import { decodePdu, encodeSubmit } from '../sms/index.js';
import { args, fromTeString, intArg, quote, strArg } from './args.js';
import type { CommandTable, Handler, ModemContext, Outcome } from './context.js';
import { OK, cmsError, syntaxError } from './context.js';
import { storedLines } from './message-format.js';
import { cmsForCme } from './result-codes.js';
import { canUseNetwork } from './state.js';
import { measurePdu, type SlotStat } from './storage.js';

const CMS = { opNotAllowed: 302, pduParam: 304, textParam: 305, invalidIndex: 321, memoryFull: 322, noNetwork: 331, noAckExpected: 340 };

/** Throw the +CMS error SMS commands get while the card is locked or missing. */
function requireSimSms(m: ModemContext): void {
  const locked = m.state.sim.lockError();
  if (locked !== undefined) throw cmsError(cmsForCme(locked));
}

const cmgf: Handler = (cmd, m) => {
  if (cmd.kind === 'read') return { info: [`+CMGF: ${m.state.settings.cmgf}`] };
  if (cmd.kind === 'test') return { info: ['+CMGF: (0,1)'] };
  m.state.settings.cmgf = cmd.kind === 'exec' ? 0 : (intArg(args(cmd.args), 0, 0, 1, 0) as 0 | 1);
  return OK;
};

const csms: Handler = (cmd, m) => {
  const s = m.state.settings;
  if (cmd.kind === 'read') return { info: [`+CSMS: ${s.csms},1,1,1`] };
  if (cmd.kind === 'test') return { info: ['+CSMS: (0,1)'] };
  if (cmd.kind !== 'set') throw syntaxError();
  s.csms = intArg(args(cmd.args), 0, 0, 1) as 0 | 1;
  return { info: ['+CSMS: 1,1,1'] };
};

const cnmi: Handler = (cmd, m) => {
  const c = m.state.settings.cnmi;
  if (cmd.kind === 'read') return { info: [`+CNMI: ${c.mode},${c.mt},${c.bm},${c.ds},${c.bfr}`] };
  if (cmd.kind === 'test') return { info: ['+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)'] };
  if (cmd.kind !== 'set') throw syntaxError();
  const list = args(cmd.args);
  const next = {
    mode: intArg(list, 0, 0, 2, c.mode),
    mt: intArg(list, 1, 0, 3, c.mt),
    bm: intArg(list, 2, 0, 3, c.bm),
    ds: intArg(list, 3, 0, 2, c.ds),
    bfr: intArg(list, 4, 0, 1, c.bfr),
  };
  const resumed = c.mode === 0 && next.mode !== 0;
  Object.assign(c, next);
  const after = () => {
    if (resumed) m.releaseIndications(next.bfr === 1);
    m.sms.pump();
  };
  return { after };
};

const cpms: Handler = (cmd, m) => {
  const store = m.state.storage;
  const trio = `${store.used},${store.size}`;
  if (cmd.kind === 'test') return { info: ['+CPMS: ("SM"),("SM"),("SM")'] };
  requireSimSms(m);
  if (cmd.kind === 'read') return { info: [`+CPMS: "SM",${trio},"SM",${trio},"SM",${trio}`] };
  if (cmd.kind !== 'set') throw syntaxError();
  const list = args(cmd.args);
  if (list.length < 1 || list.length > 3) throw syntaxError();
  // Only the SIM store is simulated; asking for "ME" or "MT" is refused like an unsupported memory.
  if (list.some((a) => a.value.toUpperCase() !== 'SM')) throw cmsError(CMS.opNotAllowed);
  return { info: [`+CPMS: ${Array(list.length).fill(trio).join(',')}`] };
};

const TEXT_STAT: Record<string, SlotStat | 4> = { 'REC UNREAD': 0, 'REC READ': 1, 'STO UNSENT': 2, 'STO SENT': 3, ALL: 4 };

/** The <stat> filter of +CMGL: a number in PDU mode, a name in text mode; other forms are errors. */
function statFilter(m: ModemContext, raw: string): SlotStat | 4 {
  const list = args(raw);
  if (m.state.settings.cmgf === 0) {
    if (list[0]?.quoted) throw syntaxError();
    return intArg(list, 0, 0, 4, 0) as SlotStat | 4;
  }
  if (list.length === 0) return 0;
  const a = list[0]!;
  const stat = TEXT_STAT[a.value.toUpperCase()];
  if (!a.quoted || stat === undefined) throw syntaxError();
  return stat;
}

const cmgl: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return { info: [m.state.settings.cmgf === 0 ? '+CMGL: (0-4)' : '+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")'] };
  if (cmd.kind === 'read') throw syntaxError();
  const filter = statFilter(m, cmd.args);
  requireSimSms(m);
  const store = m.state.storage;
  const lines: string[] = [];
  for (const msg of store.list()) {
    if (filter !== 4 && msg.stat !== filter) continue;
    lines.push(...storedLines('+CMGL', msg, m.state.settings));
    // Listing counts as reading (TS 27.005 §3.4.2): unread messages become read.
    if (msg.stat === 0) store.setStat(msg.index, 1);
  }
  return lines.length > 0 ? { info: lines } : OK;
};

const cmgr: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return OK;
  if (cmd.kind !== 'set') throw syntaxError();
  const index = intArg(args(cmd.args), 0, 0, 255);
  requireSimSms(m);
  const store = m.state.storage;
  if (!store.inRange(index)) throw cmsError(CMS.invalidIndex);
  const msg = store.get(index);
  // An empty slot answers with OK alone, as Quectel and SIMCom modules do.
  if (!msg) return OK;
  const lines = storedLines('+CMGR', msg, m.state.settings);
  if (msg.stat === 0) store.setStat(index, 1);
  return { info: lines };
};

const cmgd: Handler = (cmd, m) => {
  const store = m.state.storage;
  if (cmd.kind === 'test') return { info: [`+CMGD: (${store.list().map((s) => s.index).join(',')}),(0-4)`] };
  if (cmd.kind !== 'set') throw syntaxError();
  const list = args(cmd.args);
  const index = intArg(list, 0, 0, 255);
  const flag = intArg(list, 1, 0, 4, 0);
  requireSimSms(m);
  if (flag === 0) {
    if (!store.inRange(index)) throw cmsError(CMS.invalidIndex);
    if (store.delete(index)) m.deleted(index);
    return OK;
  }
  // <delflag> 1: read; 2: read and sent; 3: read, sent and unsent; 4: all (index ignored).
  const doomed: Record<number, SlotStat[]> = { 1: [1], 2: [1, 3], 3: [1, 2, 3], 4: [0, 1, 2, 3] };
  for (const msg of store.list()) {
    if (doomed[flag]!.includes(msg.stat) && store.delete(msg.index)) m.deleted(msg.index);
  }
  return OK;
};

/** A submitted PDU as the modem checks it: hex, the announced length, an SMS-SUBMIT. */
function checkSubmitPdu(text: string, announced: number): { hex: string; tpduLength: number; statusReport: boolean; recipient: string } {
  const hex = text.replace(/\s+/g, '').toUpperCase();
  const measured = measurePdu(hex);
  if ('error' in measured || measured.tpduLength !== announced) throw cmsError(CMS.pduParam);
  let pdu;
  try {
    pdu = decodePdu(hex, { smsc: true });
  } catch {
    throw cmsError(CMS.pduParam);
  }
  if (pdu.type !== 'submit') throw cmsError(CMS.pduParam);
  return { hex, tpduLength: measured.tpduLength, statusReport: pdu.requestStatusReport, recipient: pdu.recipient.number };
}

/** Text mode: the modem builds the SMS-SUBMIT from the text and the +CSMP parameters. */
function buildSubmit(m: ModemContext, recipient: string, typed: string) {
  const s = m.state.settings;
  const text = fromTeString(Buffer.from(typed, 'latin1').toString('utf8'), s.cscs);
  const [fo, , , dcs] = s.csmp;
  const parts = encodeSubmit({
    recipient,
    text,
    requestStatusReport: (fo & 0x20) !== 0,
    encoding: dcs === 8 ? 'ucs2' : undefined,
    concatRef: m.random.int(0, 255),
  });
  // A text-mode message is one SMS; firmware refuses what does not fit.
  if (parts.length !== 1) throw cmsError(CMS.textParam);
  return { hex: parts[0]!.hex, tpduLength: parts[0]!.tpduLength, statusReport: (fo & 0x20) !== 0, recipient };
}

async function send(m: ModemContext, pdu: { hex: string; statusReport: boolean; recipient: string }): Promise<Outcome> {
  await m.sleep(m.timing.submitDelayMs);
  if (!canUseNetwork(m.state)) throw cmsError(CMS.noNetwork);
  const failure = m.takeSubmitFailure();
  if (failure !== undefined) throw cmsError(failure);
  const reference = m.nextReference();
  m.sent(pdu.hex, reference);
  if (pdu.statusReport) m.statusReportLater(pdu.recipient, reference);
  return { info: [`+CMGS: ${reference}`] };
}

const cmgs: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return OK;
  if (cmd.kind !== 'set') throw syntaxError();
  requireSimSms(m);
  const list = args(cmd.args);
  if (m.state.settings.cmgf === 0) {
    const length = intArg(list, 0, 1, 164);
    return { prompt: { mode: 'pdu-prompt', complete: (text) => send(m, checkSubmitPdu(text, length)) } };
  }
  const da = fromTeString(strArg(list, 0), m.state.settings.cscs);
  return { prompt: { mode: 'text-prompt', complete: (text) => send(m, buildSubmit(m, da, text)) } };
};

function write(m: ModemContext, pdu: { hex: string; tpduLength: number }, stat: SlotStat): Outcome {
  const index = m.state.storage.store(pdu.hex, pdu.tpduLength, stat);
  if (index === undefined) throw cmsError(CMS.memoryFull);
  m.stored(index);
  return { info: [`+CMGW: ${index}`] };
}

const cmgw: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return OK;
  requireSimSms(m);
  const list = args(cmd.args);
  if (m.state.settings.cmgf === 0) {
    if (cmd.kind !== 'set') throw syntaxError();
    const length = intArg(list, 0, 1, 164);
    const stat = intArg(list, 1, 0, 3, 2) as SlotStat;
    return { prompt: { mode: 'pdu-prompt', complete: (text) => write(m, checkSubmitPdu(text, length), stat) } };
  }
  const da = list[0] && !list[0].empty ? fromTeString(list[0].value, m.state.settings.cscs) : '';
  const statName = list[2]?.value.toUpperCase() ?? 'STO UNSENT';
  const stat = TEXT_STAT[statName];
  if (stat === undefined || stat === 4) throw syntaxError();
  return { prompt: { mode: 'text-prompt', complete: (text) => write(m, buildSubmit(m, da, text), stat) } };
};

const csca: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return OK;
  requireSimSms(m);
  if (cmd.kind === 'read') {
    const number = m.state.smsc;
    return { info: [`+CSCA: ${quote(number)},${number.startsWith('+') ? 145 : 129}`] };
  }
  if (cmd.kind !== 'set') throw syntaxError();
  const number = strArg(args(cmd.args), 0);
  if (!/^\+?\d{1,20}$/.test(number)) throw syntaxError();
  m.state.smsc = number;
  return OK;
};

const cnma: Handler = (cmd, m) => {
  if (cmd.kind === 'test') return { info: ['+CNMA: (0-2)'] };
  if (cmd.kind === 'read') throw syntaxError();
  if (cmd.kind === 'set') intArg(args(cmd.args), 0, 0, 2);
  if (!m.sms.acknowledge()) throw cmsError(CMS.noAckExpected);
  return OK;
};

const csdh: Handler = (cmd, m) => {
  if (cmd.kind === 'read') return { info: [`+CSDH: ${m.state.settings.csdh}`] };
  if (cmd.kind === 'test') return { info: ['+CSDH: (0,1)'] };
  m.state.settings.csdh = cmd.kind === 'exec' ? 0 : (intArg(args(cmd.args), 0, 0, 1, 0) as 0 | 1);
  return OK;
};

const csmp: Handler = (cmd, m) => {
  const s = m.state.settings;
  if (cmd.kind === 'read') return { info: [`+CSMP: ${s.csmp.join(',')}`] };
  if (cmd.kind === 'test') return OK;
  if (cmd.kind !== 'set') throw syntaxError();
  const list = args(cmd.args);
  s.csmp = [intArg(list, 0, 0, 255, s.csmp[0]), intArg(list, 1, 0, 255, s.csmp[1]), intArg(list, 2, 0, 255, s.csmp[2]), intArg(list, 3, 0, 255, s.csmp[3])];
  return OK;
};

export const smsCommands: CommandTable = {
  '+CMGF': cmgf,
  '+CSMS': csms,
  '+CNMI': cnmi,
  '+CPMS': cpms,
  '+CMGL': cmgl,
  '+CMGR': cmgr,
  '+CMGD': cmgd,
  '+CMGS': cmgs,
  '+CMGW': cmgw,
  '+CSCA': csca,
  '+CNMA': cnma,
  '+CSDH': csdh,
  '+CSMP': csmp,
};
