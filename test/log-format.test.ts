import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRecord, parseRecord, type LogRecord } from '../runtime/log-format.js';

const time = Date.UTC(2026, 0, 1, 12, 34, 56, 789);
const plain = (r: LogRecord): string => formatRecord({ level: 30, time, ...r }, { color: false, timeZone: 'UTC' });
const colored = (r: LogRecord): string => formatRecord({ level: 30, time, ...r }, { color: true, timeZone: 'UTC' });

/** The mark column: after `HH:MM:SS.mmm `. */
const markOf = (line: string): string => line.charAt(13);

const kinds: Record<string, LogRecord> = {
  trigger: { evt: 'trigger', task: 'weather', taskId: 't1', bundle: 'station', trigger: 'TimeTrigger every 15 min', details: { due: 1700 } },
  held: { evt: 'held', task: 'upload', why: 'condition InternetAvailable not met' },
  start: { evt: 'start', task: 'upload', iid: 'i1', host: 'worker', warm: true, budgetMb: 32, quotaSec: 30 },
  progress: { evt: 'progress', task: 'upload', iid: 'i1', progress: 40 },
  task: { evt: 'task', task: 'upload', iid: 'i1', msg: 'sent batch', count: 12 },
  cancel: { evt: 'cancel', task: 'upload', iid: 'i1', reason: 'ResourceRevocation', detail: 'memory 40 MB over budget 32 MB' },
  succeeded: { evt: 'complete', task: 'upload', outcome: 'succeeded', ms: 385, memPeakMb: 3.14, budgetMb: 32, energy: 'UnderHalf' },
  failed: { level: 50, evt: 'complete', task: 'upload', outcome: 'failed', ms: 12, err: { code: 'TASK_THREW', message: 'boom' } },
  canceled: {
    evt: 'complete',
    task: 'upload',
    outcome: 'canceled',
    reason: 'ExecutionTimeExceeded',
    ms: 3000,
    err: { code: 'QUOTA_EXCEEDED', message: 'quota of 3 s exceeded' },
  },
  workcost: { evt: 'workcost', from: 'Medium', to: 'High', causes: ['MemAvailable 8% of RAM', 'SoC 82 °C'] },
  bundle: { evt: 'bundle', bundle: 'station', version: '1.2.0', action: 'loaded', tasks: 3 },
  warn: { level: 40, msg: 'clock jumped back' },
};

test('each kind of record says what happened, in words', () => {
  assert.match(plain(kinds.trigger!), /weather +triggered by TimeTrigger every 15 min \(bundle station\) due=1700$/);
  assert.match(plain(kinds.held!), /upload +held: condition InternetAvailable not met$/);
  assert.match(plain(kinds.start!), /upload +started in worker \(warm\), budget 32 MB, quota 30 s$/);
  assert.match(plain({ evt: 'start', task: 'blink', host: 'worker', warm: false }), /started in worker \(cold\)$/);
  assert.match(plain({ evt: 'start', task: 'blink', host: 'inprocess' }), /blink +started in-process$/);
  assert.match(plain(kinds.progress!), /upload +progress 40%$/);
  assert.match(plain(kinds.task!), /upload +sent batch count=12$/);
  assert.match(plain({ ...kinds.task!, level: 50, msg: 'sensor gone' }), /upload +error: sensor gone count=12$/);
  assert.match(plain(kinds.cancel!), /upload +canceling \(ResourceRevocation\): memory 40 MB over budget 32 MB$/);
  assert.match(plain(kinds.succeeded!), /upload +succeeded in 385 ms, peak 3\.1 MB of 32 MB \(UnderHalf\)$/);
  assert.match(plain(kinds.failed!), /upload +failed in 12 ms: TASK_THREW boom$/);
  assert.match(plain(kinds.canceled!), /upload +canceled \(ExecutionTimeExceeded\) after 3\.0 s: quota of 3 s exceeded$/);
  assert.match(plain({ evt: 'complete', task: 'sync', outcome: 'succeeded', ms: 125_000 }), /succeeded in 2 min 5 s$/);
  assert.match(plain(kinds.workcost!), /work cost Medium → High \(MemAvailable 8% of RAM, SoC 82 °C\)$/);
  assert.match(plain(kinds.bundle!), /bundle station 1\.2\.0 loaded, 3 tasks$/);
  assert.match(
    plain({ evt: 'bundle', bundle: 'station', version: '1.3.0', action: 'rejected', err: { code: 'MANIFEST_INVALID', message: 'tasks[0].trigger is missing' } }),
    /bundle station 1\.3\.0 rejected: MANIFEST_INVALID tasks\[0\]\.trigger is missing$/,
  );
  assert.match(plain({ evt: 'event', id: 'door-open', source: 'gpio' }), /event door-open from gpio$/);
  assert.match(plain({ evt: 'runtime', phase: 'ready', ms: 412 }), /runtime ready in 412 ms$/);
  assert.match(plain({ evt: 'store', action: 'recovered', reason: 'state.json was torn; restored the last good copy' }), /store recovered: state\.json was torn; restored the last good copy$/);
  assert.match(
    plain({ evt: 'driver', driver: 'modem', binding: 'serialport', state: 'failed', err: { code: 'DRIVER_FAILED', message: 'no /dev/ttyUSB0' } }),
    /driver modem \(serialport\) failed: DRIVER_FAILED no \/dev\/ttyUSB0$/,
  );
});

test('the line starts with the time of day, then a mark, then the task in a column', () => {
  const line = plain(kinds.progress!);
  assert.ok(line.startsWith('12:34:56.789 '), line);
  assert.ok(formatRecord({ time, msg: 'x' }, { color: false, timeZone: 'Asia/Kolkata' }).startsWith('18:04:56.789 '));
  const short = plain({ evt: 'progress', task: 'a', progress: 1 });
  const long = plain({ evt: 'progress', task: 'weather-station', progress: 1 });
  assert.equal(short.indexOf('progress'), long.indexOf('progress'), 'the substance starts in one column');
  assert.ok(!plain(kinds.succeeded!).endsWith('\n'));
});

test('each kind has its own mark', () => {
  const marks = Object.entries(kinds).map(([kind, record]) => [kind, markOf(plain(record))] as const);
  for (const [kind, mark] of marks) assert.notEqual(mark.trim(), '', `${kind} has no mark`);
  assert.equal(new Set(marks.map(([, m]) => m)).size, marks.length, JSON.stringify(marks));
});

test('levels without an evt are named, and warnings and errors are marked', () => {
  const names = { 10: 'trace', 20: 'debug', 40: 'warn', 50: 'error', 60: 'fatal' } as const;
  for (const [level, name] of Object.entries(names)) {
    assert.match(plain({ level: Number(level), msg: 'disk slow' }), new RegExp(` ${name}: disk slow$`));
  }
  assert.match(plain({ level: 30, msg: 'listening' }), / {2,}listening$/);
  assert.equal(markOf(plain({ level: 40, msg: 'a' })), markOf(plain({ level: 50, msg: 'a' })));
  assert.notEqual(markOf(plain({ level: 40, msg: 'a' })), markOf(plain({ level: 30, msg: 'a' })));
});

test('a plain message shows its fields compactly, without the envelope', () => {
  const line = plain({ pid: 812, hostname: 'pi', msg: 'listening', socket: '/run/vigil.sock', note: 'two words', n: 3, ok: true, o: { a: 1 } });
  assert.match(line, /listening socket=\/run\/vigil\.sock note="two words" n=3 ok=true o=\{"a":1\}$/);
  assert.doesNotMatch(line, /pid|hostname|812/);
  const err = plain({ level: 50, msg: 'oops', err: { type: 'TypeError', message: 'x is undefined', stack: 'TypeError: x\n    at f (a.js:1:1)' } });
  assert.match(err, /error: oops err="TypeError: x is undefined"$/);
});

test('colour only when asked: green succeeded, red failed, yellow canceled, held and warnings, dim progress and debug', () => {
  for (const record of Object.values(kinds)) assert.doesNotMatch(plain(record), /\x1b/);
  assert.match(colored(kinds.succeeded!), /\x1b\[32m\+ upload/);
  assert.match(colored(kinds.failed!), /\x1b\[31mx upload/);
  assert.match(colored(kinds.canceled!), /\x1b\[33m- upload/);
  assert.match(colored(kinds.held!), /\x1b\[33m= upload/);
  assert.match(colored(kinds.warn!), /\x1b\[33m! /);
  assert.match(colored(kinds.progress!), /\x1b\[2m\. upload/);
  assert.match(colored({ level: 20, msg: 'x' }), /\x1b\[2m  +debug: x/);
  assert.match(colored(kinds.succeeded!), /\x1b\[0m$/);
});

test('task text cannot break the line or send escape sequences to the terminal', () => {
  const line = plain({ evt: 'task', task: 'evil\n', msg: 'a\nb\x1b[2J', field: 'c\nd' });
  assert.doesNotMatch(line, /[\n\x1b]/);
  assert.match(line, /a\\nb\\x1b\[2J/);
});

test('garbage, partial and unknown records render without throwing', () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const weird: unknown[] = [
    {},
    { evt: 'complete' },
    { evt: 'complete', outcome: 'exploded', ms: 'soon', err: 5 },
    { evt: 'start', host: {}, warm: 'yes', budgetMb: 'x', quotaSec: null },
    { evt: 'workcost', causes: 'not a list' },
    { evt: 'trigger', details: circular },
    { evt: 'bundle', err: 'just text' },
    { evt: 'driver' },
    { evt: 42, level: 'loud', time: 'noon', msg: { nested: true } },
    { evt: 'someday-new', msg: 'hello', extra: 'x'.repeat(1000) },
    { msg: 'field', big: circular },
    null,
    'a string',
    [1, 2],
  ];
  for (const record of weird) {
    for (const color of [false, true]) {
      const line = formatRecord(record as LogRecord, { color, timeZone: 'Not/AZone' });
      assert.equal(typeof line, 'string');
      assert.doesNotMatch(line, /\n/);
    }
  }
  assert.match(plain({ evt: 'complete', task: 't' }), /t +completed$/);
  assert.match(plain({ evt: 'someday-new', msg: 'hello', extra: 'x'.repeat(1000) }), /someday-new: hello extra=x+…$/);
  assert.ok(formatRecord({ time: 'noon' } as unknown as LogRecord, { color: false }).startsWith('--:--:--.--- '));
});

test('parseRecord takes JSON objects and nothing else', () => {
  assert.deepEqual(parseRecord('{"level":30,"evt":"progress","progress":40}'), { level: 30, evt: 'progress', progress: 40 });
  assert.deepEqual(parseRecord('  {"msg":"crlf"}\r'), { msg: 'crlf' });
  for (const line of ['{"level":30,"time":17', '{"msg":"torn', '', '   ', 'null', '[1,2]', '"text"', '42', 'plain text', '{']) {
    assert.equal(parseRecord(line), undefined, line);
  }
});
