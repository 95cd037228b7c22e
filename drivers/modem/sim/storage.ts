/**
 * The SIM's short-message store ("SM", TS 27.005 §3.1 <mem>): numbered slots from 0 as Quectel
 * and SIMCom modules count them, each holding one PDU (SMSC address included) and its status.
 */
import { simError } from './sim-error.js';

export type SlotStat = 0 | 1 | 2 | 3;

export const STAT_TEXT: Record<SlotStat, string> = {
  0: 'REC UNREAD',
  1: 'REC READ',
  2: 'STO UNSENT',
  3: 'STO SENT',
};

export interface StoredMessage {
  index: number;
  stat: SlotStat;
  /** Upper-case hex, starting with the SMSC length octet as +CMGR shows it. */
  pdu: string;
  /** Octets after the SMSC field: the <length> of +CMGR/+CMGL. */
  tpduLength: number;
}

/** Octets of TPDU in a PDU hex string that starts with the SMSC field, or an error text. */
export function measurePdu(hex: string): { tpduLength: number } | { error: string } {
  if (hex.length < 4 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) {
    return { error: `PDU "${hex.slice(0, 40)}" is not hex with an even number of digits` };
  }
  const smscLength = parseInt(hex.slice(0, 2), 16);
  const tpduLength = hex.length / 2 - 1 - smscLength;
  if (tpduLength < 1) return { error: `PDU "${hex.slice(0, 40)}" has an SMSC field of ${smscLength} octets and nothing after it` };
  return { tpduLength };
}

export class MessageStorage {
  readonly size: number;
  readonly #slots: (StoredMessage | undefined)[];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1 || size > 255) {
      throw simError(`storageSize ${String(size)} is not a SIM message store size: expected an integer from 1 to 255`);
    }
    this.size = size;
    this.#slots = new Array<StoredMessage | undefined>(size).fill(undefined);
  }

  get used(): number {
    return this.#slots.filter((s) => s !== undefined).length;
  }

  get full(): boolean {
    return this.used >= this.size;
  }

  /** Store in the lowest free slot (as SIMs fill), returning its index, or undefined when full. */
  store(pdu: string, tpduLength: number, stat: SlotStat): number | undefined {
    const index = this.#slots.findIndex((s) => s === undefined);
    if (index < 0) return undefined;
    this.#slots[index] = { index, stat, pdu: pdu.toUpperCase(), tpduLength };
    return index;
  }

  inRange(index: number): boolean {
    return Number.isInteger(index) && index >= 0 && index < this.size;
  }

  get(index: number): StoredMessage | undefined {
    return this.#slots[index];
  }

  setStat(index: number, stat: SlotStat): void {
    const slot = this.#slots[index];
    if (slot) slot.stat = stat;
  }

  /** Empty a slot; true when it held a message. */
  delete(index: number): boolean {
    const had = this.#slots[index] !== undefined;
    this.#slots[index] = undefined;
    return had;
  }

  list(): StoredMessage[] {
    return this.#slots.filter((s): s is StoredMessage => s !== undefined).map((s) => ({ ...s }));
  }
}
