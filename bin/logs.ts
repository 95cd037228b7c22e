/**
 * `vigil logs [USER@HOST]`: the runtime's JSON log, read from its state directory (here, or on
 * a device over SSH), shown as `vigil run`'s console shows it (or as the JSON lines themselves),
 * filtered, followed, or summed up for one sensor. Where the lines come from is a LogSource;
 * everything after that is shared.
 */
import { once } from 'node:events';
import { dirname } from 'node:path';
import { Command, Option } from 'commander';
import { LocalLogSource } from '../deploy/logs/local.js';
import { CAUGHT_UP_MARKER, SshLogSource } from '../deploy/logs/ssh.js';
import type { SshOptions } from '../deploy/ssh/connect.js';
import { parseTarget } from '../deploy/ssh/target.js';
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
  /** With --json --follow: a marker line once the existing records are out (for a reader over SSH). */
  markCaughtUp?: boolean;
}

interface RemoteOptions {
  identity?: string;
  knownHosts?: string;
  acceptNew?: boolean;
  vigilCommand?: string;
}

const REMOTE_OPTIONS = ['identity', 'knownHosts', 'acceptNew', 'vigilCommand'] as const;

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
    .option('--state <dir>', `${targetHelp.state}; with USER@HOST, on the device`)
    .option('--config <file>', `${targetHelp.config}; with USER@HOST, on the device`)
    .argument('[target]', "a device's USER@HOST[:PORT] to read the log of over SSH (default: this machine's runtime)")
    .option('--identity <key>', 'with USER@HOST: private key file to log in with (default: ssh-agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa)')
    .option('--known-hosts <file>', 'with USER@HOST: known_hosts file to check the host key against (default: ~/.ssh/known_hosts)')
    .option('--accept-new', 'with USER@HOST: trust a device seen for the first time and pin its key (a changed key is still refused)')
    .option('--vigil-command <cmd>', 'with USER@HOST: how to run vigil on the device when it is not `vigil` on PATH')
    .addOption(new Option('--mark-caught-up').hideHelp())
    .addHelpText(
      'after',
      `
With USER@HOST the device's own \`vigil logs --json\` is run over SSH (with --state, --config,
--since and --level passed on) and its records are filtered and shown here as for a local log.
The host key is checked against known_hosts: an unknown device is refused unless --accept-new,
a changed key always. Ctrl-C (or the reader of the output going away) also ends the command on
the device.

Examples:
  vigil logs --follow --task water
  vigil logs --sensor air --since 2h
  vigil logs pi@garden.local --follow --level warn
  vigil logs pi@10.0.0.5:2222 --vigil-command "node /opt/vigil/dist/bin/vigil.js" --since 10m
`,
    )
    .action(async (target: string | undefined, options: TargetOptions & LogsOptions & RemoteOptions) => {
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
        if (target === undefined) {
          const misplaced = REMOTE_OPTIONS.find((name) => options[name] !== undefined);
          if (misplaced) {
            const flag = `--${misplaced.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
            throw new CliError('BAD_ARGUMENT', `${flag} applies to a device's log: give its USER@HOST (e.g. vigil logs pi@garden ${flag} …)`);
          }
          process.exitCode = await showLogs(localSource(options), options, output);
        } else {
          const { source, options: shown } = remoteSource(target, options, controller.signal);
          try {
            process.exitCode = await showLogs(source, shown, output);
          } finally {
            await source.close();
          }
        }
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

/**
 * The log of the runtime on the device `target` names. --since is made absolute here, once, so
 * that the device cuts at the same instant the filter here does (and a device clock that is off
 * does not move it).
 */
export function remoteSource(target: string, options: TargetOptions & LogsOptions & RemoteOptions, signal: AbortSignal): { source: SshLogSource; options: LogsOptions } {
  const device = parseTarget(target);
  const shown: LogsOptions = { ...options };
  const since = options.since !== undefined ? parseSince(options.since) : undefined;
  if (since !== undefined) shown.since = new Date(since).toISOString();
  if (options.level !== undefined) parseLevel(options.level);
  const ssh: SshOptions = {};
  if (options.identity !== undefined) ssh.identity = options.identity;
  if (options.knownHosts !== undefined) ssh.knownHosts = options.knownHosts;
  if (options.acceptNew) ssh.acceptNew = true;
  const source = new SshLogSource(device, {
    ssh,
    signal,
    warn: (line) => process.stderr.write(`${line.replace(/^vigil logs: /, `vigil logs: on ${target}: `)}\n`),
    ...(options.vigilCommand !== undefined ? { vigilCommand: options.vigilCommand } : {}),
    ...(options.state !== undefined ? { state: options.state } : {}),
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(since !== undefined ? { since } : {}),
    // With --sensor every record is needed here (readings and the tasks they set off); --level is refused there anyway.
    ...(options.level !== undefined && options.sensor === undefined ? { level: options.level } : {}),
  });
  return { source, options: shown };
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
  const marking = options.follow && options.json && options.markCaughtUp;
  const lines = options.follow ? source.follow(io.signal, marking ? { caughtUp: () => void writer.line(CAUGHT_UP_MARKER) } : {}) : source.read();
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
    // once() rejects on 'error': a reader gone while we waited (EPIPE) closes the output, it is not a failure.
    if (!this.#out.write(text)) await Promise.race([once(this.#out, 'drain'), once(this.#out, 'close')]).catch(() => (this.closed = true));
  }
}
