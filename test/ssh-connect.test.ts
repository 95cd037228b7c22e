/**
 * connect() against a real sshd: logging in with a key file, with ssh-agent and with the default
 * keys; commands with exit codes, stdin, streaming, timeouts and kills; SFTP uploads. Host keys:
 * known (plain, hashed, wildcard), unknown (refused, nothing written; pinned with acceptNew),
 * changed after a reflash (refused even with acceptNew), revoked, known by another type only.
 * Failures: a key the server does not take, an encrypted key, nothing listening, a silent port.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { connect, type SshOptions } from '../deploy/ssh/connect.js';
import type { SshTarget } from '../deploy/ssh/target.js';
import { startSshd, type Sshd } from './helpers/sshd.js';

// The default keys and known_hosts are looked for under $HOME: an empty one, so that this
// machine's own keys neither help nor change the messages.
const home = mkdtempSync(join(tmpdir(), 'vigil-ssh-home-'));
process.env.HOME = home;
delete process.env.SSH_AUTH_SOCK;

let sshd: Sshd;
let target: SshTarget;
let scratch: string;

before(async () => {
  sshd = await startSshd({ config: [`Subsystem sftp /usr/lib/openssh/sftp-server -e -l DEBUG3 2>>${join(home, 'sftp.log')}`] });
  target = { user: sshd.user, host: '127.0.0.1', port: sshd.port };
  scratch = mkdtempSync(join(tmpdir(), 'vigil-ssh-scratch-'));
});

after(async () => {
  await sshd?.stop();
  rmSync(home, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

let fileCount = 0;
function fresh(name = 'known_hosts'): string {
  return join(scratch, `${++fileCount}`, name);
}

/** A known_hosts file holding `lines`. */
function knownHosts(...lines: string[]): string {
  const file = fresh();
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function withKey(file: string, options: SshOptions = {}): SshOptions {
  return { identity: sshd.clientKeyPath, knownHosts: file, agent: '', ...options };
}

async function refused(promise: Promise<unknown>, code: string, ...patterns: RegExp[]): Promise<Error> {
  const err = await promise.then(
    () => assert.fail(`expected ${code}, but it connected`),
    (e: Error & { code?: string }) => e,
  );
  assert.equal((err as { code?: string }).code, code, err.message);
  for (const p of patterns) assert.match(err.message, p);
  return err;
}

function sshKeygenFingerprint(pubPath: string): string {
  return execFileSync('ssh-keygen', ['-lf', pubPath], { encoding: 'utf8' }).split(' ')[1]!;
}

test('logs in with a key file and runs commands: output, exit codes, stdin, stderr', async () => {
  const session = await connect(target, withKey(sshd.knownHostsFile(fresh())));
  try {
    assert.deepEqual(session.hostKey, { type: 'ssh-ed25519', fingerprint: sshKeygenFingerprint(`${sshd.hostKeyPath}.pub`), pinned: false });
    const ok = await session.exec('echo hello; id -un');
    assert.equal(ok.code, 0);
    assert.equal(ok.stdout.toString(), `hello\n${sshd.user}\n`);
    const failed = await session.exec('echo oops >&2; exit 3');
    assert.deepEqual([failed.code, failed.stderr, failed.stdout.length], [3, 'oops\n', 0]);
    const binary = randomBytes(300_000);
    const echoed = await session.exec('cat', { stdin: binary });
    assert.ok(echoed.stdout.equals(binary), 'binary stdin comes back byte for byte');
    const noInput = await session.exec('cat; echo end', { timeoutMs: 10_000 });
    assert.equal(noInput.stdout.toString(), 'end\n', 'a command that reads stdin gets its end');
    const killed = await session.exec('kill -TERM $$');
    assert.deepEqual([killed.code, killed.signal], [null, 'SIGTERM']);
    const killedWithInput = await session.exec('cat >/dev/null; kill -HUP $$', { stdin: 'x' });
    assert.deepEqual([killedWithInput.code, killedWithInput.signal], [null, 'SIGHUP']);
  } finally {
    await session.close();
  }
});

test('a command past its timeout, or aborted, is ended on the device (a root login too)', async () => {
  const session = await connect(target, withKey(sshd.knownHostsFile(fresh())));
  try {
    const sleeper = uniqueSleep();
    const started = Date.now();
    await refused(session.exec(`cd / && ${sleeper}`, { timeoutMs: 400 }), 'TIMEOUT', /did not finish within 400 ms: it was sent SIGTERM/);
    assert.ok(Date.now() - started < 5000);
    await waitGone(sleeper);
    const abort = new AbortController();
    const sleeper2 = uniqueSleep();
    const running = session.exec(`${sleeper2}; echo never`, { signal: abort.signal });
    await waitFor(() => processesNamed(sleeper2).length > 0, 'the command to start');
    abort.abort(new Error('stopped by the test'));
    await assert.rejects(running, /stopped by the test/);
    await waitGone(sleeper2);
    // Aborted the moment it was sent: the device may not even have started it, and must not run it on.
    const sleeper3 = uniqueSleep();
    const abort3 = new AbortController();
    const instant = session.exec(`cd / && ${sleeper3}`, { signal: abort3.signal });
    abort3.abort(new Error('at once'));
    await assert.rejects(instant, /at once/);
    await sleep(1500);
    assert.deepEqual(processesNamed(sleeper3), []);
  } finally {
    await session.close();
  }
});

test('spawn streams output as it comes; kill() sends the signal and closes the channel', async () => {
  const session = await connect(target, withKey(sshd.knownHostsFile(fresh())));
  try {
    const child = session.spawn('for i in 1 2 3; do echo $i; sleep 0.2; done');
    const arrivals: number[] = [];
    child.stdout.on('data', () => arrivals.push(Date.now()));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    assert.deepEqual(await child.exit, { code: 0 });
    assert.equal(out, '1\n2\n3\n');
    assert.ok(arrivals.length >= 2 && arrivals.at(-1)! - arrivals[0]! >= 250, 'lines arrived over time, not at the end');

    // A shell that traps TERM shows that it was sent TERM, and given the chance to clean up.
    const sleeper = uniqueSleep();
    const trapped = session.spawn(`trap 'echo got TERM >> ${join(home, 'trap.log')}; exit 0' TERM; ${sleeper} & wait`, { stdin: false });
    await waitFor(() => processesNamed(sleeper).length > 0, 'the remote command');
    trapped.kill('TERM');
    assert.deepEqual(await trapped.exit, { code: 0 });
    await waitGone(sleeper);
    await waitFor(() => existsSync(join(home, 'trap.log')), 'the trap to run');
    assert.equal(readFileSync(join(home, 'trap.log'), 'utf8'), 'got TERM\n');
  } finally {
    await session.close();
  }
});

test('spawn with input: kill() settles exit even when the device does not end the command (a root login ignores the signal request)', async () => {
  const session = await connect(target, withKey(sshd.knownHostsFile(fresh())));
  const sleeper = uniqueSleep();
  try {
    const child = session.spawn(`${sleeper}; echo done`);
    await waitFor(() => processesNamed(sleeper).length > 0, 'the command to start');
    const started = Date.now();
    child.kill('TERM');
    const exit = await child.exit;
    assert.equal(exit.code, null);
    assert.ok(Date.now() - started < 8000);
    assert.doesNotThrow(() => child.kill('TERM'), 'a second kill is harmless');
  } finally {
    for (const pid of processesNamed(sleeper)) process.kill(pid, 'SIGKILL');
    await session.close();
  }
});

test('upload writes several MB by SFTP: progress rises to the total, the content and mode are right, fsync is asked for', async () => {
  const session = await connect(target, withKey(sshd.knownHostsFile(fresh())));
  try {
    const data = randomBytes(6 * 1024 * 1024 + 123);
    const remote = join(scratch, 'upload.bin');
    writeFileSync(remote, 'old content', { mode: 0o666 });
    const progress: [number, number][] = [];
    await session.upload(data, remote, { mode: 0o640, onProgress: (sent, total) => progress.push([sent, total]) });
    assert.ok(progress.length > 10);
    assert.ok(progress.every(([, total]) => total === data.length));
    assert.ok(progress.every(([sent], i) => i === 0 || sent > progress[i - 1]![0]), 'strictly rising');
    assert.deepEqual(progress.at(-1), [data.length, data.length]);
    assert.equal(createHash('sha256').update(readFileSync(remote)).digest('hex'), createHash('sha256').update(data).digest('hex'));
    assert.equal(statSync(remote).mode & 0o777, 0o640, 'the mode is set on a file that existed');
    assert.match(readFileSync(join(home, 'sftp.log'), 'utf8'), /fsync/);

    await session.upload(Buffer.alloc(0), join(scratch, 'empty'));
    assert.equal(readFileSync(join(scratch, 'empty')).length, 0);
    await refused(session.upload(data, join(scratch, 'no', 'such', 'dir', 'f')), 'UPLOAD_FAILED', /could not create root@127\.0\.0\.1:\d+:.*no\/such\/dir\/f: No such file/);
    const abort = new AbortController();
    const aborted = session.upload(data, join(scratch, 'aborted.bin'), { signal: abort.signal, onProgress: (sent) => sent > 1_000_000 && abort.abort(new Error('enough')) });
    await assert.rejects(aborted, /enough/);
    const still = await session.exec('echo still usable');
    assert.equal(still.stdout.toString(), 'still usable\n', 'the session survives an aborted upload');
  } finally {
    await session.close();
  }
});

test('an unknown host is refused with its fingerprint and nothing is written', async () => {
  const file = fresh();
  const err = await refused(connect(target, withKey(file)), 'HOST_KEY_UNKNOWN', /refusing to connect: the host key of root@127\.0\.0\.1:\d+ \(ssh-ed25519 SHA256:/, /--accept-new/, /ssh-keygen -lf \/etc\/ssh\/ssh_host_ed25519_key\.pub/);
  assert.ok(err.message.includes(sshKeygenFingerprint(`${sshd.hostKeyPath}.pub`)));
  assert.equal(existsSync(join(file, '..')), false, 'neither the file nor its directory was created');
  // An existing file is left as it was too.
  const other = knownHosts('[127.0.0.2]:22 ' + sshd.hostPublicKey);
  await refused(connect(target, withKey(other)), 'HOST_KEY_UNKNOWN');
  assert.equal(readFileSync(other, 'utf8'), `[127.0.0.2]:22 ${sshd.hostPublicKey}\n`);
});

test('--accept-new pins the key (dir 0700, file 0600, the line ssh writes); the next connect matches it', async () => {
  const file = fresh();
  const first = await connect(target, withKey(file, { acceptNew: true }));
  assert.equal(first.hostKey.pinned, true);
  await first.close();
  assert.equal(readFileSync(file, 'utf8'), `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(file, '..')).mode & 0o777, 0o700);
  execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', file]);
  const second = await connect(target, withKey(file));
  assert.equal(second.hostKey.pinned, false);
  await second.close();
  const third = await connect(target, withKey(file, { acceptNew: true }));
  assert.equal(third.hostKey.pinned, false, 'a known key is not pinned again');
  await third.close();
  assert.equal(readFileSync(file, 'utf8').split('\n').length, 2);
});

test('parallel connects with --accept-new to one host pin it once', async () => {
  const file = fresh();
  const sessions = await Promise.all(Array.from({ length: 6 }, () => connect(target, withKey(file, { acceptNew: true }))));
  await Promise.all(sessions.map((s) => s.close()));
  assert.equal(readFileSync(file, 'utf8'), `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
  assert.ok(sessions.some((s) => s.hostKey.pinned));
});

test('the default known_hosts is ~/.ssh/known_hosts', async () => {
  const session = await connect(target, { identity: sshd.clientKeyPath, agent: '', acceptNew: true });
  await session.close();
  assert.equal(readFileSync(join(home, '.ssh', 'known_hosts'), 'utf8'), `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
  assert.equal(statSync(join(home, '.ssh')).mode & 0o777, 0o700);
  rmSync(join(home, '.ssh'), { recursive: true });
});

test('hashed entries (ssh-keygen -H) and wildcard entries vouch for the host; a negation does not', async () => {
  const hashed = sshd.knownHostsFile(fresh());
  execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
  assert.match(readFileSync(hashed, 'utf8'), /^\|1\|/);
  await (await connect(target, withKey(hashed))).close();
  await (await connect(target, withKey(knownHosts(`[127.0.0.?]:${sshd.port},[10.*]:22 ${sshd.hostPublicKey}`)))).close();
  await (await connect(target, withKey(knownHosts(`# a comment`, '', `[127.0.0.*]:* ${sshd.hostPublicKey}`)))).close();
  await refused(connect(target, withKey(knownHosts(`[127.0.0.*]:*,![127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}`))), 'HOST_KEY_UNKNOWN');
});

test('a revoked key is refused, even with --accept-new', async () => {
  const file = knownHosts(`@revoked * ${sshd.hostPublicKey}`, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}`);
  await refused(connect(target, withKey(file, { acceptNew: true })), 'HOST_KEY_REVOKED', /marked @revoked in .*known_hosts:1/);
});

test('a host known only by a key of another type is refused as changed; known types are asked for first', async () => {
  const ecdsa = join(scratch, 'ecdsa_host_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', ecdsa]);
  const ecdsaLine = readFileSync(`${ecdsa}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  const file = knownHosts(`[127.0.0.1]:${sshd.port} ${ecdsaLine}`);
  await refused(connect(target, withKey(file, { acceptNew: true })), 'HOST_KEY_CHANGED', /ecdsa-sha2-nistp256 SHA256:/);
  assert.equal(readFileSync(file, 'utf8'), `[127.0.0.1]:${sshd.port} ${ecdsaLine}\n`, 'not pinned next to it');

  // A server with both keys presents the one known_hosts holds, although ssh-ed25519 is preferred otherwise.
  const both = await startSshd({ config: [`HostKey ${ecdsa}`] });
  try {
    const t2 = { ...target, port: both.port };
    const session = await connect(t2, { identity: both.clientKeyPath, agent: '', knownHosts: knownHosts(`[127.0.0.1]:${both.port} ${ecdsaLine}`) });
    assert.equal(session.hostKey.type, 'ecdsa-sha2-nistp256');
    await session.close();
    const fresh2 = await connect(t2, { identity: both.clientKeyPath, agent: '', knownHosts: fresh(), acceptNew: true });
    assert.equal(fresh2.hostKey.type, 'ssh-ed25519');
    await fresh2.close();
  } finally {
    await both.stop();
  }
});

test('a changed host key is refused loudly, even with --accept-new; after ssh-keygen -R the new key can be pinned', async () => {
  const device = await startSshd();
  try {
    const t2 = { ...target, port: device.port };
    const file = device.knownHostsFile(fresh());
    const oldKey = device.hostPublicKey;
    await (await connect(t2, { identity: device.clientKeyPath, agent: '', knownHosts: file })).close();
    await device.rotateHostKey();
    assert.notEqual(device.hostPublicKey, oldKey);
    const err = await refused(
      connect(t2, { identity: device.clientKeyPath, agent: '', knownHosts: file, acceptNew: true }),
      'HOST_KEY_CHANGED',
      /HAS CHANGED/,
      /man-in-the-middle/,
      /known_hosts:1\)/,
      /with or without --accept-new/,
    );
    assert.equal(readFileSync(file, 'utf8'), `[127.0.0.1]:${device.port} ${oldKey}\n`, 'known_hosts untouched');
    // The advice in the message works as given.
    const command = /`(ssh-keygen -R [^`]+)`/.exec(err.message)?.[1];
    assert.ok(command, err.message);
    execFileSync('/bin/sh', ['-c', command], { stdio: 'ignore' });
    const session = await connect(t2, { identity: device.clientKeyPath, agent: '', knownHosts: file, acceptNew: true });
    assert.equal(session.hostKey.pinned, true);
    await session.close();
    assert.ok(readFileSync(file, 'utf8').includes(device.hostPublicKey));
  } finally {
    await device.stop();
  }
});

test('ssh-agent: its keys log in; an encrypted key file is refused with the advice to add it to the agent, and works once added', async (t) => {
  const agentDir = mkdtempSync(join(tmpdir(), 'vigil-agent-'));
  const socket = join(agentDir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  t.after(() => {
    agent.kill('SIGKILL');
    rmSync(agentDir, { recursive: true, force: true });
  });
  await waitFor(() => existsSync(socket), 'ssh-agent to listen');
  const file = sshd.knownHostsFile(fresh());

  const empty = await refused(connect(target, { knownHosts: file, agent: socket }), 'AUTH_FAILED', /holds no keys/);
  assert.match(empty.message, /there was no key to try/);

  const env = { ...process.env, SSH_AUTH_SOCK: socket };
  execFileSync('ssh-add', [sshd.clientKeyPath], { env, stdio: 'ignore' });
  const session = await connect(target, { knownHosts: file, agent: socket });
  assert.equal((await session.exec('echo via agent')).stdout.toString(), 'via agent\n');
  await session.close();
  // $SSH_AUTH_SOCK is the default.
  process.env.SSH_AUTH_SOCK = socket;
  try {
    await (await connect(target, { knownHosts: file })).close();
  } finally {
    delete process.env.SSH_AUTH_SOCK;
  }

  // A passphrase-protected key that the server accepts.
  const locked = join(agentDir, 'locked_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', locked]);
  writeFileSync(join(sshd.dir, 'authorized_keys'), `${readFileSync(`${sshd.clientKeyPath}.pub`, 'utf8')}${readFileSync(`${locked}.pub`, 'utf8')}`);
  await refused(connect(target, { identity: locked, knownHosts: file, agent: '' }), 'KEY_ENCRYPTED', /protected by a passphrase/, /ssh-add .*locked_key/, /does not ask for passphrases/);
  // With an agent there the encrypted key may be in it: the advice comes once nothing was accepted.
  execFileSync('ssh-add', ['-D'], { env, stdio: 'ignore' });
  await refused(connect(target, { identity: locked, knownHosts: file, agent: socket }), 'KEY_ENCRYPTED', /could not log in to root@127\.0\.0\.1:\d+: the key .*locked_key is protected by a passphrase/, /ssh-add .*locked_key/, /holds no keys/);
  const askpass = join(agentDir, 'askpass');
  writeFileSync(askpass, "#!/bin/sh\necho 'correct horse'\n", { mode: 0o700 });
  execFileSync('ssh-add', [locked], { env: { ...env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' }, stdio: 'ignore' });
  const unlocked = await connect(target, { identity: locked, knownHosts: file, agent: socket });
  await unlocked.close();
});

test('a key the server does not take: AUTH_FAILED naming every key tried, the default keys included', async () => {
  const file = sshd.knownHostsFile(fresh());
  const stranger = join(scratch, 'stranger_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
  const none = await refused(connect(target, { identity: stranger, knownHosts: file, agent: '' }), 'AUTH_FAILED', /could not log in to root@127\.0\.0\.1:\d+: no key was accepted/, /tried key file .*stranger_key \(ssh-ed25519 SHA256:/);
  assert.ok(none.message.includes(sshKeygenFingerprint(`${stranger}.pub`)));

  // Default keys: those that exist are tried (and one the server takes logs in).
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', join(home, '.ssh', 'id_ecdsa')]);
  const both = await refused(connect(target, { identity: stranger, knownHosts: file, agent: '' }), 'AUTH_FAILED', /key file .*stranger_key .*; key file .*\.ssh\/id_ecdsa \(ecdsa-sha2-nistp256/);
  assert.doesNotMatch(both.message, /id_ed25519|id_rsa/, 'keys that do not exist are not listed as tried');
  await refused(connect(target, { knownHosts: file, agent: '' }), 'AUTH_FAILED', /tried key file .*id_ecdsa/);
  writeFileSync(join(home, '.ssh', 'id_ed25519'), readFileSync(sshd.clientKeyPath), { mode: 0o600 });
  const viaDefault = await connect(target, { knownHosts: file, agent: '' });
  await viaDefault.close();
  rmSync(join(home, '.ssh'), { recursive: true });
  await refused(connect(target, { knownHosts: file, agent: '' }), 'AUTH_FAILED', /there was no key to try .*none of the default keys .*id_ed25519, .*id_ecdsa, .*id_rsa exists/);

  await refused(connect(target, { identity: join(scratch, 'missing'), knownHosts: file, agent: '' }), 'IDENTITY_INVALID', /--identity ".*missing" cannot be read: no such file/);
  await refused(connect(target, { identity: `${stranger}.pub`, knownHosts: file, agent: '' }), 'IDENTITY_INVALID', /is a public key/);
});

test('nothing listening, a port that never answers, a name that does not resolve: CONNECT_FAILED quoting host and port', async (t) => {
  const file = sshd.knownHostsFile(fresh());
  const closed = await closedPort();
  await refused(connect({ ...target, port: closed }, withKey(file)), 'CONNECT_FAILED', new RegExp(`could not connect to root@127\\.0\\.0\\.1:${closed}: connection refused: nothing listens on 127\\.0\\.0\\.1 port ${closed}`));

  const sockets: Socket[] = [];
  const silent = await listen((socket) => sockets.push(socket));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const port = (silent.address() as { port: number }).port;
  const started = Date.now();
  await refused(connect({ ...target, port }, withKey(file, { timeoutMs: 600 })), 'CONNECT_FAILED', new RegExp(`could not connect to root@127\\.0\\.0\\.1:${port}: no SSH login within 1 s`));
  assert.ok(Date.now() - started < 3000);

  await refused(connect({ ...target, host: 'no-such-device.invalid' }, withKey(file)), 'CONNECT_FAILED', /the host name "no-such-device\.invalid" does not resolve/);

  const abort = new AbortController();
  const pending = connect({ ...target, port }, withKey(file, { signal: abort.signal }));
  abort.abort(new Error('user gave up'));
  await assert.rejects(pending, /user gave up/);
});

test('a lost connection fails the commands still running on it', async () => {
  const device = await startSshd();
  const session = await connect({ ...target, port: device.port }, { identity: device.clientKeyPath, agent: '', knownHosts: device.knownHostsFile(fresh()) });
  const running = session.exec('sleep 30').then(
    () => undefined,
    (err: Error & { code?: string }) => err,
  );
  await sleep(200);
  await device.stop();
  const err = await running;
  assert.equal(err?.code, 'CONNECT_FAILED');
  assert.match(err.message, new RegExp(`the connection to root@127\\.0\\.0\\.1:${device.port} was (closed by the other side|lost)`));
  await assert.rejects(session.exec('true'), { code: 'CONNECT_FAILED' });
  await session.close();
});

let sleeps = 0;
/** A sleep that ps can tell apart from every other. */
function uniqueSleep(): string {
  return `sleep ${1000 + (process.pid % 1000) * 100 + ++sleeps}.5`;
}

async function closedPort(): Promise<number> {
  const server = await listen(() => undefined);
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function listen(onConnection: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer(onConnection);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** Processes whose command line starts with `text`. */
function processesNamed(text: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => /^\s*(\d+) (.*)$/.exec(l))
    .filter((m) => m?.[2]?.startsWith(text))
    .map((m) => Number(m![1]));
}

async function waitGone(text: string): Promise<void> {
  await waitFor(() => processesNamed(text).length === 0, `no process named ${text}`);
}

async function waitFor(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
