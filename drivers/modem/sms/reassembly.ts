/**
 * Joining the parts of concatenated messages (TS 23.040 9.2.3.24.1). Parts arrive in any order,
 * interleaved with other messages, sometimes twice (a modem that re-reports after a restart, a
 * network that resends), sometimes never. `M` is the caller's handle on a part (its SIM slot,
 * say), returned with the joined message so every slot can be freed, duplicates included.
 *
 * A set is keyed by sender, reference, total and reference width: two senders can pick the same
 * reference, and a sender that reuses one for a message of a different length starts a new set.
 * When the same key arrives with a different text for a part already held, the sender has reused
 * the reference while the old set was incomplete: the part goes to a second set under that key
 * rather than overwrite the first. Parts with other numbers cannot be told apart then; each goes
 * to the oldest set that lacks it, so nothing is lost or counted twice.
 */
import type { SmsDeliver } from './types.js';

export type ReassemblyResult<M> = { complete: true; message: SmsDeliver; parts: M[] } | { complete: false };

export interface ExpiredSet<M> {
  /** What arrived, joined in order; `missing` says which parts never came. */
  message: SmsDeliver;
  parts: M[];
  /** 1-based part numbers that did not arrive, ascending. */
  missing: number[];
}

interface PartialSet<M> {
  key: string;
  total: number;
  deadline: number;
  parts: Map<number, SmsDeliver>;
  metas: M[];
}

function sameContent(a: SmsDeliver, b: SmsDeliver): boolean {
  if (a.text !== b.text || a.encoding !== b.encoding) return false;
  if (a.data === undefined || b.data === undefined) return a.data === b.data;
  return a.data.length === b.data.length && a.data.every((v, i) => v === b.data![i]);
}

function concatBytes(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The parts in order as one message, on the first part present. Text parts are joined (this also
 * mends a surrogate pair a phone split across parts); 8-bit parts' data is joined.
 */
function join(parts: SmsDeliver[]): SmsDeliver {
  const base = parts[0]!;
  const message: SmsDeliver = { ...base };
  delete message.text;
  delete message.data;
  if (parts.some((p) => p.text !== undefined)) message.text = parts.map((p) => p.text ?? '').join('');
  if (parts.some((p) => p.data !== undefined)) message.data = concatBytes(parts.flatMap((p) => (p.data ? [p.data] : [])));
  return message;
}

export class Reassembler<M> {
  readonly #timeoutMs: number;
  /** Per key, the sets in the order they were started. */
  readonly #sets = new Map<string, PartialSet<M>[]>();

  constructor(opts: { timeoutMs: number }) {
    if (!(opts.timeoutMs >= 0)) throw new RangeError(`timeoutMs ${opts.timeoutMs} is not a duration: expected 0 or more milliseconds`);
    this.#timeoutMs = opts.timeoutMs;
  }

  /** Adds a part received at `now` (ms). A message that is not concatenated completes at once. */
  add(part: SmsDeliver, meta: M, now: number): ReassemblyResult<M> {
    const concat = part.udh?.concat;
    if (!concat) return { complete: true, message: part, parts: [meta] };
    const key = `${part.sender.number}\u0000${concat.ref}\u0000${concat.total}\u0000${concat.refBits}`;
    const sets = this.#sets.get(key) ?? [];
    // The oldest set that holds this very part (a duplicate) or still lacks it.
    let set = sets.find((s) => {
      const held = s.parts.get(concat.seq);
      return held === undefined || sameContent(held, part);
    });
    if (!set) {
      set = { key, total: concat.total, deadline: now + this.#timeoutMs, parts: new Map(), metas: [] };
      sets.push(set);
      this.#sets.set(key, sets);
    }
    set.metas.push(meta);
    if (!set.parts.has(concat.seq)) set.parts.set(concat.seq, part);
    if (set.parts.size < set.total) return { complete: false };
    this.#remove(set);
    const ordered = [...set.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
    return { complete: true, message: join(ordered), parts: set.metas };
  }

  /** Removes and returns the sets whose deadline (first part + timeoutMs) is at or before `now`. */
  expire(now: number): ExpiredSet<M>[] {
    const due: PartialSet<M>[] = [];
    for (const sets of this.#sets.values()) for (const set of sets) if (set.deadline <= now) due.push(set);
    due.sort((a, b) => a.deadline - b.deadline);
    return due.map((set) => {
      this.#remove(set);
      const present = [...set.parts.keys()].sort((a, b) => a - b);
      const missing: number[] = [];
      for (let seq = 1; seq <= set.total; seq++) if (!set.parts.has(seq)) missing.push(seq);
      return { message: join(present.map((seq) => set.parts.get(seq)!)), parts: set.metas, missing };
    });
  }

  /** The earliest deadline of a set still waiting, for the caller's timer. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const sets of this.#sets.values()) for (const s of sets) if (next === undefined || s.deadline < next) next = s.deadline;
    return next;
  }

  /** Sets still waiting for parts. */
  size(): number {
    let n = 0;
    for (const sets of this.#sets.values()) n += sets.length;
    return n;
  }

  #remove(set: PartialSet<M>): void {
    const sets = this.#sets.get(set.key);
    if (!sets) return;
    const rest = sets.filter((s) => s !== set);
    if (rest.length === 0) this.#sets.delete(set.key);
    else this.#sets.set(set.key, rest);
  }
}
