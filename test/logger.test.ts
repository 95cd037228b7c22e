import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '../runtime/logger.js';
import { ConsoleView } from '../runtime/console-view.js';
import { formatRecord, parseRecord, type LogRecord } from '../runtime/log-format.js';

function tempFile(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-logger-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'vigil.log');
}

function records(path: string): LogRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const record = parseRecord(l);
      assert.ok(record, `not a JSON record: ${l}`);
      return record;
    });
}

function collect(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return { out, text: () => chunks.join('') };
}

const file = (path: string) => ({ path, maxBytes: 1 << 20, files: 2 });

test('records reach the file as JSON lines with their evt fields, time, level and pid but no hostname', async (t) => {
  const path = tempFile(t);
  const { logger, close } = createLogger({ file: file(path) });
  logger.info({ evt: 'start', task: 'upload', iid: 'i1', host: 'worker', warm: true, budgetMb: 32, quotaSec: 30 }, 'started');
  logger.warn({ evt: 'workcost', from: 'Medium', to: 'High', causes: ['MemAvailable 8% of RAM'] }, 'work cost');
  const before = Date.now();
  await close();
  const [start, cost, ...rest] = records(path);
  assert.equal(rest.length, 0);
  assert.deepEqual(
    { evt: start!.evt, task: start!.task, iid: start!.iid, host: start!.host, warm: start!.warm, budgetMb: start!.budgetMb, quotaSec: start!.quotaSec, msg: start!.msg, level: start!.level },
    { evt: 'start', task: 'upload', iid: 'i1', host: 'worker', warm: true, budgetMb: 32, quotaSec: 30, msg: 'started', level: 30 },
  );
  assert.deepEqual(cost!.causes, ['MemAvailable 8% of RAM']);
  assert.equal(cost!.level, 40);
  assert.equal(start!.pid, process.pid);
  assert.equal('hostname' in start!, false);
  assert.equal(typeof start!.time, 'number');
  assert.ok(Math.abs(start!.time! - before) < 5000);
});

test('the level filters what is written; info is the default', async (t) => {
  const infoPath = tempFile(t);
  const info = createLogger({ file: file(infoPath) });
  info.logger.debug('hidden');
  info.logger.info('shown');
  await info.close();
  assert.deepEqual(records(infoPath).map((r) => r.msg), ['shown']);

  const warnPath = tempFile(t);
  const warn = createLogger({ level: 'warn', file: file(warnPath) });
  warn.logger.info('hidden');
  warn.logger.warn('shown');
  warn.logger.error('also shown');
  await warn.close();
  assert.deepEqual(records(warnPath).map((r) => r.msg), ['shown', 'also shown']);
});

test('with a console, the console shows the formatted line of the record the file holds', async (t) => {
  const path = tempFile(t);
  const screen = collect();
  const { logger, close } = createLogger({ level: 'debug', file: file(path), console: { out: screen.out, color: false } });
  logger.info({ evt: 'complete', task: 'upload', iid: 'i1', outcome: 'succeeded', ms: 385, memPeakMb: 3.1, budgetMb: 32, energy: 'UnderHalf' }, 'done');
  logger.debug('chatty detail');
  await close();
  const [done, debug] = records(path);
  assert.equal(debug!.msg, 'chatty detail', 'the file takes debug records');
  assert.equal(screen.text(), `${formatRecord(done!, { color: false })}\n`, 'the console leaves debug out');
  assert.match(screen.text(), /upload +succeeded in 385 ms, peak 3\.1 MB of 32 MB \(UnderHalf\)\n$/);
});

test('a console alone needs no file, and asks for debug when told to', async () => {
  const screen = collect();
  const { logger, close } = createLogger({ level: 'debug', console: { out: screen.out, color: true, level: 'debug' } });
  logger.debug({ evt: 'progress', task: 'upload', progress: 40 }, 'progress');
  await close();
  assert.match(screen.text(), /\x1b\[2m\. upload +progress 40%\x1b\[0m\n$/);
});

test('close() flushes: every line logged up to the moment of closing is in the file', async (t) => {
  const path = tempFile(t);
  const { logger, close } = createLogger({ file: file(path) });
  for (let n = 0; n < 3000; n++) logger.info({ evt: 'progress', task: 'bulk', progress: n % 101, n }, 'tick');
  logger.info({ evt: 'runtime', phase: 'stopped' }, 'last words');
  await close();
  const all = records(path);
  assert.equal(all.length, 3001);
  assert.equal(all.at(-1)!.msg, 'last words');
  await close(); // twice is harmless
  logger.info('after close'); // dropped, does not throw
  assert.equal(records(path).length, 3001);
});

test('the logger rotates its file at the cap', async (t) => {
  const path = tempFile(t);
  const { logger, close } = createLogger({ file: { path, maxBytes: 2000, files: 2 } });
  for (let n = 0; n < 200; n++) logger.info({ evt: 'task', task: 'sensor', n }, 'reading');
  await close();
  for (const p of [path, `${path}.1`, `${path}.2`]) {
    assert.ok(existsSync(p), p);
    assert.ok(statSync(p).size <= 2000, `${p} is ${statSync(p).size} bytes`);
  }
  assert.equal(existsSync(`${path}.3`), false);
  assert.equal(records(path).at(-1)!.n, 199);
});

test('ConsoleView passes text that is not a record through unchanged and hides records below its level', () => {
  const screen = collect();
  const view = new ConsoleView({ out: screen.out, color: false });
  view.write('plain text from somewhere\n');
  view.write(`${JSON.stringify({ level: 20, time: 0, msg: 'debug' })}\n`);
  view.write(`${JSON.stringify({ level: 30, time: 0, evt: 'held', task: 'upload', why: 'work cost High' })}\n`);
  view.write('{"level":30,"torn\n');
  const lines = screen.text().split('\n');
  assert.equal(lines[0], 'plain text from somewhere');
  assert.match(lines[1]!, /upload +held: work cost High$/);
  assert.equal(lines[2], '{"level":30,"torn');
  assert.equal(lines.length, 4);

  const verbose = collect();
  new ConsoleView({ out: verbose.out, color: false, level: 10 }).write(`${JSON.stringify({ level: 10, time: 0, msg: 'trace me' })}\n`);
  assert.match(verbose.text(), /trace: trace me\n$/);
});
