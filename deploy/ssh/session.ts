/** A logged-in SSH connection: commands (collected or streamed), uploads, and closing it. */
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Client, ClientChannel } from 'ssh2';
import type { ExecOptions, ExecResult, SpawnOptions, SshProcess, SshSession, UploadOptions } from './connect.js';
import { SshError } from './errors.js';
import { supervised } from './supervise.js';
import { describeTarget, type SshTarget } from './target.js';
import { uploadOver } from './upload.js';

const KILL_GRACE_MS = 5000;

export class Session implements SshSession {
  readonly target: SshTarget;
  readonly hostKey: SshSession['hostKey'];
  readonly #client: Client;
  readonly #who: string;
  /** Why the connection ended under us, for the commands that were still running. */
  #lost: Error | undefined;
  #closed: Promise<void>;
  #closing = false;

  constructor(client: Client, target: SshTarget, hostKey: SshSession['hostKey']) {
    this.#client = client;
    this.target = target;
    this.hostKey = hostKey;
    this.#who = describeTarget(target);
    client.on('error', (err) => {
      this.#lost ??= new SshError('CONNECT_FAILED', `the connection to ${this.#who} was lost: ${err.message}`, { cause: err });
    });
    const ended = () => {
      if (!this.#closing) this.#lost ??= new SshError('CONNECT_FAILED', `the connection to ${this.#who} was closed by the other side (device rebooted, sshd restarted, or network lost)`);
    };
    client.on('end', ended);
    this.#closed = new Promise((resolve) =>
      client.once('close', () => {
        ended();
        resolve();
      }),
    );
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const withInput = options.stdin !== undefined;
    const child = this.spawn(command, { stdin: withInput });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (withInput) child.stdin.end(options.stdin);
    return new Promise((resolve, reject) => {
      let stopped: Error | undefined;
      const stop = (err: Error) => {
        stopped ??= err;
        child.kill('TERM');
      };
      const timer = options.timeoutMs !== undefined ? setTimeout(() => stop(new SshError('TIMEOUT', `\`${command}\` on ${this.#who} did not finish within ${options.timeoutMs} ms: it was sent SIGTERM`)), options.timeoutMs) : undefined;
      const onAbort = () => stop(options.signal?.reason as Error);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      Promise.all([child.exit, finished(child.stdout), finished(child.stderr)]).then(
        ([{ code, signal }]) => {
          done();
          if (stopped) return reject(stopped);
          const result: ExecResult = { code, stdout: Buffer.concat(stdout), stderr };
          if (signal !== undefined) result.signal = signal;
          resolve(result);
        },
        (err: unknown) => {
          done();
          reject(stopped ?? err);
        },
      );
    });
  }

  spawn(command: string, options: SpawnOptions = {}): SshProcess {
    const withInput = options.stdin !== false;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const stdin: Writable = withInput
      ? new PassThrough()
      : new Writable({ write: (_chunk, _encoding, done) => done(new SshError('EXEC_FAILED', `\`${command}\` was started without input ({ stdin: false }): nothing can be written to it`)) });
    let channel: ClientChannel | undefined;
    let killWith: string | undefined;
    let settle: ((result: { code: number | null; signal?: string }) => void) | undefined;
    // Everything the channel delivered is in the pipes once both have been ended by it (or
    // destroyed by their reader, as leaving a for-await loop over stdout does).
    const delivered = Promise.all([stdout, stderr].map((s) => new Promise((resolve) => (s.once('finish', resolve), s.once('close', resolve)))));
    const exit = new Promise<{ code: number | null; signal?: string }>((resolve, reject) => {
      let settled = false;
      settle = (result) => {
        if (!settled) resolve(result);
        settled = true;
      };
      const opened = (err: Error | undefined, ch: ClientChannel) => {
        if (err) {
          settled = true;
          const failed = this.#lost ?? new SshError('EXEC_FAILED', `could not run \`${command}\` on ${this.#who}: ${err.message}`, { cause: err });
          stdout.end();
          stderr.end();
          return reject(failed);
        }
        channel = ch;
        ch.pipe(stdout);
        ch.stderr.pipe(stderr);
        // Supervised, the channel's input stays open: its end is what tells the device to stop the command.
        if (withInput) stdin.pipe(ch);
        // ssh2 emits close after the channel's data has been read, with the exit status or signal.
        ch.once('close', (code: number | null | undefined, signal?: string) => {
          const result: { code: number | null; signal?: string } = { code: code ?? null };
          if (signal) result.signal = signal.startsWith('SIG') ? signal : `SIG${signal}`;
          void delivered.then(() => {
            if (settled) return;
            if (result.code === null && result.signal === undefined && killWith === undefined && this.#lost) {
              settled = true;
              reject(this.#lost);
            } else settle!(result);
          });
        });
        if (killWith !== undefined) this.#kill(ch, killWith, stdout, stderr, settle!);
      };
      try {
        this.#client.exec(withInput ? command : supervised(command), opened);
      } catch (err) {
        // ssh2 throws, rather than calling back, when the connection is already gone.
        opened(this.#lost ?? (err as Error), undefined as never);
      }
    });
    // Marked handled: a caller that only reads stdout must not get an unhandled rejection.
    exit.catch(() => undefined);
    return {
      stdout,
      stderr,
      stdin,
      exit,
      kill: (signal = 'TERM') => {
        if (killWith !== undefined) return;
        killWith = signal;
        if (channel) this.#kill(channel, signal, stdout, stderr, settle!);
      },
    };
  }

  /**
   * The signal request, then the close. A device that does not close the channel in return (a
   * command that ignores the signal, with { stdin: true }) is let go after a grace period.
   */
  #kill(channel: ClientChannel, signal: string, stdout: PassThrough, stderr: PassThrough, settle: (r: { code: number | null }) => void): void {
    sendKill(channel, signal);
    const grace = setTimeout(() => {
      channel.unpipe(stdout);
      channel.stderr.unpipe(stderr);
      stdout.end();
      stderr.end();
      settle({ code: null });
    }, KILL_GRACE_MS).unref();
    channel.once('close', () => clearTimeout(grace));
  }

  upload(data: Buffer, remotePath: string, options: UploadOptions = {}): Promise<void> {
    return uploadOver(this.#client, this.#who, data, remotePath, options);
  }

  readFile(remotePath: string): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      try {
        this.#client.sftp((err, sftp) => {
          if (err) return resolve(undefined);
          sftp.readFile(remotePath, (readErr: Error | null | undefined, data: Buffer) => {
            sftp.end();
            resolve(readErr ? undefined : data);
          });
        });
      } catch {
        resolve(undefined); // the connection is already gone
      }
    });
  }

  openSocket(remotePath: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      try {
        this.#client.openssh_forwardOutStreamLocal(remotePath, (err, channel) => {
          if (err) reject(new SshError('SOCKET_UNAVAILABLE', `cannot reach ${remotePath} on ${this.#who}: ${err.message}`, { cause: err }));
          else resolve(channel);
        });
      } catch (err) {
        reject(this.#lost ?? (err as Error));
      }
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#client.end();
    await this.#closed;
  }
}

/**
 * The signal request, then the close. ssh2's channel.signal() sends nothing once our side of the
 * channel has ended (stdin closed), yet sshd still delivers a signal then, and a command whose
 * input is done is the usual case: the request is made on the protocol directly.
 */
function sendKill(channel: ClientChannel, signal: string): void {
  const internals = channel as unknown as { outgoing?: { id: number; state: string }; _client?: { _protocol?: { signal(id: number, name: string): void } } };
  const out = internals.outgoing;
  if (out && (out.state === 'open' || out.state === 'eof')) {
    try {
      if (channel.writable) channel.signal(signal);
      else internals._client?._protocol?.signal(out.id, signal);
    } catch {
      // An unknown signal name: the close below still ends the channel.
    }
  }
  channel.close();
}
