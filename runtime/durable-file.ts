/**
 * A lowdb adapter that keeps one JSON file safe across `kill -9` and power loss.
 *
 * lowdb's TextFile adapter (steno) writes a temp file and renames it, but never fsyncs: after a
 * power cut the rename can be on disk while the data is not, leaving an empty or torn file. Here
 * every write is: temp file in the same directory → fsync → hard-link the current file to
 * `<name>.bak` (through a temp name renamed over the old backup, so the backup too is switched
 * atomically and no data is copied) → rename the temp over the file → fsync the directory.
 *
 * Because files are only ever replaced, never modified in place, the `.bak` inode keeps the
 * previous good version for as long as it is the backup.
 *
 * Unlike lowdb's presets this adapter has no NODE_ENV switch: tests exercise the real disk path.
 */
import * as fsp from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { StoreError, errorMessage } from './errors.js';

/** The file operations used, so tests can inject a failing disk (ENOSPC, EIO) without root tricks. */
export type DurableFs = Pick<typeof fsp, 'open' | 'readFile' | 'rename' | 'link' | 'unlink' | 'readdir' | 'copyFile'>;

/** What a validator says about parsed JSON: the data, or a problem phrased to follow the file name. */
export type Validation<T> = { ok: true; data: T } | { ok: false; problem: string };

export interface DurableFileOptions<T> {
  /**
   * Checks parsed JSON. `{ ok: false }` marks the file corrupt (the caller may recover from the
   * backup); throwing aborts the read altogether (e.g. a file written by a newer version, which
   * must not be "recovered" into an older copy).
   */
  validate?: (value: unknown) => Validation<T>;
  /** Defaults to JSON with two-space indentation: the file is meant to be readable by people. */
  stringify?: (data: T) => string;
  fs?: DurableFs;
  /** File mode for new files; 0600 because registrations may name private endpoints. */
  mode?: number;
}

/** Why a file could not be used, in one line that starts with its name. */
export interface FileProblem {
  file: string;
  reason: string;
  /** The file did not exist (as opposed to existing but being unusable). */
  missing: boolean;
}

export type LoadResult<T> =
  | { from: 'none'; data: null; bytes: 0 }
  | { from: 'main'; data: T; bytes: number }
  | { from: 'backup'; data: T; bytes: number; problem: FileProblem };

type ReadOne<T> =
  | { kind: 'ok'; data: T; bytes: number }
  | { kind: 'missing' }
  | { kind: 'corrupt'; reason: string }
  | { kind: 'unreadable'; reason: string; cause: unknown };

/** Errno codes meaning "this filesystem cannot hard-link" (vfat, some FUSE mounts). */
const NO_LINK_CODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

export class DurableFile<T> implements Adapter<T> {
  readonly file: string;
  readonly backupFile: string;
  readonly dir: string;
  readonly #name: string;
  readonly #tempPrefix: string;
  readonly #fs: DurableFs;
  readonly #validate: (value: unknown) => Validation<T>;
  readonly #stringify: (data: T) => string;
  readonly #mode: number;
  /** Writes run one after another; this is the tail of that queue (never rejects). */
  #queue: Promise<void> = Promise.resolve();
  #lastBytes = 0;

  constructor(file: string, options: DurableFileOptions<T> = {}) {
    this.file = file;
    this.dir = dirname(file);
    this.#name = basename(file);
    this.backupFile = `${file}.bak`;
    this.#tempPrefix = `.${this.#name}.tmp-`;
    this.#fs = options.fs ?? fsp;
    this.#validate = options.validate ?? ((value) => ({ ok: true, data: value as T }));
    this.#stringify = options.stringify ?? ((data) => `${JSON.stringify(data, null, 2)}\n`);
    this.#mode = options.mode ?? 0o600;
  }

  /** Size in bytes of the file as last written or loaded. */
  get lastBytes(): number {
    return this.#lastBytes;
  }

  /**
   * lowdb's contract: the data, or null when there is nothing yet (neither the file nor its
   * backup exists). A corrupt file with a good backup yields the backup; anything worse throws —
   * corruption never comes back as null, which lowdb would take for "start empty".
   */
  async read(): Promise<T | null> {
    return (await this.load()).data;
  }

  /** Like read(), but says where the data came from and what was wrong with the main file. */
  async load(): Promise<LoadResult<T>> {
    const main = await this.#readOne(this.file);
    if (main.kind === 'ok') {
      this.#lastBytes = main.bytes;
      return { from: 'main', data: main.data, bytes: main.bytes };
    }
    if (main.kind === 'unreadable') {
      // The file exists but the OS will not give it to us (EACCES, EIO): its content may well be
      // newer than the backup, so falling back would silently lose data. Stop and say so.
      throw new StoreError('STORE_UNREADABLE', `${main.reason}; fix the file's permissions or the disk and start again`, {
        cause: main.cause,
      });
    }
    const mainReason = main.kind === 'missing' ? `${this.#name} does not exist` : main.reason;
    const backup = await this.#readOne(this.backupFile);
    if (backup.kind === 'ok') {
      this.#lastBytes = backup.bytes;
      const problem: FileProblem = { file: this.file, reason: mainReason, missing: main.kind === 'missing' };
      return { from: 'backup', data: backup.data, bytes: backup.bytes, problem };
    }
    if (main.kind === 'missing' && backup.kind === 'missing') return { from: 'none', data: null, bytes: 0 };
    const backupReason =
      backup.kind === 'missing' ? `its last good copy ${basename(this.backupFile)} does not exist` : backup.reason;
    throw new StoreError(
      'STORE_CORRUPT',
      `cannot load ${this.file}: ${mainReason}, and ${backupReason}; ` +
        `both files are left as they are — restore one, or remove both to start with an empty store`,
      { cause: backup.kind === 'unreadable' ? backup.cause : undefined },
    );
  }

  /** Writes `data` atomically and durably; concurrent calls are queued, never interleaved. */
  write(data: T): Promise<void> {
    // Serialise now, so the file holds the data as it was at the call, not as it is later.
    const text = this.#stringify(data);
    const run = this.#queue.then(() => this.#writeText(text));
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Renames the main file to `<name>.<suffix>` (kept for inspection, out of the way of the next
   * write, which then leaves the good backup alone). Returns the new path; an existing file of
   * that name is never overwritten.
   */
  async moveAside(suffix: string): Promise<string> {
    for (let n = 0; ; n++) {
      const target = `${this.file}.${suffix}${n === 0 ? '' : `-${n}`}`;
      try {
        // link + unlink instead of rename: link fails on an existing target, rename would replace it.
        await this.#fs.link(this.file, target);
      } catch (err) {
        if (codeOf(err) === 'EEXIST') continue;
        if (NO_LINK_CODES.has(codeOf(err) ?? '')) {
          await this.#fs.rename(this.file, target);
          await this.#syncDir();
          return target;
        }
        throw err;
      }
      await this.#fs.unlink(this.file);
      await this.#syncDir();
      return target;
    }
  }

  /** Removes temp files a killed writer left behind; returns their names. */
  async removeLeftovers(): Promise<string[]> {
    let names: string[];
    try {
      names = await this.#fs.readdir(this.dir);
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return [];
      throw err;
    }
    const leftovers = names.filter((name) => name.startsWith(this.#tempPrefix));
    for (const name of leftovers) await this.#fs.unlink(join(this.dir, name)).catch(ignoreMissing);
    return leftovers;
  }

  async #readOne(file: string): Promise<ReadOne<T>> {
    const name = basename(file);
    let bytes: Buffer;
    try {
      bytes = await this.#fs.readFile(file);
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return { kind: 'missing' };
      return { kind: 'unreadable', reason: `${name} could not be read (${errorMessage(err)})`, cause: err };
    }
    if (bytes.length === 0) return { kind: 'corrupt', reason: `${name} is empty (0 bytes)` };
    const text = bytes.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { kind: 'corrupt', reason: `${name} is not valid JSON (${describeJsonError(err, text)})` };
    }
    const checked = this.#validate(value);
    if (!checked.ok) return { kind: 'corrupt', reason: `${name} ${checked.problem}` };
    return { kind: 'ok', data: checked.data, bytes: bytes.length };
  }

  async #writeText(text: string): Promise<void> {
    const fs = this.#fs;
    const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const temp = join(this.dir, `${this.#tempPrefix}${tag}`);
    const backupTemp = join(this.dir, `${this.#tempPrefix}bak-${tag}`);
    try {
      const handle = await fs.open(temp, 'wx', this.#mode);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.#linkBackup(backupTemp);
      await fs.rename(temp, this.file);
      // One directory fsync makes the backup switch and the new file's name durable together.
      await this.#syncDir();
    } catch (err) {
      // Best effort: the write's own error is the one worth reporting; leftovers go at next open.
      await fs.unlink(temp).catch(() => undefined);
      await fs.unlink(backupTemp).catch(() => undefined);
      throw err;
    }
    this.#lastBytes = Buffer.byteLength(text, 'utf8');
  }

  /** Makes the current file (if any) the backup, atomically. */
  async #linkBackup(backupTemp: string): Promise<void> {
    try {
      await this.#fs.link(this.file, backupTemp);
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return; // first write, or the main file was moved aside
      if (!NO_LINK_CODES.has(codeOf(err) ?? '')) throw err;
      // A filesystem without hard links (vfat): a copy is the next best thing; it must be on
      // disk before it replaces the old backup.
      try {
        await this.#fs.copyFile(this.file, backupTemp);
      } catch (copyErr) {
        if (codeOf(copyErr) === 'ENOENT') return;
        throw copyErr;
      }
      const handle = await this.#fs.open(backupTemp, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await this.#fs.rename(backupTemp, this.backupFile);
  }

  async #syncDir(): Promise<void> {
    const handle = await this.#fs.open(this.dir, 'r');
    try {
      await handle.sync();
    } catch (err) {
      // Some filesystems cannot fsync a directory at all; there is nothing more to make durable.
      if (codeOf(err) !== 'EINVAL' && codeOf(err) !== 'ENOTSUP') throw err;
    } finally {
      await handle.close();
    }
  }
}

/** JSON.parse's message, on one line, with the position given as a byte offset into the file. */
export function describeJsonError(err: unknown, text: string): string {
  let message = errorMessage(err);
  const at = /\s*in JSON at position (\d+)(?:\s*\(line \d+ column \d+\))?$/.exec(message);
  if (at) {
    const position = Number(at[1]);
    message = `${message.slice(0, at.index)} at byte ${Buffer.byteLength(text.slice(0, position), 'utf8')}`;
  } else if (/^Unexpected end of JSON input$/.test(message)) {
    message = `${message} at byte ${Buffer.byteLength(text, 'utf8')}`;
  }
  // V8 quotes the start of the text; garbage bytes must not break the line or the terminal.
  // eslint-disable-next-line no-control-regex
  message = message.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return message.length > 160 ? `${message.slice(0, 157)}...` : message;
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function ignoreMissing(err: unknown): void {
  if (codeOf(err) !== 'ENOENT') throw err;
}
