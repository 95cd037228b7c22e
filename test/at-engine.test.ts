// The AT engine on its own: a fake modem answers through feed(), in chunks cut at every awkward
// place, with URCs in the middle of responses, garbage, silence and over-long lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AtEngine, responsePrefix, type Urc } from '../drivers/modem/at/engine.js';
import { ModemError } from '../drivers/modem/errors.js';
import { FakeClock } from '../runtime/clock.js';

function setup(options: { settleMs?: number; maxLineLength?: number } = {}) {
  const clock = new FakeClock(0);
  const written: string[] = [];
  const engine = new AtEngine({ write: async (d) => void written.push(d), clock, defaultTimeoutMs: 1000, ...options });
  const urcs: Urc[] = [];
  const noise: { reason: string; text: string }[] = [];
  engine.events.on('urc', (u) => urcs.push(u));
  engine.events.on('noise', (n) => noise.push(n));
  return { clock, written, engine, urcs, noise };
}

/** Feed `text` cut into pieces at the given sizes (cycled), as a serial port delivers it. */
function feedChunked(engine: AtEngine, text: string, sizes: number[]): void {
  let i = 0;
  let n = 0;
  while (i < text.length) {
    const size = sizes[n++ % sizes.length]!;
    engine.feed(Buffer.from(text.slice(i, i + size), 'latin1'));
    i += size;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('AT engine', () => {
  it('derives the response prefix from the command', () => {
    assert.equal(responsePrefix('AT+CSQ'), '+CSQ:');
    assert.equal(responsePrefix('AT+cmgl=4'), '+CMGL:');
    assert.equal(responsePrefix('AT^SYSINFO'), '^SYSINFO:');
    assert.equal(responsePrefix('ATE0'), undefined);
  });

  it('separates a URC that lands inside a response, at every chunk size', async () => {
    const answer = '\r\n+CMGL: 1,1,,24\r\n0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB5DE3771B\r\n\r\n+CMTI: "SM",2\r\n+CMGL: 2,1,,24\r\n0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB5DE3771B\r\nRING\r\n\r\nOK\r\n';
    for (const sizes of [[1], [2], [3], [5, 1], [7], [answer.length]]) {
      const { engine, urcs } = setup();
      const p = engine.command('AT+CMGL=4');
      feedChunked(engine, answer, sizes);
      const r = await p;
      assert.equal(r.final, 'OK');
      assert.equal(r.lines.length, 4, `chunks ${sizes.join(',')}: ${JSON.stringify(r.lines)}`);
      assert.deepEqual(r.lines.filter((l) => l.startsWith('+CMGL:')), ['+CMGL: 1,1,,24', '+CMGL: 2,1,,24']);
      assert.deepEqual(urcs.map((u) => u.name), ['+CMTI', 'RING'], `chunks ${sizes.join(',')}`);
    }
  });

  it('takes the line after +CMT as its PDU, even in the middle of a response', async () => {
    const { engine, urcs } = setup();
    const p = engine.command('AT+CSQ');
    feedChunked(engine, '\r\n+CSQ: 17,99\r\n+CMT: ,24\r\n07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07\r\n\r\nOK\r\n', [4]);
    const r = await p;
    assert.deepEqual(r.lines, ['+CSQ: 17,99']);
    assert.equal(urcs.length, 1);
    assert.equal(urcs[0]!.name, '+CMT');
    assert.equal(urcs[0]!.body, '07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07');
  });

  it('maps every kind of final result to a typed ModemError', async () => {
    const cases: [string, string, string, number | undefined][] = [
      ['AT+CMGS=12', '+CMS ERROR: 330', 'CMS_ERROR', 330],
      ['AT+CPIN?', '+CME ERROR: 10', 'CME_ERROR', 10],
      ['AT+FOO', 'ERROR', 'AT_ERROR', undefined],
      ['ATD+15551234567;', 'NO CARRIER', 'NO_CARRIER', undefined],
      ['ATD+15551234567;', 'BUSY', 'BUSY', undefined],
      ['ATD+15551234567;', 'NO ANSWER', 'NO_ANSWER', undefined],
    ];
    for (const [command, final, code, number] of cases) {
      const { engine } = setup();
      const p = engine.command(command);
      engine.feed(`\r\n${final}\r\n`);
      await assert.rejects(p, (err: unknown) => {
        assert.ok(err instanceof ModemError, String(err));
        assert.equal(err.code, code, `${command} → ${final}`);
        assert.equal(err.number, number);
        assert.ok(err.message.startsWith(/^AT\+?[A-Z]*/.exec(command)![0]), err.message);
        assert.equal(err.command, command);
        return true;
      });
    }
  });

  it('treats NO CARRIER outside a call command as the end of a call (a URC)', async () => {
    const { engine, urcs } = setup();
    const p = engine.command('AT+CSQ');
    engine.feed('\r\nNO CARRIER\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
    assert.deepEqual((await p).lines, ['+CSQ: 20,99']);
    assert.deepEqual(urcs.map((u) => u.name), ['NO CARRIER']);
  });

  it('skips its own echo when echo is on', async () => {
    const { engine } = setup();
    const p = engine.command('AT+CGMI');
    engine.feed('AT+CGMI\r\r\nQuectel\r\n\r\nOK\r\n');
    assert.deepEqual((await p).lines, ['Quectel']);
  });

  it('runs one command at a time, in order', async () => {
    const { engine, written } = setup();
    const a = engine.command('AT+CGMI');
    const b = engine.command('AT+CGMM');
    await tick();
    assert.deepEqual(written, ['AT+CGMI\r'], 'the second waits for the first');
    engine.feed('\r\nQuectel\r\n\r\nOK\r\n');
    assert.deepEqual((await a).lines, ['Quectel']);
    await tick();
    assert.deepEqual(written, ['AT+CGMI\r', 'AT+CGMM\r']);
    engine.feed('\r\nEC25\r\n\r\nOK\r\n');
    assert.deepEqual((await b).lines, ['EC25']);
  });

  it('sends the PDU at the > prompt, then Ctrl-Z', async () => {
    const { engine, written } = setup();
    const p = engine.command('AT+CMGS=14', { prompt: '0011000B916407281553F80000AA0AE8329BFD4697D9EC37' });
    await tick();
    engine.feed('\r\n> ');
    await tick();
    assert.deepEqual(written, ['AT+CMGS=14\r', '0011000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a']);
    engine.feed('\r\n+CMGS: 42\r\n\r\nOK\r\n');
    assert.deepEqual((await p).lines, ['+CMGS: 42']);
  });

  it('times out, cancels a pending prompt with ESC, and drains the late answer before the next command', async () => {
    const { engine, clock, written, noise } = setup({ settleMs: 200 });
    const p = engine.command('AT+CMGS=14', { prompt: '00', timeoutMs: 500 });
    const next = engine.command('AT+CSQ');
    await tick();
    clock.advance(500);
    await assert.rejects(p, (err: unknown) => err instanceof ModemError && err.code === 'AT_TIMEOUT' && /AT\+CMGS=14/.test(err.message));
    assert.equal(written.at(-1), '\x1b');
    // The late OK belongs to the timed-out command: it must not complete AT+CSQ.
    engine.feed('\r\nOK\r\n');
    clock.advance(100);
    await tick();
    assert.ok(!written.includes('AT+CSQ\r'), 'nothing is sent while the line is draining');
    clock.advance(200);
    await tick();
    assert.ok(written.includes('AT+CSQ\r'));
    engine.feed('\r\n+CSQ: 9,99\r\n\r\nOK\r\n');
    assert.deepEqual((await next).lines, ['+CSQ: 9,99']);
    assert.ok(noise.some((n) => /late answer/.test(n.reason)));
  });

  it('aborts a queued command through its AbortSignal without sending it', async () => {
    const { engine, written } = setup();
    const first = engine.command('AT+CGMI');
    const ac = new AbortController();
    const second = engine.command('AT+CGMM', { signal: ac.signal });
    ac.abort(new Error('no longer needed'));
    await assert.rejects(second, (err: unknown) => err instanceof ModemError && err.code === 'AT_ABORTED' && /no longer needed/.test(err.message));
    engine.feed('\r\nQuectel\r\nOK\r\n');
    await first;
    await tick();
    assert.deepEqual(written, ['AT+CGMI\r']);
  });

  it('skips garbage, half lines and over-long lines, and resynchronises', async () => {
    const { engine, noise, urcs } = setup({ maxLineLength: 64 });
    engine.feed(Buffer.from([0x00, 0xff, 0x13, 0x8a, 0x2b, 0x43]));
    engine.feed('\r\n');
    engine.feed('x'.repeat(200));
    engine.feed('still the same line\r\n+CMTI: "SM",5\r\n');
    engine.feed('+WHATEVER: 1\r\n');
    const p = engine.command('AT+CSQ');
    engine.feed('\r\n+CSQ: 11,99\r\n\r\nOK\r\n');
    assert.deepEqual((await p).lines, ['+CSQ: 11,99']);
    assert.deepEqual(urcs.map((u) => u.line), ['+CMTI: "SM",5']);
    const reasons = noise.map((n) => n.reason).join(' | ');
    assert.match(reasons, /control characters/);
    assert.match(reasons, /longer than 64/);
    assert.match(reasons, /unknown unsolicited/);
  });

  it('never lets a secret reach the event stream or an error', async () => {
    const { engine } = setup();
    const sent: string[] = [];
    engine.events.on('sent', (s) => sent.push(s.command));
    const p = engine.command('AT+CPIN="4321"', { secret: '4321' });
    engine.feed('\r\n+CME ERROR: 16\r\n');
    await assert.rejects(p, (err: unknown) => err instanceof ModemError && !err.message.includes('4321') && err.command === 'AT+CPIN="****"' && err.code === 'CME_ERROR');
    assert.deepEqual(sent, ['AT+CPIN="****"']);
  });

  it('fails everything waiting when the port closes, and refuses bad commands', async () => {
    const { engine } = setup();
    const a = engine.command('AT');
    const b = engine.command('AT+CSQ');
    engine.close(new ModemError('PORT_CLOSED', 'gone'));
    await assert.rejects(a, { code: 'PORT_CLOSED' });
    await assert.rejects(b, { code: 'PORT_CLOSED' });
    await assert.rejects(engine.command('AT'), { code: 'PORT_CLOSED' });
    engine.reopen();
    await assert.rejects(engine.command('CSQ'), { code: 'AT_BAD_COMMAND' });
    await assert.rejects(engine.command('AT\r+CSQ'), { code: 'AT_BAD_COMMAND' });
  });
});
