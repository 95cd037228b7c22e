/**
 * The sshd test harness itself: five servers at once, each on its own port with its own keys;
 * rotateHostKey() serves a new key on the same port; and no sshd is left behind by stop(), by a
 * test process that exits without stop(), or by one killed outright.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { connect } from '../deploy/ssh/connect.js';
import { repoRoot } from './helpers/cli.js';
import { startSshd } from './helpers/sshd.js';

/** sshd processes (and the processes below them) whose command line mentions `dir`. */
function sshdsIn(dir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(dir)) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('five servers start at once, each serves its own key on its own port, and stop() leaves nothing behind', async () => {
  const servers = await Promise.all(Array.from({ length: 5 }, () => startSshd()));
  try {
    assert.equal(new Set(servers.map((s) => s.port)).size, 5);
    assert.equal(new Set(servers.map((s) => s.hostPublicKey)).size, 5);
    const answers = await Promise.all(
      servers.map(async (s) => {
        const session = await connect({ user: s.user, host: '127.0.0.1', port: s.port }, { identity: s.clientKeyPath, knownHosts: s.knownHostsFile(), agent: '' });
        // A command left running below the server: stop() must end it as well.
        session.spawn('sleep 600');
        const { stdout } = await session.exec('echo $SSH_CONNECTION');
        return Number(stdout.toString().trim().split(' ')[3]);
      }),
    );
    assert.deepEqual(answers, servers.map((s) => s.port));
    assert.match(servers[0]!.hostPublicKey, /^ssh-ed25519 AAAA\S+$/);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  for (const s of servers) await until(() => sshdsIn(s.dir).length === 0, `no process of ${s.dir}`);
});

test('rotateHostKey() serves a new key on the same port', async () => {
  const server = await startSshd();
  try {
    const before = server.hostPublicKey;
    const file = server.knownHostsFile();
    assert.equal(readFileSync(file, 'utf8'), `[127.0.0.1]:${server.port} ${before}\n`);
    await server.rotateHostKey();
    assert.notEqual(server.hostPublicKey, before);
    const session = await connect({ user: server.user, host: '127.0.0.1', port: server.port }, { identity: server.clientKeyPath, knownHosts: server.knownHostsFile(), agent: '' });
    await session.close();
  } finally {
    await server.stop();
  }
});

for (const how of ['exits without stop()', 'is killed with SIGKILL'] as const) {
  test(`no sshd is left when a test process ${how}`, async () => {
    const script = `
      import { startSshd } from './test/helpers/sshd.ts';
      const s = await startSshd();
      process.stdout.write(s.dir + '\\n');
      ${how === 'exits without stop()' ? 'process.exit(0);' : 'setInterval(() => {}, 1000);'}
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let dir = '';
    child.stdout.on('data', (d: Buffer) => (dir += d.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await until(() => dir.endsWith('\n'), 'the child to start sshd', 20_000);
    dir = dir.trim();
    if (how === 'is killed with SIGKILL') {
      assert.ok(sshdsIn(dir).length > 0, 'sshd runs while the test process does');
      child.kill('SIGKILL');
    }
    await exited;
    await until(() => sshdsIn(dir).length === 0, `sshd of ${dir} to end`);
    if (how === 'exits without stop()') assert.equal(existsSync(dir), false, 'its directory is removed too');
    // Killed outright, nothing in that process could remove it.
    rmSync(dir, { recursive: true, force: true });
  });
}
