/**
 * `vigil logs`: the runtime's JSON log, read from its state directory, shown as `vigil run`'s
 * console shows it (or as the JSON lines themselves), filtered, followed, or summed up for one
 * sensor. Where the lines come from is a LogSource; everything after that is shared.
 */
import { once } from 'node:events';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { LocalLogSource } from '../deploy/logs/local.js';
import { matches, parseLevel, parseLines, parseSince, recordMatcher, type LogFilter, type Malformed } from '../deploy/logs/filter.js';
import { formatSummary, isReading, isSensorTrigger, SensorCollector, summaryJson } from '../deploy/logs/sensor-view.js';
import type { LogSource } from '../deploy/logs/source.js';
import { CliError } from '../runtime/errors.js';
import { formatRecord } from '../runtime/log-format.js';
import { statePaths } from '../runtime/paths.js';
import { socketFor, targetHelp, type TargetOptions } from './state-dir.js';

export interface LogsOptions {
  follow?: boolean;
  task?: string;
  sensor?: string;
  level?: string;
  since?: string;
  json?: boolean;
}

export interface LogsOutput {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  color: boolean;
  /** The terminal's width for sensor charts; undefined when stdout is not a terminal (no charts). */
  columns?: number;
  /** Ends --follow. */
  signal: AbortSignal;
}

export function logsCommand(): Command {
  return new Command('logs')
    .description("show the runtime's log readably, as `vigil run` prints it: filtered, followed, or summed up for one sensor")
    .option('-f, --follow', 'keep printing new records as they are written, across log rotations (Ctrl-C ends)')
    .option('--task <name>', 'only records of this task (its name, bundle/name, or taskId)')
    .option('--sensor <name>', "a sensor's readings per channel (count, min, max, last, a chart on a terminal) and the tasks it set off")
    .option('--level <level>', 'only this level and above: debug, info, warn, error')
    .option('--since <when>', 'only records from then on: 30s, 10m, 2h, 1d back, or an ISO date (2024-05-01T14:30)')
    .option('--json', 'print the matching records as they are in the file (with --sensor: the summary as JSON)')
    .option('--state <dir>', targetHelp.state)
    .option('--config <file>', targetHelp.config)
    .action(async (options: TargetOptions & LogsOptions) => {
      const controller = new AbortController();
      const stop = () => controller.abort();
      // Ctrl-C ends --follow as its normal way out: the iteration finishes and the exit code is 0.
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // A reader that goes away (`vigil logs | head`) ends the output, not with an EPIPE stack.
      const onOutError = () => stop();
      process.stdout.on('error', onOutError);
      try {
        const tty = Boolean(process.stdout.isTTY);
        const output: LogsOutput = { out: process.stdout, err: process.stderr, color: tty && !process.env.NO_COLOR, signal: controller.signal };
        if (tty) output.columns = process.stdout.columns || 60;
        process.exitCode = await showLogs(localSource(options), options, output);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}

/** The log of the runtime `vigil status` would talk to: --state, $VIGIL_STATE, or the config's stateDir. */
export function localSource(options: TargetOptions): LocalLogSource {
  // socketFor resolves the state directory exactly as the other client commands do; the socket lies in it.
  return new LocalLogSource(statePaths(dirname(socketFor(options))).logFile);
}

/** Prints what `options` ask for from `source`; resolves to the exit code. */
export async function showLogs(source: LogSource, options: LogsOptions, io: LogsOutput): Promise<number> {
  // Arguments are checked before anything is read: a typo fails at once, also with --follow.
  const filter: LogFilter = {};
  if (options.since !== undefined) filter.since = parseSince(options.since);
  if (options.level !== undefined) filter.minLevel = parseLevel(options.level);
  if (options.task !== undefined) filter.task = options.task;
  if (options.sensor !== undefined && options.level !== undefined) {
    throw new CliError('BAD_ARGUMENT', '--level does not apply with --sensor (readings are all info records): leave out one of them');
  }
  if (options.sensor !== undefined && options.sensor.trim() === '') throw new CliError('BAD_ARGUMENT', '--sensor needs a sensor name, as in the config (e.g. --sensor air)');

  const malformed: Malformed = { count: 0 };
  const writer = new Writer(io.out);
  let code = 0;
  try {
    if (options.sensor !== undefined) code = await showSensor(source, options.sensor, filter, options, io, writer, malformed);
    else code = await showRecords(source, filter, options, io, writer, malformed);
  } finally {
    if (malformed.count > 0) {
      io.err.write(`vigil logs: skipped ${malformed.count} malformed line${malformed.count === 1 ? '' : 's'} in ${source.description} (not JSON log records)\n`);
    }
  }
  return code;
}

async function showRecords(source: LogSource, filter: LogFilter, options: LogsOptions, io: LogsOutput, writer: Writer, malformed: Malformed): Promise<number> {
  const format = { color: io.color };
  const tasks = new Set<string>();
  let shown = 0;
  const wanted = recordMatcher(filter);
  const lines = options.follow ? source.follow(io.signal) : source.read();
  for await (const { line, record } of parseLines(lines, malformed)) {
    if (!wanted(record)) {
      // Kept only to name the tasks there are when --task matched nothing (not when following: unbounded).
      if (filter.task !== undefined && !options.follow && typeof record.task === 'string') tasks.add(record.task);
      continue;
    }
    shown++;
    await writer.line(options.json ? line : formatRecord(record, format));
    if (writer.closed) break;
  }
  if (shown === 0 && filter.task !== undefined && !options.follow) {
    const names = [...tasks].sort();
    io.err.write(`vigil logs: no records of task "${filter.task}"${filter.since !== undefined || filter.minLevel !== undefined ? ' that match' : ''} in ${source.description}; ${names.length ? `tasks in the log: ${names.join(', ')}` : 'no task records in the log'}\n`);
  }
  return 0;
}

async function showSensor(source: LogSource, sensor: string, filter: LogFilter, options: LogsOptions, io: LogsOutput, writer: Writer, malformed: Malformed): Promise<number> {
  const collector = new SensorCollector(sensor);
  const since: LogFilter = filter.since !== undefined ? { since: filter.since } : {};
  // --task narrows the triggers down to one task's; the readings belong to no task.
  const takeTrigger = recordMatcher(filter);
  let live = false;
  let summaryDone: Promise<void> | undefined;
  const printSummary = async (): Promise<number> => {
    if (!collector.found) {
      const others = [...collector.seen.keys()].sort();
      const what = others.length ? `sensors in the log: ${others.join(', ')}` : 'the log holds no sensor readings at all';
      if (!options.follow) throw new CliError('UNKNOWN_SENSOR', `no readings of sensor "${sensor}" in ${source.description}${filter.since !== undefined ? ' since then' : ''}; ${what}`);
      io.err.write(`vigil logs: no readings of sensor "${sensor}" yet; ${what}. Waiting for new ones.\n`);
      return 0;
    }
    const summary = await collector.summary();
    const chart = io.columns !== undefined ? { chartWidth: Math.max(20, io.columns) } : {};
    await writer.text(options.json ? `${JSON.stringify(summaryJson(summary))}\n` : formatSummary(summary, { color: io.color, ...chart }));
    return 0;
  };

  const lines = options.follow
    ? source.follow(io.signal, {
        caughtUp: () => {
          live = true;
          summaryDone = printSummary().then(() => undefined);
        },
      })
    : source.read();
  for await (const { line, record } of parseLines(lines, malformed)) {
    if (!matches(record, since)) continue;
    if (!live) {
      collector.add(record, takeTrigger);
      continue;
    }
    await summaryDone;
    // Following: new readings and activations of this sensor as the console shows them.
    const wanted = isReading(record, sensor) || (isSensorTrigger(record, sensor) && takeTrigger(record));
    if (!wanted) continue;
    await writer.line(options.json ? line : formatRecord(record, { color: io.color }));
    if (writer.closed) break;
  }
  if (options.follow) {
    await summaryDone;
    return 0;
  }
  return printSummary();
}

/** Output that waits when the reader is slow, and notices when it is gone. */
class Writer {
  readonly #out: NodeJS.WritableStream;
  closed = false;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
    out.once('error', () => (this.closed = true));
  }

  line(text: string): Promise<void> {
    return this.text(`${text}\n`);
  }

  async text(text: string): Promise<void> {
    if (this.closed) return;
    if (!this.#out.write(text)) await Promise.race([once(this.#out, 'drain'), once(this.#out, 'close')]);
  }
}
