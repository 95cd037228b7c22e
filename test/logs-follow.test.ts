/**
 * The local log source against the runtime's real logger and rotating file: every rotated file
 * read oldest first, a line still being written held back, malformed lines counted and
 * skipped, and --follow across rotations (several between two polls, too) and a truncation
 * without a line lost or repeated; `vigil logs --follow` ended by SIGINT exits 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { showLogs } from '../bin/logs.js';
import { parseLines, type Malformed } from '../deploy/logs/filter.js';
import { LocalLogSource } from '../deploy/logs/local.js';
import { createLogger, type LoggerHandle } from '../runtime/logger.js';
import { statePaths } from '../runtime/paths.js';
import { repoRoot, vigilArgs } from './helpers/cli.js';
import { tempDir } from './helpers/harness.js';

function logAt(t: { after(fn: () => void): void }, options: { maxBytes: number; files: number; sync: boolean }): { path: string; dir: string; log: LoggerHandle } {
  const dir = tempDir('vigil-follow-');
  const path = statePaths(dir).logFile;
  const log = createLogger({ file: { path, maxBytes: options.maxBytes, files: options.files }, sync: options.sync });
  t.after(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, dir, log };
}

/** A numbered record through the real logger, as a task's log line. */
function write(log: LoggerHandle, from: number, count: number): void {
  for (let n = from; n < from + count; n++) log.logger.info({ evt: 'task', task: 'counter', n }, `line ${n}`);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

async function numbers(lines: AsyncIterable<string>, malformed: Malformed = { count: 0 }): Promise<number[]> {
  const out: number[] = [];
  for await (const { record } of parseLines(lines, malformed)) if (typeof record.n === 'number') out.push(record.n);
  return out;
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('read() gives every rotated file oldest first, then the current one', async (t) => {
  const { path, log } = logAt(t, { maxBytes: 2000, files: 40, sync: true });
  write(log, 0, 400);
  assert.ok(existsSync(`${path}.10`), 'the log has rotated many times');
  assert.deepEqual(await numbers(new LocalLogSource(path).read()), range(0, 400));
});

test('a last line still being written is held until it is whole; malformed lines are counted and skipped', async (t) => {
  const { path, log } = logAt(t, { maxBytes: 1500, files: 5, sync: true });
  write(log, 0, 30);
  await log.close();
  const lines = readFileSync(path, 'utf8').split('\n');
  // The last record again, cut in the middle of a multi-byte character, as a write in progress would leave it.
  const record = Buffer.from(`${lines[lines.length - 2]!.replace(/"line (\d+)"/, '"line $1 — again"')}\n`);
  const cut = record.indexOf(Buffer.from('—')) + 1;
  appendFileSync(path, record.subarray(0, cut));
  appendFileSync(`${path}.1`, 'this is not a record\n{"torn":\n');
  const source = new LocalLogSource(path);
  const malformed = { count: 0 };
  const before = await numbers(source.read(), malformed);
  assert.deepEqual(before.slice(-2), [28, 29], 'the partial line is not given');
  assert.equal(malformed.count, 2);
  appendFileSync(path, record.subarray(cut));
  const texts: string[] = [];
  for await (const line of source.read()) texts.push(line);
  assert.match(texts[texts.length - 1]!, /"msg":"line 29 — again"/, 'once whole, the line is given, its character intact');

  let err = '';
  const sink = (f: (s: string) => void) => new Writable({ write: (c: Buffer, _e, done) => (f(c.toString()), done()) });
  let out = '';
  const code = await showLogs(source, { task: 'counter' }, { out: sink((s) => (out += s)), err: sink((s) => (err += s)), color: false, signal: new AbortController().signal });
  assert.equal(code, 0);
  assert.match(out, /\| counter +line 29 — again n=29\n$/);
  assert.match(err, /^vigil logs: skipped 2 malformed lines in .*vigil\.log \(not JSON log records\)\n$/);
});

test('follow() loses and repeats nothing while the real rotating writer rotates under it', async (t) => {
  const { path, log } = logAt(t, { maxBytes: 3000, files: 200, sync: false });
  write(log, 0, 250); // history, already rotated
  await until(() => existsSync(`${path}.3`), 'the first rotations');
  const controller = new AbortController();
  const seen: number[] = [];
  let caughtUp = false;
  const following = (async () => {
    const malformed = { count: 0 };
    for await (const { record } of parseLines(new LocalLogSource(path, { pollMs: 30 }).follow(controller.signal, { caughtUp: () => (caughtUp = true) }), malformed)) {
      if (typeof record.n === 'number') seen.push(record.n);
    }
    assert.equal(malformed.count, 0);
  })();
  await until(() => caughtUp, 'the history');
  let n = 250;
  for (let batch = 0; batch < 30; batch++) {
    write(log, n, 40); // about half a file: a rotation every other batch
    n += 40;
    await sleep(batch % 3 === 0 ? 1 : 15);
  }
  // A burst: several rotations before the next poll.
  write(log, n, 600);
  n += 600;
  await until(() => seen.length >= n, `${n} lines (have ${seen.length})`);
  await sleep(100); // anything extra (a repeat) would arrive now
  controller.abort();
  await following;
  assert.deepEqual(seen, range(0, n));
});

test('follow() starts again from the top of a truncated file', async (t) => {
  const { path, log } = logAt(t, { maxBytes: 1_000_000, files: 2, sync: true });
  write(log, 0, 20);
  const controller = new AbortController();
  const seen: number[] = [];
  const following = (async () => {
    for await (const { record } of parseLines(new LocalLogSource(path, { pollMs: 20 }).follow(controller.signal), { count: 0 })) {
      if (typeof record.n === 'number') seen.push(record.n);
    }
  })();
  await until(() => seen.length === 20, 'the first lines');
  truncateSync(path, 0);
  await sleep(80);
  write(log, 100, 5);
  await until(() => seen.length === 25, 'the lines after the truncation');
  controller.abort();
  await following;
  assert.deepEqual(seen, [...range(0, 20), ...range(100, 105)]);
});

test('vigil logs --follow prints new records as they come and exits 0 on SIGINT', async (t) => {
  const { dir, log } = logAt(t, { maxBytes: 2000, files: 10, sync: true });
  write(log, 0, 3);
  const child = spawn(process.execPath, vigilArgs(['logs', '--follow', '--state', dir]), { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await until(() => out.includes('line 2'), `the existing lines (stderr: ${err})`);
  write(log, 3, 60); // across a rotation
  await until(() => out.includes('line 62 n=62\n'), 'the new lines');
  child.kill('SIGINT');
  assert.equal(await exited, 0, err);
  const shown = out.trimEnd().split('\n').map((l) => Number(/line (\d+) n=\1$/.exec(l)?.[1]));
  assert.deepEqual(shown, range(0, 63));
  assert.match(out, /^\d\d:\d\d:\d\d\.\d{3} \| counter +line 0 n=0\n/);
  assert.equal(err, '');
});
