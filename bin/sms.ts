/**
 * `vigil sms decode <hex...> [--json] [--no-smsc]`: what an SMS PDU says, field by field — for a PDU
 * copied out of a modem log, a +CMGL listing or a bug report. Times are shown in the PDU's own
 * UTC offset, as the sender's network stamped them.
 */
import { Command } from 'commander';
import { decodePdu } from '../drivers/modem/sms/decode.js';
import { bytesToHex } from '../drivers/modem/sms/hex.js';
import { isoWithOffset } from '../drivers/modem/sms/timestamp.js';
import type { SmsAddress, SmsPdu, SmsUdh, SmsValidity } from '../drivers/modem/sms/types.js';
import { CliError, errorMessage } from '../runtime/errors.js';

const TITLE: Record<SmsPdu['type'], string> = { deliver: 'SMS-DELIVER', submit: 'SMS-SUBMIT', 'status-report': 'SMS-STATUS-REPORT' };

function hex2(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

function address(a: SmsAddress): string {
  return `${a.number} (${a.type})`;
}

function duration(seconds: number): string {
  const units: [number, string][] = [
    [7 * 86400, 'week'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  const out: string[] = [];
  let rest = seconds;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) out.push(`${n} ${name}${n === 1 ? '' : 's'}`);
    rest -= n * size;
  }
  return out.join(' ') || '0 seconds';
}

function validity(v: SmsValidity | undefined): string {
  if (!v) return 'none';
  if (v.kind === 'relative') return `relative ${duration(v.seconds)} (TP-VP ${hex2(v.tpvp)})`;
  if (v.kind === 'absolute') return `absolute ${isoWithOffset(v.time, v.tzOffsetMinutes)}`;
  const seconds = v.seconds === undefined ? '' : ` ${duration(v.seconds)}`;
  return `enhanced${seconds}${v.singleShot ? ' single-shot' : ''} (${bytesToHex(v.raw)})`;
}

function udhLines(udh: SmsUdh): string[] {
  const out: string[] = [];
  const c = udh.concat;
  if (c) out.push(`udh: concat ref ${c.ref} part ${c.seq}/${c.total} (${c.refBits}-bit ref)`);
  if (udh.ports) out.push(`ports: ${udh.ports.dest} ← ${udh.ports.src} (${udh.ports.bits}-bit)`);
  for (const e of udh.elements) out.push(`udh element: ${hex2(e.iei)} ${bytesToHex(e.data) || '(empty)'}`);
  for (const why of udh.ignored ?? []) out.push(`udh ignored: ${why}`);
  return out;
}

/** One "name: value" line per field; a multi-line text continues indented under its first line. */
function formatText(pdu: SmsPdu): string {
  const lines = [`type: ${TITLE[pdu.type]}`, `smsc: ${pdu.smsc?.number ?? '(none)'}`];
  const flags: string[] = [];
  if (pdu.type === 'deliver') {
    lines.push(`sender: ${address(pdu.sender)}`, `timestamp: ${isoWithOffset(pdu.timestamp, pdu.tzOffsetMinutes)}`);
    if (pdu.moreMessagesToSend) flags.push('more-messages-waiting');
    if (pdu.statusReportIndication) flags.push('status-report-indication');
    if (pdu.replyPath) flags.push('reply-path');
  } else if (pdu.type === 'submit') {
    lines.push(`recipient: ${address(pdu.recipient)}`, `reference: ${pdu.reference}`, `validity: ${validity(pdu.validity)}`);
    if (pdu.requestStatusReport) flags.push('status-report-requested');
    if (pdu.rejectDuplicates) flags.push('reject-duplicates');
    if (pdu.replyPath) flags.push('reply-path');
  } else {
    lines.push(
      `recipient: ${address(pdu.recipient)}`,
      `reference: ${pdu.reference}`,
      `timestamp: ${isoWithOffset(pdu.timestamp, pdu.tzOffsetMinutes)}`,
      `discharged: ${isoWithOffset(pdu.dischargeTime, pdu.dischargeTzOffsetMinutes)}`,
      `status: ${hex2(pdu.status)} ${pdu.statusText}`,
    );
    if (pdu.forCommand) flags.push('reports-on-command');
  }
  if (flags.length) lines.push(`flags: ${flags.join(', ')}`);
  if (pdu.pid !== undefined) lines.push(`pid: ${hex2(pdu.pid)}`);
  if (pdu.dcs !== undefined) lines.push(`dcs: ${hex2(pdu.dcs)}`);
  if (pdu.encoding !== undefined) lines.push(`encoding: ${pdu.encoding}`);
  if (pdu.messageClass !== undefined) lines.push(`class: ${pdu.messageClass}`);
  if (pdu.udh) lines.push(...udhLines(pdu.udh));
  if (pdu.text !== undefined) lines.push(`text: ${pdu.text.split(/\r\n|\r|\n/).join('\n      ')}`);
  if (pdu.data !== undefined) lines.push(`data: ${bytesToHex(pdu.data)}`);
  return `${lines.join('\n')}\n`;
}

/** The decoded object as JSON: times as ISO 8601 in their own offset, bytes as hex, no SMSC as null. */
function formatJson(pdu: SmsPdu): string {
  const offsets: Record<string, string> = { timestamp: 'tzOffsetMinutes', time: 'tzOffsetMinutes', dischargeTime: 'dischargeTzOffsetMinutes' };
  const { type, ...rest } = pdu;
  return `${JSON.stringify(
    { type, smsc: pdu.smsc ?? null, ...rest },
    function (this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      if (raw instanceof Date) return isoWithOffset(raw, Number(this[offsets[key] ?? ''] ?? 0));
      if (raw instanceof Uint8Array) return bytesToHex(raw);
      return value;
    },
    2,
  )}\n`;
}

export function smsCommand(): Command {
  const decode = new Command('decode')
    .description('decode one SMS PDU (3GPP TS 23.040) given in hex and print its fields')
    // Variadic, so a PDU pasted unquoted in groups ("07 91 21 …") is read whole, not just its first group.
    .argument('<hex...>', 'the PDU in hex, SMSC field first as +CMGR/+CMGL/+CMT show it (whitespace and several arguments allowed)')
    .option('--json', 'print the fields as one JSON object')
    .option('--no-smsc', 'the PDU starts at its first octet, without an SMSC field (as AT+CMGS takes it)')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .action((hex: string[], options: { json?: boolean; smsc: boolean }) => {
      let pdu: SmsPdu;
      try {
        pdu = decodePdu(hex.join(''), { smsc: options.smsc });
      } catch (err) {
        throw new CliError('SMS_DECODE_FAILED', `sms decode: ${errorMessage(err)}`, { cause: err });
      }
      process.stdout.write(options.json ? formatJson(pdu) : formatText(pdu));
    });
  return new Command('sms').description('SMS tools: decode PDUs').addCommand(decode);
}
