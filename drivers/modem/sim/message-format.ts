/**
 * How messages look on the wire (TS 27.005 §3.4.1, §3.5, §4.1): in PDU mode a header line with
 * <stat> and <length> and the hex on the next line; in text mode a header with the address and
 * the service-centre time stamp and the text itself (in the +CSCS character set).
 */
import { decodePdu } from '../sms/index.js';
import type { SmsPdu } from '../sms/index.js';
import { quote, teString } from './args.js';
import type { Settings } from './state.js';
import { STAT_TEXT, type StoredMessage } from './storage.js';

type Kind = 'deliver' | 'status-report';

function decodeOrUndefined(pdu: string): SmsPdu | undefined {
  try {
    return decodePdu(pdu, { smsc: true });
  } catch {
    return undefined;
  }
}

/** The first TPDU octet (TP-MTI, TP-UDHI, …), for text mode's <fo>. */
function firstOctet(pdu: string): number {
  const smscLength = parseInt(pdu.slice(0, 2), 16);
  return parseInt(pdu.slice(2 + smscLength * 2, 4 + smscLength * 2), 16);
}

/** "yy/MM/dd,hh:mm:ss±zz" in the sender's local time, zz in quarter hours (TS 27.005 §3.1 <scts>). */
export function textTimestamp(time: Date, tzOffsetMinutes: number): string {
  const local = new Date(time.getTime() + tzOffsetMinutes * 60_000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const quarters = Math.round(Math.abs(tzOffsetMinutes) / 15);
  const sign = tzOffsetMinutes < 0 ? '-' : '+';
  return (
    `${p2(local.getUTCFullYear() % 100)}/${p2(local.getUTCMonth() + 1)}/${p2(local.getUTCDate())},` +
    `${p2(local.getUTCHours())}:${p2(local.getUTCMinutes())}:${p2(local.getUTCSeconds())}${sign}${p2(quarters)}`
  );
}

function body(pdu: SmsPdu, cscs: string): { text: string; length: number } {
  if (pdu.text !== undefined) return { text: teString(pdu.text, cscs), length: pdu.text.length };
  const data = pdu.data ?? new Uint8Array();
  return { text: Buffer.from(data).toString('hex').toUpperCase(), length: data.length };
}

function statusReportFields(pdu: SmsPdu & { type: 'status-report' }, fo: number): string {
  return (
    `${fo},${pdu.reference},${quote(pdu.recipient.number)},${pdu.recipient.toa},` +
    `${quote(textTimestamp(pdu.timestamp, pdu.tzOffsetMinutes))},` +
    `${quote(textTimestamp(pdu.dischargeTime, pdu.dischargeTzOffsetMinutes))},${pdu.status}`
  );
}

/** +CMGL (with the index) or +CMGR (without) lines for a stored message. */
export function storedLines(cmd: '+CMGL' | '+CMGR', m: StoredMessage, settings: Settings): string[] {
  const lead = cmd === '+CMGL' ? `${m.index},` : '';
  if (settings.cmgf === 0) return [`${cmd}: ${lead}${m.stat},,${m.tpduLength}`, m.pdu];
  const pdu = decodeOrUndefined(m.pdu);
  const stat = quote(STAT_TEXT[m.stat]);
  if (!pdu) return [`${cmd}: ${lead}${stat},"",,`, ''];
  const fo = firstOctet(m.pdu);
  if (pdu.type === 'status-report') return [`${cmd}: ${lead}${stat},${statusReportFields(pdu, fo)}`];
  const { text, length } = body(pdu, settings.cscs);
  const address = pdu.type === 'deliver' ? pdu.sender : pdu.recipient;
  const number = quote(teString(address.number, settings.cscs));
  const scts = pdu.type === 'deliver' ? quote(textTimestamp(pdu.timestamp, pdu.tzOffsetMinutes)) : '';
  if (cmd === '+CMGL') {
    const extra = settings.csdh === 1 ? `,${address.toa},${length}` : '';
    return [`+CMGL: ${m.index},${stat},${number},,${scts}${extra}`, text];
  }
  if (settings.csdh === 0) return [`+CMGR: ${stat},${number},,${scts}`.replace(/,$/, ''), text];
  const sca = pdu.smsc ? `${quote(pdu.smsc.number)},${pdu.smsc.toa}` : '"",129';
  return [`+CMGR: ${stat},${number},,${scts},${address.toa},${fo},${pdu.pid},${pdu.dcs},${sca},${length}`, text];
}

/** +CMT / +CDS lines for a message routed straight to the host. */
export function directLines(kind: Kind, hex: string, tpduLength: number, settings: Settings): string[] {
  if (settings.cmgf === 0) return kind === 'deliver' ? [`+CMT: ,${tpduLength}`, hex] : [`+CDS: ${tpduLength}`, hex];
  const pdu = decodeOrUndefined(hex);
  const fo = firstOctet(hex);
  if (pdu?.type === 'status-report') return [`+CDS: ${statusReportFields(pdu, fo)}`];
  if (pdu?.type !== 'deliver') return [`+CMT: "",,`, ''];
  const { text, length } = body(pdu, settings.cscs);
  const head = `+CMT: ${quote(teString(pdu.sender.number, settings.cscs))},,${quote(textTimestamp(pdu.timestamp, pdu.tzOffsetMinutes))}`;
  if (settings.csdh === 0) return [head, text];
  const sca = pdu.smsc ? `${quote(pdu.smsc.number)},${pdu.smsc.toa}` : '"",129';
  return [`${head},${pdu.sender.toa},${fo},${pdu.pid},${pdu.dcs},${sca},${length}`, text];
}
