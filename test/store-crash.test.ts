/**
 * Crash safety: a child process writes the store as fast as it can and is killed with SIGKILL at
 * random moments, many times in a row on the same directory. After every kill the store must
 * open without recovery, at the right schema version, with every base registration intact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store } from '../runtime/store.js';
import type { RecoveryInfo } from '../runtime/store.js';
import { STORE_SCHEMA_VERSION } from '../runtime/store-types.js';
import { baseRegistrations } from './fixtures/store-registrations.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/store-crash-child.ts', import.meta.url));
const ROUNDS = 30;

/** Small seeded generator, so a failing sequence of kill times can be replayed from the seed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Round {
  ready: boolean;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the child; kills it `delayMs` after READY, or at `beforeReadyMs` after spawn if that comes first. */
function runAndKill(dir: string, delayMs: number, beforeReadyMs: number | null): Promise<Round> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let ready = false;
    let stdout = '';
    let stderr = '';
    let early: NodeJS.Timeout | undefined;
    const kill = () => proc.kill('SIGKILL');
    if (beforeReadyMs !== null) early = setTimeout(kill, beforeReadyMs);
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!ready && stdout.includes('READY\n')) {
        ready = true;
        if (early) clearTimeout(early);
        setTimeout(kill, delayMs);
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    proc.on('error', reject);
    proc.on('exit', (_code, signal) => {
      if (early) clearTimeout(early);
      resolve({ ready, signal, stderr });
    });
  });
}

test('the store survives SIGKILL at random moments during a write storm', { timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-crash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const seed = Date.now() % 1_000_000;
  const rand = random(seed);
  t.diagnostic(`seed ${seed}`);
  const expected = baseRegistrations();

  let midWrite = 0;
  let killedBeforeReady = 0;
  let lastFireTotal = 0;
  let roundsThatSavedStorm = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // The first round must reach READY so the base registrations exist; later ones may die starting up.
    const early = round > 0 && rand() < 0.25 ? Math.floor(20 + rand() * 400) : null;
    const delay = Math.floor(5 + rand() * 116);
    const outcome = await runAndKill(dir, delay, early);
    assert.equal(outcome.signal, 'SIGKILL', `round ${round}: the child ended on its own:\n${outcome.stderr}`);
    if (!outcome.ready) killedBeforeReady += 1;

    const leftovers = (await readdir(dir)).filter((name) => name.startsWith('.store.json.tmp-'));
    if (leftovers.length > 0) midWrite += 1;

    const recoveries: RecoveryInfo[] = [];
    const store = await Store.open({ dir, onRecovered: (info) => recoveries.push(info) });
    assert.deepEqual(recoveries, [], `round ${round}: the main file never needs recovery after a kill`);
    assert.equal(store.data.schemaVersion, STORE_SCHEMA_VERSION);
    for (const reg of expected) {
      assert.deepEqual(store.data.registrations[reg.taskId], reg, `round ${round}: registration ${reg.taskId}`);
    }
    const fireTotal = Object.values(store.data.triggerState).reduce((sum, s) => sum + (s.fireCount ?? 0), 0);
    if (fireTotal > lastFireTotal) roundsThatSavedStorm += 1;
    assert.ok(fireTotal >= lastFireTotal, `round ${round}: saved state never goes backwards`);
    lastFireTotal = fireTotal;
    await store.close();
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.startsWith('.')),
      [],
      `round ${round}: leftover temp files are removed on open`,
    );
  }
  t.diagnostic(
    `${ROUNDS} kills: ${killedBeforeReady} before READY, ${midWrite} left a temp file (killed mid-write), ` +
      `${roundsThatSavedStorm} rounds had storm writes on disk (${lastFireTotal} trigger firings saved in all)`,
  );
  assert.ok(roundsThatSavedStorm > 0, 'the storm really wrote to disk');
});
