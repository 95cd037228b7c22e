// `vigil deploy` end to end: the real command, a real sshd on 127.0.0.1, and a real runtime as the
// device (its own config, bundles and state directories), reached through `vigil apply` over SSH.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readlinkSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { deployHost } from '../deploy/deploy-host.js';
import { loadPayload } from '../deploy/payload.js';
import { parseTarget } from '../deploy/ssh/target.js';
import { vigil } from './helpers/cli.js';
import { deviceVigil, source, startDevice, type Device } from './helpers/device.js';
import { tempDir } from './helpers/harness.js';
import { descendants, startSshd, type Sshd } from './helpers/sshd.js';

/** Processes whose command line contains every one of `parts`. */
function processesWith(...parts: string[]): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return parts.every((part) => cmd.includes(part));
      } catch {
        return false;
      }
    })
    .map(Number);
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

describe('vigil deploy over SSH', () => {
  let sshd: Sshd;
  let device: Device;
  let knownHosts: string;
  let target: string;
  const common = () => ['--identity', sshd.clientKeyPath, '--known-hosts', knownHosts, '--vigil-command', deviceVigil, '--device-config', device.config];

  before(async () => {
    [sshd, device] = await Promise.all([startSshd(), startDevice()]);
    knownHosts = sshd.knownHostsFile(join(tempDir('vigil-kh-'), 'known_hosts'));
    target = `${sshd.user}@127.0.0.1:${sshd.port}`;
  });
  after(async () => {
    await device?.close();
    await sshd?.stop();
  });

  const current = () => readlinkSync(join(device.bundles, 'door'));

  it('deploys a bundle directory: switched, hot-reloaded, reported in a table', async () => {
    const r = await vigil(['deploy', source('1.0.0'), target, ...common()], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^HOST\s+RESULT\s+VERSION\s+TIME\s+MESSAGE$/m);
    assert.match(r.stdout, new RegExp(`^${target.replace(/[.]/g, '\\.')}\\s+deployed\\s+1\\.0\\.0\\s+.*1 registration armed`, 'm'));
    assert.match(r.stderr, /uploading/);
    assert.match(current(), /^\.vigil\/versions\/door\/0001-1\.0\.0-/);
    const trig = await vigil(['trigger', 'door-check', '--config', device.config]);
    assert.equal(trig.code, 0, trig.stderr);
  });

  it('redeploys a new version as JSON, and the runtime runs it', async () => {
    const r = await vigil(['deploy', source('1.1.0'), target, ...common(), '--json', '--smoke', 'check'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const json = JSON.parse(r.stdout) as { hosts: Record<string, any>[] };
    assert.equal(json.hosts.length, 1);
    assert.equal(json.hosts[0]!.ok, true);
    assert.equal(json.hosts[0]!.version, '1.1.0');
    assert.equal(json.hosts[0]!.value.via, 'socket', 'handed to the runtime through its control socket, no Node.js started on the device');
    assert.match(current(), /^\.vigil\/versions\/door\/0002-1\.1\.0-/);
    assert.match(readFileSync(join(device.root, 'state', 'logs', 'vigil.log'), 'utf8'), /"bundle":"door","version":"1.1.0","action":"replaced"/);
  });

  it('a version whose smoke task fails is rolled back by the device; exit 1', async () => {
    const before = current();
    const r = await vigil(['deploy', source('9.0.0'), target, ...common(), '--smoke', 'check'], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /rolled back/);
    assert.match(r.stdout, /no sensor answers on the bus/);
    assert.equal(current(), before);
    assert.equal(readdirSync(join(device.bundles, '.vigil', 'versions', 'door')).filter((e) => e.includes('9.0.0')).length, 0);
  });

  it('rolls back on request', async () => {
    const r = await vigil(['deploy', '--rollback', 'door', target, ...common()], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(current(), /^\.vigil\/versions\/door\/0001-1\.0\.0-/);
    assert.match(r.stdout, /1\.0\.0/);
  });

  async function cutHalfway(transport: 'auto' | 'exec', version: string): Promise<void> {
    const before = current();
    // 6 MB that does not compress: the upload takes long enough to be cut in the middle.
    const payload = loadPayload(source(version, { 'data.bin': randomBytes(6 * 1024 * 1024).toString('base64') }));
    const sshdPid = processesWith('sshd', sshd.dir).find((pid) => comm(pid) === 'sshd');
    assert.ok(sshdPid, 'the test sshd is running');
    let cutAt = -1;
    const failure = await deployHost(
      { name: 'device', ssh: parseTarget(target), vigilCommand: deviceVigil, deviceConfig: device.config, identity: sshd.clientKeyPath },
      payload,
      { knownHosts, keep: 3, timeoutSec: 30, transport },
      (phase, fraction) => {
        if (phase !== 'uploading' || fraction === undefined || fraction < 0.3 || cutAt >= 0) return;
        cutAt = fraction;
        // The network goes: sshd's processes for this connection die; the device's own processes stay.
        for (const pid of descendants(sshdPid!)) if (comm(pid) === 'sshd' || comm(pid) === 'sshd-session') process.kill(pid, 'SIGKILL');
      },
      new AbortController().signal,
    ).then(
      () => undefined,
      (err: Error) => err,
    );
    assert.ok(failure instanceof Error, 'the deploy failed');
    assert.ok(cutAt >= 0.3 && cutAt < 1, `cut at ${cutAt}`);
    // With exec, the device's apply sees its input end early, refuses it and exits.
    for (let i = 0; i < 100 && processesWith('apply', device.config).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(processesWith('apply', device.config), [], 'vigil apply ended on the device');
    assert.equal(current(), before);
    assert.deepEqual(readdirSync(join(device.bundles, '.vigil', 'staging')), [], 'the partial upload was removed');
    assert.equal(readdirSync(join(device.bundles, '.vigil', 'versions', 'door')).filter((e) => e.includes(version)).length, 0);
    assert.equal(existsSync(join(device.bundles, '.vigil', 'door.pending.json')), false);
    const trig = await vigil(['trigger', 'door-check', '--config', device.config]);
    assert.equal(trig.code, 0, trig.stderr);
    assert.match(trig.stdout, /Allowed/);
  }

  it('an upload into the runtime control socket cut off halfway leaves the old version serving and nothing behind', async () => {
    await cutHalfway('auto', '1.9.0');
  });

  it('the same through `vigil apply` on the device; then a whole upload that way deploys', async () => {
    await cutHalfway('exec', '1.9.1');
    const outcome = await deployHost(
      { name: 'device', ssh: parseTarget(target), vigilCommand: deviceVigil, deviceConfig: device.config, identity: sshd.clientKeyPath },
      loadPayload(source('1.9.2')),
      { knownHosts, keep: 3, timeoutSec: 30, transport: 'exec' },
      () => {},
      new AbortController().signal,
    );
    assert.equal(outcome.via, 'exec');
    assert.equal(outcome.status, 'deployed');
    assert.match(current(), /1\.9\.2/);
  });

  it('refuses an unknown host, then pins it with --accept-new', async () => {
    const fresh = join(tempDir('vigil-kh-'), 'known_hosts');
    const args = ['deploy', source('1.2.0'), target, '--identity', sshd.clientKeyPath, '--known-hosts', fresh, '--vigil-command', deviceVigil, '--device-config', device.config];
    const before = current();
    const refused = await vigil(args, { timeoutMs: 60_000 });
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /HOST_KEY_UNKNOWN|not in .*known_hosts/);
    assert.equal(existsSync(fresh), false);
    assert.equal(current(), before, 'nothing was deployed');
    const accepted = await vigil([...args, '--accept-new'], { timeoutMs: 60_000 });
    assert.equal(accepted.code, 0, accepted.stderr + accepted.stdout);
    assert.ok(readFileSync(fresh, 'utf8').includes(sshd.hostPublicKey.split(' ')[1]!));
  });

  it('refuses a changed host key, even with --accept-new', async () => {
    await sshd.rotateHostKey();
    const before = current();
    const r = await vigil(['deploy', source('1.3.0'), target, ...common(), '--accept-new'], { timeoutMs: 60_000 });
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /CHANGED/);
    assert.equal(current(), before);
    // Trusted again for the tests that follow.
    sshd.knownHostsFile(knownHosts);
  });

  it('says clearly when vigil is not on the device', async () => {
    const r = await vigil(['deploy', source('1.4.0'), target, '--identity', sshd.clientKeyPath, '--known-hosts', knownHosts, '--vigil-command', 'vigil-not-installed-here'], { timeoutMs: 60_000 });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /vigil is not installed on .* or not on its PATH/);
  });

  it('checks its arguments before connecting anywhere', async () => {
    const cases: [string[], RegExp][] = [
      [['deploy', source('1.5.0')], /no devices to deploy to/],
      [['deploy', source('1.5.0'), target, '--limit', 'garden'], /--limit selects inventory hosts/],
      [['deploy', source('1.5.0'), target, target], /named twice/],
      [['deploy', source('1.5.0'), target, '--concurrency', '0'], /--concurrency 0 is not valid/],
      [['deploy', join(tempDir(), 'missing'), target], /cannot read bundle/],
      [['deploy', 'door', target, '--rollback', '--smoke', 'check'], /--smoke does not apply with --rollback/],
    ];
    for (const [args, message] of cases) {
      const r = await vigil(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, message);
    }
  });

});
