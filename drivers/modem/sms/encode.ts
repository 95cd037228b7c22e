/**
 * Building PDUs: SMS-SUBMIT to send (AT+CMGS), SMS-DELIVER and SMS-STATUS-REPORT for the modem
 * simulator to hand out as if the network had sent them. Every PDU starts with the SMSC field
 * ("00" = the modem's own SMSC), and `tpduLength` is what AT+CMGS wants: the octets after it.
 */
import { SmsPduError } from '../errors.js';
import { encodeAddress, encodeSmsc } from './address.js';
import { encodeDcs, type MessageClass } from './dcs.js';
import { bytesToHex } from './hex.js';
import { chunkBody, planParts, preparePayload, type Plan } from './split.js';
import { encodeScts, encodeValidity, type ValidityRequest } from './timestamp.js';
import type { SmsConcat, SmsEncoding, SmsPorts } from './types.js';
import { buildUdh } from './udh.js';
import { buildUserData } from './user-data.js';

export interface EncodedPdu {
  hex: string;
  /** Octets without the SMSC field: the <length> of AT+CMGS / AT+CMGW in PDU mode. */
  tpduLength: number;
}

export interface SubmitOptions {
  /** '+4477…' (international) or digits (type unknown). */
  recipient: string;
  text?: string;
  data?: Uint8Array;
  /** Leave out to let the modem use the SMSC stored on the SIM. */
  smsc?: string;
  /** TP-MR, 0–255 (default 0; most modems put their own counter there). */
  reference?: number;
  /** A duration (rounded up to the next TP-VP step), a raw relative TP-VP, or an absolute time. */
  validity?: ValidityRequest;
  requestStatusReport?: boolean;
  rejectDuplicates?: boolean;
  /** Default: gsm7 when every character has a GSM-7 code, else ucs2; data is always 8bit. */
  encoding?: SmsEncoding;
  /** Reference shared by the parts of a long message (default: random). Keep a counter to avoid reuse. */
  concatRef?: number;
  concatRefBits?: 8 | 16;
  ports?: { dest: number; src: number };
  messageClass?: MessageClass;
}

export interface DeliverOptions {
  /** '+44…', digits, or alphanumeric text (up to 11 GSM-7 septets). */
  sender: string;
  text?: string;
  data?: Uint8Array;
  smsc?: string;
  timestamp: Date;
  tzOffsetMinutes?: number;
  encoding?: SmsEncoding;
  concat?: SmsConcat;
  ports?: SmsPorts;
  pid?: number;
  messageClass?: MessageClass;
}

export type DeliverPartsOptions = Omit<DeliverOptions, 'concat'> & {
  /** Concatenation reference for the parts; 16-bit when above 255 unless refBits says otherwise. */
  ref: number;
  refBits?: 8 | 16;
};

export interface StatusReportOptions {
  /** The recipient of the message this reports on. */
  recipient: string;
  /** TP-MR of that message's SMS-SUBMIT. */
  reference: number;
  /** When the service centre received it. */
  timestamp: Date;
  tzOffsetMinutes?: number;
  /** When it reached `status`. */
  dischargeTime: Date;
  dischargeTzOffsetMinutes?: number;
  /** TP-ST (0 = delivered; see TS 23.040 9.2.3.15). */
  status: number;
  smsc?: string;
}

const FO_SUBMIT = 0x01;
const FO_DELIVER = 0x00;
const FO_STATUS_REPORT = 0x02;
/** TP-MMS set: no more messages waiting (TS 23.040 9.2.3.2). */
const FO_NO_MORE = 0x04;
const FO_RD = 0x04;
const FO_SRR = 0x20;
const FO_UDHI = 0x40;

function octet(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new SmsPduError(`${name} ${value} is not an octet: expected 0–255`);
  return value;
}

function finish(smsc: string | undefined, tpdu: number[]): EncodedPdu {
  const field = encodeSmsc(smsc);
  return { hex: bytesToHex(field) + bytesToHex(tpdu), tpduLength: tpdu.length };
}

function portsOf(p: { dest: number; src: number }): SmsPorts {
  return { dest: p.dest, src: p.src, bits: p.dest > 255 || p.src > 255 ? 16 : 8 };
}

/** Header and user data of part `i` of a plan. */
function partUserData(plan: Plan, i: number, ports: SmsPorts | undefined): { udhi: boolean; udl: number; bytes: Uint8Array } {
  const concat = plan.concat && { ...plan.concat, seq: i + 1 };
  const udh = concat || ports ? buildUdh({ ...(concat && { concat }), ...(ports && { ports }) }) : undefined;
  const { udl, bytes } = buildUserData(plan.encoding, chunkBody(plan.encoding, plan.chunks[i]!), udh);
  return { udhi: udh !== undefined, udl, bytes };
}

/** One SMS-SUBMIT per part: a long text becomes concatenated parts, each with the same TP-MR. */
export function encodeSubmit(opts: SubmitOptions): EncodedPdu[] {
  const payload = preparePayload(opts);
  const ports = opts.ports && portsOf(opts.ports);
  const refBits = opts.concatRefBits ?? 8;
  const ref = opts.concatRef ?? (() => Math.floor(Math.random() * (refBits === 16 ? 0x10000 : 0x100)));
  const plan = planParts(payload, { ...(ports && { ports }), ref, refBits });
  const recipient = encodeAddress(opts.recipient, { field: 'recipient' });
  const reference = octet(opts.reference ?? 0, 'reference (TP-MR)');
  const vp = encodeValidity(opts.validity);
  const dcs = encodeDcs(plan.encoding, opts.messageClass);
  return plan.chunks.map((_, i) => {
    const ud = partUserData(plan, i, ports);
    const first = FO_SUBMIT | (vp.vpf << 3) | (opts.rejectDuplicates ? FO_RD : 0) | (opts.requestStatusReport ? FO_SRR : 0) | (ud.udhi ? FO_UDHI : 0);
    return finish(opts.smsc, [first, reference, ...recipient, 0x00, dcs, ...vp.bytes, ud.udl, ...ud.bytes]);
  });
}

function deliverTpdu(opts: Omit<DeliverOptions, 'concat' | 'ports' | 'text' | 'data' | 'encoding'>, encoding: SmsEncoding, ud: { udhi: boolean; udl: number; bytes: Uint8Array }): number[] {
  const sender = encodeAddress(opts.sender, { allowAlphanumeric: true, field: 'sender' });
  const scts = encodeScts(opts.timestamp, opts.tzOffsetMinutes ?? 0);
  const first = FO_DELIVER | FO_NO_MORE | (ud.udhi ? FO_UDHI : 0);
  return [first, ...sender, octet(opts.pid ?? 0, 'TP-PID'), encodeDcs(encoding, opts.messageClass), ...scts, ud.udl, ...ud.bytes];
}

/** A single SMS-DELIVER, with a header when `concat` or `ports` is given. Throws when the payload does not fit one message. */
export function encodeDeliver(opts: DeliverOptions): EncodedPdu {
  const payload = preparePayload(opts);
  const udh = opts.concat || opts.ports ? buildUdh({ ...(opts.concat && { concat: opts.concat }), ...(opts.ports && { ports: opts.ports }) }) : undefined;
  let ud: { udl: number; bytes: Uint8Array };
  try {
    ud = buildUserData(payload.encoding, chunkBody(payload.encoding, payload.units), udh);
  } catch (err) {
    throw new SmsPduError(`${(err as Error).message}: encodeDeliverParts splits a long message`, -1, { cause: err });
  }
  return finish(opts.smsc, deliverTpdu(opts, payload.encoding, { udhi: udh !== undefined, ...ud }));
}

/** SMS-DELIVERs for a payload of any length: one plain PDU when it fits, else concatenated parts with reference `ref`. */
export function encodeDeliverParts(opts: DeliverPartsOptions): EncodedPdu[] {
  const payload = preparePayload(opts);
  const refBits = opts.refBits ?? (opts.ref > 255 ? 16 : 8);
  const plan = planParts(payload, { ...(opts.ports && { ports: opts.ports }), ref: opts.ref, refBits });
  return plan.chunks.map((_, i) => finish(opts.smsc, deliverTpdu(opts, plan.encoding, partUserData(plan, i, opts.ports))));
}

/** An SMS-STATUS-REPORT without the optional TP-PI part. */
export function encodeStatusReport(opts: StatusReportOptions): EncodedPdu {
  const recipient = encodeAddress(opts.recipient, { field: 'recipient' });
  return finish(opts.smsc, [
    FO_STATUS_REPORT | FO_NO_MORE,
    octet(opts.reference, 'reference (TP-MR)'),
    ...recipient,
    ...encodeScts(opts.timestamp, opts.tzOffsetMinutes ?? 0),
    ...encodeScts(opts.dischargeTime, opts.dischargeTzOffsetMinutes ?? 0),
    octet(opts.status, 'status (TP-ST)'),
  ]);
}
