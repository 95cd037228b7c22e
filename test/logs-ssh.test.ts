/**
 * `vigil logs USER@HOST` against a real sshd and a real runtime standing in for the device: the
 * device's records filtered here (--task, --sensor, --json), records written while following
 * arriving across log rotations, Ctrl-C and a reader going away ending the command on the
 * device too, and the device's errors (no log there, no vigil there) as one line.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { SshLogSource } from '../deploy/logs/ssh.js';
import { parseTarget } from '../deploy/ssh/target.js';
import { repoRoot, startRun, vigil, vigilArgs } from './helpers/cli.js';
import { tempDir, writeBundle } from './helpers/harness.js';
import { startSshd, type Sshd } from './helpers/sshd.js';

let sshd: Sshd;
let root: string;
let configFile: string;
let stateDir: string;
let knownHosts: string;
let device: string;
let run: Awaited<ReturnType<typeof startRun>>;
/** How the "device" runs vigil: this checkout, through tsx, with this Node. */
const vigilCommand = `cd '${repoRoot}' && '${process.execPath}' --import tsx bin/vigil.ts`;

before(async () => {
  sshd = await startSshd();
  device = `${sshd.user}@127.0.0.1:${sshd.port}`;
  root = tempDir('vigil-logs-ssh-');
  knownHosts = sshd.knownHostsFile(join(root, 'known_hosts'));
  configFile = join(root, 'config.json');
  stateDir = join(root, 'state');
  writeFileSync(
    configFile,
    JSON.stringify({
      stateDir: 'state',
      bundlesDir: 'bundles',
      drivers: { system: { binding: 'sim' }, i2c: { binding: 'sim', sensors: { air: { type: 'bme280', address: '0x76', pollMs: 200, simulate: { temperature: 21, pressure: 1000, humidity: 50 }, logEverySec: 0 } } } },
      // Small files, so that following has rotations to cross.
      logging: { maxFileMb: 0.02, files: 40 },
      policy: { shutdownGraceMs: 2000, cancelGraceMs: 500 },
    }),
  );
  writeBundle(join(root, 'bundles'), {
    name: 'garden',
    tasks: [
      { name: 'water', entry: 't.js', export: 'water', isolation: 'inprocess', trigger: { type: 'ApplicationTrigger' } },
      { name: 'chatty', entry: 't.js', export: 'chatty', isolation: 'inprocess', trigger: { type: 'ApplicationTrigger' } },
    ],
    files: {
      't.js': `
export function water(instance) { instance.log.info('watering ' + instance.triggerDetails.arguments.n); }
export function chatty(instance) {
  const from = Number(instance.triggerDetails.arguments.from);
  for (let i = from; i < from + 150; i++) instance.log.info('chat ' + i + ' ' + 'x'.repeat(60));
}
`,
    },
  });
  run = await startRun(['--config', configFile]);
  await trigger('water', 'n=1');
  await trigger('water', 'n=2');
});

after(async () => {
  if (run?.child.exitCode === null) {
    run.child.kill('SIGINT');
    await run.exited;
  }
  await sshd?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function trigger(task: string, arg: string): Promise<void> {
  const r = await vigil(['trigger', task, '--arg', arg, '--config', configFile]);
  assert.equal(r.code, 0, r.stderr);
}

function sshArgs(): string[] {
  return ['--state', stateDir, '--vigil-command', vigilCommand, '--known-hosts', knownHosts, '--identity', sshd.clientKeyPath];
}

/** `vigil logs DEVICE … --follow` in the background. */
function follow(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, vigilArgs(['logs', device, '--follow', ...args, ...sshArgs()]), { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

/** `vigil logs --json --follow` processes reading this state directory: the ones run on the "device". */
function remoteFollowers(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args.includes('logs') && args.includes('--json') && args.includes('--follow') && args.includes(stateDir)) pids.push(Number(name));
  }
  return pids;
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('the device\'s records, filtered here by --task; --json gives them as they are in its file', async () => {
  const r = await vigil(['logs', device, '--task', 'water', ...sshArgs()]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\d\d:\d\d:\d\d\.\d{3} \* water +triggered by ApplicationTrigger/);
  assert.match(r.stdout, /\| water +watering 1\n[^]*\| water +watering 2\n/);
  assert.doesNotMatch(r.stdout, /chatty|runtime ready/);
  assert.equal(r.stderr, '');

  const json = await vigil(['logs', device, '--json', '--task', 'water', ...sshArgs()]);
  assert.equal(json.code, 0, json.stderr);
  const lines = json.stdout.trim().split('\n');
  const logs = join(stateDir, 'logs');
  const inFiles = new Set(readdirSync(logs).flatMap((name) => readFileSync(join(logs, name), 'utf8').split('\n')));
  for (const line of lines) assert.ok(inFiles.has(line), `a line of the device's files, unchanged: ${line}`);
  assert.ok(lines.some((l) => (JSON.parse(l) as { msg?: string }).msg === 'watering 2'));

  const none = await vigil(['logs', device, '--task', 'nosuch', ...sshArgs()]);
  assert.equal(none.code, 0);
  assert.match(none.stderr, new RegExp(`no records of task "nosuch" in the log on ${device.replace(/\./g, '\\.')}; tasks in the log: water`));
});

test('--sensor sums up the device\'s readings here', async () => {
  await until(() => readFileSync(join(stateDir, 'logs', 'vigil.log'), 'utf8').includes('"evt":"sensor"'), 'a reading in the log');
  const r = await vigil(['logs', device, '--sensor', 'air', ...sshArgs()]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sensor air \(bme280\): \d+ readings? /);
  assert.match(r.stdout, /temperature/);
});

test('following: records written after it started arrive, across rotations, only the task asked for; Ctrl-C exits 0 and ends the device side', async () => {
  const f = follow(['--task', 'chatty']);
  try {
    await until(() => remoteFollowers().length > 0, `the device's vigil logs to run (stderr: ${f.err()})`);
    await sleep(500); // caught up with the history (no chatty records there yet)
    const rotatedBefore = readdirSync(join(stateDir, 'logs')).filter((n) => /^vigil\.log\.\d+$/.test(n)).length;
    await trigger('chatty', 'from=0');
    await trigger('water', 'n=3');
    await trigger('chatty', 'from=150');
    await until(() => f.out().includes('chat 299 '), `the last record (got ${f.out().split('\n').length} lines; stderr: ${f.err()})`);
    await sleep(300);
    const chats = f.out().split('\n').filter((l) => / chat \d+ /.test(l)).map((l) => Number(/ chat (\d+) /.exec(l)![1]));
    assert.deepEqual(chats, Array.from({ length: 300 }, (_, i) => i), 'every record once, in order');
    assert.doesNotMatch(f.out(), /watering/);
    const rotatedAfter = readdirSync(join(stateDir, 'logs')).filter((n) => /^vigil\.log\.\d+$/.test(n)).length;
    assert.ok(rotatedAfter >= rotatedBefore + 2, `the log rotated while it was followed (${rotatedBefore} → ${rotatedAfter} files)`);
    f.child.kill('SIGINT');
    assert.equal(await f.exited, 0, f.err());
    assert.equal(f.err(), '');
    await until(() => remoteFollowers().length === 0, 'the device side to end');
  } finally {
    if (f.child.exitCode === null) f.child.kill('SIGKILL');
  }
});

test('a reader that goes away (| head) ends it here and on the device', async () => {
  const f = follow([]);
  try {
    await until(() => f.out().includes('watering 1'), `the history (stderr: ${f.err()})`);
    f.child.stdout!.destroy();
    await trigger('water', 'n=4'); // a write into the closed pipe is what tells it
    assert.equal(await f.exited, 0, f.err());
    await until(() => remoteFollowers().length === 0, 'the device side to end');
  } finally {
    if (f.child.exitCode === null) f.child.kill('SIGKILL');
  }
});

test('--sensor --follow prints the summary once the device has sent its history', async () => {
  const f = follow(['--sensor', 'air']);
  try {
    await until(() => /^sensor air \(bme280\): \d+ readings?/m.test(f.out()), `the summary (stderr: ${f.err()})`);
    f.child.kill('SIGINT');
    assert.equal(await f.exited, 0, f.err());
    assert.doesNotMatch(f.out(), /vigil-logs|caught-up/, 'the marker is not shown');
    await until(() => remoteFollowers().length === 0, 'the device side to end');
  } finally {
    if (f.child.exitCode === null) f.child.kill('SIGKILL');
  }
});

test("the device's errors are one line: no log there, no vigil there; an unknown host key is refused", async () => {
  const empty = join(root, 'no-state');
  const noLog = await vigil(['logs', device, ...sshArgs(), '--state', empty]);
  assert.equal(noLog.code, 1);
  assert.equal(noLog.stdout, '');
  assert.match(noLog.stderr, new RegExp(`^vigil: on ${device.replace(/\./g, '\\.')}: no log file at ${empty}/logs/vigil\\.log: [^\\n]*\\n$`));

  const noVigil = await vigil(['logs', device, '--known-hosts', knownHosts, '--identity', sshd.clientKeyPath]);
  assert.equal(noVigil.code, 1);
  assert.match(noVigil.stderr, new RegExp(`^vigil: vigil is not installed on ${device.replace(/\./g, '\\.')} or not on PATH \\([^\\n]*not found\\): give --vigil-command[^\\n]*\\n$`));

  const unknown = await vigil(['logs', device, ...sshArgs(), '--known-hosts', join(root, 'empty_known_hosts')]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^vigil: refusing to connect: the host key of root@127\.0\.0\.1:\d+ \(ssh-ed25519 SHA256:[^)]+\) is not in .*empty_known_hosts: .*--accept-new to pin it\n$/);
  assert.equal(existsSync(join(root, 'empty_known_hosts')), false);

  const misplaced = await vigil(['logs', '--identity', sshd.clientKeyPath, '--state', stateDir]);
  assert.equal(misplaced.code, 1);
  assert.match(misplaced.stderr, /^vigil: --identity applies to a device's log: give its USER@HOST/);
  const badTarget = await vigil(['logs', 'pi@', '--state', stateDir]);
  assert.match(badTarget.stderr, /^vigil: "pi@" is not a target: the host after "@" is missing/);
});

test('the device command forwards --state, --config, --level and --since (made absolute), quoted', () => {
  const since = Date.parse('2024-05-01T12:00:00Z');
  const source = new SshLogSource(parseTarget('pi@garden'), { vigilCommand: 'node /opt/vigil/bin/vigil.js', state: "/srv/it's state", config: '/etc/vigil/config.json', since, level: 'warn' });
  assert.equal(source.command(true, true), `node /opt/vigil/bin/vigil.js logs --json --follow --mark-caught-up --state '/srv/it'\\''s state' --config /etc/vigil/config.json --since 2024-05-01T12:00:00.000Z --level warn`);
  assert.equal(new SshLogSource(parseTarget('pi@garden')).command(false), 'vigil logs --json');
});
