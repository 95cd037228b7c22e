/**
 * sd_notify for `vigil run`: the notifier's rules with a fake clock (pings at WATCHDOG_USEC/2
 * only when the watchdog is ours, none piled up behind a slow message, one failure reported
 * once, nothing at all without NOTIFY_SOCKET), the real systemd-notify against a listening
 * socket, and the real `vigil run` under a stand-in for PID 1: READY=1 after the runtime is
 * ready, WATCHDOG=1 at the right rate, STOPPING=1 at SIGTERM.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeClock } from '../runtime/clock.js';
import { ServiceNotifier, systemdNotify, type NotifyTransport, type ServiceNotifyError } from '../runtime/sd-notify.js';
import { startRun } from './helpers/cli.js';
import { tempDir } from './helpers/harness.js';
import { startNotifyListener } from './helpers/notify-socket.js';

function recording(): { sent: string[][]; transport: NotifyTransport; hold: () => () => void } {
  const sent: string[][] = [];
  let gate: Promise<void> | undefined;
  return {
    sent,
    transport: async (_socket, assignments) => {
      sent.push(assignments);
      if (gate) await gate;
    },
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

/** Time passes in steps, each message's delivery settling before the next step (as on a live loop). */
async function pass(clock: FakeClock, ms: number, step: number): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await flush();
  }
}

test('without NOTIFY_SOCKET nothing is sent and no timer is armed', async () => {
  const clock = new FakeClock();
  const { sent, transport } = recording();
  const notifier = new ServiceNotifier({ env: { WATCHDOG_USEC: '1000000' }, clock, transport });
  assert.equal(notifier.enabled, false);
  assert.equal(notifier.pingMs, undefined);
  assert.equal(clock.pending, 0);
  notifier.ready('ready');
  notifier.status('x');
  notifier.stopping();
  clock.advance(10_000);
  await flush();
  assert.deepEqual(sent, []);
});

test('the watchdog is pinged every WATCHDOG_USEC/2, from the start, and the variables leave the environment', async () => {
  const clock = new FakeClock();
  const { sent, transport } = recording();
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4242', PATH: '/usr/bin' };
  const notifier = new ServiceNotifier({ env, pid: 4242, clock, transport });
  assert.equal(notifier.pingMs, 15_000);
  assert.deepEqual(env, { PATH: '/usr/bin' }, 'children must not inherit the socket');
  clock.advance(14_999);
  await flush();
  assert.deepEqual(sent, []);
  clock.advance(1);
  await flush();
  assert.deepEqual(sent, [['WATCHDOG=1']]);
  notifier.ready('ready: 2 bundles, 3 tasks');
  await flush();
  await pass(clock, 45_000, 1000);
  assert.deepEqual(sent, [['WATCHDOG=1'], ['READY=1', 'STATUS=ready: 2 bundles, 3 tasks'], ['WATCHDOG=1'], ['WATCHDOG=1'], ['WATCHDOG=1']]);
  await notifier.close();
  clock.advance(60_000);
  await flush();
  assert.equal(sent.length, 5, 'no pings after close()');
});

test('a watchdog meant for another process (WATCHDOG_PID) is left alone; messages still go out', async () => {
  const clock = new FakeClock();
  const { sent, transport } = recording();
  const notifier = new ServiceNotifier({ env: { NOTIFY_SOCKET: '@notify', WATCHDOG_USEC: '1000000', WATCHDOG_PID: '1' }, pid: 4242, clock, transport });
  assert.equal(notifier.pingMs, undefined);
  clock.advance(10_000);
  notifier.stopping('stopping\nnow');
  await flush();
  assert.deepEqual(sent, [['STOPPING=1', 'STATUS=stopping now']], 'a newline in a status would start another assignment');
});

test('pings are skipped, not queued, while a message is still on its way', async () => {
  const clock = new FakeClock();
  const { sent, transport, hold } = recording();
  const notifier = new ServiceNotifier({ env: { NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '2000000' }, clock, transport });
  const release = hold();
  notifier.ready();
  await flush();
  clock.advance(10_000);
  await flush();
  assert.deepEqual(sent, [['READY=1']], 'five ping times passed while READY was stuck');
  release();
  await flush();
  clock.advance(1000);
  await flush();
  assert.deepEqual(sent, [['READY=1'], ['WATCHDOG=1']]);
  await notifier.close();
});

test('a failing transport is reported once and never thrown', async () => {
  const clock = new FakeClock();
  const errors: ServiceNotifyError[] = [];
  let calls = 0;
  const notifier = new ServiceNotifier({
    env: { NOTIFY_SOCKET: '/nowhere', WATCHDOG_USEC: '200000' },
    clock,
    transport: async () => {
      calls++;
      throw new Error('connection refused');
    },
    onError: (err) => errors.push(err),
  });
  notifier.ready('ready');
  await flush();
  await pass(clock, 1000, 100);
  assert.equal(calls, 11, 'it keeps trying: a later ping may get through');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, 'SD_NOTIFY_FAILED');
  assert.match(errors[0]!.message, /cannot notify systemd \(READY=1 STATUS=ready\) on \/nowhere: connection refused/);
  await notifier.close();
});

test('the real systemd-notify delivers one datagram per message, past its barrier', async (t) => {
  const listener = await startNotifyListener();
  t.after(() => listener.close());
  const started = Date.now();
  await systemdNotify(listener.path, ['READY=1', 'STATUS=ready: 0 bundles'], new AbortController().signal);
  await systemdNotify(listener.path, ['WATCHDOG=1'], new AbortController().signal);
  assert.ok(Date.now() - started < 3000, 'the barrier was answered (a kept descriptor would hold it for 5 s)');
  assert.deepEqual(
    listener.messages.map((m) => m.lines),
    [['READY=1', 'STATUS=ready: 0 bundles'], ['BARRIER=1'], ['WATCHDOG=1'], ['BARRIER=1']],
  );
  await assert.rejects(systemdNotify(join(listener.path, 'missing'), ['READY=1'], new AbortController().signal), (err: ServiceNotifyError) => {
    assert.equal(err.code, 'SD_NOTIFY_FAILED');
    assert.match(err.message, /missing: systemd-notify exited with 1/);
    return true;
  });
});

function simConfig(): { root: string; config: string } {
  const root = tempDir('vigil-sdnotify-');
  const config = join(root, 'config.json');
  writeFileSync(config, JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' } }, policy: { shutdownGraceMs: 500 } }));
  return { root, config };
}

test('vigil run under systemd: READY=1 once ready, WATCHDOG=1 every WATCHDOG_USEC/2, STOPPING=1 at SIGTERM', async (t) => {
  const listener = await startNotifyListener();
  const { root, config } = simConfig();
  t.after(async () => {
    await listener.close();
    rmSync(root, { recursive: true, force: true });
  });
  const run = await startRun(['--config', config], { env: { NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: '1000000' } });
  t.after(() => {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  });
  const ready = await listener.waitFor('READY=1');
  assert.ok(ready.lines.includes('STATUS=ready: 0 bundles, 0 tasks'), JSON.stringify(ready.lines));
  const readyRecord = readFileSync(join(root, 'state', 'logs', 'vigil.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { phase?: string; time: number })
    .find((r) => r.phase === 'ready');
  assert.ok(readyRecord, 'the runtime logged that it is ready');
  assert.ok(ready.at >= readyRecord.time, `READY=1 (${ready.at}) came before the runtime was ready (${readyRecord.time})`);

  // Pings for about three seconds: every 500 ms.
  const from = listener.messages.length;
  await new Promise((r) => setTimeout(r, 3000));
  const pings = listener.messages.slice(from).filter((m) => m.lines.includes('WATCHDOG=1'));
  assert.ok(pings.length >= 5 && pings.length <= 7, `${pings.length} pings in 3 s, expected about 6`);
  const gaps = pings.slice(1).map((p, i) => p.at - pings[i]!.at);
  for (const gap of gaps) assert.ok(gap > 350 && gap < 800, `pings ${Math.round(gap)} ms apart, expected about 500: ${gaps.map(Math.round).join(', ')}`);

  const beforeStop = listener.messages.length;
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  const stopping = listener.messages.slice(beforeStop).find((m) => m.lines.includes('STOPPING=1'));
  assert.ok(stopping, `no STOPPING=1 after SIGTERM: ${JSON.stringify(listener.messages.slice(beforeStop).map((m) => m.lines))}`);
  assert.ok(stopping.lines.some((l) => l.startsWith('STATUS=stopping: ')), JSON.stringify(stopping.lines));
  assert.ok(!readFileSync(join(root, 'state', 'logs', 'vigil.log'), 'utf8').includes('SD_NOTIFY_FAILED'), 'no message failed');
});

/** A systemd-notify first on PATH that only records that it ran. */
function recordingNotify(root: string): { path: string; log: string } {
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const log = join(root, 'notify-calls.txt');
  writeFileSync(join(bin, 'systemd-notify'), `#!/bin/sh\necho "$NOTIFY_SOCKET $*" >> '${log}'\n`);
  chmodSync(join(bin, 'systemd-notify'), 0o755);
  return { path: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, log };
}

test('vigil run without NOTIFY_SOCKET never runs systemd-notify', async (t) => {
  const { root, config } = simConfig();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const fake = recordingNotify(root);
  const run = await startRun(['--config', config], { env: { PATH: fake.path, WATCHDOG_USEC: '200000' } });
  await new Promise((r) => setTimeout(r, 1000));
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  assert.equal(existsSync(fake.log), false, existsSync(fake.log) ? readFileSync(fake.log, 'utf8') : '');

  // The same fake does see the messages when there is a socket: the check above can fail.
  const again = await startRun(['--config', config], { env: { PATH: fake.path, NOTIFY_SOCKET: '/run/fake.sock' } });
  const end = Date.now() + 10_000;
  while (!(existsSync(fake.log) && readFileSync(fake.log, 'utf8').includes('READY=1')) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  again.child.kill('SIGTERM');
  assert.equal(await again.exited, 0);
  assert.match(readFileSync(fake.log, 'utf8'), /^\/run\/fake\.sock READY=1 STATUS=ready/m);
});

test('vigil run with a notify socket that does not answer says so once and runs on', async (t) => {
  const { root, config } = simConfig();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const run = await startRun(['--config', config], { env: { NOTIFY_SOCKET: join(root, 'no-such.sock'), WATCHDOG_USEC: '200000' } });
  t.after(() => {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  });
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(run.child.exitCode, null, 'the runtime is still running');
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  // Before the runtime's log exists the line goes to stderr, after that to the log (and its console view).
  const failures = run.output().split('\n').filter((l) => l.includes('cannot notify systemd'));
  assert.equal(failures.length, 1, `one failure line, not one per ping:\n${run.output()}`);
  assert.match(failures[0]!, /cannot notify systemd \((WATCHDOG|READY)=1.*no-such\.sock: systemd-notify exited with 1/);
});
