/**
 * `vigil logs` on a log the real runtime wrote: a simulated BME280 heated past a
 * SensorDataThresholdTrigger's level, an ApplicationTrigger task logging at several levels.
 * The filters, the readable and JSON output, the sensor summary, and the command line itself
 * (piped, so without colour; a bad --since).
 */
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { showLogs, type LogsOptions } from '../bin/logs.js';
import { parseLevel, parseSince } from '../deploy/logs/filter.js';
import { LocalLogSource } from '../deploy/logs/local.js';
import { sparkline } from '../deploy/logs/sensor-view.js';
import { CliError } from '../runtime/errors.js';
import { statePaths } from '../runtime/paths.js';
import type { Runtime } from '../runtime/runtime.js';
import { vigil } from './helpers/cli.js';
import { finished, startHarness, tempDir } from './helpers/harness.js';

const sensors = { air: { type: 'bme280', address: '0x76', pollMs: 40, simulate: { temperature: 20, pressure: 1000, humidity: 50 }, logEverySec: 0 } };
const tasks = [
  { name: 'hot', entry: 't.js', export: 'hot', isolation: 'inprocess', trigger: { type: 'SensorDataThresholdTrigger', sensor: 'air', threshold: { kind: 'Temperature', above: 30, rearmBelow: 29 } } },
  { name: 'hello', entry: 't.js', export: 'hello', isolation: 'inprocess', trigger: { type: 'ApplicationTrigger' } },
];
const code = `
export function hot(instance) { instance.log.warn('greenhouse at ' + instance.triggerDetails.crossed.value + ' °C'); }
export function hello(instance) {
  instance.log.debug('about to greet');
  instance.log.info('hello ' + (instance.triggerDetails.arguments.who ?? 'world'));
  instance.log.error('greeting went badly');
}
`;

/** Resolves after `n` further readings of the sensor. */
function readings(rt: Runtime, n = 2): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const off = rt.sensors!.events.on('reading', () => {
      if (++seen < n) return;
      off();
      resolve();
    });
  });
}

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

let stateDir: string;
let source: LocalLogSource;

/** What `vigil logs` prints with `options`, run in-process, piped (no colour, no charts) unless told. */
async function logs(options: LogsOptions, tty?: { columns: number }): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await showLogs(source, options, { out: out.stream, err: err.stream, color: Boolean(tty), ...(tty ? { columns: tty.columns } : {}), signal: new AbortController().signal });
  return { code, out: out.text(), err: err.text() };
}

before(async () => {
  const h = await startHarness({ config: { drivers: { i2c: { binding: 'sim', sensors } } }, bundles: [{ name: 'green', tasks, files: { 't.js': code } }] });
  try {
    await readings(h.runtime);
    const hello = finished(h.runtime, 'hello');
    assert.equal(h.runtime.trigger('hello', { who: 'pi' }).result, 'Allowed');
    await hello;
    const air = h.bus!.chip(0x76)!;
    const hot = finished(h.runtime, 'hot');
    for (const t of [24, 31]) {
      air.set({ temperature: t });
      await readings(h.runtime);
    }
    await hot;
    for (const t of [27, 28.5]) {
      air.set({ temperature: t });
      await readings(h.runtime);
    }
    // The log is written synchronously in the harness: what happened is on disk now.
    stateDir = tempDir('vigil-logs-');
    cpSync(join(h.stateDir, 'logs'), join(stateDir, 'logs'), { recursive: true });
  } finally {
    await h.close();
  }
  source = new LocalLogSource(statePaths(stateDir).logFile);
});

after(() => stateDir && rmSync(stateDir, { recursive: true, force: true }));

describe('vigil logs on a real runtime log', () => {
  it('prints every record as the console does, oldest first', async () => {
    const r = await logs({});
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} \^ +runtime starting$/);
    assert.ok(lines.some((l) => /\* hello +triggered by ApplicationTrigger "hello" \(bundle green\) arguments=\{"who":"pi"\}$/.test(l)));
    assert.ok(lines.some((l) => /\| hello +hello pi$/.test(l)));
    assert.ok(lines.some((l) => /: +sensor air \(bme280\): temperature 31, pressure \d+\.\d\d, humidity \d+\.\d\d$/.test(l)));
    assert.ok(lines.some((l) => /\+ hot +succeeded in/.test(l)));
    assert.doesNotMatch(r.out, /\x1b\[/, 'piped: no colour');
  });

  it('--task keeps only that task, also as bundle/name', async () => {
    const r = await logs({ task: 'hot' });
    const marks = r.out.trimEnd().split('\n').map((l) => l.slice(13, 14));
    assert.deepEqual(marks, ['*', '>', '|', '+']);
    assert.ok(r.out.split('\n').every((l) => l === '' || / hot +/.test(l)));
    assert.equal((await logs({ task: 'green/hot' })).out, r.out);
  });

  it('--task with no records names the tasks there are', async () => {
    const r = await logs({ task: 'nope' });
    assert.equal(r.out, '');
    assert.match(r.err, /no records of task "nope" in .*vigil\.log; tasks in the log: hello, hot/);
  });

  it('--level keeps that level and above; combined with --task', async () => {
    const warn = await logs({ level: 'warn' });
    assert.ok(warn.out.includes('warn: greenhouse at 31'));
    assert.ok(warn.out.includes('error: greeting went badly'));
    assert.ok(!warn.out.includes('hello pi'));
    const debug = await logs({ level: 'debug', task: 'hello' });
    assert.ok(debug.out.includes('debug: about to greet'));
    const info = await logs({ task: 'hello' });
    assert.ok(info.out.includes('debug: about to greet'), 'without --level every level is shown');
    const errors = await logs({ level: 'error', task: 'hello' });
    assert.deepEqual(errors.out.trimEnd().split('\n').length, 1);
  });

  it('--since drops older records', async () => {
    assert.equal((await logs({ since: '1h' })).out, (await logs({})).out);
    assert.equal((await logs({ since: new Date(Date.now() + 60_000).toISOString() })).out, '');
  });

  it('--json prints the matching lines unchanged', async () => {
    const r = await logs({ json: true, task: 'hot' });
    const records = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(records.map((x) => x.evt), ['trigger', 'start', 'task', 'complete']);
    assert.ok(records.every((x) => x.task === 'hot'));
  });

  it('--sensor sums up each channel and lists the activations it caused', async () => {
    const r = await logs({ sensor: 'air' });
    assert.equal(r.code, 0);
    const text = r.out;
    assert.match(text, /^sensor air \(bme280\): \d+ readings from \d\d:\d\d:\d\d to \d\d:\d\d:\d\d\n/);
    assert.match(text, /CHANNEL\s+UNIT\s+COUNT\s+MIN\s+MAX\s+LAST\s+FIRST AT\s+LAST AT/);
    assert.match(text, /\n {2}temperature +°C +5 +20 +31 +28\.5 /);
    assert.match(text, /\n {2}humidity +%RH +5 +(49|50)[\d.]* +(49|50)[\d.]* +(49|50)[\d.]* +\d\d:\d\d:\d\d +\d\d:\d\d:\d\d\n/);
    assert.match(text, /\n {2}pressure +hPa +5 /);
    assert.match(text, /set off 1 run of hot:\n\d\d:\d\d:\d\d\.\d{3} \* hot +triggered by SensorDataThresholdTrigger \(bundle green\) sensor=air /);
    assert.doesNotMatch(text, /[▁▂▃▄▅▆▇█]|\x1b\[/, 'piped: no chart, no colour');
  });

  it('--sensor on a terminal draws a sparkline per channel, in colour, within the width', async () => {
    const r = await logs({ sensor: 'air' }, { columns: 60 });
    const plain = (l: string) => l.replace(/\x1b\[[0-9;]*m/g, '');
    const charts = r.out.split('\n').filter((l) => /^ {2}\w+ +\x1b\[36m[▁▂▃▄▅▆▇█]+\x1b\[0m /.test(l));
    assert.equal(charts.length, 3, r.out);
    const bars = charts.map((l) => /[▁▂▃▄▅▆▇█]+/.exec(plain(l))![0]);
    assert.ok(bars.every((b) => b.length === bars[0]!.length), 'one width for all, so columns line up in time');
    assert.equal(Math.max(...charts.map((l) => plain(l).length)), 60);
    const temperature = plain(charts.find((l) => l.startsWith('  temperature'))!);
    assert.match(temperature, / 20 … 31 °C$/);
    assert.equal(bars[0]![0], '▁');
    assert.ok(bars[0]!.includes('█'));
  });

  it('--sensor --json gives channels, series and the activations', async () => {
    const r = await logs({ sensor: 'air', json: true });
    const s = JSON.parse(r.out) as { sensor: string; channels: Record<string, { count: number; min: number; max: number; last: number; unit?: string }>; series: { time: string; values: Record<string, number> }[]; triggered: { task: string; time: string; details: { crossed: { value: number } } }[] };
    assert.equal(s.sensor, 'air');
    assert.deepEqual({ ...s.channels.temperature, firstAt: undefined, lastAt: undefined }, { count: 5, min: 20, max: 31, last: 28.5, unit: '°C', first: 20, firstAt: undefined, lastAt: undefined });
    assert.deepEqual(s.series.map((p) => p.values.temperature), [20, 24, 31, 27, 28.5]);
    assert.equal(s.triggered.length, 1);
    assert.equal(s.triggered[0]!.task, 'hot');
    assert.equal(s.triggered[0]!.details.crossed.value, 31);
  });

  it('an unknown sensor is an error naming the sensors in the log', async () => {
    await assert.rejects(logs({ sensor: 'cellar' }), (err: unknown) => err instanceof CliError && /no readings of sensor "cellar" in .*; sensors in the log: air$/.test(err.message));
  });
});

describe('argument parsing', () => {
  const now = Date.UTC(2024, 4, 1, 12, 0, 0);
  it('--since takes 30s, 10m, 2h, 1d and ISO dates, strictly', () => {
    assert.equal(parseSince('30s', now), now - 30_000);
    assert.equal(parseSince('10m', now), now - 600_000);
    assert.equal(parseSince('2h', now), now - 7_200_000);
    assert.equal(parseSince('1d', now), now - 86_400_000);
    assert.equal(parseSince('2024-05-01T10:00:00Z', now), Date.UTC(2024, 4, 1, 10));
    assert.equal(parseSince('2024-05-01T10:00:00+02:00', now), Date.UTC(2024, 4, 1, 8));
    assert.equal(parseSince('2024-05-01', now), new Date(2024, 4, 1).getTime(), 'a date alone is local midnight');
    assert.equal(parseSince('2024-05-01T14:30', now), new Date(2024, 4, 1, 14, 30).getTime());
    for (const bad of ['10', '10 m', '10min', '-5m', 'yesterday', '2024-02-30', '2024-13-01', '2024-05-01T25:00', '']) {
      assert.throws(() => parseSince(bad, now), /--since ".*" is not understood: expected a duration back from now \(30s, 10m, 2h, 1d\) or an ISO date/, bad);
    }
  });

  it('--level names the levels', () => {
    assert.equal(parseLevel('warn'), 40);
    assert.equal(parseLevel('DEBUG'), 20);
    assert.throws(() => parseLevel('verbose'), /--level "verbose" is not a log level: expected one of debug, info, warn, error/);
  });

  it('a sparkline holds a value until the next reading and scales to min…max', () => {
    const points = [
      { time: 0, value: 0 },
      { time: 50, value: 10 },
      { time: 100, value: 5 },
    ];
    assert.equal(sparkline(points, 4), '▁▁█▅');
    assert.equal(sparkline([{ time: 0, value: 3 }], 10), '▄');
    assert.equal(sparkline([], 10), '');
  });
});

describe('the vigil logs command', () => {
  it('prints plain lines when piped', async () => {
    const r = await vigil(['logs', '--state', stateDir, '--task', 'hello']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d\d:\d\d:\d\d\.\d{3} \* hello +triggered by ApplicationTrigger/);
    assert.match(r.stdout, /\| hello +hello pi\n/);
    assert.doesNotMatch(r.stdout, /\x1b\[/);
  });

  it('--sensor piped prints the summary without a chart', async () => {
    const r = await vigil(['logs', '--sensor', 'air', '--state', stateDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sensor air \(bme280\): 5 readings/);
    assert.doesNotMatch(r.stdout, /[▁▂▃▄▅▆▇█]|\x1b\[/);
  });

  it('a bad --since is one line naming the forms expected, exit 1', async () => {
    const r = await vigil(['logs', '--since', '10 minutes', '--state', stateDir]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^vigil: --since "10 minutes" is not understood: expected a duration back from now \(30s, 10m, 2h, 1d\) or an ISO date .*\n$/);
  });

  it('an unknown sensor exits 1 naming the sensors there are', async () => {
    const r = await vigil(['logs', '--sensor', 'cellar', '--state', stateDir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no readings of sensor "cellar" .*; sensors in the log: air\n$/);
  });

  it('a state directory without a log says where it looked', async () => {
    const empty = tempDir('vigil-logs-none-');
    try {
      const r = await vigil(['logs', '--state', empty]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^vigil: no log file at .*vigil\.log: expected the runtime's JSON log there/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
