/**
 * Bundles on disk: loaded at start, reloaded on change. A replaced bundle's running task gets
 * ServicingUpdate and the bundle then gets ServicingComplete; a removed one's gets Uninstall.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { finished, next, startHarness, taskId, tick, writeBundle, type BundleSpec, type Harness } from './helpers/harness.js';

declare global {
  var serviced: Record<string, unknown>[] | undefined;
}

function svc(version: string, note: string): BundleSpec {
  return {
    name: 'svc',
    version,
    tasks: [
      { name: 'long', entry: 'long.js', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'svc.go' } },
      { name: 'after', entry: 'after.js', isolation: 'inprocess', trigger: { type: 'SystemTrigger', triggerType: 'ServicingComplete' } },
    ],
    files: {
      'long.js': `// ${note}
export default async function run(instance) {
  await new Promise((resolve) => instance.signal.addEventListener('abort', resolve));
}`,
      'after.js': 'export default function run(i) { (globalThis.serviced ??= []).push(i.triggerDetails); }',
    },
  };
}

let h: Harness;
before(async () => {
  h = await startHarness({ bundles: [svc('1.0.0', 'first')] });
});
after(() => h.close());

test('a redeployed bundle: its running task gets ServicingUpdate, then ServicingComplete fires; task ids stay', async () => {
  globalThis.serviced = [];
  const id = taskId(h.runtime, 'long');
  const started = next(h.runtime, 'started', (e) => e.name === 'long');
  h.runtime.emit('svc.go');
  await started;
  const done = finished(h.runtime, 'long');
  writeBundle(h.bundlesDir, svc('1.1.0', 'second'));
  await h.runtime.bundles.rescan();
  const result = await done;
  assert.equal(result.outcome, 'canceled');
  assert.equal(result.reason, 'ServicingUpdate');
  assert.equal(taskId(h.runtime, 'long'), id, 'the registration kept its id');
  assert.equal(h.runtime.bundles.loaded.get('svc')?.version, '1.1.0');
  assert.equal(h.runtime.store.data.registrations[id]?.bundleVersion, '1.1.0');
  await tick(10);
  assert.deepEqual(globalThis.serviced, [{ bundle: 'svc', version: '1.1.0', previousVersion: '1.0.0' }]);
});

test('the watcher notices a new bundle and a changed one without being asked', async () => {
  globalThis.serviced = [];
  writeBundle(h.bundlesDir, {
    name: 'late',
    tasks: [{ name: 'late-task', entry: 't.js', isolation: 'inprocess', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'late.go' } }],
    files: { 't.js': 'export default function run() {}' },
  });
  for (let i = 0; i < 100 && !h.runtime.bundles.loaded.has('late'); i++) await tick(50);
  assert.ok(h.runtime.bundles.loaded.has('late'), 'loaded within 5 s');
  const done = finished(h.runtime, 'late-task');
  assert.equal(h.runtime.emit('late.go'), 1);
  assert.equal((await done).outcome, 'succeeded');
  writeFileSync(join(h.bundlesDir, 'svc', 'long.js'), 'export default async function run() {}\n');
  for (let i = 0; i < 100 && (globalThis.serviced?.length ?? 0) === 0; i++) await tick(50);
  assert.deepEqual(globalThis.serviced, [{ bundle: 'svc', version: '1.1.0', previousVersion: '1.1.0' }]);
});

test('a removed bundle: its running task gets Uninstall and its registrations go', async () => {
  writeBundle(h.bundlesDir, svc('1.2.0', 'third'));
  await h.runtime.bundles.rescan();
  const started = next(h.runtime, 'started', (e) => e.name === 'long');
  h.runtime.emit('svc.go');
  await started;
  const done = finished(h.runtime, 'long');
  rmSync(join(h.bundlesDir, 'svc'), { recursive: true });
  await h.runtime.bundles.rescan();
  const result = await done;
  assert.equal(result.reason, 'Uninstall');
  assert.equal(h.runtime.registry.byBundle('svc').length, 0);
  assert.equal(h.runtime.access.getAccessStatus('svc'), 'Unspecified');
  assert.equal(h.runtime.emit('svc.go'), 0);
});

test('registrations of a bundle removed while the runtime was stopped are dropped at start', async () => {
  writeBundle(h.bundlesDir, svc('2.0.0', 'fourth'));
  await h.runtime.bundles.rescan();
  assert.equal(h.runtime.registry.byBundle('svc').length, 2);
  await h.runtime.stop();
  rmSync(join(h.bundlesDir, 'svc'), { recursive: true });
  const rt = await h.restart();
  assert.equal(rt.registry.byBundle('svc').length, 0);
  assert.ok(rt.registry.byBundle('late').length === 1, 'the other bundle is untouched');
});

test('a bundle updated while the runtime was stopped gets ServicingComplete at start', async () => {
  writeBundle(h.bundlesDir, svc('3.0.0', 'fifth'));
  await h.runtime.bundles.rescan();
  await h.runtime.stop();
  globalThis.serviced = [];
  writeBundle(h.bundlesDir, svc('3.1.0', 'sixth'));
  await h.restart();
  await tick(10);
  assert.deepEqual(globalThis.serviced, [{ bundle: 'svc', version: '3.1.0' }]);
});
