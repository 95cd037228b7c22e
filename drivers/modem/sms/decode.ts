/**
 * decodePdu: one SMS PDU (TS 23.040 9.2.2) as +CMGR/+CMGL/+CMT give it, SMSC field first, into
 * an SmsDeliver, SmsSubmit or SmsStatusReport. It accepts exactly what the PDU declares: a
 * field cut short, a length that overruns, or bytes after the end are errors that say which
 * field and which byte, because a PDU that does not add up has been mangled somewhere and its
 * text cannot be trusted.
 */
import { SmsPduError } from '../errors.js';
import { readAddress, readSmsc } from './address.js';
import { decodeDcs, type DcsInfo } from './dcs.js';
import { hexToBytes } from './hex.js';
import { PduReader } from './reader.js';
import { describeStatus } from './status.js';
import { readScts, readValidity } from './timestamp.js';
import type { SmsAddress, SmsDeliver, SmsPdu, SmsStatusReport, SmsSubmit } from './types.js';
import { readUserData } from './user-data.js';

/** TP-MTI, bits 1–0 of the first octet, as an MS receives or stores them. */
const MTI_DELIVER = 0;
const MTI_SUBMIT = 1;
const MTI_STATUS_REPORT = 2;

const NAMES = ['SMS-DELIVER', 'SMS-SUBMIT', 'SMS-STATUS-REPORT'] as const;

export interface DecodeOptions {
  /** The input begins with the SMSC field, as +CMGR/+CMGL/+CMT deliver it (default true). */
  smsc?: boolean;
}

export function decodePdu(input: string | Uint8Array, opts: DecodeOptions = {}): SmsPdu {
  const bytes = typeof input === 'string' ? hexToBytes(input) : input;
  if (bytes.length === 0) throw new SmsPduError('PDU is empty: expected at least an SMSC field and a first octet', 0);
  const r = new PduReader(bytes);
  const smsc = opts.smsc === false ? undefined : readSmsc(r);
  const firstAt = r.pos;
  const first = r.byte('the first octet (TP-MTI)');
  const mti = first & 3;
  let pdu: SmsPdu;
  if (mti === MTI_DELIVER) pdu = readDeliver(r, first, smsc);
  else if (mti === MTI_SUBMIT) pdu = readSubmit(r, first, smsc);
  else if (mti === MTI_STATUS_REPORT) pdu = readStatusReport(r, first, smsc);
  else {
    throw new SmsPduError(
      `first octet 0x${first.toString(16).toUpperCase().padStart(2, '0')} (byte ${firstAt}) has TP-MTI 3, which is reserved: expected 0 (SMS-DELIVER), 1 (SMS-SUBMIT) or 2 (SMS-STATUS-REPORT)`,
      firstAt,
    );
  }
  if (r.remaining > 0) {
    throw new SmsPduError(`${r.remaining} ${r.remaining === 1 ? 'byte follows' : 'bytes follow'} the end of the ${NAMES[mti]} at byte ${r.pos}: expected nothing after what its fields declare`, r.pos);
  }
  return pdu;
}

function userDataFields(dcsValue: number, dcs: DcsInfo, ud: ReturnType<typeof readUserData>) {
  return {
    dcs: dcsValue,
    encoding: dcs.encoding,
    ...(dcs.messageClass !== undefined && { messageClass: dcs.messageClass }),
    ...(ud.text !== undefined && { text: ud.text }),
    ...(ud.data !== undefined && { data: ud.data }),
    ...(ud.udh !== undefined && { udh: ud.udh }),
  };
}

function readDeliver(r: PduReader, first: number, smsc: SmsAddress | undefined): SmsDeliver {
  const sender = readAddress(r, 'TP-OA');
  const pid = r.byte('TP-PID');
  const dcsValue = r.byte('TP-DCS');
  const dcs = decodeDcs(dcsValue);
  const { time, tzOffsetMinutes } = readScts(r, 'TP-SCTS');
  const ud = readUserData(r, (first & 0x40) !== 0, dcs);
  return {
    type: 'deliver',
    ...(smsc && { smsc }),
    sender,
    timestamp: time,
    tzOffsetMinutes,
    pid,
    ...userDataFields(dcsValue, dcs, ud),
    moreMessagesToSend: (first & 0x04) === 0,
    statusReportIndication: (first & 0x20) !== 0,
    replyPath: (first & 0x80) !== 0,
  };
}

function readSubmit(r: PduReader, first: number, smsc: SmsAddress | undefined): SmsSubmit {
  const reference = r.byte('TP-MR');
  const recipient = readAddress(r, 'TP-DA');
  const pid = r.byte('TP-PID');
  const dcsValue = r.byte('TP-DCS');
  const dcs = decodeDcs(dcsValue);
  const validity = readValidity(r, (first >> 3) & 3);
  const ud = readUserData(r, (first & 0x40) !== 0, dcs);
  return {
    type: 'submit',
    ...(smsc && { smsc }),
    recipient,
    reference,
    ...(validity && { validity }),
    pid,
    ...userDataFields(dcsValue, dcs, ud),
    requestStatusReport: (first & 0x20) !== 0,
    rejectDuplicates: (first & 0x04) !== 0,
    replyPath: (first & 0x80) !== 0,
  };
}

/**
 * TP-PI (9.2.3.27) is optional: without it the report ends after TP-ST. Its bits say which of
 * TP-PID, TP-DCS and TP-UDL/TP-UD follow; extension octets (bit 7) carry nothing defined yet.
 * A missing TP-DCS with user data present means the default alphabet (0x00).
 */
function readStatusReport(r: PduReader, first: number, smsc: SmsAddress | undefined): SmsStatusReport {
  const reference = r.byte('TP-MR');
  const recipient = readAddress(r, 'TP-RA');
  const sent = readScts(r, 'TP-SCTS');
  const discharged = readScts(r, 'TP-DT');
  const status = r.byte('TP-ST');
  const { text: statusText, delivered } = describeStatus(status);
  const report: SmsStatusReport = {
    type: 'status-report',
    ...(smsc && { smsc }),
    reference,
    recipient,
    timestamp: sent.time,
    tzOffsetMinutes: sent.tzOffsetMinutes,
    dischargeTime: discharged.time,
    dischargeTzOffsetMinutes: discharged.tzOffsetMinutes,
    status,
    statusText,
    delivered,
    forCommand: (first & 0x20) !== 0,
  };
  if (r.remaining === 0) return report;
  let pi = r.byte('TP-PI');
  const indicator = pi;
  while (pi & 0x80) pi = r.byte('a TP-PI extension octet');
  if (indicator & 0x01) report.pid = r.byte('TP-PID');
  if (indicator & 0x06) {
    const dcsValue = indicator & 0x02 ? r.byte('TP-DCS') : 0;
    const dcs = decodeDcs(dcsValue);
    const ud = indicator & 0x04 ? readUserData(r, (first & 0x40) !== 0, dcs) : {};
    Object.assign(report, userDataFields(dcsValue, dcs, ud));
  }
  return report;
}
