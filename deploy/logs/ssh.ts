/**
 * The runtime's log on a device, read over SSH: the device's own `vigil logs --json` does the
 * reading (rotated files, following across rotations), and its JSON lines come back unchanged,
 * so filtering and formatting stay on this side, exactly as for a local log.
 *
 * The remote command runs supervised (see ../ssh/supervise.ts): when following ends here —
 * Ctrl-C, `| head`, a lost connection, this process killed — it ends on the device too.
 */
import { connect, type SshOptions, type SshProcess, type SshSession } from '../ssh/connect.js';
import { SshError } from '../ssh/errors.js';
import { shellQuote } from '../ssh/quote.js';
import { formatTarget, type SshTarget } from '../ssh/target.js';
import { LineSplitter, type FollowHooks, type LogSource } from './source.js';

/**
 * What `vigil logs --json --follow --mark-caught-up` prints once the existing lines are all out,
 * so that the other end of an SSH connection knows where history ends. Not a log record.
 */
export const CAUGHT_UP_MARKER = '{"vigil-logs":"caught-up"}';

export interface SshLogSourceOptions {
  ssh?: SshOptions;
  /** How the device runs vigil; shell text, default `vigil`. */
  vigilCommand?: string;
  /** Forwarded: the device's state directory or config file. */
  state?: string;
  config?: string;
  /** Forwarded to cut the traffic (the filters apply here as well): records from then on. */
  since?: number;
  /** Forwarded likewise: a --level name. */
  level?: string;
  /** Warnings the device's vigil prints (e.g. malformed lines it skipped), one line each. */
  warn?: (line: string) => void;
  /** Ends a read() (follow() takes its own): the device's command is stopped, the lines end early. */
  signal?: AbortSignal;
}

export class SshLogSource implements LogSource {
  readonly #target: SshTarget;
  readonly #options: SshLogSourceOptions;
  #session: Promise<SshSession> | undefined;

  constructor(target: SshTarget, options: SshLogSourceOptions = {}) {
    this.#target = target;
    this.#options = options;
  }

  get description(): string {
    return `the log on ${formatTarget(this.#target)}`;
  }

  read(): AsyncIterable<string> {
    return this.#lines(false, this.#options.signal, {});
  }

  follow(signal: AbortSignal, hooks: FollowHooks = {}): AsyncIterable<string> {
    return this.#lines(true, signal, hooks);
  }

  /** Ends the SSH connection (once nothing is read any more). */
  async close(): Promise<void> {
    const session = await this.#session?.catch(() => undefined);
    this.#session = undefined;
    await session?.close();
  }

  /** The device command, for messages and tests. */
  command(follow: boolean, markCaughtUp = false): string {
    const args = ['logs', '--json'];
    if (follow) args.push('--follow');
    if (markCaughtUp) args.push('--mark-caught-up');
    const o = this.#options;
    if (o.state !== undefined) args.push('--state', o.state);
    if (o.config !== undefined) args.push('--config', o.config);
    if (o.since !== undefined) args.push('--since', new Date(o.since).toISOString());
    if (o.level !== undefined) args.push('--level', o.level);
    return `${o.vigilCommand ?? 'vigil'} ${shellQuote(args)}`;
  }

  async *#lines(follow: boolean, signal: AbortSignal | undefined, hooks: FollowHooks): AsyncIterable<string> {
    if (signal?.aborted) return;
    this.#session ??= connect(this.#target, { ...this.#options.ssh, ...(signal ? { signal } : {}) });
    let session: SshSession;
    try {
      session = await this.#session;
    } catch (err) {
      // Stopped while connecting (Ctrl-C): as quiet as stopping while reading.
      if (signal?.aborted) return;
      throw err;
    }
    const markCaughtUp = follow && hooks.caughtUp !== undefined;
    const child = session.spawn(this.command(follow, markCaughtUp), { stdin: false });
    let stopped = false;
    const stop = () => {
      stopped = true;
      child.kill('TERM');
    };
    signal?.addEventListener('abort', stop, { once: true });
    const stderr = collectStderr(child, this.#options.warn);
    let finished = false;
    try {
      const splitter = new LineSplitter();
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        for (const line of splitter.push(chunk)) {
          if (markCaughtUp && line === CAUGHT_UP_MARKER) hooks.caughtUp!();
          else yield line;
        }
      }
      const { code, signal: killedBy } = await child.exit;
      finished = true;
      if (stopped) return;
      if (code !== 0) throw this.#failure(code, killedBy, stderr());
      // The device's output ended without a newline only if it was cut off: not a line.
    } finally {
      signal?.removeEventListener('abort', stop);
      // The reader stopped early (`| head`, an error here): the device stops too.
      if (!finished && !stopped) {
        stop();
        await child.exit.catch(() => undefined);
      }
    }
  }

  #failure(code: number | null, signal: string | undefined, stderr: string): SshError {
    const where = formatTarget(this.#target);
    const said = lastLine(stderr);
    if (code === 127) {
      return new SshError('VIGIL_NOT_FOUND', `vigil is not installed on ${where} or not on PATH${said ? ` (${said})` : ''}: give --vigil-command (e.g. --vigil-command "node /opt/vigil/dist/bin/vigil.js")`);
    }
    const how = code === null ? `was ended by ${signal ?? 'a lost channel'}` : `failed with exit code ${code}`;
    return new SshError('REMOTE_FAILED', said ? `on ${where}: ${said.replace(/^vigil: /, '')}` : `\`${this.command(false)}\` on ${where} ${how} and said nothing`);
  }
}

/** Keeps what the device's vigil writes to stderr; passes its warnings on as they come. */
function collectStderr(child: SshProcess, warn: ((line: string) => void) | undefined): () => string {
  let text = '';
  const splitter = new LineSplitter();
  child.stderr.on('data', (chunk: Buffer) => {
    if (text.length < 64 * 1024) text += chunk.toString();
    for (const line of splitter.push(chunk)) if (line.startsWith('vigil logs: ')) warn?.(line);
  });
  return () => text;
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('(add --help') && !l.startsWith('vigil logs: '));
  return lines.at(-1) ?? '';
}
