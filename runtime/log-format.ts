/**
 * A log record's readable one-line form, as the console shows it and `vigil logs` prints it.
 * Records come from files that may be torn, older or newer than this code, or written by task
 * code: formatting reads every field as unknown, falls back to a generic rendering, and never
 * throws.
 */
import { levelName, levelNumber, type LogRecord } from './log-record.js';

export { levelNumber, parseRecord, type LogError, type LogEvent, type LogRecord } from './log-record.js';

export interface FormatOptions {
  color: boolean;
  /** An IANA zone for the time column; the process's local zone when absent. */
  timeZone?: string;
}

const ANSI = { dim: '2', red: '31', green: '32', yellow: '33', blue: '34', magenta: '35', cyan: '36' } as const;
type Tone = keyof typeof ANSI | undefined;

const TASK_COLUMN = 18;

/** The envelope pino and the runtime add; what is left of a record is its own fields. */
const ENVELOPE = new Set(['level', 'time', 'msg', 'evt', 'pid', 'hostname', 'task', 'taskId', 'iid', 'v']);

/** `HH:MM:SS.mmm M task              substance` — one line, no trailing newline. */
export function formatRecord(record: LogRecord, options: FormatOptions): string {
  if (!isObject(record)) return clean(String(record));
  let body: Body;
  try {
    body = describe(record);
  } catch {
    body = { mark: '?', text: safeJson(record) };
  }
  const time = clockTime(record.time, options.timeZone);
  const task = typeof record.task === 'string' ? record.task : '';
  const column = task.length > 0 ? clean(task).padEnd(TASK_COLUMN) : ' '.repeat(TASK_COLUMN);
  const text = body.text || safeJson(record);
  const rest = `${body.mark} ${column} ${clean(text)}`;
  if (!options.color) return `${time} ${rest}`;
  return `${paint('dim', time)} ${paint(body.tone, rest)}`;
}

interface Body {
  mark: string;
  text: string;
  tone?: Tone;
}

function describe(r: LogRecord): Body {
  const level = levelNumber(r.level);
  switch (r.evt) {
    case 'trigger': {
      const parts = [str(r.trigger) ? `triggered by ${str(r.trigger)}` : 'triggered'];
      if (str(r.bundle)) parts.push(`(bundle ${str(r.bundle)})`);
      if (isObject(r.details)) parts.push(compactFields(r.details, new Set()));
      return { mark: '*', text: parts.join(' '), tone: 'cyan' };
    }
    case 'held':
      return { mark: '=', text: str(r.why) ? `held: ${str(r.why)}` : 'held back', tone: 'yellow' };
    case 'start':
      return { mark: '>', text: startText(r), tone: 'blue' };
    case 'progress':
      return { mark: '.', text: num(r.progress) !== undefined ? `progress ${round(num(r.progress)!, 1)}%` : 'progress', tone: 'dim' };
    case 'task': {
      const prefix = level === 30 ? '' : `${levelName(level)}: `;
      return { mark: '|', text: `${prefix}${withFields(r)}`, tone: levelTone(level) };
    }
    case 'cancel': {
      const reason = str(r.reason) ? ` (${str(r.reason)})` : '';
      const why = str(r.detail) ?? str(r.msg);
      return { mark: '~', text: `canceling${reason}${why ? `: ${why}` : ''}`, tone: 'yellow' };
    }
    case 'complete':
      return completeBody(r);
    case 'workcost': {
      const causes = Array.isArray(r.causes) ? r.causes.filter((c) => typeof c === 'string') : [];
      const change = `work cost ${str(r.from) ?? '?'} → ${str(r.to) ?? '?'}`;
      return { mark: '%', text: causes.length > 0 ? `${change} (${causes.join(', ')})` : change, tone: r.to === 'High' ? 'yellow' : undefined };
    }
    case 'bundle': {
      const name = [str(r.bundle) ?? '?', str(r.version)].filter(Boolean).join(' ');
      const tasks = num(r.tasks) !== undefined ? `, ${plural(num(r.tasks)!, 'task')}` : '';
      const err = errText(r.err);
      const text = `bundle ${name} ${str(r.action) ?? 'changed'}${tasks}${err ? `: ${err}` : ''}`;
      return { mark: '#', text, tone: r.action === 'rejected' || level >= 50 ? 'red' : 'magenta' };
    }
    case 'event':
      return { mark: '@', text: `event ${str(r.id) ?? '?'}${str(r.source) ? ` from ${str(r.source)}` : ''}` };
    case 'runtime': {
      const ms = num(r.ms);
      return { mark: '^', text: `runtime ${str(r.phase) ?? str(r.msg) ?? '?'}${ms !== undefined ? ` in ${duration(ms)}` : ''}` };
    }
    case 'store': {
      const reason = str(r.reason) ?? str(r.msg);
      return { mark: '$', text: `store ${str(r.action) ?? '?'}${reason ? `: ${reason}` : ''}`, tone: 'yellow' };
    }
    case 'gpio':
      return { mark: '/', text: `gpio ${str(r.line) ?? '?'} ${str(r.edge) ?? '?'}${num(r.value) !== undefined ? ` (${num(r.value)})` : ''}`, tone: 'cyan' };
    case 'sensor': {
      const values = isObject(r.values) ? Object.entries(r.values).map(([k, v]) => `${k} ${typeof v === 'number' ? round(v, 2) : String(v)}`) : [];
      return { mark: ':', text: `sensor ${str(r.sensor) ?? '?'}${str(r.type) ? ` (${str(r.type)})` : ''}: ${values.join(', ')}`, tone: 'dim' };
    }
    case 'driver': {
      const binding = str(r.binding) ? ` (${str(r.binding)})` : '';
      const err = errText(r.err);
      const state = str(r.state) ?? '?';
      const tone: Tone = state === 'failed' ? 'red' : undefined;
      const sensor = str(r.sensor) ? ` sensor ${str(r.sensor)}` : '';
      const role = str(r.role) ? ` ${str(r.role)}${str(r.adapter) ? ` on ${str(r.adapter)}` : ''}` : '';
      return { mark: '&', text: `driver ${str(r.driver) ?? '?'}${role}${binding}${sensor} ${state}${err ? `: ${err}` : ''}`, tone };
    }
    default:
      break;
  }
  const evt = typeof r.evt === 'string' ? `${r.evt}: ` : '';
  const prefix = level === 30 ? '' : `${levelName(level)}: `;
  return { mark: level >= 40 ? '!' : ' ', text: `${prefix}${evt}${withFields(r)}`, tone: levelTone(level) };
}

function startText(r: LogRecord): string {
  let where = 'started';
  if (r.host === 'worker') where += typeof r.warm === 'boolean' ? ` in worker (${r.warm ? 'warm' : 'cold'})` : ' in worker';
  else if (r.host === 'inprocess') where += ' in-process';
  else if (str(r.host)) where += ` in ${str(r.host)}`;
  const parts = [where];
  if (num(r.budgetMb) !== undefined) parts.push(`budget ${mb(num(r.budgetMb)!)}`);
  if (num(r.quotaSec) !== undefined) parts.push(`quota ${round(num(r.quotaSec)!, 1)} s`);
  return parts.join(', ');
}

function completeBody(r: LogRecord): Body {
  const ms = num(r.ms);
  const peak = num(r.memPeakMb);
  const budget = num(r.budgetMb);
  let memory = '';
  if (peak !== undefined) memory = `, peak ${mb(peak)}${budget !== undefined ? ` of ${mb(budget)}` : ''}`;
  else if (budget !== undefined) memory = `, budget ${mb(budget)}`;
  if (str(r.energy)) memory += ` (${str(r.energy)})`;
  const err = errText(r.err);
  switch (r.outcome) {
    case 'succeeded':
      return { mark: '+', text: `succeeded${ms !== undefined ? ` in ${duration(ms)}` : ''}${memory}`, tone: 'green' };
    case 'failed':
      return { mark: 'x', text: `failed${ms !== undefined ? ` in ${duration(ms)}` : ''}${memory}${err ? `: ${err}` : ''}`, tone: 'red' };
    case 'canceled': {
      const reason = str(r.reason) ? ` (${str(r.reason)})` : '';
      const message = isObject(r.err) && str(r.err.message) ? str(r.err.message) : err;
      const text = `canceled${reason}${ms !== undefined ? ` after ${duration(ms)}` : ''}${memory}${message ? `: ${message}` : ''}`;
      return { mark: '-', text, tone: 'yellow' };
    }
    default: {
      const outcome = str(r.outcome) ? ` (${str(r.outcome)})` : '';
      return { mark: '?', text: `completed${outcome}${ms !== undefined ? ` in ${duration(ms)}` : ''}${memory}${err ? `: ${err}` : ''}` };
    }
  }
}

/** The message followed by the record's own fields. */
function withFields(r: LogRecord): string {
  const msg = str(r.msg) ?? '';
  const fields = compactFields(r, ENVELOPE);
  return msg && fields ? `${msg} ${fields}` : msg || fields;
}

/** `key=value …`: strings bare unless they need quoting, everything else as JSON, cut when long. */
function compactFields(fields: Record<string, unknown>, skip: Set<string>): string {
  const out: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (skip.has(key) || value === undefined) continue;
    out.push(`${key}=${compactValue(value)}`);
  }
  return out.join(' ');
}

const MAX_VALUE = 120;

function compactValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"'=]+$/.test(value) ? cut(value) : cut(JSON.stringify(value));
  if (isObject(value) && typeof value.message === 'string') {
    // A serialised error: its code or type and message say enough on a console line; the stack stays in the file.
    const label = str(value.code) ?? str(value.type);
    return cut(JSON.stringify(label ? `${label}: ${value.message}` : value.message));
  }
  return cut(safeJson(value));
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '[unserialisable]';
  }
}

function errText(err: unknown): string | undefined {
  if (typeof err === 'string') return err;
  if (!isObject(err)) return undefined;
  return [str(err.code), str(err.message)].filter(Boolean).join(' ') || undefined;
}

function duration(ms: number): string {
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (Math.abs(s) < 60) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  if (total < 3600) return `${Math.floor(total / 60)} min ${total % 60} s`;
  return `${Math.floor(total / 3600)} h ${Math.floor((total % 3600) / 60)} min`;
}

function mb(value: number): string {
  return `${round(value, 1)} MB`;
}

function round(value: number, digits: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function levelTone(level: number): Tone {
  if (level >= 50) return 'red';
  if (level >= 40) return 'yellow';
  if (level < 30) return 'dim';
  return undefined;
}

const zoneFormats = new Map<string, Intl.DateTimeFormat | null>();

function clockTime(time: unknown, timeZone: string | undefined): string {
  if (typeof time !== 'number' || !Number.isFinite(time)) return '--:--:--.---';
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return '--:--:--.---';
  const ms = String(date.getMilliseconds()).padStart(3, '0');
  if (timeZone) {
    const format = zoneFormat(timeZone);
    if (format) return `${format.format(date)}.${ms}`;
  }
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${ms}`;
}

/** Building an Intl format is costly; one per zone is kept. An unknown zone falls back to local time. */
function zoneFormat(timeZone: string): Intl.DateTimeFormat | undefined {
  let format = zoneFormats.get(timeZone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    } catch {
      format = null;
    }
    zoneFormats.set(timeZone, format);
  }
  return format ?? undefined;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function paint(tone: Tone, text: string): string {
  return tone ? `\x1b[${ANSI[tone]}m${text}\x1b[0m` : text;
}

/**
 * Task code writes messages; a newline in one must not forge a second record on the console, nor
 * an escape sequence repaint the terminal. Control characters are shown escaped.
 */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

function cut(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
