/**
 * Crash safety of the whole runtime: a runtime process under a write storm is killed with
 * SIGKILL at random moments, again and again on the same state; every time, the store on disk
 * is valid and holds every registration — the bundle's and those made through the API, which
 * exist nowhere else — with the same ids, and the runtime starts again on it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Store } from '../runtime/store.js';
import { repoRoot } from './helpers/cli.js';
import { startHarness, tempDir, writeBundle } from './helpers/harness.js';

const KILLS = 22;

function startChild(configFile: string): { ready: Promise<string[]>; kill: () => Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/runtime-storm-child.ts', configFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ready = new Promise<string[]>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = /READY (.*)\n/.exec(out);
      if (line) resolve(JSON.parse(line[1]!) as string[]);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    void exited.then(() => reject(new Error(`the runtime exited before READY:\n${err}`)));
  });
  return {
    ready,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

test(`a runtime killed ${KILLS} times mid-storm always restarts on a valid store with every registration`, { timeout: 180_000 }, async () => {
  const root = tempDir('vigil-crash-');
  const configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' } } }));
  writeBundle(join(root, 'bundles'), {
    name: 'storm',
    tasks: Array.from({ length: 30 }, (_, i) => ({
      name: `t${i}`,
      entry: 't.js',
      isolation: 'inprocess',
      trigger: { type: 'CustomSystemEventTrigger', triggerId: `storm.${i % 5}` },
    })),
    files: { 't.js': 'export default function run(i) { i.progress = 100; }' },
  });

  const first = startChild(configFile);
  const expected = await first.ready;
  assert.equal(expected.length, 50);
  await first.kill();

  let withRuns = 0;
  for (let round = 0; round < KILLS; round++) {
    // What is on disk right now, read the way the runtime reads it.
    const store = await Store.open({ dir: join(root, 'state') });
    const onDisk = Object.values(store.data.registrations).map((r) => `${r.source}:${r.name}:${r.taskId}`).sort();
    assert.deepEqual(onDisk, expected, `round ${round}: registrations intact`);
    if (Object.values(store.data.runs).some((runs) => runs.length > 0)) withRuns++;
    await store.close();

    const child = startChild(configFile);
    assert.deepEqual(await child.ready, expected, `round ${round}: the runtime restarted with the same ids`);
    // Killed only once the storm has replaced the file at least once (a slow disk must not turn
    // the test into one of kills before any write), then at a random moment of the writes after it.
    const file = join(root, 'state', 'store.json');
    const before = statSync(file).ino;
    for (const end = Date.now() + 10_000; statSync(file).ino === before; ) {
      assert.ok(Date.now() < end, `round ${round}: the storm wrote nothing to the store within 10 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, Math.random() * 400));
    await child.kill();
  }
  // Every round but the first (killed before its storm began) found the runs a completed write had put there.
  assert.ok(withRuns >= KILLS - 1, `a completed write survived the kill in every round (${withRuns}/${KILLS - 1})`);
});

test('a truncated store is reported in one line and the runtime starts on the last good copy', async () => {
  const h = await startHarness({
    bundles: [{ name: 'keep', tasks: [{ name: 'kept', entry: 't.js', trigger: { type: 'ApplicationTrigger' } }], files: { 't.js': 'export default function run() {}' } }],
  });
  try {
    const id = h.runtime.registry.records()[0]!.taskId;
    // Two generations on disk, so the backup holds the registration too.
    h.runtime.trigger('kept');
    await new Promise((r) => setTimeout(r, 200));
    await h.runtime.store.flush();
    await h.runtime.stop();
    truncateSync(join(h.stateDir, 'store.json'), 40);
    const rt = await h.restart();
    assert.equal(rt.registry.records()[0]?.taskId, id, 'the registration kept its id');
    const lines = readFileSync(join(h.stateDir, 'logs', 'vigil.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const recovered = lines.filter((l) => l.evt === 'store' && l.action === 'recovered');
    assert.equal(recovered.length, 1);
    assert.match(String(recovered[0]!.msg), /^store recovered: store\.json is not valid JSON \(.* at byte 40\)$/);
  } finally {
    await h.close();
  }
});
