/**
 * What an SMS PDU (3GPP TS 23.040) says once decoded. Times are instants (`Date`) with the
 * sender's own UTC offset alongside, because the PDU carries the offset and a Date cannot.
 */

/** How the user data is coded (TS 23.038 section 4): text for gsm7 and ucs2, bytes for 8bit. */
export type SmsEncoding = 'gsm7' | '8bit' | 'ucs2';

/** Concatenated short message (IEI 0x00 with an 8-bit reference, 0x08 with a 16-bit one). */
export interface SmsConcat {
  ref: number;
  total: number;
  /** 1-based part number. */
  seq: number;
  refBits: 8 | 16;
}

/** Application port addressing (IEI 0x04 with 8-bit ports, 0x05 with 16-bit ones). */
export interface SmsPorts {
  dest: number;
  src: number;
  bits: 8 | 16;
}

export interface SmsUdhElement {
  iei: number;
  data: Uint8Array;
}

export interface SmsUdh {
  concat?: SmsConcat;
  ports?: SmsPorts;
  /** The elements not read into `concat` / `ports`, in header order, as received. */
  elements: SmsUdhElement[];
  /** Elements the spec tells a receiver to ignore (a concat part 0 of 3, …), and why; they stay in `elements`. */
  ignored?: string[];
}

export type SmsAddressType = 'international' | 'national' | 'alphanumeric' | 'unknown' | 'network' | 'subscriber' | 'abbreviated';

export interface SmsAddress {
  /** '+4477…' when international, the digits when national/unknown, the text when alphanumeric. */
  number: string;
  type: SmsAddressType;
  /** The type-of-address octet as received (0x91, 0x81, 0xD0, …). */
  toa: number;
}

/** The header and payload fields the three PDU types share. */
interface SmsUserData {
  /** TP-PID (0 for a plain short message). */
  pid: number;
  /** TP-DCS as received. */
  dcs: number;
  encoding: SmsEncoding;
  messageClass?: 0 | 1 | 2 | 3;
  /** Decoded text (gsm7, ucs2). */
  text?: string;
  /** Raw payload without the header (8bit, or compressed text, which this codec does not inflate). */
  data?: Uint8Array;
  udh?: SmsUdh;
}

export interface SmsDeliver extends SmsUserData {
  type: 'deliver';
  smsc?: SmsAddress;
  sender: SmsAddress;
  /** TP-SCTS: when the service centre received the message. */
  timestamp: Date;
  tzOffsetMinutes: number;
  /** TP-MMS is 0: the service centre has more messages waiting for this phone. */
  moreMessagesToSend: boolean;
  statusReportIndication: boolean;
  replyPath: boolean;
}

export type SmsValidity =
  | { kind: 'relative'; seconds: number; tpvp: number }
  | { kind: 'absolute'; time: Date; tzOffsetMinutes: number }
  /** TS 23.040 9.2.3.12.3: `seconds` when the functionality indicator names a format this codec reads. */
  | { kind: 'enhanced'; raw: Uint8Array; seconds?: number; singleShot: boolean };

export interface SmsSubmit extends SmsUserData {
  type: 'submit';
  smsc?: SmsAddress;
  recipient: SmsAddress;
  /** TP-MR. */
  reference: number;
  validity?: SmsValidity;
  requestStatusReport: boolean;
  rejectDuplicates: boolean;
  replyPath: boolean;
}

/**
 * An SMS-STATUS-REPORT. The user-data fields are present only when TP-PI (optional in the PDU)
 * announces them.
 */
export interface SmsStatusReport extends Partial<SmsUserData> {
  type: 'status-report';
  smsc?: SmsAddress;
  /** TP-MR of the SMS-SUBMIT this reports on. */
  reference: number;
  recipient: SmsAddress;
  /** TP-SCTS of the submitted message. */
  timestamp: Date;
  tzOffsetMinutes: number;
  /** TP-DT: when the status below was reached. */
  dischargeTime: Date;
  dischargeTzOffsetMinutes: number;
  /** TP-ST. */
  status: number;
  /** "delivered", "still trying: congestion", "failed: …" (TS 23.040 9.2.3.15). */
  statusText: string;
  delivered: boolean;
  /** TP-SRQ: this reports on an SMS-COMMAND rather than an SMS-SUBMIT. */
  forCommand: boolean;
}

export type SmsPdu = SmsDeliver | SmsSubmit | SmsStatusReport;
