/**
 * The SMS ledger: which received messages are still owed to which tasks, kept in a durable file
 * beside the store. The modem's storage holds the message itself until every task that should
 * see it has completed; the ledger holds what survives a restart about the delivery (who has
 * completed, how often it failed, whether the filter blocked it) and the ids of messages already
 * delivered, so a message the network sends twice, or one whose deletion did not happen before a
 * crash, is recognised as a duplicate.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DurableFile } from './durable-file.js';

/** What a task sees in triggerDetails for a received SMS. */
export interface SmsMessage {
  messageId: string;
  from: string;
  fromType: string;
  text?: string;
  /** 8-bit data messages: the bytes as hex. */
  data?: string;
  encoding: string;
  /** The service centre's timestamp, ISO 8601 with the sender's offset. */
  timestamp: string;
  smsc?: string;
  class?: number;
  parts: number;
  /** Set when parts were still missing after the reassembly timeout. */
  partial?: { missing: number[] };
  ports?: { dest: number; src: number };
  receivedAt: string;
}

export interface Slot {
  storage: string;
  index: number;
  /** Hash of the PDU in the slot: a slot is deleted only while it still holds this message. */
  pduHash: string;
}

export interface LedgerEntry {
  message: SmsMessage;
  slots: Slot[];
  /** Registrations whose run for this message completed. */
  done: string[];
  failures: number;
  filter?: 'allowed' | 'blocked';
  /** Everyone has it: only the deletion from the modem is left. */
  cleared?: boolean;
  /** Direct (+CMT) deliveries exist only here, so the whole PDU is kept. */
  direct?: boolean;
}

export interface LedgerData {
  version: 1;
  messages: Record<string, LedgerEntry>;
  /** Delivered (or blocked) message ids → when; pruned by age and count. */
  seen: Record<string, number>;
}

const SEEN_KEEP_MS = 7 * 24 * 3600_000;
const SEEN_KEEP_COUNT = 1000;

export function pduHash(pdu: string): string {
  return createHash('sha256').update(pdu.toUpperCase()).digest('hex').slice(0, 16);
}

/** The same message (the network resending it, or a part listed twice) gets the same id. */
export function messageId(m: { from: string; timestamp: string; text?: string; data?: string; ref?: number; total?: number }): string {
  return createHash('sha256').update(JSON.stringify([m.from, m.timestamp, m.ref ?? null, m.total ?? 1, m.text ?? null, m.data ?? null])).digest('hex').slice(0, 16);
}

export class SmsLedger {
  readonly file: DurableFile<LedgerData>;
  data: LedgerData = { version: 1, messages: {}, seen: {} };
  #saving = false;
  #again = false;
  #pending: Promise<void> = Promise.resolve();
  onError: (err: unknown) => void = () => undefined;

  constructor(stateDir: string) {
    this.file = new DurableFile<LedgerData>(join(stateDir, 'sms-ledger.json'), {
      validate: (value) => {
        const d = value as LedgerData;
        if (typeof d !== 'object' || d === null || d.version !== 1 || typeof d.messages !== 'object' || typeof d.seen !== 'object') {
          return { ok: false, problem: 'is not an SMS ledger (expected {"version": 1, "messages": {…}, "seen": {…}})' };
        }
        return { ok: true, data: d };
      },
    });
  }

  /** Loads the ledger; a corrupt file falls back to its backup, and `problem` says so. */
  async load(): Promise<string | undefined> {
    const loaded = await this.file.load();
    if (loaded.data) this.data = loaded.data;
    return loaded.from === 'backup' ? loaded.problem.reason : undefined;
  }

  /**
   * Writes soon; bursts of changes become one write, and a write never overlaps another. Never
   * rejects: a failed write is reported through `onError` and the next change writes again.
   */
  save(): Promise<void> {
    if (this.#saving) {
      this.#again = true;
      return this.#pending;
    }
    this.#saving = true;
    this.#pending = new Promise<void>((resolve) => {
      queueMicrotask(() => {
        this.file
          .write(this.data)
          .catch((err: unknown) => this.onError(err))
          .finally(() => {
            this.#saving = false;
            resolve();
            if (this.#again) {
              this.#again = false;
              void this.save();
            }
          });
      });
    });
    return this.#pending;
  }

  /** Waits until no write is queued (at stop). */
  async settle(): Promise<void> {
    while (this.#saving) await this.#pending;
  }

  /** Writes now and waits for the disk: before a message is deleted from the modem. */
  async flush(): Promise<void> {
    await this.file.write(this.data);
  }

  seen(id: string): boolean {
    return this.data.seen[id] !== undefined;
  }

  markSeen(id: string, now: number): void {
    delete this.data.messages[id];
    this.data.seen[id] = now;
    const entries = Object.entries(this.data.seen).filter(([, at]) => now - at < SEEN_KEEP_MS);
    entries.sort((a, b) => b[1] - a[1]);
    this.data.seen = Object.fromEntries(entries.slice(0, SEEN_KEEP_COUNT));
  }
}
