/**
 * deploy/vigil.service: rendered with real paths it passes `systemd-analyze verify` (which
 * does fail on a broken unit: checked too), it says what `vigil install` and the runtime
 * assume (user, groups, state directory, config path, notify and watchdog, hardening, a stop
 * timeout above the runtime's shutdown grace), every setting has a comment above it, only the
 * ExecStart line changes when rendered, and the package ships the files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONFIG_PATH, SERVICE_GROUPS, SERVICE_USER, STATE_DIR } from '../deploy/install/layout.js';
import { checkServicePath, NODE_PLACEHOLDER, renderUnit, unitTemplatePath, VIGIL_PLACEHOLDER } from '../deploy/install/unit.js';
import { parseConfig } from '../runtime/config.js';
import { packageRoot } from '../runtime/paths.js';
import { repoRoot } from './helpers/cli.js';
import { tempDir } from './helpers/harness.js';

const template = readFileSync(unitTemplatePath(), 'utf8');
const ENTRY = '/usr/lib/node_modules/vigil/dist/bin/vigil.js';

/** A node systemd-analyze can see as executable, in a place the unit accepts. */
function visibleNode(): string {
  for (const candidate of [process.execPath, '/usr/bin/node', '/usr/local/bin/node']) {
    try {
      checkServicePath(candidate, 'node');
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error(`no node outside /home, /root and /tmp to render the unit with (this one: ${process.execPath})`);
}

/** [section, key, value] for every setting, in order. */
function settings(unit: string): [string, string, string][] {
  let section = '';
  const out: [string, string, string][] = [];
  for (const line of unit.split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) section = header[1]!;
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) out.push([section, m[1]!, m[2]!]);
  }
  return out;
}

function setting(unit: string, key: string): string {
  const found = settings(unit).filter(([, k]) => k === key);
  assert.equal(found.length, 1, `${key} is set once`);
  return found[0]![2];
}

function verify(unitText: string): { status: number | null; problems: string[] } {
  const dir = tempDir('vigil-unit-');
  try {
    // verify names the unit after the file.
    const file = join(dir, 'vigil.service');
    writeFileSync(file, unitText);
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
    if (r.error) throw r.error;
    // Warnings about other units on the machine are not ours; anything naming this one is.
    return { status: r.status, problems: `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('vigil.service')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the rendered unit passes systemd-analyze verify without a warning', () => {
  const { status, problems } = verify(renderUnit({ node: visibleNode(), vigil: ENTRY }));
  assert.deepEqual(problems, []);
  assert.equal(status, 0);
});

test('systemd-analyze verify does catch a broken unit (so the check above means something)', () => {
  const rendered = renderUnit({ node: visibleNode(), vigil: ENTRY });
  const missingNode = verify(rendered.replace(/^ExecStart=\S+/m, 'ExecStart=/nonexistent/node'));
  assert.equal(missingNode.status, 1);
  assert.match(missingNode.problems.join('\n'), /Command \/nonexistent\/node is not executable/);
  const badValue = verify(rendered.replace('Restart=on-failure', 'Restart=sometimes').replace('MemoryMax=70%', 'MemoryMax=lots'));
  assert.match(badValue.problems.join('\n'), /restart specifier.*sometimes/i);
  assert.match(badValue.problems.join('\n'), /memory limit 'lots'/i);
});

test('rendering fills in ExecStart and changes nothing else', () => {
  const node = visibleNode();
  const rendered = renderUnit({ node, vigil: ENTRY });
  assert.equal(setting(rendered, 'ExecStart'), `${node} ${ENTRY} run --config ${CONFIG_PATH} --quiet`);
  const before = template.split('\n');
  const after = rendered.split('\n');
  assert.equal(after.length, before.length);
  const changed = before.map((line, i) => (line === after[i] ? undefined : i)).filter((i) => i !== undefined);
  assert.deepEqual(changed.map((i) => before[i]!), [`ExecStart=${NODE_PLACEHOLDER} ${VIGIL_PLACEHOLDER} run --config ${CONFIG_PATH} --quiet`]);
  // The header explains the placeholders and still does once they are filled in.
  assert.match(rendered, new RegExp(`^# .*${NODE_PLACEHOLDER} and ${VIGIL_PLACEHOLDER}`, 'm'));
});

test('the unit says what vigil install and the runtime assume', () => {
  assert.equal(setting(template, 'User'), SERVICE_USER);
  assert.equal(setting(template, 'Group'), SERVICE_USER);
  assert.deepEqual(setting(template, 'SupplementaryGroups').split(' '), [...SERVICE_GROUPS]);
  assert.equal(`/var/lib/${setting(template, 'StateDirectory')}`, STATE_DIR);
  assert.match(setting(template, 'ExecStart'), new RegExp(` run --config ${CONFIG_PATH}( |$)`));
  assert.equal(setting(template, 'Type'), 'notify');
  assert.equal(setting(template, 'NotifyAccess'), 'all', 'messages come from a systemd-notify child, not the main process');
  assert.equal(setting(template, 'WatchdogSec'), '30s');
  assert.equal(setting(template, 'Restart'), 'on-failure');
  assert.equal(setting(template, 'KillMode'), 'mixed');
  for (const [key, value] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['PrivateTmp', 'yes'], ['ProtectHome', 'yes']]) assert.equal(setting(template, key!), value, key);
  assert.equal(setting(template, 'AmbientCapabilities'), 'CAP_NET_RAW CAP_NET_ADMIN');
  assert.equal(setting(template, 'CapabilityBoundingSet'), 'CAP_NET_RAW CAP_NET_ADMIN');
  const high = Number(setting(template, 'MemoryHigh').replace('%', ''));
  const max = Number(setting(template, 'MemoryMax').replace('%', ''));
  assert.ok(high < max, `MemoryHigh ${high}% below MemoryMax ${max}%`);
  // The stop timeout leaves the runtime its default shutdown grace with room to spare.
  const grace = parseConfig({ stateDir: '/s', bundlesDir: '/b' }, '/etc/vigil/config.json').policy.shutdownGraceMs;
  assert.ok(Number(setting(template, 'TimeoutStopSec').replace('s', '')) * 1000 >= grace * 3, 'TimeoutStopSec well above policy.shutdownGraceMs');
  assert.ok(!/^(PrivateDevices|DevicePolicy|DeviceAllow|ProtectKernelTunables|ProtectClock|MemoryDenyWriteExecute)=/m.test(template), 'nothing that would close off GPIO, I2C, serial or V8');
  assert.deepEqual(settings(template).filter(([, k]) => k === 'WantedBy').map(([s, , v]) => [s, v]), [['Install', 'multi-user.target']]);
});

test('every setting in the unit has a comment above it saying why', () => {
  const lines = template.split('\n');
  const uncommented: string[] = [];
  lines.forEach((line, i) => {
    if (!/^\w+=/.test(line)) return;
    // A setting may follow another one of the same comment block; the block must start under a comment.
    let j = i - 1;
    while (j >= 0 && /^\w+=/.test(lines[j]!)) j--;
    if (!lines[j]?.startsWith('#')) uncommented.push(line);
  });
  assert.deepEqual(uncommented, []);
  assert.ok(!lines.some((l) => /^\w+=.*\s#/.test(l)), 'no comment after a value (systemd would take it as part of the value)');
});

test('paths systemd would misread or the service could not see are refused', () => {
  const cases: [string, string, RegExp][] = [
    ['usr/bin/node', 'INSTALL_PATH_INVALID', /"usr\/bin\/node" is not an absolute path: expected one starting with \//],
    ['/opt/my node/bin/node', 'INSTALL_PATH_INVALID', /"\/opt\/my node\/bin\/node" has characters systemd would read specially/],
    ['/opt/100%/node', 'INSTALL_PATH_INVALID', /"\/opt\/100%\/node"/],
    ['/home/pi/.nvm/versions/node/v22.1.0/bin/node', 'INSTALL_PATH_HIDDEN', /under \/home, which the service cannot see \(ProtectHome=yes, PrivateTmp=yes\)/],
    ['/tmp/node', 'INSTALL_PATH_HIDDEN', /under \/tmp/],
  ];
  for (const [path, code, message] of cases) {
    assert.throws(() => renderUnit({ node: path, vigil: ENTRY }), (err: { code: string; message: string }) => {
      assert.equal(err.code, code, path);
      assert.match(err.message, message);
      return true;
    });
  }
  assert.throws(() => renderUnit({ node: '/usr/bin/node', vigil: ENTRY }, template.replace(/^ExecStart=.*$/m, `ExecStart=${NODE_PLACEHOLDER} /x run`)), /the unit template has no @VIGIL@/);
});

test('the package ships the unit and the polkit rule, and the compiled deploy/ code', () => {
  const files = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { files: string[] }).files;
  for (const f of ['dist/deploy', 'deploy/vigil.service', 'deploy/50-vigil-networkmanager.rules']) assert.ok(files.includes(f), `package.json files lists ${f}`);
  const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(packed.status, 0, packed.stderr);
  const listed = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  assert.ok(listed.includes('deploy/vigil.service'), 'npm pack takes the unit');
  assert.ok(listed.includes('deploy/50-vigil-networkmanager.rules'), 'npm pack takes the polkit rule');
  assert.ok(!listed.some((p) => p.startsWith('deploy/') && p.endsWith('.ts')), 'but not the TypeScript sources');
});
