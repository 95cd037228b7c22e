/**
 * TP-DCS, the data coding scheme (TS 23.038 section 4): which alphabet the user data is in,
 * the message class, and the message-waiting indications.
 *
 * Reserved values are decoded as TS 23.038 section 4 tells a receiver to: "Any reserved codings
 * shall be assumed to be the GSM 7 bit default alphabet". That covers the reserved alphabet 11
 * of the general groups and the reserved groups 1000–1011. Rejecting them would lose messages
 * the spec says are readable; `reserved` says it happened.
 *
 * Compressed text (bit 5 of the general groups, TS 23.042) is not inflated here: it is handed
 * over as bytes, encoding '8bit', with `compressed` set, since decoding it as characters would
 * produce nonsense.
 */
import { SmsPduError } from '../errors.js';
import type { SmsEncoding } from './types.js';

export type MessageClass = 0 | 1 | 2 | 3;

export interface DcsInfo {
  encoding: SmsEncoding;
  messageClass?: MessageClass;
  compressed: boolean;
  /** Groups 01xx: the phone deletes the message once read. */
  autoDelete: boolean;
  /** Groups 1100–1110. */
  messageWaiting?: { kind: 'voicemail' | 'fax' | 'email' | 'other'; active: boolean; store: boolean };
  /** The value used a reserved coding and was read as GSM-7, as the spec says. */
  reserved: boolean;
}

const ALPHABET: readonly (SmsEncoding | undefined)[] = ['gsm7', '8bit', 'ucs2', undefined];
const WAITING = ['voicemail', 'fax', 'email', 'other'] as const;

export function decodeDcs(dcs: number): DcsInfo {
  const group = dcs >> 4;
  if (group <= 0b0111) {
    const alphabet = ALPHABET[(dcs >> 2) & 3];
    const compressed = (dcs & 0x20) !== 0;
    const info: DcsInfo = {
      encoding: compressed ? '8bit' : (alphabet ?? 'gsm7'),
      compressed,
      autoDelete: (dcs & 0x40) !== 0,
      reserved: alphabet === undefined,
    };
    if (dcs & 0x10) info.messageClass = (dcs & 3) as MessageClass;
    return info;
  }
  if (group <= 0b1011) return { encoding: 'gsm7', compressed: false, autoDelete: false, reserved: true };
  if (group <= 0b1110) {
    return {
      // 1100 "discard message" and 1101 "store message" carry GSM-7 text, 1110 "store" UCS-2.
      encoding: group === 0b1110 ? 'ucs2' : 'gsm7',
      compressed: false,
      autoDelete: false,
      messageWaiting: { kind: WAITING[dcs & 3]!, active: (dcs & 0x08) !== 0, store: group !== 0b1100 },
      reserved: (dcs & 0x04) !== 0,
    };
  }
  // 1111: bit 3 reserved, bit 2 GSM-7 or 8-bit data, bits 1–0 the class (always present).
  return { encoding: dcs & 0x04 ? '8bit' : 'gsm7', messageClass: (dcs & 3) as MessageClass, compressed: false, autoDelete: false, reserved: (dcs & 0x08) !== 0 };
}

/** The general data coding group: 0x00 / 0x04 / 0x08, with bit 4 and the class when there is one. */
export function encodeDcs(encoding: SmsEncoding, messageClass?: MessageClass): number {
  const alphabet = encoding === 'gsm7' ? 0x00 : encoding === '8bit' ? 0x04 : 0x08;
  if (messageClass === undefined) return alphabet;
  if (![0, 1, 2, 3].includes(messageClass)) throw new SmsPduError(`message class ${String(messageClass)} is not 0–3`);
  return 0x10 | alphabet | messageClass;
}
