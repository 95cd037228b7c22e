/**
 * `vigil install` as a library: into a --root tree (the accounts edited as useradd, groupadd
 * and usermod edit them — checked against the real tools — the config, the unit, the polkit
 * rule, the enable link; a second run changes nothing), on a "live" system through a runner
 * that records every command (which commands, in which order, and which not on a second run),
 * --dry-run, and the config rules. The refusals are in install-refusals.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyAccountFiles } from '../deploy/install/account-files.js';
import { accountCommands, planAccounts, readAccounts } from '../deploy/install/accounts.js';
import { install } from '../deploy/install/install.js';
import { SERVICE_GROUPS } from '../deploy/install/layout.js';
import { polkitRulePath, renderUnit } from '../deploy/install/unit.js';
import { loadConfig } from '../runtime/config.js';
import { GLOBAL_ENTRY, PASSWD, snapshot } from './helpers/device-tree.js';
import { tempDir } from './helpers/harness.js';
import { mutating, NOW, recorder, tree } from './helpers/install-host.js';

test('into a --root tree: the account, the directories, the config, the unit, the polkit rule, the enable link', async (t) => {
  const root = tree(t);
  const { host, commands } = recorder('/nonexistent');
  const report = await install({ root }, host);
  assert.deepEqual(commands, [], 'no command runs under --root');
  assert.deepEqual(report.changes.map((c) => c.did), [
    'created user vigil (system user, home /var/lib/vigil, shell /usr/sbin/nologin)',
    'created group gpio (system group)',
    'added vigil to groups gpio, i2c, dialout, bluetooth, netdev',
    'created /etc/vigil',
    'created /var/lib/vigil',
    'created /var/lib/vigil/bundles',
    'wrote /etc/vigil/config.json (a starting point for a Raspberry Pi: edit it, then systemctl restart vigil)',
    'wrote /etc/systemd/system/vigil.service',
    'wrote /etc/polkit-1/rules.d/50-vigil-networkmanager.rules (NetworkManager for the vigil user)',
    'enabled vigil.service (linked /etc/systemd/system/multi-user.target.wants/vigil.service)',
  ]);
  assert.equal(report.node, '/usr/bin/node');
  assert.equal(report.entry, GLOBAL_ENTRY);

  const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
  assert.match(passwd, /\nvigil:x:999:999:vigil background tasks:\/var\/lib\/vigil:\/usr\/sbin\/nologin\n$/, 'uid 100 is taken, so from the top down; its group the same number');
  const group = readFileSync(join(root, 'etc/group'), 'utf8');
  for (const line of ['dialout:x:20:pi,vigil', 'netdev:x:106:pi,vigil', 'bluetooth:x:111:pi,vigil', 'i2c:x:996:pi,vigil', 'vigil:x:999:', 'gpio:x:105:vigil']) {
    assert.ok(group.split('\n').includes(line), `group has ${line}:\n${group}`);
  }
  assert.ok(readFileSync(join(root, 'etc/gshadow'), 'utf8').split('\n').includes('gpio:!::vigil'));
  assert.match(readFileSync(join(root, 'etc/shadow'), 'utf8'), new RegExp(`\\nvigil:!:${Math.floor(NOW / 86_400_000)}::::::\\n$`));
  assert.equal((statSync(join(root, 'etc/shadow')).mode & 0o777).toString(8), '640', 'shadow keeps its mode');

  const config = loadConfig(join(root, 'etc/vigil/config.json'));
  assert.equal(config.device.name, 'greenhouse-pi', 'named after the tree\'s /etc/hostname');
  assert.equal(config.stateDir, '/var/lib/vigil');
  assert.equal(config.bundlesDir, '/var/lib/vigil/bundles');
  assert.equal(config.drivers.system.binding, 'linux');
  assert.equal(config.drivers.gpio?.binding, 'onoff');
  assert.equal((statSync(join(root, 'etc/vigil/config.json')).mode & 0o777).toString(8), '640', 'the config may hold secrets');
  assert.equal(readFileSync(join(root, 'etc/systemd/system/vigil.service'), 'utf8'), renderUnit({ node: '/usr/bin/node', vigil: GLOBAL_ENTRY }));
  assert.equal((statSync(join(root, 'etc/systemd/system/vigil.service')).mode & 0o777).toString(8), '644');
  assert.equal(readFileSync(join(root, 'etc/polkit-1/rules.d/50-vigil-networkmanager.rules'), 'utf8'), readFileSync(polkitRulePath(), 'utf8'));
  assert.equal(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/vigil.service')), '/etc/systemd/system/vigil.service');
  if (process.getuid?.() === 0) {
    assert.equal(statSync(join(root, 'var/lib/vigil/bundles')).uid, 999, 'root hands the state directory to the service user');
    assert.equal(statSync(join(root, 'etc/vigil/config.json')).gid, 999, 'the config is readable by the service group');
  }
});

test('a second run into the same tree changes nothing and says so', async (t) => {
  const root = tree(t);
  const { host } = recorder('/nonexistent');
  await install({ root }, host);
  const before = snapshot(root);
  const again = await install({ root }, host);
  assert.deepEqual(again.changes, []);
  assert.deepEqual(again.notes, []);
  assert.deepEqual(snapshot(root), before, 'not a byte, mode or time changed');
});

test('the account files come out as useradd, groupadd and usermod --prefix write them', async (t) => {
  // The same plan, once by editing the files, once by shadow's own tools on a copy.
  const append = (root: string, file: string, line: string) => writeFileSync(join(root, 'etc', file), `${readFileSync(join(root, 'etc', file), 'utf8')}${line}\n`);
  const variants: Record<string, (root: string) => void> = {
    // uid 100 sits at SYS_UID_MIN: the search starts again from the top.
    'from the top': () => {},
    // The uid picked has its gid taken: the user's group gets another number.
    'gid taken': (root) => {
      append(root, 'group', 'taken:x:999:');
      append(root, 'gshadow', 'taken:!::');
    },
    // Nothing at the bottom of the range: new ids go just below the lowest one in use.
    'below the lowest': (root) => writeFileSync(join(root, 'etc/passwd'), PASSWD.replace(/^messagebus:.*\n/m, '')),
    // A user from an earlier install that lost a group: only the group and the memberships.
    'user exists': (root) => {
      append(root, 'passwd', 'vigil:x:990:990:vigil background tasks:/var/lib/vigil:/usr/sbin/nologin');
      append(root, 'shadow', 'vigil:!:19900::::::');
      append(root, 'group', 'vigil:x:990:');
      append(root, 'gshadow', 'vigil:!::');
    },
  };
  for (const [variant, prepare] of Object.entries(variants)) {
    const mine = tree(t);
    prepare(mine);
    const theirs = tempDir('vigil-shadow-');
    t.after(() => rmSync(theirs, { recursive: true, force: true }));
    cpSync(mine, theirs, { recursive: true, verbatimSymlinks: true });
    const plan = planAccounts(readAccounts(mine), 'vigil', SERVICE_GROUPS);
    const now = Date.now();
    applyAccountFiles(mine, plan, { user: 'vigil', comment: 'vigil background tasks', home: '/var/lib/vigil', shell: '/usr/sbin/nologin', now });
    for (const [command, args] of accountCommands(plan, 'vigil', '/var/lib/vigil', '/usr/sbin/nologin')) {
      const r = spawnSync(command, ['--prefix', theirs, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${command} --prefix: ${r.stderr}`);
    }
    for (const file of ['passwd', 'group', 'shadow', 'gshadow']) {
      assert.equal(readFileSync(join(mine, 'etc', file), 'utf8'), readFileSync(join(theirs, 'etc', file), 'utf8'), `${variant}: etc/${file}`);
    }
  }
});

test('on a live system: shadow\'s tools, daemon-reload, enable --now, in that order', async (t) => {
  const root = tree(t);
  const { host, commands } = recorder(root);
  const report = await install({ entry: GLOBAL_ENTRY }, host);
  assert.deepEqual(mutating(commands), [
    ['useradd', '--system', '--user-group', '--home-dir', '/var/lib/vigil', '--no-create-home', '--shell', '/usr/sbin/nologin', '--comment', 'vigil background tasks', 'vigil'],
    ['groupadd', '--system', 'gpio'],
    ['usermod', '--append', '--groups', 'gpio,i2c,dialout,bluetooth,netdev', 'vigil'],
    ['systemctl', 'daemon-reload'],
    ['systemctl', 'enable', '--now', 'vigil.service'],
  ]);
  assert.ok(report.changes.some((c) => c.did === 'ran systemctl enable --now vigil.service'));
  assert.equal(readFileSync(join(root, 'etc/systemd/system/vigil.service'), 'utf8'), renderUnit({ node: '/usr/bin/node', vigil: GLOBAL_ENTRY }));
});

test('on a live system, run again: nothing to do, nothing run but the two questions', async (t) => {
  const root = tree(t);
  const first = recorder(root);
  const report = await install({ entry: GLOBAL_ENTRY }, first.host);
  // What the recorded useradd & co. would have done, so the second run finds the account.
  applyAccountFiles(root, planAccounts(readAccounts(root), 'vigil', SERVICE_GROUPS), { user: 'vigil', comment: 'vigil background tasks', home: '/var/lib/vigil', shell: '/usr/sbin/nologin', now: NOW });
  assert.ok(report.changes.length > 0);
  const second = recorder(root);
  second.state.enabled = true;
  second.state.active = true;
  const again = await install({ entry: GLOBAL_ENTRY }, second.host);
  assert.deepEqual(again.changes, []);
  assert.deepEqual(second.commands, [
    ['systemctl', 'is-enabled', 'vigil.service'],
    ['systemctl', 'is-active', 'vigil.service'],
  ]);
});

test('a running service is restarted when its unit changed; a stopped one is started; --no-start only enables', async (t) => {
  const root = tree(t);
  const first = recorder(root);
  await install({ entry: GLOBAL_ENTRY }, first.host);
  applyAccountFiles(root, planAccounts(readAccounts(root), 'vigil', SERVICE_GROUPS), { user: 'vigil', comment: 'c', home: '/var/lib/vigil', shell: '/usr/sbin/nologin', now: NOW });

  // A newer node elsewhere: the unit changes under the running service.
  const upgraded = recorder(root, { nodePath: '/usr/local/bin/node' });
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  writeFileSync(join(root, 'usr/local/bin/node'), '', { mode: 0o755 });
  upgraded.state.enabled = true;
  upgraded.state.active = true;
  await install({ entry: GLOBAL_ENTRY }, upgraded.host);
  assert.deepEqual(mutating(upgraded.commands), [['systemctl', 'daemon-reload'], ['systemctl', 'restart', 'vigil.service']]);

  const stopped = recorder(root, { nodePath: '/usr/local/bin/node' });
  stopped.state.enabled = true;
  await install({ entry: GLOBAL_ENTRY }, stopped.host);
  assert.deepEqual(mutating(stopped.commands), [['systemctl', 'start', 'vigil.service']]);

  const fresh = tree(t);
  const noStart = recorder(fresh);
  const report = await install({ start: false, entry: GLOBAL_ENTRY }, noStart.host);
  assert.deepEqual(mutating(noStart.commands).slice(-2), [['systemctl', 'daemon-reload'], ['systemctl', 'enable', 'vigil.service']]);
  assert.ok(report.notes.some((n) => n.includes('--no-start: vigil.service is enabled but not started')));
});

test('--dry-run lists the changes and makes none, also without root', async (t) => {
  const root = tree(t);
  const before = snapshot(root);
  const offline = await install({ root, dryRun: true }, recorder('/nonexistent').host);
  assert.equal(offline.changes.length, 10);
  assert.equal(offline.changes[0]!.does, 'create user vigil (system user, home /var/lib/vigil, shell /usr/sbin/nologin)');
  assert.deepEqual(snapshot(root), before);

  const live = recorder(root, { uid: 1000 });
  const report = await install({ dryRun: true, entry: GLOBAL_ENTRY }, live.host);
  assert.deepEqual(mutating(live.commands), [], 'only questions are asked');
  assert.deepEqual(report.changes.slice(-2).map((c) => c.does), ['run systemctl daemon-reload', 'run systemctl enable --now vigil.service']);
  assert.deepEqual(snapshot(root), before);
});

test('the config: --config FILE installed as it is; an existing one kept unless --force-config', async (t) => {
  const root = tree(t);
  const dir = tempDir('vigil-cfg-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const mine = join(dir, 'garden.json');
  const text = `{ "device": { "name": "garden" }, "stateDir": "/var/lib/vigil", "bundlesDir": "bundles-not-here/../../../var/lib/vigil/bundles" }\n`;
  writeFileSync(mine, text);
  const host = recorder('/nonexistent').host;
  const first = await install({ root, config: mine }, host);
  assert.ok(first.changes.some((c) => c.did === `wrote /etc/vigil/config.json (from ${mine})`));
  assert.equal(readFileSync(join(root, 'etc/vigil/config.json'), 'utf8'), text, 'byte for byte');

  const other = join(dir, 'other.json');
  writeFileSync(other, text.replace('garden', 'orchard'));
  const kept = await install({ root, config: other }, host);
  assert.deepEqual(kept.changes, []);
  assert.deepEqual(kept.notes, [`kept /etc/vigil/config.json: it differs from ${other} (--force-config replaces it)`]);
  assert.equal(readFileSync(join(root, 'etc/vigil/config.json'), 'utf8'), text);

  const forced = await install({ root, config: other, forceConfig: true }, host);
  assert.deepEqual(forced.changes.map((c) => c.did), [`replaced /etc/vigil/config.json (from ${other})`]);
  assert.match(readFileSync(join(root, 'etc/vigil/config.json'), 'utf8'), /orchard/);

  // Broken by hand on the device: kept, but said.
  writeFileSync(join(root, 'etc/vigil/config.json'), '{ "stateDir": 42 }');
  const broken = await install({ root }, host);
  assert.equal(broken.changes.length, 0);
  assert.match(broken.notes.join('\n'), /\/etc\/vigil\/config\.json will not run as it is: config \/etc\/vigil\/config\.json: stateDir/);
});
