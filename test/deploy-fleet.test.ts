// Five devices at once: five real sshd instances, five runtimes, one Ansible inventory.
import assert from 'node:assert/strict';
import { readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { vigil } from './helpers/cli.js';
import { deviceVigil, source, startDevice, type Device } from './helpers/device.js';
import { tempDir } from './helpers/harness.js';
import { startSshd, type Sshd } from './helpers/sshd.js';

describe('vigil deploy --inventory, five devices in parallel', () => {
  const hosts: { sshd: Sshd; device: Device }[] = [];
  let dir: string;
  let knownHosts: string;

  before(async () => {
    dir = tempDir('vigil-fleet-');
    knownHosts = join(dir, 'known_hosts');
    const started = await Promise.all(Array.from({ length: 5 }, async () => ({ sshd: await startSshd(), device: await startDevice() })));
    hosts.push(...started);
    writeFileSync(knownHosts, hosts.map((h) => `[127.0.0.1]:${h.sshd.port} ${h.sshd.hostPublicKey}\n`).join(''));
    // YAML as Ansible reads it: groups, children, per-host connection variables.
    const yaml = [
      'all:',
      '  vars:',
      `    vigil_command: ${JSON.stringify(deviceVigil)}`,
      '  children:',
      '    garden:',
      '      hosts:',
      ...hosts.slice(0, 3).flatMap((h, i) => hostLines(`garden-${i + 1}`, h)),
      '    porch:',
      '      hosts:',
      ...hosts.slice(3).flatMap((h, i) => hostLines(`porch-${i + 1}`, h)),
    ];
    writeFileSync(join(dir, 'hosts.yml'), `${yaml.join('\n')}\n`);
  });
  after(async () => {
    await Promise.all(hosts.map(async (h) => Promise.all([h.device.close(), h.sshd.stop()])));
  });

  function hostLines(name: string, h: { sshd: Sshd; device: Device }): string[] {
    return [
      `        ${name}:`,
      '          ansible_host: 127.0.0.1',
      `          ansible_port: ${h.sshd.port}`,
      `          ansible_user: ${h.sshd.user}`,
      `          ansible_ssh_private_key_file: ${h.sshd.clientKeyPath}`,
      `          vigil_config: ${h.device.config}`,
    ];
  }

  it('deploys to all five, three at a time, and prints one row per device', async () => {
    const r = await vigil(['deploy', source('2.0.0'), '--inventory', join(dir, 'hosts.yml'), '--known-hosts', knownHosts, '--concurrency', '3'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    for (const name of ['garden-1', 'garden-2', 'garden-3', 'porch-1', 'porch-2']) assert.match(r.stdout, new RegExp(`^${name}\\s+deployed\\s+2\\.0\\.0`, 'm'));
    assert.match(r.stdout, /^5 deployed$/m);
    // Not a terminal: one plain line per phase and host.
    assert.match(r.stderr, /^porch-2: uploading/m);
    for (const h of hosts) assert.match(readlinkSync(join(h.device.bundles, 'door')), /0001-2\.0\.0-/);
  });

  it('--limit picks a group; one failing device fails the run (exit 1) and the others still deploy', async () => {
    const broken = hosts[1]!;
    await broken.device.stop();
    const r = await vigil(['deploy', source('2.1.0'), '--inventory', join(dir, 'hosts.yml'), '--limit', 'garden', '--known-hosts', knownHosts, '--json'], { timeoutMs: 120_000 });
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const json = JSON.parse(r.stdout) as { hosts: { name: string; ok: boolean; status: string; error?: { message: string } }[] };
    assert.deepEqual(json.hosts.map((h) => [h.name, h.ok]), [['garden-1', true], ['garden-2', false], ['garden-3', true]]);
    assert.equal(json.hosts[1]!.status, 'rolled back');
    assert.match(json.hosts[1]!.error!.message, /no runtime answered/);
    assert.match(readlinkSync(join(hosts[0]!.device.bundles, 'door')), /2\.1\.0/);
    assert.match(readlinkSync(join(broken.device.bundles, 'door')), /2\.0\.0/, 'the device without a runtime kept its version');
    assert.match(readlinkSync(join(hosts[3]!.device.bundles, 'door')), /2\.0\.0/, 'porch was not in the limit');
    await broken.device.start();
  });
});
