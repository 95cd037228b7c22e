/**
 * A real OpenSSH server for the SSH tests: /usr/sbin/sshd on 127.0.0.1 on a free port, with a
 * temporary ed25519 host key, a temporary client key in its authorized_keys, and nothing of
 * this machine's SSH setup used or changed. The login user is the current user (root in CI,
 * hence PermitRootLogin prohibit-password).
 *
 * No process is left behind: stop() ends the server and every process it started (connection
 * handlers, commands run over SSH); a test process that exits without stop() kills them on exit;
 * and one that is killed outright closes the pipe a watchdog shell reads, which then ends sshd.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

export interface SshdOptions {
  /** Extra sshd_config lines. */
  config?: string[];
}

export interface Sshd {
  port: number;
  /** The login user: the current user. */
  user: string;
  /** The server's temporary directory (keys, config, authorized_keys). */
  dir: string;
  hostKeyPath: string;
  /** "ssh-ed25519 AAAA…" (no comment); changes with rotateHostKey(). */
  readonly hostPublicKey: string;
  /** A private key the server accepts (in authorized_keys). */
  clientKeyPath: string;
  /** Writes a known_hosts file with the server's key for [127.0.0.1]:port; returns its path. */
  knownHostsFile(path?: string): string;
  /** A new host key, as a reflashed device would have; resolves once the server serves it. */
  rotateHostKey(): Promise<void>;
  /** What sshd logged so far. */
  log(): string;
  stop(): Promise<void>;
}

/** The servers not stopped yet, with their directories. */
const running = new Map<RunningSshd, string>();
let exitHookInstalled = false;

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  ensurePrivsepDir();
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sshd-'));
  const hostKeyPath = join(dir, 'ssh_host_ed25519_key');
  const clientKeyPath = join(dir, 'id_ed25519');
  await Promise.all([keygen(hostKeyPath, 'vigil-test-host'), keygen(clientKeyPath, 'vigil-test-client')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKeyPath}.pub`));
  const user = userInfo().username;

  let lastError: Error | undefined;
  // A free port found by binding may be taken by a parallel test before sshd binds it: try again.
  for (let attempt = 0; attempt < 8; attempt++) {
    const port = await freePort();
    const configPath = join(dir, 'sshd_config');
    writeFileSync(configPath, sshdConfig(dir, port, hostKeyPath, options.config ?? []));
    const server = new RunningSshd(configPath, port);
    try {
      await server.listening(15_000);
    } catch (err) {
      lastError = err as Error;
      await server.stop();
      if (/Address already in use|Cannot bind/i.test(server.output)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    running.set(server, dir);
    return {
      port,
      user,
      dir,
      hostKeyPath,
      get hostPublicKey() {
        return publicKeyOf(hostKeyPath);
      },
      clientKeyPath,
      knownHostsFile(path = join(dir, 'known_hosts')) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, `[127.0.0.1]:${port} ${publicKeyOf(hostKeyPath)}\n`);
        return path;
      },
      async rotateHostKey() {
        const fresh = join(dir, 'new_host_key');
        await keygen(fresh, 'vigil-test-host-reflashed');
        renameSync(`${fresh}.pub`, `${hostKeyPath}.pub`);
        renameSync(fresh, hostKeyPath);
        // SIGHUP makes sshd re-execute itself: it reads its keys again and listens on the same port.
        await server.restart(15_000);
      },
      log: () => server.output,
      async stop() {
        running.delete(server);
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`sshd could not get a free port after 8 attempts: ${lastError?.message}`);
}

class RunningSshd {
  readonly port: number;
  readonly #watchdog: ChildProcess;
  #pid: number | undefined;
  output = '';
  #exited: Promise<void>;

  constructor(configPath: string, port: number) {
    this.port = port;
    // The shell keeps sshd's pid and reads its stdin: when this process dies, the pipe closes and
    // sshd is ended. (An asynchronous list's stdin is /dev/null unless redirected: hence fd 3.)
    const script = [
      'exec 3<&0',
      `${SSHD} -D -e -f "$1" </dev/null &`,
      'pid=$!',
      'echo "sshd pid $pid" >&2',
      '{ read _ <&3; kill -TERM $pid 2>/dev/null; } &',
      'reader=$!',
      'wait $pid',
      'echo "sshd exited $?" >&2',
      'kill $reader 2>/dev/null',
    ].join('\n');
    this.#watchdog = spawn('/bin/sh', ['-c', script, 'sh', configPath], { stdio: ['pipe', 'ignore', 'pipe'] });
    this.#watchdog.stderr!.on('data', (d: Buffer) => {
      this.output += d.toString();
      const pid = /^sshd pid (\d+)$/m.exec(this.output);
      if (pid && this.#pid === undefined) this.#pid = Number(pid[1]);
    });
    this.#exited = new Promise((resolve) => this.#watchdog.once('close', () => resolve()));
  }

  /** Resolves when sshd has logged its n-th "Server listening"; rejects if it ends or times out first. */
  listening(timeoutMs: number, n = 1): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const count = this.output.split(`Server listening on 127.0.0.1 port ${this.port}.`).length - 1;
        if (count >= n) return done(undefined);
        if (/^sshd exited/m.test(this.output) || this.#watchdog.exitCode !== null) {
          return done(new Error(`sshd did not start: ${this.output.trim()}`));
        }
      };
      const timer = setTimeout(() => done(new Error(`sshd did not listen on port ${this.port} within ${timeoutMs} ms: ${this.output.trim()}`)), timeoutMs);
      const done = (err: Error | undefined) => {
        clearTimeout(timer);
        this.#watchdog.stderr!.off('data', check);
        this.#watchdog.off('close', check);
        if (err) reject(err);
        else resolve();
      };
      this.#watchdog.stderr!.on('data', check);
      this.#watchdog.on('close', check);
      check();
    });
  }

  async restart(timeoutMs: number): Promise<void> {
    const before = this.output.split(`Server listening on 127.0.0.1 port ${this.port}.`).length - 1;
    if (this.#pid === undefined) throw new Error('sshd has no pid to signal');
    process.kill(this.#pid, 'SIGHUP');
    await this.listening(timeoutMs, before + 1);
  }

  /** Every process below sshd, then sshd; waits for the watchdog to end. */
  async stop(): Promise<void> {
    this.killNow();
    this.#watchdog.stdin?.end();
    const timer = setTimeout(() => this.#watchdog.kill('SIGKILL'), 5000);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Synchronous, for process exit. */
  killNow(): void {
    if (this.#pid === undefined) return;
    for (const pid of descendants(this.#pid)) signal(pid, 'SIGKILL');
    signal(this.#pid, 'SIGTERM');
  }
}

function sshdConfig(dir: string, port: number, hostKeyPath: string, extra: string[]): string {
  // An extra line replaces the default with its keyword (sshd rejects a second Subsystem sftp), except HostKey, which adds a key.
  const keyword = (line: string) => line.trim().split(/\s+/)[0]!.toLowerCase();
  const replaced = new Set(extra.map(keyword).filter((k) => k !== 'hostkey'));
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKeyPath}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    // The temporary directory is not laid out as sshd's StrictModes demands of a home directory.
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'PidFile none',
    'Subsystem sftp internal-sftp',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    // Tests open many sessions at once.
    'MaxStartups 100',
    'MaxSessions 50',
  ]
    .filter((line) => !replaced.has(keyword(line)))
    .concat(extra, '')
    .join('\n');
}

async function keygen(path: string, comment: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

function publicKeyOf(privateKeyPath: string): string {
  const [type, key] = readFileSync(`${privateKeyPath}.pub`, 'utf8').trim().split(/\s+/);
  return `${type} ${key}`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** sshd will not start without its privilege separation directory, which a container may lack. */
function ensurePrivsepDir(): void {
  if (existsSync('/run/sshd')) return;
  if (process.getuid?.() !== 0) throw new Error('sshd needs /run/sshd (its privilege separation directory) and only root can create it: run `sudo mkdir -m 0755 /run/sshd`');
  mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [server, dir] of running) {
      server.killNow();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** All processes whose ancestry leads to `root`, from /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name is in parentheses and may hold spaces: the fields after the last ')' are fixed.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
