/**
 * The runtime's log on this machine: `path.N` … `path.1` (oldest to newest) then `path`, as
 * runtime/log-file.ts rotates them.
 *
 * Two properties of that writer make following it exact. Rotation is by rename, so an open
 * file handle keeps reading the same file after it has become `path.1`. And a rotation happens
 * only once every byte meant for the old file has landed in it, so once `path` is seen to be a
 * different file, reading the old handle to its end gets all of it: nothing is lost, and since
 * each file is read from one handle with one position, nothing is read twice.
 */
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from '../../runtime/errors.js';
import { LineSplitter, type FollowHooks, type LogSource } from './source.js';

export interface LocalLogSourceOptions {
  /** How often a followed file is checked for new lines and rotation. Default 200 ms. */
  pollMs?: number;
}

interface OpenFile {
  handle: FileHandle;
  dev: number;
  ino: number;
  /** Bytes consumed so far. */
  pos: number;
  splitter: LineSplitter;
}

const CHUNK = 64 * 1024;

export class LocalLogSource implements LogSource {
  readonly #path: string;
  readonly #pollMs: number;

  constructor(path: string, options: LocalLogSourceOptions = {}) {
    this.#path = path;
    this.#pollMs = options.pollMs ?? 200;
  }

  get description(): string {
    return this.#path;
  }

  async *read(): AsyncIterable<string> {
    const { rotated, current } = await this.#snapshot();
    if (!current && rotated.length === 0) throw missing(this.#path);
    try {
      for (const file of rotated) yield* drain(file, true);
      // The current file's unfinished last line is being written: it is not a line yet.
      if (current) yield* drain(current, false);
    } finally {
      await closeAll([...rotated, ...(current ? [current] : [])]);
    }
  }

  async *follow(signal: AbortSignal, hooks: FollowHooks = {}): AsyncIterable<string> {
    let current: OpenFile | undefined;
    /** The newest file read to its end, kept open so that its inode cannot be reused. */
    let done: OpenFile | undefined;
    let pending: OpenFile[] = [];
    let caughtUp = false;
    try {
      while (!signal.aborted) {
        if (!current) {
          // Everything written after `done` (all of it at the start): rotated files to read
          // whole, then the current file. Taken from one snapshot, however many rotations came
          // since the last look.
          const next = await this.#after(done);
          pending = next.rotated;
          for (let file = pending.shift(); file; file = pending.shift()) {
            try {
              yield* drain(file, true);
            } finally {
              await file.handle.close();
            }
          }
          if (done !== next.current) await done?.handle.close();
          done = undefined;
          current = next.current;
        }
        if (current) {
          yield* drain(current, false);
          const now = await statOrUndefined(this.#path);
          if (!now || now.ino !== current.ino || now.dev !== current.dev) {
            // Rotated (or removed): everything meant for the old file landed before the rename,
            // so what is left of it now is the rest of it.
            yield* drain(current, true);
            done = current;
            current = undefined;
            continue;
          }
          // Same file, now shorter than what was read: truncated (copytruncate, `: >`). Growth
          // past the old size between two polls would hide a truncation; the runtime never truncates.
          if (now.size < current.pos) {
            current.pos = 0;
            current.splitter.reset();
            continue;
          }
        }
        if (!caughtUp) {
          caughtUp = true;
          hooks.caughtUp?.();
        }
        await pause(this.#pollMs, signal);
      }
    } finally {
      await closeAll([...pending, ...(current ? [current] : []), ...(done ? [done] : [])]);
    }
  }

  /**
   * The files written after `done`, from a consistent snapshot: the rotated ones oldest first,
   * then the current one. With `done` gone (pruned by the writer) or undefined, all of them.
   */
  async #after(done: OpenFile | undefined): Promise<{ rotated: OpenFile[]; current: OpenFile | undefined }> {
    const snap = await this.#snapshot();
    if (!done) return snap;
    const same = (f: OpenFile) => f.ino === done.ino && f.dev === done.dev;
    if (snap.current && same(snap.current)) {
      // `path` looked different a moment ago but is that file after all: go on reading it.
      await closeAll([...snap.rotated, snap.current]);
      return { rotated: [], current: done };
    }
    const at = snap.rotated.findIndex(same);
    if (at < 0) return snap;
    await closeAll(snap.rotated.slice(0, at + 1));
    return { rotated: snap.rotated.slice(at + 1), current: snap.current };
  }

  /**
   * The rotated files (oldest first) and the current one, opened together. The current file is
   * opened first and checked again at the end: if it changed meanwhile a rotation has shifted
   * the names under the listing, and the snapshot is taken again.
   */
  async #snapshot(): Promise<{ rotated: OpenFile[]; current: OpenFile | undefined }> {
    for (let attempt = 0; ; attempt++) {
      const current = await openFile(this.#path);
      const rotated: OpenFile[] = [];
      for (const n of await this.#rotatedNumbers()) {
        const file = await openFile(`${this.#path}.${n}`);
        if (file) rotated.unshift(file); // .1 is the newest: the list ends up oldest first
      }
      const again = await statOrUndefined(this.#path);
      const stable = current ? again?.ino === current.ino && again.dev === current.dev : again === undefined;
      if (stable || attempt >= 5) return { rotated: dedupe(rotated, current), current };
      await closeAll([...rotated, ...(current ? [current] : [])]);
    }
  }

  /** The N of each `path.N` present, ascending (newest first). */
  async #rotatedNumbers(): Promise<number[]> {
    const prefix = `${basename(this.#path)}.`;
    let names: string[];
    try {
      names = await readdir(dirname(this.#path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter((name) => name.startsWith(prefix) && /^[1-9][0-9]*$/.test(name.slice(prefix.length)))
      .map((name) => Number(name.slice(prefix.length)))
      .sort((a, b) => a - b);
  }
}

function missing(path: string): CliError {
  return new CliError('LOG_NOT_FOUND', `no log file at ${path}: expected the runtime's JSON log there (is this the state directory \`vigil run\` uses? pick it with --state DIR or --config FILE)`);
}

async function openFile(path: string): Promise<OpenFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const s = await handle.stat();
  return { handle, dev: s.dev, ino: s.ino, pos: 0, splitter: new LineSplitter() };
}

/** The lines from `file`'s position to its end; `final` when the file will not grow again (its torn tail is a line too). */
async function* drain(file: OpenFile, final: boolean): AsyncIterable<string> {
  const buffer = Buffer.allocUnsafe(CHUNK);
  for (;;) {
    const { bytesRead } = await file.handle.read(buffer, 0, CHUNK, file.pos);
    if (bytesRead === 0) break;
    file.pos += bytesRead;
    yield* file.splitter.push(buffer.subarray(0, bytesRead));
  }
  if (final) {
    const tail = file.splitter.flush();
    if (tail !== undefined) yield tail;
  }
}

function dedupe(rotated: OpenFile[], current: OpenFile | undefined): OpenFile[] {
  const seen = new Set(current ? [`${current.dev}:${current.ino}`] : []);
  return rotated.filter((f) => {
    const key = `${f.dev}:${f.ino}`;
    if (seen.has(key)) {
      void f.handle.close();
      return false;
    }
    seen.add(key);
    return true;
  });
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function closeAll(files: OpenFile[]): Promise<void> {
  await Promise.allSettled(files.map((f) => f.handle.close()));
}

/** Waits `ms`, or less if `signal` aborts; never throws for the abort. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
}
