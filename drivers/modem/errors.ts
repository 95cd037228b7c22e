/**
 * Errors from the modem family. A final result that is not OK becomes a ModemError whose `code`
 * says which kind (`CME_ERROR`, `CMS_ERROR`, `NO_CARRIER`, …) and whose `detail` carries the
 * modem's own number or text, so a task can branch on `err.code === "CMS_ERROR" && err.number === 330`.
 */
import { VigilError } from '../../runtime/errors.js';

export type ModemErrorCode =
  | 'AT_ERROR'
  | 'CME_ERROR'
  | 'CMS_ERROR'
  | 'NO_CARRIER'
  | 'BUSY'
  | 'NO_ANSWER'
  | 'NO_DIALTONE'
  | 'AT_TIMEOUT'
  | 'AT_ABORTED'
  | 'AT_BAD_COMMAND'
  | 'PORT_CLOSED'
  | 'MODEM_NOT_READY'
  | 'SIM_PIN_REFUSED';

export class ModemError extends VigilError {
  /** What the modem said after the prefix ("SIM PIN required", "330"), or why it said nothing. */
  readonly detail: string;
  /** The numeric +CME/+CMS error when the modem gave (or the text maps to) one. */
  readonly number: number | undefined;
  /** The command that ended this way, when there was one. */
  readonly command: string | undefined;
  constructor(code: ModemErrorCode, message: string, options?: { detail?: string; number?: number; command?: string; cause?: unknown }) {
    super(code, message, options);
    this.detail = options?.detail ?? '';
    this.number = options?.number;
    this.command = options?.command;
  }
}

/** An SMS PDU (or text-mode message) that does not follow 3GPP TS 23.040: says where and what. */
export class SmsPduError extends VigilError {
  /** Byte offset into the PDU where decoding stopped (-1 when not about one place). */
  readonly offset: number;
  constructor(message: string, offset = -1, options?: { cause?: unknown }) {
    super('SMS_PDU_INVALID', message, options);
    this.offset = offset;
  }
}
