/**
 * Where `vigil logs` gets the runtime's JSON lines from. Filtering and formatting work on lines
 * and never know whether they came from this machine's state directory (local.ts) or, later,
 * from a device over SSH: a source only has to deliver whole lines in the order they were
 * written.
 */

export interface LogSource {
  /** What is read, for messages ("/var/lib/vigil/logs/vigil.log", "pi@garden:…"). */
  readonly description: string;
  /**
   * Every line there is now, oldest first across the rotated files, then the current file.
   * Whole lines only: a last line still being written is left out.
   */
  read(): AsyncIterable<string>;
  /**
   * The same lines as read(), then new ones as they are written, across rotations and
   * truncations, until `signal` aborts (the iteration then ends normally). Reading history and
   * following are one call so that no line written in between is lost or seen twice.
   */
  follow(signal: AbortSignal, hooks?: FollowHooks): AsyncIterable<string>;
}

export interface FollowHooks {
  /** Called once, when the lines that existed have all been given and what follows is new. */
  caughtUp?(): void;
}

const NEWLINE = 0x0a;

/**
 * Bytes in, whole lines out. Splitting happens on bytes, before decoding, so a multi-byte
 * character cut between two reads is decoded once it is whole.
 */
export class LineSplitter {
  #rest: Buffer = Buffer.alloc(0);

  /** The complete lines in `chunk` (and what was held before it), without their newlines. */
  push(chunk: Buffer): string[] {
    const data = this.#rest.length > 0 ? Buffer.concat([this.#rest, chunk]) : chunk;
    const lines: string[] = [];
    let start = 0;
    for (let at = data.indexOf(NEWLINE, start); at >= 0; at = data.indexOf(NEWLINE, start)) {
      const end = at > start && data[at - 1] === 0x0d ? at - 1 : at;
      if (end > start) lines.push(data.toString('utf8', start, end));
      start = at + 1;
    }
    // Copied: `data` may be a large read buffer that would otherwise be kept alive for a few bytes.
    this.#rest = start < data.length ? Buffer.from(data.subarray(start)) : Buffer.alloc(0);
    return lines;
  }

  /** Bytes of an unfinished line held back. */
  get pending(): number {
    return this.#rest.length;
  }

  /** The unfinished line, handed out when no more will come (a file that will never grow again). */
  flush(): string | undefined {
    if (this.#rest.length === 0) return undefined;
    const line = this.#rest.toString('utf8');
    this.#rest = Buffer.alloc(0);
    return line.trim() === '' ? undefined : line;
  }

  /** Forget a held partial line (the file it came from was truncated). */
  reset(): void {
    this.#rest = Buffer.alloc(0);
  }
}
