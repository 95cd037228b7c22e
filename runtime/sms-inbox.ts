/**
 * Received SMS, delivered at least once. A message reaches the tasks only whole (its parts
 * reassembled, or marked partial after a timeout); the active filter task sees it first and may
 * block it; then every SMS registration gets it. It is deleted from the modem only after each of
 * those runs completed successfully. A failed or cancelled run is retried with backoff; a crash
 * at any point leaves the message in the modem's storage, and the next start delivers it again
 * to the registrations that had not completed — the ledger remembers which had.
 */
import type { Clock, TimerHandle } from './clock.js';
import type { ModemDriver, StoredPdu } from '../drivers/modem/modem.js';
import { decodePdu, Reassembler, type SmsDeliver } from '../drivers/modem/sms/index.js';
import { errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import { messageId, pduHash, SmsLedger, type LedgerEntry, type Slot, type SmsMessage } from './sms-ledger.js';
import { toSmsMessage } from './sms-message.js';

export interface InboxDeps {
  stateDir: string;
  clock: Clock;
  log: Logger;
  modem: Pick<ModemDriver, 'deleteMessage' | 'readMessage'>;
  /** Start a registration's task for a message. */
  fire(taskId: string, details: SmsMessage & { filter?: boolean }): void;
  /** Whether the dispatcher already holds an activation of this registration for this message. */
  queued(taskId: string, messageId: string): boolean;
  /** The registration of the active filter task, if any. */
  activeFilter(): string | undefined;
  reassemblyMs: number;
  maxAttempts: number;
}

interface Part {
  slot: Slot;
  pdu: string;
}

export class SmsInbox {
  readonly ledger: SmsLedger;
  readonly #d: InboxDeps;
  /** Registrations that get every message, with the sender filter of those that have one. */
  readonly #targets = new Map<string, ((from: string) => boolean) | undefined>();
  readonly #reassembler: Reassembler<Part>;
  /** message id → registrations running (or queued) for it now. */
  readonly #inFlight = new Map<string, Set<string>>();
  readonly #filtering = new Map<string, { taskId: string; blocked: boolean }>();
  readonly #retry = new Map<string, TimerHandle>();
  /** Messages that failed maxAttempts times: left alone until the next start. */
  readonly #parked = new Set<string>();
  readonly #finishing = new Set<string>();
  #expiry: TimerHandle | undefined;
  #warnedNoTargets = false;

  private constructor(deps: InboxDeps) {
    this.#d = deps;
    this.ledger = new SmsLedger(deps.stateDir);
    this.#reassembler = new Reassembler<Part>({ timeoutMs: deps.reassemblyMs });
  }

  static async open(deps: InboxDeps): Promise<SmsInbox> {
    const inbox = new SmsInbox(deps);
    inbox.ledger.onError = (err) => deps.log.error({ evt: 'sms', err: errorMessage(err) }, `the SMS ledger could not be written: ${errorMessage(err)}`);
    const problem = await inbox.ledger.load();
    if (problem) deps.log.warn({ evt: 'sms', problem }, `SMS ledger recovered from its backup: ${problem}`);
    return inbox;
  }

  /** A registration that wants every message (SmsMessageReceived, ChatMessageNotification, SystemTrigger SmsReceived). */
  addTarget(taskId: string, accept?: (from: string) => boolean): void {
    this.#targets.set(taskId, accept);
    this.#warnedNoTargets = false;
    queueMicrotask(() => this.#deliverAll());
  }

  removeTarget(taskId: string): void {
    this.#targets.delete(taskId);
    queueMicrotask(() => this.#deliverAll());
  }

  /** A filter registration appeared or went: messages waiting for it move on. */
  filterChanged(): void {
    queueMicrotask(() => this.#deliverAll());
  }

  /** A PDU from the modem's storage (or pushed directly). */
  async receive(stored: StoredPdu): Promise<void> {
    let pdu: ReturnType<typeof decodePdu>;
    try {
      pdu = decodePdu(stored.pdu);
    } catch (err) {
      // Kept on the modem: deleting what we cannot read would lose it for good.
      this.#d.log.error({ evt: 'sms', storage: stored.storage, index: stored.index, err: errorMessage(err) }, `SMS in ${stored.storage} slot ${stored.index} cannot be decoded (${errorMessage(err)}); it is left on the modem`);
      return;
    }
    if (pdu.type !== 'deliver') {
      this.#d.log.info({ evt: 'sms', storage: stored.storage, index: stored.index, type: pdu.type }, `slot ${stored.index} holds an SMS-${pdu.type.toUpperCase()}, not a received message: left alone`);
      return;
    }
    const slot: Slot = { storage: stored.storage, index: stored.index, pduHash: pduHash(stored.pdu) };
    if (this.#known(slot)) return;
    const now = this.#d.clock.now();
    const result = this.#reassembler.add(pdu, { slot, pdu: stored.pdu }, now);
    if (result.complete) await this.#accept(result.message, result.parts, undefined);
    else this.#armExpiry();
  }

  /** A run of a registration ended; `details` is what it was started with. */
  finished(taskId: string, details: unknown, completed: boolean): void {
    const id = (details as { messageId?: unknown } | undefined)?.messageId;
    if (typeof id !== 'string') return;
    const filter = this.#filtering.get(id);
    if (filter && filter.taskId === taskId && (details as { filter?: boolean }).filter) {
      this.#filtering.delete(id);
      const entry = this.ledger.data.messages[id];
      if (entry) {
        entry.filter = filter.blocked ? 'blocked' : 'allowed';
        if (!completed) this.#d.log.warn({ evt: 'sms', messageId: id }, 'the SMS filter task did not complete: the message is allowed, never lost');
        void this.ledger.save();
      }
      return this.#deliver(id);
    }
    this.#inFlight.get(id)?.delete(taskId);
    const entry = this.ledger.data.messages[id];
    if (!entry) return;
    if (completed) {
      if (!entry.done.includes(taskId)) entry.done.push(taskId);
    } else {
      entry.failures++;
      this.#scheduleRetry(id, entry);
    }
    void this.ledger.save();
    this.#deliver(id);
  }

  /** The filter task asks to block the message it is filtering. */
  block(taskId: string, id: string): boolean {
    const filter = this.#filtering.get(id);
    if (!filter || filter.taskId !== taskId) return false;
    filter.blocked = true;
    return true;
  }

  pending(): { messageId: string; from: string; parts: number; done: number; failures: number }[] {
    return Object.values(this.ledger.data.messages).map((e) => ({ messageId: e.message.messageId, from: e.message.from, parts: e.message.parts, done: e.done.length, failures: e.failures }));
  }

  async close(): Promise<void> {
    for (const t of this.#retry.values()) this.#d.clock.clearTimeout(t);
    this.#retry.clear();
    if (this.#expiry) this.#d.clock.clearTimeout(this.#expiry);
    await this.ledger.settle();
  }

  /** A slot already in the ledger (listed again after a restart): nothing new to reassemble. */
  #known(slot: Slot): boolean {
    for (const entry of Object.values(this.ledger.data.messages)) {
      if (entry.slots.some((s) => s.storage === slot.storage && s.index === slot.index && s.pduHash === slot.pduHash)) {
        this.#deliver(entry.message.messageId);
        return true;
      }
    }
    return false;
  }

  async #accept(deliver: SmsDeliver, parts: Part[], missing: number[] | undefined): Promise<void> {
    const now = this.#d.clock.now();
    const message = toSmsMessage(deliver, deliver.udh?.concat?.total ?? 1, missing, now);
    const id = messageId({ from: message.from, timestamp: message.timestamp, ...(message.text !== undefined ? { text: message.text } : {}), ...(message.data !== undefined ? { data: message.data } : {}), ...(deliver.udh?.concat ? { ref: deliver.udh.concat.ref, total: deliver.udh.concat.total } : {}) });
    message.messageId = id;
    const slots = parts.map((p) => p.slot);
    if (this.ledger.seen(id)) {
      this.#d.log.info({ evt: 'sms', messageId: id, from: message.from }, `duplicate SMS from ${message.from} (already delivered): removed from the modem`);
      await this.#deleteSlots(slots, parts.map((p) => p.pdu));
      return;
    }
    const existing = this.ledger.data.messages[id];
    if (existing) {
      // The same message in other slots (the network sent it twice): one delivery, every slot freed.
      for (const s of slots) if (!existing.slots.some((e) => e.index === s.index && e.storage === s.storage)) existing.slots.push(s);
    } else {
      const direct = slots.every((s) => s.storage === 'direct');
      this.ledger.data.messages[id] = { message, slots, done: [], failures: 0, ...(direct ? { direct: true } : {}) };
      const what = message.partial ? `partial SMS (parts ${message.partial.missing.join(', ')} missing)` : `SMS${message.parts > 1 ? ` in ${message.parts} parts` : ''}`;
      this.#d.log.info({ evt: 'sms', messageId: id, from: message.from, parts: message.parts, ...(message.partial ? { partial: message.partial } : {}) }, `${what} from ${message.from}`);
    }
    // Direct deliveries exist nowhere else: on disk before anyone runs.
    if (existing === undefined && slots.every((s) => s.storage === 'direct')) await this.ledger.flush();
    else void this.ledger.save();
    this.#deliver(id);
  }

  #deliverAll(): void {
    for (const id of Object.keys(this.ledger.data.messages)) this.#deliver(id);
  }

  #deliver(id: string): void {
    const entry = this.ledger.data.messages[id];
    if (!entry || this.#retry.has(id) || this.#parked.has(id)) return;
    if (entry.cleared) return void this.#finish(id, entry);
    if (entry.filter === undefined) {
      const filter = this.#d.activeFilter();
      if (filter && !this.#filtering.has(id)) {
        this.#filtering.set(id, { taskId: filter, blocked: false });
        this.#d.fire(filter, { ...entry.message, filter: true });
        return;
      }
      if (this.#filtering.has(id)) return;
      entry.filter = 'allowed';
    }
    if (entry.filter === 'blocked') {
      this.#d.log.info({ evt: 'sms', messageId: id, from: entry.message.from }, `SMS from ${entry.message.from} blocked by the filter task: removed from the modem`);
      entry.cleared = true;
      return void this.#finish(id, entry);
    }
    // A registration whose sender filter does not match is not owed this message.
    const targets = [...this.#targets].filter(([, accept]) => !accept || accept(entry.message.from)).map(([taskId]) => taskId);
    if (targets.length === 0) {
      const why = this.#targets.size === 0 ? 'no task is registered for SMS' : `no SMS task takes messages from ${entry.message.from}`;
      if (!this.#warnedNoTargets) this.#d.log.info({ evt: 'sms', messageId: id }, `${why}: the message stays on the modem until one does`);
      this.#warnedNoTargets = true;
      return;
    }
    const flying = this.#inFlight.get(id) ?? new Set<string>();
    this.#inFlight.set(id, flying);
    for (const taskId of targets) {
      if (entry.done.includes(taskId) || flying.has(taskId)) continue;
      flying.add(taskId);
      if (!this.#d.queued(taskId, id)) this.#d.fire(taskId, entry.message);
    }
    if (targets.every((t) => entry.done.includes(t))) {
      entry.cleared = true;
      void this.#finish(id, entry);
    }
  }

  /**
   * Every task has it: record that durably, then free the modem's slots. One at a time per
   * message: a second deletion of a slot already freed would hit the next message stored there.
   */
  async #finish(id: string, entry: LedgerEntry): Promise<void> {
    if (this.#finishing.has(id)) return;
    this.#finishing.add(id);
    try {
      await this.#clear(id, entry);
    } finally {
      this.#finishing.delete(id);
    }
  }

  async #clear(id: string, entry: LedgerEntry): Promise<void> {
    this.#inFlight.delete(id);
    try {
      await this.ledger.flush();
    } catch (err) {
      // Not on disk: deleting now could lose the message if we crashed before the next write.
      this.#d.log.error({ evt: 'sms', messageId: id, err: errorMessage(err) }, `SMS ${id} stays on the modem: the ledger could not be written (${errorMessage(err)})`);
      return;
    }
    const ok = await this.#deleteSlots(entry.slots);
    if (!ok) return;
    this.ledger.markSeen(id, this.#d.clock.now());
    await this.ledger.save();
  }

  async #deleteSlots(slots: Slot[], pdus?: string[]): Promise<boolean> {
    let ok = true;
    for (const [i, slot] of slots.entries()) {
      if (slot.storage === 'direct') continue;
      try {
        // A slot freed before a crash may hold a newer message now: delete it only if it is still ours.
        const now = pdus?.[i] !== undefined ? { pdu: pdus[i]! } : await this.#d.modem.readMessage(slot.storage, slot.index);
        if (now && pduHash(now.pdu) === slot.pduHash) await this.#d.modem.deleteMessage(slot.storage, slot.index);
      } catch (err) {
        ok = false;
        this.#d.log.warn({ evt: 'sms', storage: slot.storage, index: slot.index, err: errorMessage(err) }, `could not delete SMS slot ${slot.index}: ${errorMessage(err)} (retried later)`);
      }
    }
    return ok;
  }

  #scheduleRetry(id: string, entry: LedgerEntry): void {
    if (entry.failures >= this.#d.maxAttempts) {
      this.#d.log.error({ evt: 'sms', messageId: id, failures: entry.failures }, `SMS ${id} from ${entry.message.from}: delivery failed ${entry.failures} times; it stays on the modem and is delivered again at the next start`);
      this.#parked.add(id);
      return;
    }
    const delay = Math.min(5_000 * 2 ** (entry.failures - 1), 300_000);
    this.#retry.set(
      id,
      this.#d.clock.setTimeout(() => {
        this.#retry.delete(id);
        this.#deliver(id);
      }, delay),
    );
  }

  #armExpiry(): void {
    if (this.#expiry) this.#d.clock.clearTimeout(this.#expiry);
    const at = this.#reassembler.nextDeadline();
    if (at === undefined) return;
    this.#expiry = this.#d.clock.setTimeout(() => {
      this.#expiry = undefined;
      for (const set of this.#reassembler.expire(this.#d.clock.now())) void this.#accept(set.message, set.parts, set.missing);
      this.#armExpiry();
    }, Math.max(0, at - this.#d.clock.now()));
  }
}
