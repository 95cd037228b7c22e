/**
 * The SMS codec: PDUs per 3GPP TS 23.040 with the alphabets of TS 23.038, text-mode reading
 * (TS 27.005), and reassembly of concatenated messages. Pure functions and one small class; no I/O.
 */
export { SmsPduError } from '../errors.js';
export type { SmsAddress, SmsAddressType, SmsConcat, SmsDeliver, SmsEncoding, SmsPdu, SmsPorts, SmsStatusReport, SmsSubmit, SmsUdh, SmsUdhElement, SmsValidity } from './types.js';
export { decodePdu, type DecodeOptions } from './decode.js';
export {
  encodeDeliver,
  encodeDeliverParts,
  encodeStatusReport,
  encodeSubmit,
  type DeliverOptions,
  type DeliverPartsOptions,
  type EncodedPdu,
  type StatusReportOptions,
  type SubmitOptions,
} from './encode.js';
export { Reassembler, type ExpiredSet, type ReassemblyResult } from './reassembly.js';
export { parseTextHeader, parseTextModeMessage, parseTextTimestamp, type TextCharset, type TextHeader, type TextModeMessage } from './text-mode.js';
export { fromSeptets, isGsm7, packSeptets, septetLength, toSeptets, unpackSeptets } from './gsm7.js';
export { decodeUcs2, encodeUcs2 } from './ucs2.js';
export { decodeAddress, decodeSmsc, encodeAddress, encodeSmsc } from './address.js';
export { decodeScts, encodeScts, isoWithOffset, relativeValiditySeconds, relativeValidityTpvp, type ValidityRequest } from './timestamp.js';
export { buildUdh, parseUdh } from './udh.js';
export { decodeDcs, encodeDcs, type DcsInfo, type MessageClass } from './dcs.js';
export { describeStatus } from './status.js';
export { bytesToHex, hexToBytes } from './hex.js';
