import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.js';
import { createProgressDisplay, PlainProgress, type ProgressStream } from '../deploy/fleet/progress.js';
import { cursorUp, ERASE_LINE_END, HIDE_CURSOR, REDRAW_MS, SHOW_CURSOR, TtyProgress } from '../deploy/fleet/progress-tty.js';
import { runFleet, type FleetResult, type FleetTarget } from '../deploy/fleet/runner.js';

class FakeStream implements ProgressStream {
  writes: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 80,
    readonly rows = 24,
  ) {}
  write(chunk: string) {
    this.writes.push(chunk);
    return true;
  }
  get text() {
    return this.writes.join('');
  }
}

/** Just enough of a terminal to replay what the display wrote: \r, \n, cursor up, erase, colours ignored. */
function screen(output: string): { lines: string[]; cursorVisible: boolean } {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  let cursorVisible = true;
  const put = (c: string) => {
    const line = lines[row]!.padEnd(col);
    lines[row] = line.slice(0, col) + c + line.slice(col + 1);
    col++;
  };
  for (let i = 0; i < output.length; i++) {
    const c = output[i]!;
    if (c === '\x1b') {
      const m = /^\x1b\[(\??)(\d*)([A-Za-z])/.exec(output.slice(i));
      assert.ok(m, `unknown escape at ${JSON.stringify(output.slice(i, i + 8))}`);
      i += m[0].length - 1;
      const [, private_, n, cmd] = m;
      if (private_ && n === '25') cursorVisible = cmd === 'h';
      else if (cmd === 'A') row = Math.max(0, row - Number(n || 1));
      else if (cmd === 'K') lines[row] = lines[row]!.slice(0, col);
      else if (cmd === 'J') lines.splice(row + 1), (lines[row] = lines[row]!.slice(0, col));
      else assert.equal(cmd, 'm', `unexpected escape ${m[0]}`);
    } else if (c === '\r') col = 0;
    else if (c === '\n') {
      row++;
      col = 0;
      if (lines.length <= row) lines.push('');
    } else put(c);
  }
  while (lines.length && lines.at(-1) === '') lines.pop();
  return { lines, cursorVisible };
}

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
const result = (target: FleetTarget, over: Partial<FleetResult<unknown>>): FleetResult<unknown> => ({ target, ok: true, skipped: false, ms: 3200, status: 'ok', ...over });
const noColor = { NO_COLOR: '1' };

test('not a terminal: one plain line per phase change and per end, nothing redrawn, no escape codes', () => {
  const out = new FakeStream(false);
  const display = createProgressDisplay({ stream: out, env: {} });
  assert.ok(display instanceof PlainProgress);
  const [a, b, c] = [{ name: 'garden-1' }, { name: 'garden-2' }, { name: 'garden-3' }];
  display.start([a, b, c]);
  display.hostStarted(a);
  display.hostProgress(a, 'connecting');
  display.hostProgress(a, 'uploading', 0.1);
  display.hostProgress(a, 'uploading', 0.6);
  display.hostProgress(a, 'uploading', 1);
  display.hostStarted(b);
  display.hostProgress(b, 'connecting');
  display.hostProgress(a, 'restarting');
  display.hostDone(result(a, { ms: 3210 }));
  display.hostDone(result(b, { ok: false, status: 'FAILED', ms: 1100, error: { code: 'SSH', message: 'connection refused\nat line 2' } }));
  display.hostDone(result(c, { ok: false, skipped: true, status: 'skipped', ms: 0, error: { code: 'SKIPPED', message: 'not started: the run was aborted' } }));
  display.close();
  assert.equal(
    out.text,
    [
      'garden-1: connecting',
      'garden-1: uploading',
      'garden-2: connecting',
      'garden-1: restarting',
      'garden-1: ok (3.2 s)',
      'garden-2: FAILED (1.1 s): connection refused',
      'garden-3: skipped: not started: the run was aborted',
      '',
    ].join('\n'),
  );
  assert.ok(!out.text.includes('\x1b'));
});

test('TERM=dumb gets the plain lines even on a terminal', () => {
  assert.ok(createProgressDisplay({ stream: new FakeStream(true), env: { TERM: 'dumb' } }) instanceof PlainProgress);
  assert.ok(createProgressDisplay({ stream: new FakeStream(true), env: {} }) instanceof TtyProgress);
});

test('terminal: a line per host, redrawn in place with the cursor moved back up, final state left on screen', () => {
  const out = new FakeStream(true);
  const clock = new FakeClock();
  const display = createProgressDisplay({ stream: out, env: noColor, clock });
  const [a, b, c] = [{ name: 'garden-1' }, { name: 'garden-22' }, { name: 'kitchen' }];
  display.start([a, b, c]);
  assert.ok(out.writes[0]!.startsWith(HIDE_CURSOR));
  assert.deepEqual(screen(out.text).lines, ['garden-1   waiting', 'garden-22  waiting', 'kitchen    waiting']);

  display.hostStarted(a);
  display.hostProgress(a, 'uploading', 0.5);
  display.hostStarted(b);
  display.hostProgress(b, 'connecting');
  const before = out.writes.length;
  clock.advance(REDRAW_MS - 1);
  assert.equal(out.writes.length, before, 'nothing drawn before the next redraw is due');
  clock.advance(1);
  const redraw = out.writes.at(-1)!;
  assert.ok(redraw.startsWith(cursorUp(3) + '\r'), JSON.stringify(redraw));
  assert.equal(redraw.split(ERASE_LINE_END).length - 1, 3, 'each line erased to its end');
  assert.deepEqual(screen(out.text).lines, ['garden-1   uploading   [##########..........]  50%  0s', 'garden-22  connecting  0s', 'kitchen    waiting']);

  clock.advance(2000);
  display.hostProgress(a, 'uploading', 1);
  display.hostDone(result(b, { ok: false, status: 'FAILED', ms: 2000, error: { code: 'SSH', message: 'host key mismatch' } }));
  display.hostStarted(c);
  clock.advance(REDRAW_MS);
  assert.deepEqual(screen(out.text).lines, [
    'garden-1   uploading   [####################] 100%  2s',
    'garden-22  FAILED      2.0 s  host key mismatch',
    'kitchen    starting    0s',
  ]);

  display.hostDone(result(a, { ms: 2100, value: { message: 'now 1.2.0' } }));
  display.hostDone(result(c, { ms: 150, status: 'rolled back', ok: false, error: { code: 'HEALTH', message: 'did not start' } }));
  display.close();
  const final = screen(out.text);
  assert.deepEqual(final.lines, ['garden-1   ok           2.1 s  now 1.2.0', 'garden-22  FAILED       2.0 s  host key mismatch', 'kitchen    rolled back  150 ms  did not start']);
  assert.ok(final.cursorVisible, 'the cursor is shown again');
  assert.ok(out.text.endsWith(SHOW_CURSOR));
  assert.equal(clock.pending, 0, 'no timer left behind');
});

test('terminal: redraws are throttled to one per 100 ms, and none when nothing changed', () => {
  const out = new FakeStream(true);
  const clock = new FakeClock();
  const display = createProgressDisplay({ stream: out, env: noColor, clock });
  const a = { name: 'pi' };
  display.start([a]);
  display.hostStarted(a);
  const first = out.writes.length;
  // A worker reporting every 10 ms for a second: at most 10 redraws.
  for (let i = 1; i <= 100; i++) {
    display.hostProgress(a, 'uploading', i / 100);
    clock.advance(10);
  }
  const redraws = out.writes.length - first;
  assert.ok(redraws <= 10 && redraws >= 9, `${redraws} redraws in one second`);
  // Nothing changes within the same second: nothing written.
  const quiet = new FakeStream(true);
  const idle = createProgressDisplay({ stream: quiet, env: noColor, clock });
  idle.start([{ name: 'waiting-only' }]);
  clock.advance(5000);
  assert.equal(quiet.writes.length, 1, 'only the first draw');
  idle.close();
  display.close();
});

test('terminal: more hosts than rows shows the running and failed ones and sums up the rest', () => {
  const out = new FakeStream(true, 80, 6);
  const clock = new FakeClock();
  const display = createProgressDisplay({ stream: out, env: noColor, clock });
  const list = Array.from({ length: 10 }, (_, i) => ({ name: `pi-${i + 1}` }));
  display.start(list);
  assert.deepEqual(screen(out.text).lines, ['pi-1  waiting', 'pi-2  waiting', 'pi-3  waiting', 'pi-4  waiting', '… 6 more: 6 waiting']);
  display.hostDone(result(list[0]!, {}));
  display.hostDone(result(list[1]!, { ok: false, status: 'FAILED', error: { code: 'X', message: 'boom' } }));
  display.hostStarted(list[6]!);
  display.hostStarted(list[8]!);
  clock.advance(REDRAW_MS);
  const lines = screen(out.text).lines;
  assert.equal(lines.length, 5, 'rows - 1 lines, so the block never scrolls');
  assert.deepEqual(lines, ['pi-2  FAILED    3.2 s  boom', 'pi-3  waiting', 'pi-7  starting  0s', 'pi-9  starting  0s', '… 6 more: 5 waiting, 1 done']);
  display.close();
});

test('terminal: lines are cut to the width, so none wraps', () => {
  const out = new FakeStream(true, 30, 24);
  const clock = new FakeClock();
  const display = createProgressDisplay({ stream: out, env: noColor, clock });
  const a = { name: 'a-device-with-a-very-long-name-indeed-yes' };
  display.start([a, { name: 'b' }]);
  display.hostStarted(a);
  display.hostProgress(a, 'uploading the bundle over a slow link', 0.25);
  clock.advance(REDRAW_MS);
  display.close();
  const lines = screen(out.text).lines;
  assert.equal(lines.length, 2);
  for (const line of lines) assert.ok(line.length <= 29, `${JSON.stringify(line)} fits 29 columns`);
  assert.match(lines[0]!, /^a-device-with-a-very-long-nam/);

});

test('terminal: control characters in phases and messages are blanked, and only their first line shown', () => {
  const out = new FakeStream(true);
  const clock = new FakeClock();
  const display = createProgressDisplay({ stream: out, env: noColor, clock });
  const [a, b] = [{ name: 'a' }, { name: 'b' }];
  display.start([a, b]);
  display.hostStarted(a);
  display.hostProgress(a, 'remote said \x1b[2J\x1b[Hhello\nand more');
  display.hostDone(result(b, { ok: false, status: 'FAILED', error: { code: 'X', message: 'bad\x07\x1b[31m thing\r\nsecond line' } }));
  display.close();
  assert.deepEqual(screen(out.text).lines, ['a  remote said  [2J [Hhello  0s', 'b  FAILED                    3.2 s  bad  [31m thing']);
});

test('terminal colours: on by default, off with NO_COLOR; the cursor moves either way', () => {
  const draw = (env: NodeJS.ProcessEnv) => {
    const out = new FakeStream(true);
    const display = createProgressDisplay({ stream: out, env, clock: new FakeClock() });
    const a = { name: 'pi' };
    display.start([a]);
    display.hostDone(result(a, {}));
    display.close();
    return out.text;
  };
  const colored = draw({});
  assert.ok(colored.includes('\x1b[32mok'), 'ok in green');
  assert.ok(colored.includes('\x1b[2mwaiting'), 'waiting dimmed');
  const plain = draw({ NO_COLOR: '1' });
  assert.ok(!/\x1b\[\d+m/.test(plain), 'no colour codes with NO_COLOR');
  assert.ok(plain.includes(cursorUp(1)));
  assert.deepEqual(screen(colored).lines, screen(plain).lines);
  assert.ok(/\x1b\[\d+m/.test(draw({ NO_COLOR: '' })), 'an empty NO_COLOR does not count');
});

test('runFleet drives the terminal display to its final state', async () => {
  const out = new FakeStream(true);
  const clock = new FakeClock();
  const display = createProgressDisplay({ stream: out, env: noColor, clock });
  const results = await runFleet(
    [{ name: 'garden-1' }, { name: 'garden-2' }],
    async (t, progress) => {
      progress('uploading', 0.3);
      if (t.name === 'garden-2') throw new Error('disk full');
      return { version: '1.2.0', message: 'installed' };
    },
    { concurrency: 2, display, now: () => 0 },
  );
  assert.equal(results.length, 2);
  const final = screen(out.text);
  assert.deepEqual(final.lines, ['garden-1  ok       0 ms  installed', 'garden-2  FAILED   0 ms  disk full']);
  assert.ok(final.cursorVisible);
  assert.equal(stripAnsi(out.text).includes('waiting'), true, 'the first frame showed them waiting');
});
