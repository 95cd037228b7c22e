/**
 * The console's side of the log: a pino destination that prints each record as one readable
 * line (see log-format.ts) while the file keeps the JSON. Trace and debug records are left to the
 * file unless a lower level is asked for, so a console on a busy device stays readable.
 */
import { formatRecord, levelNumber, parseRecord } from './log-format.js';

export interface ConsoleViewOptions {
  out: NodeJS.WritableStream;
  color: boolean;
  /** The lowest pino level shown (30 = info). */
  level?: number;
  /** An IANA zone for the time column; local time when absent. */
  timeZone?: string;
}

export class ConsoleView {
  readonly #out: NodeJS.WritableStream;
  readonly #color: boolean;
  readonly #level: number;
  readonly #timeZone: string | undefined;

  constructor(options: ConsoleViewOptions) {
    this.#out = options.out;
    this.#color = options.color;
    this.#level = options.level ?? 30;
    this.#timeZone = options.timeZone;
  }

  /** Pino's destination interface: one serialised record per call, newline-terminated. */
  write(chunk: string): boolean {
    let ok = true;
    // pino writes one record per call, but a relayed chunk may carry several lines.
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      const record = parseRecord(line);
      if (!record) {
        // Not a record (plain text relayed through the logger): shown as it came.
        ok = this.#out.write(`${line}\n`) && ok;
        continue;
      }
      if (levelNumber(record.level) < this.#level) continue;
      const options = this.#timeZone === undefined ? { color: this.#color } : { color: this.#color, timeZone: this.#timeZone };
      ok = this.#out.write(`${formatRecord(record, options)}\n`) && ok;
    }
    return ok;
  }
}
