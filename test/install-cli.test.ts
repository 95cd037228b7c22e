/**
 * `vigil install` as a user runs it, a real process: into a --root tree twice (the second run
 * changes nothing and says so), --dry-run, --json, and the refusals as one line and exit 1:
 * not root on the running system, a --root that is not a tree, a config the service could not
 * run, an unknown option.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { InstallReport } from '../deploy/install/install.js';
import { repoRoot, vigil, vigilArgs } from './helpers/cli.js';
import { deviceTree, GLOBAL_ENTRY, snapshot } from './helpers/device-tree.js';

function tree(t: TestContext): string {
  const root = deviceTree({ hostname: 'orchard-pi' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

test('vigil install --root twice: every change listed, then nothing changed', async (t) => {
  const root = tree(t);
  const first = await vigil(['install', '--root', root]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stderr, '');
  assert.equal(
    first.stdout,
    `created user vigil (system user, home /var/lib/vigil, shell /usr/sbin/nologin)
created group gpio (system group)
added vigil to groups gpio, i2c, dialout, bluetooth, netdev
created /etc/vigil
created /var/lib/vigil
created /var/lib/vigil/bundles
wrote /etc/vigil/config.json (a starting point for a Raspberry Pi: edit it, then systemctl restart vigil)
wrote /etc/systemd/system/vigil.service
wrote /etc/polkit-1/rules.d/50-vigil-networkmanager.rules (NetworkManager for the vigil user)
enabled vigil.service (linked /etc/systemd/system/multi-user.target.wants/vigil.service)
vigil is installed under ${root}: 10 changes
`,
  );
  assert.match(readFileSync(join(root, 'etc/systemd/system/vigil.service'), 'utf8'), new RegExp(`^ExecStart=/usr/bin/node ${GLOBAL_ENTRY} run --config /etc/vigil/config.json --quiet$`, 'm'));
  assert.match(readFileSync(join(root, 'etc/vigil/config.json'), 'utf8'), /"name": "orchard-pi"/);

  const before = snapshot(root);
  const second = await vigil(['install', '--root', root]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, `vigil is installed under ${root} and up to date: nothing changed\n`);
  assert.deepEqual(snapshot(root), before);
});

test('vigil install --dry-run prints what it would do and does nothing; --json gives the same as data', async (t) => {
  const root = tree(t);
  const before = snapshot(root);
  const dry = await vigil(['install', '--root', root, '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  const lines = dry.stdout.trim().split('\n');
  assert.equal(lines.length, 11);
  assert.ok(lines.slice(0, 10).every((l) => l.startsWith('would ')), dry.stdout);
  assert.equal(lines[0], 'would create user vigil (system user, home /var/lib/vigil, shell /usr/sbin/nologin)');
  assert.equal(lines[10], `dry run: 10 changes to make under ${root}, none made`);
  assert.deepEqual(snapshot(root), before);

  const json = await vigil(['install', '--root', root, '--dry-run', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as InstallReport;
  assert.equal(report.dryRun, true);
  assert.equal(report.offline, true);
  assert.equal(report.entry, GLOBAL_ENTRY);
  assert.deepEqual(report.changes.map((c) => c.kind), ['user', 'group', 'membership', 'directory', 'directory', 'directory', 'file', 'file', 'file', 'link']);
  assert.deepEqual(snapshot(root), before);
});

/** The CLI as another user: nobody (65534), as the test runs as root. */
function asNobody(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HOME: '/nonexistent' };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, vigilArgs(args), { cwd: repoRoot, env, uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('vigil install on the running system as a user who is not root: one line, exit 1, nothing done', async () => {
  assert.equal(process.getuid?.(), 0, 'this test starts the CLI as nobody, which needs root');
  const r = await asNobody(['install']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^vigil: vigil install must run as root \(uid 0, not 65534\): it creates the system user vigil and writes \/etc; run it with sudo, add --dry-run to only see what it would do, or --root DIR to install into a file tree\n$/);
});

test('bad input: one line naming the problem, exit 1, the tree untouched', async (t) => {
  const root = tree(t);
  const bad = join(root, 'laptop-config.json');
  writeFileSync(bad, JSON.stringify({ stateDir: '/home/pi/.vigil', bundlesDir: '/home/pi/bundles' }));
  const before = snapshot(root);
  const cases: [string[], RegExp][] = [
    [['install', '--root', join(root, 'nope')], /^vigil: --root \S+nope is not a directory: expected the root of a file system to install into\n$/],
    [['install', '--root', root, '--config', bad], /^vigil: config \S+laptop-config\.json: stateDir is "\/home\/pi\/\.vigil", where the service cannot write: expected "\/var\/lib\/vigil" \(ProtectSystem=strict leaves only its state directory writable\)\n$/],
    [['install', '--root', root, '--node', 'node'], /^vigil: node "node" is not an absolute path: expected one starting with \/\n$/],
    [['install', '--root', root, '--entry', '/opt/vigil/dist/bin/vigil.js'], /^vigil: the vigil script \/opt\/vigil\/dist\/bin\/vigil\.js does not exist under \S+: expected vigil's dist\/bin\/vigil\.js\n$/],
  ];
  for (const [args, message] of cases) {
    const r = await vigil(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
  const unknown = await vigil(['install', '--root', root, '--force']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown option '--force'/);
  assert.deepEqual(snapshot(root), before);
});
