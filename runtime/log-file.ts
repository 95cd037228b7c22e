/**
 * A size-capped, rotated log file that pino writes to. An SD card must never fill with logs, so
 * the current file stays within `maxBytes` (a single larger record gets a file of its own) and at
 * most `files` rotated copies are kept (`path.1` newest … `path.N` oldest): the disk used is
 * bounded by about maxBytes × (files + 1).
 *
 * Rotation is by rename, so the current file always has the same name and `vigil logs --follow`
 * can follow it across rotations. Writes go through sonic-boom (buffered, asynchronous unless
 * `sync`), and a rotation waits until every byte meant for the old file has landed in it: the
 * renames happen only when nothing of the old file is still buffered, so each chunk (one pino
 * record) lies whole in exactly one file. Only a failing disk or a flushSync() with a rotation
 * pending can push a file past the cap, never by losing records.
 *
 * What waits in memory is bounded too (`maxBacklogBytes`): when events come faster than the
 * card can take their log lines, further lines are dropped and counted, and a warning saying
 * how many were lost is written once the log has caught up. A log must never eat the RAM of
 * the device it describes, nor make a shutdown wait minutes for a backlog.
 */
import { readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import sonicBoom from 'sonic-boom';
import type { SonicBoom as SonicBoomStream } from 'sonic-boom';
import { Emitter } from './emitter.js';
import { ConfigError } from './errors.js';

export interface RotatingFileOptions {
  path: string;
  /** The current file is rotated before a chunk would take it past this size. */
  maxBytes: number;
  /** Rotated files kept: path.1 … path.N. 0 keeps only the current file. */
  files: number;
  /** Write synchronously (each write is on disk when `write` returns). Default false. */
  sync?: boolean;
  /** Log bytes that may wait in memory before new lines are dropped. Default 8 MB. */
  maxBacklogBytes?: number;
}

// sonic-boom is CommonJS: its default export is the class, which also carries itself as `.SonicBoom`
// (the only spelling its type declarations and Node's ESM loader agree on).
const { SonicBoom } = sonicBoom;

interface Held {
  chunk: string;
  bytes: number;
}

export class RotatingFile extends Emitter<{ error: [Error] }> {
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #files: number;
  readonly #sync: boolean;
  readonly #sonic: SonicBoomStream;
  /** Bytes handed to sonic-boom for the current file (including what the file held at open). */
  #size: number;
  /** Bytes sonic-boom reported written to the current file. */
  #landed: number;
  /**
   * sonic-boom's flushSync writes without reporting how much, so after one the byte count
   * cannot prove the buffer is empty; only a 'drain' (buffer empty) can.
   */
  #uncertain = false;
  /** Chunks that wait for a rotation, in order, from #heldHead. Non-empty means a rotation is pending. */
  #held: Held[] = [];
  #heldHead = 0;
  #heldBytes = 0;
  readonly #maxBacklog: number;
  /** Lines dropped since the last notice. */
  #dropped = 0;
  #pumping = false;
  #everOpened = false;
  #openError: Error | undefined;
  #closing = false;
  #ended: Promise<void> | undefined;
  #whenIdle: (() => void) | undefined;
  #warned = new Set<string>();

  constructor(options: RotatingFileOptions) {
    super();
    if (!Number.isInteger(options.maxBytes) || options.maxBytes <= 0) {
      throw new ConfigError(`log maxBytes must be a positive integer, got ${String(options.maxBytes)}`, { path: 'log.maxBytes' });
    }
    if (!Number.isInteger(options.files) || options.files < 0) {
      throw new ConfigError(`log files must be an integer ≥ 0, got ${String(options.files)}`, { path: 'log.files' });
    }
    this.#path = options.path;
    this.#maxBytes = options.maxBytes;
    this.#files = options.files;
    this.#sync = options.sync ?? false;
    this.#size = this.#landed = existingSize(options.path);
    this.#pruneBeyond(options.files);

    this.#maxBacklog = options.maxBacklogBytes ?? 8 * 1024 * 1024;
    // The backlog is enforced in write(); sonic-boom's own limit, set higher, is only a backstop.
    this.#sonic = new SonicBoom({ dest: options.path, append: true, mkdir: true, sync: this.#sync, maxLength: this.#maxBacklog * 2 });
    // Each reopen adds a one-time 'ready' listener (to close the old descriptor) that goes on the
    // next tick; a burst of rotations within one tick (tiny files in tests) holds more than
    // Node's default ten for a moment, which is not a leak.
    this.#sonic.setMaxListeners(64);
    this.#sonic.on('drop', () => {
      this.#dropped++;
    });
    this.#sonic.on('ready', () => {
      this.#everOpened = true;
      this.#openError = undefined;
    });
    this.#sonic.on('write', (n: number) => {
      this.#landed += n;
      this.#pump();
    });
    if (!this.#sync) {
      this.#sonic.on('drain', () => {
        if (!this.#uncertain) return;
        this.#uncertain = false;
        this.#landed = this.#size;
        this.#pump();
      });
    }
    this.#sonic.on('error', (err: Error) => this.#onError(err));
  }

  get path(): string {
    return this.#path;
  }

  /** Pino's destination interface. Returns false when the producer should slow down. */
  write(chunk: string): boolean {
    if (this.#closing) return false;
    const bytes = Buffer.byteLength(chunk);
    if (this.#backlog() + bytes > this.#maxBacklog) {
      this.#dropped++;
      return false;
    }
    if (this.#heldCount() === 0 && !this.#wouldOverflow(bytes)) return this.#submit(chunk, bytes);
    this.#held.push({ chunk, bytes });
    this.#heldBytes += bytes;
    this.#pump();
    return false;
  }

  /** Lines dropped because the log could not keep up, not yet reported in the file. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Bytes accepted but not yet on disk. */
  #backlog(): number {
    return this.#heldBytes + Math.max(0, this.#size - this.#landed);
  }

  #heldCount(): number {
    return this.#held.length - this.#heldHead;
  }

  #shiftHeld(): Held | undefined {
    const next = this.#held[this.#heldHead];
    if (!next) return undefined;
    this.#heldHead++;
    this.#heldBytes -= next.bytes;
    // Compact now and then: shifting a long array one element at a time is quadratic.
    if (this.#heldHead > 1024 && this.#heldHead * 2 > this.#held.length) {
      this.#held = this.#held.slice(this.#heldHead);
      this.#heldHead = 0;
    }
    return next;
  }

  /**
   * Puts everything written so far on disk before returning (pino calls this after a fatal
   * record and at exit). Chunks waiting for a rotation join the current file: on this path
   * having them on disk matters more than the exact cap.
   */
  flushSync(): void {
    for (let next = this.#shiftHeld(); next; next = this.#shiftHeld()) this.#submit(next.chunk, next.bytes);
    try {
      this.#sonic.flushSync();
      if (!this.#sync) this.#uncertain = true;
    } finally {
      this.#whenIdle?.();
    }
  }

  /** Writes what is buffered, fsyncs and closes the file. Later writes are dropped. */
  end(): Promise<void> {
    if (this.#ended) return this.#ended;
    this.#closing = true;
    this.#ended = new Promise<void>((resolve, reject) => {
      const finish = (): void => {
        this.#whenIdle = undefined;
        if (this.#dropped > 0 && this.#everOpened) this.#noteDropped();
        if (!this.#everOpened && this.#openError) {
          reject(this.#openError);
          return;
        }
        const offClose = (): void => {
          this.#sonic.off('close', onClose);
          this.#sonic.off('error', onError);
        };
        const onClose = (): void => {
          offClose();
          resolve();
        };
        const onError = (err: Error): void => {
          offClose();
          reject(err);
        };
        this.#sonic.on('close', onClose);
        this.#sonic.on('error', onError);
        this.#sonic.end();
      };
      if (this.#heldCount() === 0) finish();
      else this.#whenIdle = finish;
    });
    return this.#ended;
  }

  #wouldOverflow(bytes: number): boolean {
    // A chunk larger than the cap still goes whole into a fresh (empty) file.
    return this.#size > 0 && this.#size + bytes > this.#maxBytes;
  }

  #submit(chunk: string, bytes: number): boolean {
    if (this.#dropped > 0 && this.#backlog() < this.#maxBacklog / 2) this.#noteDropped();
    this.#size += bytes;
    return this.#sonic.write(chunk);
  }

  /** The log has caught up: say, in the log itself, how much of it is missing. */
  #noteDropped(): void {
    const count = this.#dropped;
    this.#dropped = 0;
    const note = `${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, evt: 'runtime', dropped: count, msg: `the log could not keep up: ${count} line(s) were dropped` })}\n`;
    const bytes = Buffer.byteLength(note);
    this.#size += bytes;
    this.#sonic.write(note);
  }

  /** Moves held chunks into the file, rotating each time the old file has fully landed. */
  #pump(): void {
    if (this.#pumping || this.#heldCount() === 0) return;
    this.#pumping = true;
    try {
      while (this.#heldCount() > 0) {
        const next = this.#held[this.#heldHead]!;
        if (this.#wouldOverflow(next.bytes)) {
          // Bytes of the old file still buffered would land in the new one after a reopen.
          if (this.#uncertain || this.#landed < this.#size) {
            if (this.#uncertain) this.#sonic.write(''); // ensures a 'drain' comes
            return;
          }
          this.#rotate();
        }
        this.#shiftHeld();
        this.#submit(next.chunk, next.bytes);
      }
    } finally {
      this.#pumping = false;
    }
    // Not now: from inside sonic-boom's write callback a reopen may still be pending, and an
    // end() before it would cancel the reopen.
    const whenIdle = this.#whenIdle;
    if (whenIdle) queueMicrotask(whenIdle);
  }

  #rotate(): void {
    try {
      if (this.#files === 0) {
        unlinkSync(this.#path);
      } else {
        for (let i = this.#files - 1; i >= 1; i--) renameIfExists(`${this.#path}.${i}`, `${this.#path}.${i + 1}`);
        renameSync(this.#path, `${this.#path}.1`);
      }
    } catch (err) {
      // The current file stays as it is; it will grow past the cap rather than lose records.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#onError(err as Error);
    }
    try {
      this.#sonic.reopen();
    } catch (err) {
      this.#onError(err as Error);
    }
    this.#size = this.#landed = 0;
  }

  #onError(err: Error): void {
    if (!this.#everOpened) this.#openError = err;
    // A failed write keeps its bytes in sonic-boom until it is given more to write, so a rotation
    // waiting for them to land would wait (and hold records) forever: they are counted as landed,
    // and if a rotation comes first they go to the new file.
    this.#uncertain = false;
    this.#landed = this.#size;
    if (this.#heldCount() > 0) queueMicrotask(() => this.#pump());
    if (this.listenerCount('error') > 0) {
      this.emit('error', err);
      return;
    }
    // Nobody listens: a logging failure must not take the runtime down, nor flood stderr.
    const code = (err as NodeJS.ErrnoException).code ?? err.message;
    if (this.#warned.has(code)) return;
    this.#warned.add(code);
    process.emitWarning(`log file ${this.#path}: ${err.message}`);
  }

  /** Rotated files beyond `files` (left by an earlier, larger setting) count against the disk too. */
  #pruneBeyond(files: number): void {
    const prefix = `${basename(this.#path)}.`;
    let names: string[];
    try {
      names = readdirSync(dirname(this.#path));
    } catch {
      return; // no directory yet: nothing to prune
    }
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const suffix = name.slice(prefix.length);
      if (!/^[1-9][0-9]*$/.test(suffix) || Number(suffix) <= files) continue;
      try {
        unlinkSync(join(dirname(this.#path), name));
      } catch (err) {
        this.#onError(err as Error);
      }
    }
  }
}

function existingSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
