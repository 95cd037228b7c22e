/**
 * An SSH connection to a device, with the host key checked against known_hosts before anything
 * else is sent: an unknown key is refused unless --accept-new pins it, a changed or revoked key
 * is always refused. There is deliberately no way to skip the check.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex, Readable, Writable } from 'node:stream';
import ssh2, { type ClientErrorExtensions } from 'ssh2';
import { planAuth } from './auth.js';
import { SshError } from './errors.js';
import { algorithmsFor, fingerprint, keyTypeOf } from './host-key.js';
import { hostKeyError } from './host-key-errors.js';
import { KnownHosts, pin, type HostKeyCheck } from './known-hosts.js';
import { Session } from './session.js';
import { describeTarget, type SshTarget } from './target.js';

export interface SshOptions {
  /** A private key file, offered before the agent's keys and the default key files. */
  identity?: string;
  /** Default ~/.ssh/known_hosts. */
  knownHosts?: string;
  /** Pin the host key of a host known_hosts does not know yet (never replaces a known key). */
  acceptNew?: boolean;
  /** ssh-agent's socket; default $SSH_AUTH_SOCK. */
  agent?: string;
  /** For connecting and logging in; default 20 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface SshSession {
  readonly target: SshTarget;
  readonly hostKey: { type: string; fingerprint: string; /** true when --accept-new just wrote it. */ pinned: boolean };
  /** Runs `command` to its end and collects its output; without `stdin` it runs as spawn() runs it. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * A command whose output is read as it comes, and which reads `stdin`. kill() sends the signal
   * request, which sshd does not honour for root logins. With `{ stdin: false }` the command has
   * no input and ends with its channel whoever logged in (see supervise.ts): kill(), a lost
   * connection or this process dying ends it on the device.
   */
  spawn(command: string, options?: SpawnOptions): SshProcess;
  /** Writes `data` to `remotePath` over SFTP, in chunks, fsync'd where the server supports fsync@openssh.com. */
  upload(data: Buffer, remotePath: string, options?: UploadOptions): Promise<void>;
  /** A file's bytes over SFTP; undefined when it is missing or unreadable. */
  readFile(remotePath: string): Promise<Buffer | undefined>;
  /** A stream to a unix socket on the device (OpenSSH's streamlocal forwarding); SOCKET_UNAVAILABLE when refused. */
  openSocket(remotePath: string): Promise<Duplex>;
  close(): Promise<void>;
}

export interface ExecOptions {
  stdin?: Buffer | string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface SpawnOptions {
  /** Default true; false: no input, and the command ends with the channel. */
  stdin?: boolean;
}

export interface ExecResult {
  /** The exit status; null when the command was ended by a signal (then `signal` names it) or vanished. */
  code: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: string;
}

export interface SshProcess {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** With `{ stdin: false }`, writing to it is an error. */
  readonly stdin: Writable;
  /**
   * Resolves when the channel has closed ({ code: null } if the device did not close it within
   * a few seconds of kill()); rejects if the command could not be started or the connection was lost.
   * `signal` is the signal that ended the command, as Node names them ("SIGTERM").
   */
  readonly exit: Promise<{ code: number | null; signal?: string }>;
  /** Sends the signal request ("TERM", "INT", …) for the command and closes the channel. */
  kill(signal?: string): void;
}

export interface UploadOptions {
  /** Permission bits of the file; default 0644. */
  mode?: number;
  /** Called as chunks are acknowledged: bytes written so far and in all. */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

export const DEFAULT_TIMEOUT_MS = 20_000;
// The host key algorithms ssh2 speaks, best first (ssh-dss is left out: too weak to trust).
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

export function defaultKnownHosts(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

export async function connect(target: SshTarget, options: SshOptions = {}): Promise<SshSession> {
  options.signal?.throwIfAborted();
  const who = describeTarget(target);
  const file = options.knownHosts ?? defaultKnownHosts();
  const knownHosts = await KnownHosts.load(file);
  const auth = await planAuth(target.user, { identity: options.identity, agent: options.agent });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  options.signal?.throwIfAborted();

  let presented: { type: string; blob: Buffer; check: HostKeyCheck } | undefined;
  let pinning: Promise<boolean> | undefined;
  const client = new ssh2.Client();

  return new Promise<SshSession>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      client.destroy();
      // A pin under way is finished either way: the host did prove it holds the key.
      void (pinning ?? Promise.resolve()).catch(() => undefined).then(() => reject(err));
    };
    const timer = setTimeout(() => fail(new SshError('CONNECT_FAILED', `could not connect to ${who}: no SSH login within ${Math.round(timeoutMs / 1000)} s (is the device on, on this network, and is sshd on port ${target.port}?)`)), timeoutMs);
    const onAbort = () => fail(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };

    client.on('handshake', () => {
      // The key exchange is signed with the host key by now: a host that only replayed someone
      // else's public key never gets here, so only now is an unknown key pinned.
      if (pinning || !presented || presented.check.status !== 'unknown') return;
      const { type, blob } = presented;
      pinning = pin(file, target.host, target.port, type, blob).then(
        ({ written, check }) => {
          if (!written && check.status !== 'match') throw hostKeyError(target, file, type, blob, check);
          return written;
        },
        (err: unknown) => {
          if (err instanceof SshError) throw err;
          throw new SshError('CONNECT_FAILED', `could not pin the host key of ${who} in ${file}: ${(err as Error).message}`, { cause: err });
        },
      );
      pinning.catch(fail);
    });
    client.on('ready', () => {
      void (pinning ?? Promise.resolve(false)).then(
        (pinned) => {
          if (settled) return;
          settled = true;
          cleanup();
          const key = presented!;
          resolve(new Session(client, target, { type: key.type, fingerprint: fingerprint(key.blob), pinned }));
        },
        () => undefined,
      );
    });
    client.on('error', (err: Error & ClientErrorExtensions) => {
      // An agent that cannot sign is one key source less, not the end of the login: ssh2 goes on with the next one.
      if (err.level === 'agent') {
        auth.notes.push(`ssh-agent failed: ${err.message}`);
        return;
      }
      if (presented && presented.check.status !== 'match' && !(presented.check.status === 'unknown' && options.acceptNew)) {
        return fail(hostKeyError(target, file, presented.type, presented.blob, presented.check));
      }
      if (err.level === 'client-authentication') return fail(auth.failure(who));
      fail(connectError(who, target, err));
    });
    client.on('close', () => fail(new SshError('CONNECT_FAILED', `could not connect to ${who}: the connection was closed before login completed (is it an SSH server, and does it accept more connections?)`)));

    const preferred = knownHosts.typesFor(target.host, target.port).flatMap(algorithmsFor).filter((a) => HOST_KEY_ALGORITHMS.includes(a));
    try {
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        // known_hosts only helps if the server presents a key of a type it holds: those types are asked for first, as ssh does.
        algorithms: { serverHostKey: [...new Set([...preferred, ...HOST_KEY_ALGORITHMS])] as never },
        hostVerifier: (blob: Buffer, verify: (ok: boolean) => void) => {
          // A re-key later in the connection must present the very key accepted at the start.
          if (presented) return verify(presented.blob.equals(blob));
          const type = keyTypeOf(blob) ?? 'unknown';
          const check = knownHosts.check(target.host, target.port, type, blob);
          presented = { type, blob, check };
          verify(check.status === 'match' || (check.status === 'unknown' && options.acceptNew === true));
        },
        authHandler: auth.handler,
        // Covered by the timer above, which also covers name resolution.
        readyTimeout: 0,
        // A device that vanishes (unplugged, out of Wi-Fi range) while logs are followed is noticed within a minute.
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
      });
    } catch (err) {
      fail(new SshError('CONNECT_FAILED', `could not connect to ${who}: ${(err as Error).message}`, { cause: err }));
    }
  });
}

function connectError(who: string, target: SshTarget, err: Error & ClientErrorExtensions): SshError {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `could not connect to ${who}`;
  let why: string;
  switch (code) {
    case 'ECONNREFUSED':
      why = `connection refused: nothing listens on ${target.host} port ${target.port} (is sshd running there, and is it the right port?)`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NODATA':
      why = `the host name ${JSON.stringify(target.host)} does not resolve (check the name, or give the device's IP address)`;
      break;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      why = `${target.host} is unreachable (is the device on, and on this network?)`;
      break;
    case 'ETIMEDOUT':
      why = `${target.host} port ${target.port} did not answer (is the device on, and on this network?)`;
      break;
    case 'ECONNRESET':
      why = `${target.host} port ${target.port} reset the connection (is it an SSH server?)`;
      break;
    default:
      why = err.message;
  }
  return new SshError('CONNECT_FAILED', `${where}: ${why}`, { cause: err });
}
