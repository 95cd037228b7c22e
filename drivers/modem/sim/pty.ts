/**
 * The simulator on the far side of a real pseudo-terminal, made by socat, so the host opens a
 * device path with serialport exactly as it would /dev/ttyUSB2. Killing socat makes the device
 * node vanish under an open port, which is what unplugging a USB modem looks like to the host.
 *
 * socat options: `rawer` (no line discipline at all: no CR/LF mapping, no signals, no echo;
 * plain `raw` is deprecated and leaves echo on), `echo=0` said explicitly for older builds,
 * `mode=600` so only this user can open it, `link=` for a stable path that disappears when socat
 * exits. STDIO is the other end: the simulator reads socat's stdout and writes its stdin.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { lstat, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModemConnection, SimModem } from './modem.js';
import { simError } from './sim-error.js';

export { linkInMemory, SimPortStream, type MemoryLink } from './memory-link.js';

export interface PtyModem extends AsyncDisposable {
  /** The stable path to open (a symlink to the current /dev/pts/N). */
  readonly path: string;
  /** The pseudo-terminal behind it right now, undefined while vanished. */
  readonly ptyPath: string | undefined;
  /** Kill socat: the device node disappears and an open port sees its device go away. */
  vanish(): Promise<void>;
  /** Bring the device back under the same path (a new pseudo-terminal behind it). */
  reappear(): Promise<void>;
  close(): Promise<void>;
}

export const SOCAT_MISSING = 'socat is not installed: the modem simulator needs it for a pseudo-terminal (apt-get install socat)';

const READY_TIMEOUT_MS = 5000;

export async function openPtyModem(sim: SimModem, opts: { path?: string } = {}): Promise<PtyModem> {
  let tempDir: string | undefined;
  let path = opts.path;
  if (path === undefined) {
    tempDir = await mkdtemp(join(tmpdir(), 'vigil-modem-'));
    path = join(tempDir, 'ttyVIGIL0');
  }
  // socat reads its address as a list: these characters would end or split the link option.
  if (/[,:!"'\s]/.test(path)) {
    throw simError(`pty path "${path}" cannot be given to socat: expected a path without commas, colons, quotes, "!" or spaces`);
  }
  const link = new PtyLink(sim, path, tempDir);
  try {
    await link.start();
  } catch (err) {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
  return link;
}

class PtyLink implements PtyModem {
  readonly path: string;
  readonly #sim: SimModem;
  readonly #tempDir: string | undefined;
  #child: ChildProcessWithoutNullStreams | undefined;
  #connection: ModemConnection | undefined;
  #ptyPath: string | undefined;
  #closed = false;

  constructor(sim: SimModem, path: string, tempDir: string | undefined) {
    this.#sim = sim;
    this.path = path;
    this.#tempDir = tempDir;
  }

  get ptyPath(): string | undefined {
    return this.#ptyPath;
  }

  async start(): Promise<void> {
    // Its own process group: Ctrl-C in a terminal reaches the runtime, which closes the pty in
    // order, instead of killing socat under a port still in use. socat still ends with us: its
    // stdin closes when this process exits.
    const child = spawn('socat', ['-d', '-d', `PTY,link=${this.path},rawer,echo=0,mode=600`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.#child = child;
    let stderr = '';
    const ready = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(simError(`socat did not report a pseudo-terminal within ${READY_TIMEOUT_MS} ms (stderr: ${stderr.trim().slice(-300) || 'empty'})`, 'PTY_FAILED')), READY_TIMEOUT_MS);
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(err.code === 'ENOENT' ? simError(SOCAT_MISSING, 'SOCAT_MISSING', err) : simError(`socat could not be started: ${err.message}`, 'PTY_FAILED', err));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(simError(`socat exited (${signal ?? `code ${code}`}) before the pseudo-terminal was ready: ${stderr.trim().slice(-300)}`, 'PTY_FAILED'));
      });
      let found = false;
      child.stderr.on('data', (d: Buffer) => {
        // Read to the end so socat never blocks on a full pipe, but keep only what start-up needs.
        if (found) return;
        stderr += d.toString();
        const m = /PTY is (\S+)/.exec(stderr);
        if (m) {
          found = true;
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    this.#ptyPath = await ready;
    await this.#waitForLink();
    // A write after socat died (vanish) fails with EPIPE: the device is gone, nothing to report.
    child.stdin.on('error', () => {});
    const connection = this.#sim.connect({ write: (chunk) => child.stdin.writable && child.stdin.write(chunk) });
    this.#connection = connection;
    child.stdout.on('data', (d: Buffer) => connection.input(d));
    child.once('exit', () => {
      connection.detach();
      if (this.#child === child) {
        this.#child = undefined;
        this.#ptyPath = undefined;
      }
    });
  }

  async vanish(): Promise<void> {
    const child = this.#child;
    this.#connection?.detach();
    this.#connection = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    this.#child = undefined;
    this.#ptyPath = undefined;
    // socat removes its link when it exits normally; make sure even after a hard kill.
    await unlink(this.path).catch(() => {});
  }

  async reappear(): Promise<void> {
    if (this.#closed) throw simError(`the simulated modem at ${this.path} was closed: open a new one`, 'SIM_BAD_STATE');
    if (this.#child) return;
    await this.start();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.vanish();
    if (this.#tempDir) await rm(this.#tempDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #waitForLink(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      try {
        await lstat(this.path);
        return;
      } catch {
        if (Date.now() > deadline) throw simError(`socat reported ${this.#ptyPath} but the link ${this.path} did not appear`, 'PTY_FAILED');
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
}
