/**
 * The persisted store: registrations, trigger state, throttle counts and last runs, in one lowdb
 * JSON file written through DurableFile.
 *
 * Callers mutate `store.data` in place and call `changed()`; writes are coalesced (a burst of
 * changes is one write) because every write costs an fsync, and on an SD card that is the
 * expensive part. A corrupt file is reported, kept aside and recovered from the backup; the
 * store never starts empty when there was data it could not read.
 */
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Low } from 'lowdb';
import { systemClock } from './clock.js';
import type { Clock, TimerHandle } from './clock.js';
import { DurableFile } from './durable-file.js';
import type { DurableFs } from './durable-file.js';
import { StoreError, errorMessage } from './errors.js';
import { checkStore, migrateStore, migrations, type MigrationTable } from './store-schema.js';
import { STORE_SCHEMA_VERSION, emptyStore } from './store-types.js';
import type { StoreData } from './store-types.js';

export interface RecoveryInfo {
  /** The file that could not be used. */
  file: string;
  /** One line: what was wrong with it ("store.json is not valid JSON (… at byte 812)"). */
  reason: string;
  /** The file the data was recovered from (the backup). */
  from: string;
  /** Where the bad file was moved for inspection; absent when it was missing altogether. */
  keptAs?: string;
}

export interface StoreOptions {
  dir: string;
  fileName?: string;
  /** How long changes are gathered before they are written (default 25 ms). */
  flushDelayMs?: number;
  clock?: Clock;
  onRecovered?: (info: RecoveryInfo) => void;
  /** A write that nobody is awaiting failed; the next `changed()` or `flush()` retries it. */
  onWriteError?: (err: StoreError) => void;
  /** File operations, replaceable so tests can simulate a failing disk. */
  fs?: DurableFs;
  /**
   * The schema version this build writes and the migrations that lead to it. Defaults to
   * STORE_SCHEMA_VERSION and `migrations`; tests pass a future version to exercise migration.
   */
  schema?: { version: number; migrations: MigrationTable };
}

export interface StoreStats {
  /** Completed disk writes. */
  writes: number;
  /** `changed()` calls. */
  changes: number;
  /** Size in bytes of the file as last written (or loaded). */
  bytes: number;
}

type WriteOutcome = { ok: true; seq: number } | { ok: false; seq: number; error: StoreError };

export class Store {
  readonly #low: Low<StoreData>;
  readonly #file: DurableFile<StoreData>;
  readonly #clock: Clock;
  readonly #delayMs: number;
  readonly #onWriteError: (err: StoreError) => void;
  /** Bumped by every change; a write covers the changes up to the value it started with. */
  #seq = 0;
  #writtenSeq = 0;
  #timer: TimerHandle | null = null;
  #inFlight: Promise<WriteOutcome> | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  #stats: StoreStats = { writes: 0, changes: 0, bytes: 0 };

  private constructor(file: DurableFile<StoreData>, data: StoreData, options: StoreOptions) {
    this.#file = file;
    this.#low = new Low(file, data);
    this.#clock = options.clock ?? systemClock;
    this.#delayMs = options.flushDelayMs ?? 25;
    this.#onWriteError = options.onWriteError ?? ((err) => process.emitWarning(err));
    this.#stats.bytes = file.lastBytes;
  }

  static async open(options: StoreOptions): Promise<Store> {
    const fileName = options.fileName ?? 'store.json';
    if (fileName === '' || fileName !== basename(fileName)) {
      throw new StoreError('STORE_BAD_NAME', `store file name "${fileName}" must be a plain file name, not a path`);
    }
    const delay = options.flushDelayMs ?? 25;
    if (!Number.isFinite(delay) || delay < 0) {
      throw new StoreError('STORE_BAD_OPTION', `flushDelayMs ${String(delay)} must be a number of milliseconds ≥ 0`);
    }
    const version = options.schema?.version ?? STORE_SCHEMA_VERSION;
    const table = options.schema?.migrations ?? migrations;
    try {
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new StoreError('STORE_UNWRITABLE', `cannot create the store directory ${options.dir}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    const path = join(options.dir, fileName);
    const file = new DurableFile<StoreData>(path, {
      validate: (value) => checkStore(value, version, fileName),
      ...(options.fs ? { fs: options.fs } : {}),
    });
    await file.removeLeftovers();
    const loaded = await file.load();

    let data: StoreData;
    let mustWrite = false;
    if (loaded.from === 'none') {
      data = { ...emptyStore(), schemaVersion: version };
    } else {
      data = loaded.data;
    }
    if (loaded.from === 'backup') {
      const keptAs = loaded.problem.missing ? undefined : await file.moveAside(`corrupt-${stamp(options.clock ?? systemClock)}`);
      options.onRecovered?.({
        file: path,
        reason: loaded.problem.reason,
        from: file.backupFile,
        ...(keptAs ? { keptAs } : {}),
      });
      mustWrite = true;
    }
    if (data.schemaVersion < version) {
      data = migrateStore(data as unknown as Record<string, unknown>, table, version, fileName);
      mustWrite = true;
    }

    const store = new Store(file, data, options);
    if (mustWrite) {
      // Put the recovered or migrated data in place now, so a crash before the next change does
      // not repeat the recovery (or lose the migration).
      store.#seq += 1;
      await store.flush();
    }
    return store;
  }

  /** The live data. Mutate it in place, then call `changed()`. */
  get data(): StoreData {
    return this.#low.data;
  }

  /** Path of the store file. */
  get file(): string {
    return this.#file.file;
  }

  get stats(): StoreStats {
    return { ...this.#stats };
  }

  /** Marks the data changed; it is written within `flushDelayMs`, together with any other changes. */
  changed(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', `the store ${this.#file.file} is closed; changes can no longer be saved`);
    this.#stats.changes += 1;
    this.#seq += 1;
    if (!this.#timer && !this.#inFlight) this.#schedule();
  }

  /** Resolves once every change made before the call is durably on disk; rejects if a write failed. */
  async flush(): Promise<void> {
    const target = this.#seq;
    for (;;) {
      if (this.#writtenSeq >= target) return;
      if (this.#inFlight) {
        const outcome = await this.#inFlight;
        // A failed write that included our changes is our failure; one that started before them
        // is retried by the loop with a fresh write.
        if (!outcome.ok && outcome.seq >= target) throw outcome.error;
        continue;
      }
      this.#startWrite();
    }
  }

  /** Writes what is pending and stops; `changed()` throws afterwards. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closed = true;
      this.#closing = this.flush().finally(() => this.#cancelTimer());
    }
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      if (!this.#inFlight) void this.#startWrite(true);
    }, this.#delayMs);
  }

  #cancelTimer(): void {
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /**
   * Starts one write of the current data. Callers make sure none is in flight. A `background`
   * write (from the timer) reports its failure through onWriteError, since no caller awaits it.
   */
  #startWrite(background = false): Promise<WriteOutcome> {
    this.#cancelTimer();
    const seq = this.#seq;
    const outcome = this.#low.write().then(
      (): WriteOutcome => {
        this.#inFlight = null;
        this.#stats.writes += 1;
        this.#stats.bytes = this.#file.lastBytes;
        this.#writtenSeq = Math.max(this.#writtenSeq, seq);
        // Changes made while this write was in flight get the next one.
        if (this.#seq > this.#writtenSeq && !this.#closed && !this.#timer) this.#schedule();
        return { ok: true, seq };
      },
      (err: unknown): WriteOutcome => {
        this.#inFlight = null;
        const error = new StoreError('STORE_WRITE_FAILED', `could not save ${this.#file.file}: ${errorMessage(err)}`, {
          cause: err,
        });
        // Not rescheduled here: on a full disk that would spin. The next changed() or flush() retries.
        if (background) this.#onWriteError(error);
        return { ok: false, seq, error };
      },
    );
    this.#inFlight = outcome;
    return outcome;
  }
}

/** A file-name-safe timestamp: 2026-01-01T00-00-00-000Z. */
function stamp(clock: Clock): string {
  return new Date(clock.now()).toISOString().replace(/[:.]/g, '-');
}
