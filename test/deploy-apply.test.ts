// The device side of a deploy (deploy/device/): staging, atomic switch, health, rollback, pruning,
// against a real runtime in this process (the control socket path is covered in deploy-cli.test.ts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildBundle } from '../deploy/bundle.js';
import { applyArchive, rollbackBundle, type ApplyOptions } from '../deploy/device/apply.js';
import { DeviceLayout, versionEntry } from '../deploy/device/layout.js';
import { inProcessLink, type RuntimeLink } from '../deploy/device/runtime-link.js';
import { VigilError } from '../runtime/errors.js';
import { recorded, recorder, until } from './helpers/recorder.js';
import { next, startHarness, tempDir, writeBundle, type BundleSpec, type Harness } from './helpers/harness.js';

const OK_TASK = `export default async function run(instance) {
  if (instance.triggerDetails && instance.triggerDetails.smoke) { instance.progress = 100; return; }
  await new Promise((resolve) => instance.signal.addEventListener('abort', resolve));
}
`;
const FAILING_SMOKE = `export default function run(instance) { if (instance.triggerDetails && instance.triggerDetails.smoke) throw new Error('sensor bus not found'); }\n`;

const serviced = join(tempDir('vigil-serviced-'), 'serviced.jsonl');

function spec(version: string, code = OK_TASK, trigger: Record<string, unknown> = { type: 'ApplicationTrigger', name: 'door-check' }): BundleSpec {
  return {
    name: 'door',
    version,
    tasks: [
      { name: 'check', entry: 'check.js', trigger, isolation: 'inprocess' },
      { name: 'serviced', entry: 'serviced.js', trigger: { type: 'SystemTrigger', triggerType: 'ServicingComplete' }, isolation: 'inprocess' },
    ],
    files: { 'check.js': code, 'serviced.js': recorder(serviced) },
  };
}

function archive(s: BundleSpec): Buffer {
  const src = tempDir('vigil-src-');
  return buildBundle(writeBundle(src, s)).archive;
}

describe('vigil apply, on the device', () => {
  let h: Harness;
  let layout: DeviceLayout;
  let options: ApplyOptions;
  const phases: string[] = [];
  // Looked up on each call: the harness and its runtime are made in before().
  const link: RuntimeLink = {
    reload: (bundle, ms) => inProcessLink(h.runtime).reload(bundle, ms),
    smoke: (bundle, task, ms, details) => inProcessLink(h.runtime).smoke(bundle, task, ms, details),
  };

  before(async () => {
    h = await startHarness();
    layout = new DeviceLayout(h.bundlesDir);
    options = { layout, link, keep: 3, timeoutMs: 5000, onPhase: (p) => phases.push(p) };
  });
  after(() => h.close());

  const loaded = () => h.runtime.bundles.loaded.get('door');

  it('installs a first version behind a symlink, and its registration is armed', async () => {
    const result = await applyArchive(archive(spec('1.0.0')), undefined, options);
    assert.equal(result.status, 'deployed');
    assert.equal(result.previous, null);
    assert.equal(result.health?.healthy, true);
    assert.deepEqual(result.health?.tasks.map((t) => [t.name, t.armed]), [['check', true], ['serviced', true]]);
    assert.ok(lstatSync(layout.entry('door')).isSymbolicLink());
    assert.match(readlinkSync(layout.entry('door')), /^\.vigil\/versions\/door\/0001-1\.0\.0-[0-9a-f]{12}$/);
    assert.equal(loaded()?.version, '1.0.0');
    assert.deepEqual(phases, ['verify', 'unpack', 'switch', 'reload', 'prune']);
    assert.equal(existsSync(layout.pendingFile('door')), false);
  });

  it('replaces it: the running task is cancelled with ServicingUpdate, then ServicingComplete fires', async () => {
    const started = next(h.runtime, 'started', (e) => e.name === 'check');
    h.runtime.trigger('door-check');
    await started;
    const canceled = next(h.runtime, 'canceled', (e) => e.name === 'check');
    const result = await applyArchive(archive(spec('1.1.0')), undefined, options);
    assert.equal(result.status, 'deployed');
    assert.deepEqual(result.previous, { version: '1.0.0' });
    assert.equal(loaded()?.version, '1.1.0');
    assert.equal((await canceled).reason, 'ServicingUpdate');
    await until('ServicingComplete ran', () => recorded(serviced).length > 0);
    assert.deepEqual(recorded(serviced)[0], { bundle: 'door', version: '1.1.0', previousVersion: '1.0.0' });
  });

  it('sends the same archive again: unchanged, no new version', async () => {
    const before = layout.versions('door').length;
    const result = await applyArchive(archive(spec('1.1.0')), undefined, options);
    assert.equal(result.status, 'unchanged');
    assert.equal(layout.versions('door').length, before);
  });

  it('refuses an archive that does not match the sha256 it was sent with, and changes nothing', async () => {
    const good = archive(spec('1.2.0'));
    const cut = good.subarray(0, Math.floor(good.length / 2));
    const linkBefore = readlinkSync(layout.entry('door'));
    await assert.rejects(applyArchive(cut, 'a'.repeat(64), options), (err: VigilError) => err.code === 'UPLOAD_INCOMPLETE' && /cut off/.test(err.message));
    await assert.rejects(applyArchive(cut, undefined, options), (err: VigilError) => err.code === 'BUNDLE_CORRUPT');
    assert.equal(readlinkSync(layout.entry('door')), linkBefore);
    assert.equal(loaded()?.version, '1.1.0');
  });

  it('rolls back a version whose smoke task fails, and deletes it', async () => {
    const versionsBefore = layout.versions('door').map((v) => v.entry);
    const result = await applyArchive(archive(spec('2.0.0', FAILING_SMOKE)), undefined, { ...options, smoke: 'check' });
    assert.equal(result.status, 'rolled-back');
    assert.equal(result.failure?.code, 'SMOKE_FAILED');
    assert.match(result.failure!.message, /sensor bus not found/);
    assert.equal(result.smoke?.outcome, 'failed');
    assert.equal(loaded()?.version, '1.1.0');
    assert.deepEqual(layout.versions('door').map((v) => v.entry), versionsBefore);
    assert.equal(existsSync(layout.pendingFile('door')), false);
  });

  it('rolls back a version the runtime cannot arm', async () => {
    // A SensorDataThresholdTrigger on a sensor this board does not have is refused at registration.
    const result = await applyArchive(archive(spec('2.0.1', OK_TASK, { type: 'SensorDataThresholdTrigger', sensor: 'nope', channel: 'temperature', threshold: 1 })), undefined, options);
    assert.equal(result.status, 'rolled-back');
    assert.equal(result.failure?.code, 'UNHEALTHY');
    assert.match(result.failure!.message, /rejected|not armed/);
    assert.equal(loaded()?.version, '1.1.0');
    assert.equal(h.runtime.bundles.rejected.has('door'), false, 'after the rollback the runtime runs the old version cleanly');
  });

  it('keeps a version whose smoke task succeeds', async () => {
    const result = await applyArchive(archive(spec('1.2.0')), undefined, { ...options, smoke: 'check' });
    assert.equal(result.status, 'deployed');
    assert.equal(result.smoke?.outcome, 'succeeded');
    assert.equal(loaded()?.version, '1.2.0');
  });

  it('rolls back on request, one version at a time, until there is none', async () => {
    assert.deepEqual(layout.versions('door').map((v) => v.version), ['1.0.0', '1.1.0', '1.2.0']);
    const first = await rollbackBundle('door', options);
    assert.equal(first.version, '1.1.0');
    assert.equal(loaded()?.version, '1.1.0');
    const second = await rollbackBundle('door', options);
    assert.equal(second.version, '1.0.0');
    await assert.rejects(rollbackBundle('door', options), (err: VigilError) => err.code === 'NO_PREVIOUS_VERSION');
    await assert.rejects(rollbackBundle('nothing-here', options), (err: VigilError) => err.code === 'NOT_DEPLOYED');
  });

  it('keeps the newest N versions and the current one', async () => {
    // Current is 1.0.0 (the oldest) after the rollbacks: it survives pruning.
    const r1 = await applyArchive(archive(spec('3.0.0')), undefined, { ...options, keep: 2 });
    assert.equal(r1.status, 'deployed');
    assert.deepEqual(layout.versions('door').map((v) => v.version), ['1.0.0', '3.0.0']);
    assert.deepEqual(r1.removed.map((e) => e.split('-')[1]), ['1.1.0', '1.2.0']);
  });

  it('undoes a switch whose health check never finished (the deploying process died)', async () => {
    // What a deploy killed between its switch and its check leaves behind.
    const bad = layout.linkTarget('door', versionEntry(9, '9.9.9', 'f'.repeat(64)));
    mkdirSync(join(h.bundlesDir, bad), { recursive: true });
    const from = readlinkSync(layout.entry('door'));
    writeFileSync(layout.pendingFile('door'), JSON.stringify({ bundle: 'door', pid: 2 ** 22 + 7, from, to: bad }));
    symlinkSync(bad, join(h.bundlesDir, '.tmp-link'));
    (await import('node:fs')).renameSync(join(h.bundlesDir, '.tmp-link'), layout.entry('door'));
    const result = await applyArchive(archive(spec('3.0.0')), undefined, options);
    assert.equal(result.status, 'unchanged', 'back on 3.0.0 before anything else');
    assert.ok(phases.includes('rollback'));
    assert.equal(readlinkSync(layout.entry('door')), from);
    assert.equal(existsSync(join(h.bundlesDir, bad)), false);
  });

  it('refuses a second deploy of the same bundle while one holds the lock', async () => {
    writeFileSync(layout.lockFile('door'), `${process.ppid}\n`);
    try {
      await assert.rejects(applyArchive(archive(spec('4.0.0')), undefined, options), (err: VigilError) => err.code === 'DEPLOY_BUSY' && err.message.includes(String(process.ppid)));
    } finally {
      (await import('node:fs')).rmSync(layout.lockFile('door'));
    }
  });

  it('adopts a bundle installed by hand as version 0, and can go back to it', async () => {
    writeBundle(h.bundlesDir, { ...spec('0.9.0'), name: 'porch', tasks: [{ name: 'check', entry: 'check.js', trigger: { type: 'ApplicationTrigger', name: 'porch-check' }, isolation: 'inprocess' }] });
    await h.runtime.bundles.rescan();
    assert.equal(h.runtime.bundles.loaded.get('porch')?.version, '0.9.0');
    const porch = { ...spec('1.0.0'), name: 'porch', tasks: [{ name: 'check', entry: 'check.js', trigger: { type: 'ApplicationTrigger', name: 'porch-check' }, isolation: 'inprocess' }] };
    const result = await applyArchive(archive(porch), undefined, options);
    assert.equal(result.status, 'deployed');
    assert.deepEqual(result.previous, { version: '0.9.0' });
    assert.deepEqual(layout.versions('porch').map((v) => [v.seq, v.version]), [[0, '0.9.0'], [1, '1.0.0']]);
    const back = await rollbackBundle('porch', options);
    assert.equal(back.version, '0.9.0');
    assert.equal(h.runtime.bundles.loaded.get('porch')?.version, '0.9.0');
    assert.equal(realpathSync(layout.entry('porch')), realpathSync(layout.versions('porch')[0]!.path));
    assert.match(readFileSync(join(layout.entry('porch'), 'manifest.json'), 'utf8'), /0\.9\.0/);
  });

  it('an old version that cannot be removed is reported, and the deploy still succeeds', async () => {
    const oldest = layout.versions('door')[0]!;
    const stuck = join(oldest.path, 'check.js');
    // Root ignores permissions: an immutable file is what it cannot remove.
    const root = process.getuid?.() === 0;
    if (root) execFileSync('chattr', ['+i', stuck]);
    else chmodSync(oldest.path, 0o500);
    try {
      const result = await applyArchive(archive(spec('6.0.0')), undefined, { ...options, keep: 2 });
      assert.equal(result.status, 'deployed');
      assert.equal(loaded()?.version, '6.0.0');
      assert.match(result.pruneError ?? '', /^old versions could not all be removed: /);
      assert.ok(result.pruneError!.includes(oldest.entry), result.pruneError);
      assert.ok(existsSync(oldest.path));
    } finally {
      if (root) execFileSync('chattr', ['-i', stuck]);
      else chmodSync(oldest.path, 0o755);
    }
  });

  it('rolls back when no runtime answers the health check', async () => {
    const down: RuntimeLink = {
      reload: () => Promise.reject(new VigilError('NOT_RUNNING', 'no vigil runtime is running for this state directory')),
      smoke: () => Promise.reject(new Error('unreachable')),
    };
    const linkBefore = readlinkSync(layout.entry('door'));
    const result = await applyArchive(archive(spec('5.0.0')), undefined, { ...options, link: down });
    assert.equal(result.status, 'rolled-back');
    assert.equal(result.failure?.code, 'RUNTIME_NOT_RUNNING');
    assert.equal(readlinkSync(layout.entry('door')), linkBefore);
  });
});
