/**
 * The log record: one JSON object per line, written by pino, read back by the console view and
 * `vigil logs`. This is the contract between them; fields are optional because files may be
 * torn, older or newer than this code.
 */
import type {
  BackgroundTaskCancellationReason,
  BackgroundWorkCostValue,
  EnergyUseLevel,
  RunOutcome,
  TaskIsolation,
} from './enums.js';

export interface LogError {
  code?: string;
  message: string;
  /** Set when pino serialised an Error instance: its class name, and the stack. */
  type?: string;
  stack?: string;
}

export type LogEvent =
  | 'trigger'
  | 'held'
  | 'start'
  | 'progress'
  | 'task'
  | 'cancel'
  | 'complete'
  | 'workcost'
  | 'bundle'
  | 'event'
  | 'runtime'
  | 'store'
  | 'driver';

export interface LogRecord {
  /** pino's numbers: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
  level?: number;
  /** Milliseconds since the epoch. */
  time?: number;
  msg?: string;
  pid?: number;
  /** What happened; absent for a plain message. Files from newer versions may hold other kinds. */
  evt?: LogEvent | (string & {});
  task?: string;
  taskId?: string;
  iid?: string;
  bundle?: string;
  /** trigger: a one-line description, e.g. `TimeTrigger every 15 min`. */
  trigger?: string;
  details?: Record<string, unknown>;
  /** held: why the activation was held back. */
  why?: string;
  host?: TaskIsolation;
  warm?: boolean;
  budgetMb?: number;
  quotaSec?: number;
  progress?: number;
  /** cancel, complete: a BackgroundTaskCancellationReason; store: why it recovered, in words. */
  reason?: BackgroundTaskCancellationReason | (string & {});
  detail?: string;
  outcome?: RunOutcome;
  err?: LogError;
  ms?: number;
  memPeakMb?: number;
  energy?: EnergyUseLevel;
  from?: BackgroundWorkCostValue;
  to?: BackgroundWorkCostValue;
  causes?: string[];
  version?: string;
  /** bundle: loaded, replaced, removed, rejected; store: recovered. */
  action?: 'loaded' | 'replaced' | 'removed' | 'rejected' | 'recovered';
  tasks?: number;
  id?: string;
  source?: string;
  phase?: 'starting' | 'ready' | 'stopping' | 'stopped';
  driver?: string;
  binding?: string;
  state?: 'open' | 'failed' | 'closed';
  [field: string]: unknown;
}

/** A line of a log file as a record, or undefined for anything but a JSON object (a torn last line). */
export function parseRecord(line: string): LogRecord | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as LogRecord) : undefined;
  } catch {
    return undefined;
  }
}

const LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LevelName = (typeof LEVEL_NAMES)[number];

/** pino's number for a level, by name or number; info when it is neither. */
export function levelNumber(level: unknown): number {
  if (typeof level === 'number' && Number.isFinite(level)) return level;
  const index = typeof level === 'string' ? LEVEL_NAMES.indexOf(level as LevelName) : -1;
  return index >= 0 ? (index + 1) * 10 : 30;
}

export function levelName(level: number): LevelName {
  return LEVEL_NAMES[Math.min(5, Math.max(0, Math.floor(level / 10) - 1))]!;
}

