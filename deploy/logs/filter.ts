/**
 * Which records `vigil logs` shows: parsing the lines a LogSource gives, and the --task,
 * --level and --since filters. Independent of where the lines come from.
 */
import { CliError } from '../../runtime/errors.js';
import { levelNumber, parseRecord, type LogRecord } from '../../runtime/log-record.js';

export interface LogFilter {
  /** A task's name (or "bundle/name", or its taskId). */
  task?: string;
  /** The lowest pino level shown. */
  minLevel?: number;
  /** Milliseconds since the epoch: records before this are left out. */
  since?: number;
}

export interface ParsedLine {
  /** The line as it is in the file, for --json. */
  line: string;
  record: LogRecord;
}

/** Lines that were not JSON records: counted, so they can be reported once instead of per line. */
export interface Malformed {
  count: number;
}

/** The records among `lines`; anything else (a torn line, stray text) is counted in `malformed` and skipped. */
export async function* parseLines(lines: AsyncIterable<string>, malformed: Malformed): AsyncIterable<ParsedLine> {
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const record = parseRecord(line);
    if (!record) {
      malformed.count++;
      continue;
    }
    yield { line, record };
  }
}

/**
 * A predicate for a stream of records, oldest first. Only the trigger record of a run names the
 * task's bundle, so for `--task bundle/name` the bundle of each task is learnt from those, and
 * the run's later records are matched by name.
 */
export function recordMatcher(filter: LogFilter): (record: LogRecord) => boolean {
  const slash = filter.task?.indexOf('/') ?? -1;
  if (filter.task === undefined || slash <= 0) return (record) => matches(record, filter);
  const wantBundle = filter.task.slice(0, slash);
  const wantTask = filter.task.slice(slash + 1);
  const bundles = new Map<string, string>();
  return (record) => {
    if (typeof record.task === 'string' && typeof record.bundle === 'string') bundles.set(record.task, record.bundle);
    if (matches(record, filter)) return true;
    if (record.task !== wantTask || bundles.get(wantTask) !== wantBundle) return false;
    return matches(record, { ...filter, task: wantTask });
  };
}

export function matches(record: LogRecord, filter: LogFilter): boolean {
  if (filter.since !== undefined && !(typeof record.time === 'number' && record.time >= filter.since)) return false;
  if (filter.minLevel !== undefined && levelNumber(record.level) < filter.minLevel) return false;
  if (filter.task !== undefined && !namesTask(record, filter.task)) return false;
  return true;
}

/**
 * Whether a record is about the task. The dispatcher's records (trigger, held, start, progress,
 * task, cancel, complete) and the drivers' records made for a task (SMS sent, hotspot, GATT)
 * carry its name in `task`, the trigger record its id in `taskId`; BLE publishers and GATT
 * services name it as `bundle/name` in `publisher` and `servedBy`. (`bundle/name` for the
 * dispatcher's records: see recordMatcher.)
 */
export function namesTask(record: LogRecord, task: string): boolean {
  if (record.task === task || record.taskId === task) return true;
  for (const field of ['publisher', 'servedBy'] as const) {
    const value = record[field];
    if (typeof value === 'string' && (value === task || value.endsWith(`/${task}`))) return true;
  }
  return false;
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** `--level NAME`: that level and above. */
export function parseLevel(text: string): number {
  const level = LEVELS[text.trim().toLowerCase()];
  if (level === undefined) throw new CliError('BAD_ARGUMENT', `--level ${JSON.stringify(text)} is not a log level: expected one of debug, info, warn, error (or trace, fatal)`);
  return level;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SINCE_FORMS = 'expected a duration back from now (30s, 10m, 2h, 1d) or an ISO date (2024-05-01, 2024-05-01T14:30, 2024-05-01T14:30:00Z, 2024-05-01T14:30:00+02:00)';
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * `--since`: a duration back from `now`, or an ISO date (a date or a time without a zone is local
 * time). Strict: "10 min", "yesterday" or a 31st of February are errors, not guesses.
 */
export function parseSince(text: string, now: number = Date.now()): number {
  const value = text.trim();
  const duration = /^(\d+)([smhd])$/.exec(value);
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2]!]!;
  const iso = ISO.exec(value);
  if (iso) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', zone] = iso;
    // Date.parse rolls 2024-02-30 over into March: the fields are checked against the calendar first.
    const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
    const real = day.getUTCFullYear() === Number(y) && day.getUTCMonth() === Number(mo) - 1 && day.getUTCDate() === Number(d);
    if (real && Number(h) < 24 && Number(mi) < 60 && Number(s) < 60) {
      // Without a zone, a date-only string is UTC to Date.parse but a date-time is local: both are made local.
      const parsed = Date.parse(zone || iso[4] !== undefined ? value.replace(' ', 'T') : `${value}T00:00`);
      if (Number.isFinite(parsed)) return parsed;
    }
  }
  throw new CliError('BAD_ARGUMENT', `--since ${JSON.stringify(text)} is not understood: ${SINCE_FORMS}`);
}
