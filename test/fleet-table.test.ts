import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fleetExitCode, fleetJson, fleetSummary, formatFleetTable } from '../deploy/fleet/table.js';
import { formatDuration } from '../deploy/fleet/format.js';
import type { FleetResult } from '../deploy/fleet/runner.js';

type Target = { name: string; host?: string; port?: number; user?: string };
const r = (name: string, over: Partial<FleetResult<unknown, Target>>): FleetResult<unknown, Target> => ({ target: { name }, ok: true, skipped: false, ms: 1000, status: 'ok', ...over });

const results: FleetResult<unknown, Target>[] = [
  r('garden-1', { ms: 3210, value: { version: '1.2.0', message: 'installed' } }),
  r('greenhouse-controller', { ms: 850, status: 'unchanged', value: { version: '1.2.0', status: 'unchanged' } }),
  r('kitchen', { ok: false, status: 'FAILED', ms: 12_345, error: { code: 'SSH_REFUSED', message: 'connection refused\nretry later' } }),
  r('pi', { ok: false, status: 'rolled back', ms: 125_000, value: { version: '1.1.0' }, error: { code: 'HEALTH', message: 'did not start; 1.1.0 restored' } }),
  r('shed', { ok: false, skipped: true, status: 'skipped', ms: 0, error: { code: 'SKIPPED', message: 'not started: the run was aborted' } }),
];

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

test('the table: one row per host, columns as wide as their widest cell, the summary after', () => {
  const text = formatFleetTable(results);
  assert.equal(
    text,
    [
      'HOST                   RESULT       VERSION  TIME      MESSAGE',
      'garden-1               ok           1.2.0    3.2 s     installed',
      'greenhouse-controller  unchanged    1.2.0    850 ms',
      'kitchen                FAILED       -        12.3 s    connection refused',
      'pi                     rolled back  1.1.0    2 m 05 s  did not start; 1.1.0 restored',
      'shed                   skipped      -        -         not started: the run was aborted',
      '',
      '1 ok, 1 unchanged, 1 rolled back, 1 failed, 1 skipped',
      '',
    ].join('\n'),
  );
});

test('every column starts at the same place on every row, narrow or wide content', () => {
  const narrow = formatFleetTable([r('a', { ms: 5 }), r('b', { ms: 5 })]).split('\n');
  assert.equal(narrow[0], 'HOST  RESULT  VERSION  TIME  MESSAGE', 'the header sets the minimum width');
  const lines = formatFleetTable(results).split('\n').slice(0, 6);
  const header = lines[0]!;
  for (const column of ['RESULT', 'VERSION', 'TIME', 'MESSAGE']) {
    const at = header.indexOf(column);
    for (const line of lines.slice(1)) {
      if (line.length <= at) continue;
      assert.notEqual(line[at], ' ', `${column} column starts at ${at} in ${JSON.stringify(line)}`);
      assert.equal(line[at - 1], ' ', `a blank before ${column} in ${JSON.stringify(line)}`);
    }
  }
  for (const line of lines) assert.equal(line, line.trimEnd(), 'no trailing blanks');
});

test('with colour: result words coloured, everything else as without, alignment intact', () => {
  const colored = formatFleetTable(results, { color: true });
  assert.ok(colored.includes('\x1b[32mok'), 'ok in green');
  assert.ok(colored.includes('\x1b[31mFAILED'), 'FAILED in red');
  assert.ok(colored.includes('\x1b[31mrolled back'), 'a rollback is a failure: red');
  assert.ok(colored.includes('\x1b[33mskipped'), 'skipped in yellow');
  assert.equal(stripAnsi(colored), formatFleetTable(results));
  assert.ok(!formatFleetTable(results, { color: false }).includes('\x1b'));
});

test('the summary line counts ok first, other words as met, failed and skipped last', () => {
  assert.equal(fleetSummary(results), '1 ok, 1 unchanged, 1 rolled back, 1 failed, 1 skipped');
  assert.equal(fleetSummary([r('a', {}), r('b', {}), r('c', {}), r('d', {})]), '4 ok');
  assert.equal(fleetSummary([r('a', { ok: false, status: 'FAILED' }), r('b', {})]), '1 ok, 1 failed');
  assert.equal(fleetSummary([]), 'no hosts');
});

test('JSON: every host with its status, time, version, message, value and error; overall ok and counts', () => {
  const withTarget = [{ ...results[0]!, target: { name: 'garden-1', host: '10.0.0.5', port: 2222, user: 'pi' } }, ...results.slice(1)];
  const json = fleetJson(withTarget);
  assert.equal(json.ok, false);
  assert.equal(json.summary, '1 ok, 1 unchanged, 1 rolled back, 1 failed, 1 skipped');
  assert.deepEqual(json.counts, { ok: 2, failed: 2, skipped: 1 });
  assert.deepEqual(json.hosts[0], { name: 'garden-1', host: '10.0.0.5', port: 2222, user: 'pi', status: 'ok', ok: true, skipped: false, ms: 3210, version: '1.2.0', message: 'installed', value: { version: '1.2.0', message: 'installed' } });
  assert.deepEqual(json.hosts[2], { name: 'kitchen', status: 'FAILED', ok: false, skipped: false, ms: 12345, message: 'connection refused', error: { code: 'SSH_REFUSED', message: 'connection refused\nretry later' } });
  assert.deepEqual(json.hosts[4]!.status, 'skipped');
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json, 'plain JSON data');
  assert.equal(fleetJson([r('a', {})]).ok, true);
});

test('exit code: 0 when every host succeeded (an empty run too), 1 when any failed or was skipped', () => {
  assert.equal(fleetExitCode([r('a', {}), r('b', { status: 'unchanged' })]), 0);
  assert.equal(fleetExitCode([]), 0);
  assert.equal(fleetExitCode([r('a', {}), r('b', { ok: false, status: 'FAILED' })]), 1);
  assert.equal(fleetExitCode([r('a', {}), r('b', { ok: false, skipped: true, status: 'skipped' })]), 1);
});

test('durations: milliseconds, tenths of seconds, minutes', () => {
  assert.deepEqual([0, 999, 1000, 3249, 59_999, 60_000, 125_400, 3_600_000].map(formatDuration), ['0 ms', '999 ms', '1.0 s', '3.2 s', '59.9 s', '1 m 00 s', '2 m 05 s', '60 m 00 s']);
});
