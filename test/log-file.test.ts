import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { RotatingFile } from '../runtime/log-file.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A record line of exactly `width` bytes (newline included) carrying its sequence number. */
function fixedLine(n: number, width = 100): string {
  const head = `{"n":${n},"pad":"`;
  return head + 'x'.repeat(width - head.length - 3) + '"}\n';
}

/** Lines of varying length, as real records are. */
function variedLine(n: number): string {
  return JSON.stringify({ n, msg: 'reading '.repeat(n % 17) + 'ok' }) + '\n';
}

const sizeOf = (p: string): number => statSync(p).size;

/** Oldest file first: path.N … path.1, path. */
function filesInOrder(path: string, files: number): string[] {
  const out: string[] = [];
  for (let i = files; i >= 1; i--) if (existsSync(`${path}.${i}`)) out.push(`${path}.${i}`);
  out.push(path);
  return out;
}

function numbersIn(file: string): number[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), `${file} ends mid-line`);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { n: number }).n);
}

test('the file rotates only when the next chunk would pass the cap', async (t) => {
  const path = join(tempDir(t), 'vigil.log');
  // sync, so that what is on disk can be checked between writes
  const file = new RotatingFile({ path, maxBytes: 1000, files: 3, sync: true });
  for (let n = 0; n < 10; n++) file.write(fixedLine(n));
  assert.equal(sizeOf(path), 1000, 'exactly at the cap is still one file');
  assert.equal(existsSync(`${path}.1`), false);
  file.write(fixedLine(10));
  assert.deepEqual(numbersIn(`${path}.1`), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(numbersIn(path), [10]);
  await file.end();
});

for (const sync of [false, true]) {
  test(`writing 20× the cap keeps ${sync ? 'sync' : 'async'} files bounded, whole and complete`, async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'vigil.log');
    writeFileSync(`${path}.5`, 'left by a larger setting\n');
    const maxBytes = 4096;
    const files = 3;
    const file = new RotatingFile({ path, maxBytes, files, sync });
    let written = 0;
    let n = 0;
    // Bursts with turns of the event loop between them, so rotations meet writes in flight.
    while (written < 20 * maxBytes) {
      for (let i = 0; i < 7; i++) {
        const line = variedLine(n++);
        written += Buffer.byteLength(line);
        file.write(line);
      }
      if (n % 3 === 0) await tick();
    }
    await file.end();

    const names = readdirSync(dir).sort();
    assert.deepEqual(names, ['vigil.log', 'vigil.log.1', 'vigil.log.2', 'vigil.log.3']);
    const ordered = filesInOrder(path, files);
    let total = 0;
    for (const f of ordered) {
      assert.ok(sizeOf(f) <= maxBytes, `${f} is ${sizeOf(f)} bytes, over the cap`);
      total += sizeOf(f);
    }
    assert.ok(total <= maxBytes * (files + 1), `${total} bytes on disk`);
    // A rotated file is only closed when the next line would not fit.
    for (const f of ordered.slice(0, -1)) assert.ok(sizeOf(f) > maxBytes - 200, `${f} rotated early at ${sizeOf(f)}`);

    const seen = ordered.flatMap(numbersIn);
    const first = seen[0]!;
    assert.ok(first > 0, 'the oldest lines were dropped');
    assert.deepEqual(
      seen,
      Array.from({ length: n - first }, (_, i) => first + i),
      'every line after the dropped ones, once, in order',
    );
  });
}

test('a chunk larger than the cap goes whole into a fresh file', async (t) => {
  const path = join(tempDir(t), 'vigil.log');
  const file = new RotatingFile({ path, maxBytes: 1000, files: 2 });
  file.write(fixedLine(0));
  file.write(fixedLine(1, 3000));
  file.write(fixedLine(2));
  await file.end();
  assert.deepEqual(numbersIn(`${path}.2`), [0]);
  assert.deepEqual(numbersIn(`${path}.1`), [1]);
  assert.equal(sizeOf(`${path}.1`), 3000);
  assert.deepEqual(numbersIn(path), [2]);
});

test('an existing file is appended to and its size counts toward the cap', async (t) => {
  const path = join(tempDir(t), 'vigil.log');
  writeFileSync(path, Array.from({ length: 9 }, (_, n) => fixedLine(n)).join(''));
  const file = new RotatingFile({ path, maxBytes: 1000, files: 2 });
  file.write(fixedLine(9));
  file.write(fixedLine(10));
  await file.end();
  assert.deepEqual(numbersIn(`${path}.1`), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(numbersIn(path), [10]);
});

test('files: 0 keeps only the current file', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'vigil.log');
  const file = new RotatingFile({ path, maxBytes: 1000, files: 0 });
  for (let n = 0; n < 35; n++) file.write(fixedLine(n));
  await file.end();
  assert.deepEqual(readdirSync(dir), ['vigil.log']);
  assert.deepEqual(numbersIn(path), [30, 31, 32, 33, 34]);
});

test('end() leaves every line on disk and later writes are dropped without throwing', async (t) => {
  const path = join(tempDir(t), 'logs', 'vigil.log');
  const file = new RotatingFile({ path, maxBytes: 1 << 20, files: 1 });
  assert.equal(file.path, path);
  for (let n = 0; n < 5000; n++) file.write(fixedLine(n, 60));
  await file.end();
  assert.equal(sizeOf(path), 5000 * 60);
  assert.equal(numbersIn(path).length, 5000);
  assert.equal(file.write(fixedLine(5000, 60)), false);
  await file.end();
  assert.equal(sizeOf(path), 5000 * 60);
});

test('flushSync puts buffered lines on disk before it returns, and rotation stays exact after it', async (t) => {
  const path = join(tempDir(t), 'vigil.log');
  const file = new RotatingFile({ path, maxBytes: 1000, files: 5 });
  file.write(fixedLine(0));
  while (!existsSync(path) || sizeOf(path) < 100) await new Promise((r) => setTimeout(r, 2));
  for (let n = 1; n < 8; n++) file.write(fixedLine(n));
  file.flushSync();
  // sonic-boom's flushSync may land its buffer before a write already in flight: same lines, maybe reordered.
  const sorted = (ns: number[]): number[] => [...ns].sort((a, b) => a - b);
  assert.deepEqual(sorted(numbersIn(path)), [0, 1, 2, 3, 4, 5, 6, 7]);
  for (let n = 8; n < 40; n++) file.write(fixedLine(n));
  await file.end();
  const ordered = filesInOrder(path, 5);
  assert.deepEqual(ordered.map(sizeOf), [1000, 1000, 1000, 1000]);
  assert.deepEqual(ordered.map((f) => sorted(numbersIn(f))), [0, 10, 20, 30].map((s) => Array.from({ length: 10 }, (_, i) => s + i)));
});

test('a failing disk is reported, neither stalls rotation nor loses the records that follow', async (t) => {
  const path = join(tempDir(t), 'vigil.log');
  const realWrite = fs.write;
  let failing = false;
  // sonic-boom writes through the fs module object, so a failing disk can be stood in for here.
  (fs as unknown as { write: unknown }).write = (...args: unknown[]) => {
    if (!failing) return (realWrite as (...a: unknown[]) => void)(...args);
    const callback = args.at(-1) as (err: Error) => void;
    process.nextTick(callback, Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
  };
  t.after(() => {
    fs.write = realWrite;
  });
  const file = new RotatingFile({ path, maxBytes: 1000, files: 2 });
  const errors: string[] = [];
  file.on('error', (err) => errors.push(err.message));
  let n = 0;
  for (; n < 5; n++) file.write(fixedLine(n));
  while (!existsSync(path) || sizeOf(path) < 500) await new Promise((r) => setTimeout(r, 2));
  failing = true;
  for (; n < 30; n++) {
    file.write(fixedLine(n));
    await tick();
  }
  failing = false;
  for (; n < 50; n++) {
    file.write(fixedLine(n));
    await tick();
  }
  await file.end();
  assert.ok(errors.length > 0 && errors.every((m) => m.includes('ENOSPC')), JSON.stringify(errors));
  const seen = filesInOrder(path, 2).flatMap(numbersIn);
  const first = seen[0]!;
  assert.deepEqual(seen, Array.from({ length: 50 - first }, (_, i) => first + i));
  assert.ok(first <= 30, `records written while the disk failed were lost: first kept is ${first}`);
});

test('a nonsensical cap or count is refused with the value quoted', () => {
  assert.throws(() => new RotatingFile({ path: '/nonexistent/x.log', maxBytes: 0, files: 1 }), /maxBytes .* got 0/);
  assert.throws(() => new RotatingFile({ path: '/nonexistent/x.log', maxBytes: 10, files: -1 }), /files .* got -1/);
});

test('lines beyond the backlog are dropped, counted, and the loss is written into the log', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'vigil.log');
  // A cap that rotates constantly and a small backlog: a burst without yielding overflows it.
  const file = new RotatingFile({ path, maxBytes: 10_000, files: 2, maxBacklogBytes: 20_000 });
  const written = 5_000;
  for (let n = 0; n < written; n++) file.write(fixedLine(n));
  const dropped = file.dropped;
  assert.ok(dropped > 0, 'a 500 kB burst into a 20 kB backlog drops lines');
  await file.end();
  const lines = filesInOrder(path, 2).flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean));
  const notes = lines.map((l) => JSON.parse(l) as { n?: number; dropped?: number; msg?: string }).filter((r) => r.dropped !== undefined);
  assert.equal(notes.length, 1, 'one notice for the burst');
  assert.equal(notes[0]!.dropped, dropped);
  assert.match(notes[0]!.msg!, new RegExp(`the log could not keep up: ${dropped} line\\(s\\) were dropped`));
  // What was kept is in order, and nothing kept is torn.
  const kept = lines.map((l) => (JSON.parse(l) as { n?: number }).n).filter((n): n is number => n !== undefined);
  assert.deepEqual(kept, [...kept].sort((a, b) => a - b));
});
