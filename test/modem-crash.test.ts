/**
 * At-least-once delivery across a crash, and the SIM PIN, with a real `vigil run` process on the
 * real serialport binding. The simulated modem lives in this test process behind a pty (as a
 * USB modem outlives the runtime); the runtime is killed with SIGKILL while the task for a
 * message is running, and the message is still on the SIM and is delivered again after the
 * restart — to the same task, once more, and then removed.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SimModem } from '../drivers/modem/sim/modem.js';
import { openPtyModem, type PtyModem } from '../drivers/modem/sim/pty.js';
import { startRun } from './helpers/cli.js';
import { tempDir, tick, writeBundle } from './helpers/harness.js';
import { requireSocat } from './helpers/modem.js';

async function until(what: string, check: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick(25);
  }
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

function setup(modemExtra: Record<string, unknown>, tasks: Record<string, unknown>[], files: Record<string, string>) {
  const root = tempDir('vigil-modem-');
  const config = join(root, 'config.json');
  writeBundle(join(root, 'bundles'), { name: 'cell', tasks, files });
  return { root, config, write: (path: string) => writeFileSync(config, JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' }, modem: { binding: 'serialport', path, timeoutMs: 1000, ...modemExtra } } })) };
}

describe('the modem with a real runtime process', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('redelivers a message after kill -9 between receipt and completion, then deletes it once', { timeout: 60_000 }, async () => {
    requireSocat();
    const sim = new SimModem({ seed: 7 });
    const pty: PtyModem = await openPtyModem(sim);
    cleanup.push(() => pty.close());
    const { root, config, write } = setup(
      {},
      [{ name: 'slow-sms', entry: 'slow.js', trigger: { type: 'SmsMessageReceivedTrigger' }, isolation: 'worker' }],
      {
        // Records each start; completes only once the test allows it (the first run never does).
        'slow.js': `import { appendFileSync, existsSync } from 'node:fs';
export default async function run(instance) {
  const d = instance.triggerDetails;
  appendFileSync(process.env.VIGIL_TEST_OUT, JSON.stringify({ messageId: d.messageId, text: d.text }) + '\\n');
  while (!existsSync(process.env.VIGIL_TEST_RELEASE)) await new Promise((r) => setTimeout(r, 20));
}`,
      },
    );
    write(pty.path);
    const out = join(root, 'starts.jsonl');
    const release = join(root, 'release');
    const env = { VIGIL_TEST_OUT: out, VIGIL_TEST_RELEASE: release };

    const first = await startRun(['--config', config], { env });
    cleanup.push(async () => first.child.kill('SIGKILL'));
    const sent = { from: '+447700900301', text: 'pump 2 pressure low', timestamp: new Date('2026-11-23T06:30:00Z'), tzOffsetMinutes: 60 };
    await sim.deliverSms(sent);
    await until('the task to start', () => lines(out).length === 1);
    first.child.kill('SIGKILL');
    await first.exited;
    assert.equal(sim.messages().length, 1, 'the message is still on the SIM after the crash');

    writeFileSync(release, '');
    const second = await startRun(['--config', config], { env });
    cleanup.push(async () => second.child.kill('SIGKILL'));
    await until('the redelivery', () => lines(out).length === 2);
    const [a, b] = lines(out).map((l) => JSON.parse(l) as { messageId: string; text: string });
    assert.equal(b!.messageId, a!.messageId, 'the same message, recognised by its id');
    assert.equal(b!.text, 'pump 2 pressure low');
    await until('the SIM to be emptied after the task completed', () => sim.messages().length === 0);
    const ledgerFile = join(root, 'state', 'sms-ledger.json');
    const ledgerNow = () => JSON.parse(readFileSync(ledgerFile, 'utf8')) as { messages: object; seen: Record<string, number> };
    // The ledger is written right after the deletion (a crash in between is safe: the entry says
    // "cleared", and the next start only checks that the slot no longer holds it).
    await until('the ledger to record the delivery', () => Object.keys(ledgerNow().messages).length === 0);
    const ledger = ledgerNow();
    assert.ok(ledger.seen[a!.messageId] !== undefined, 'the id is remembered, so a resent copy is a duplicate');

    // The network sends the same message again (same sender, timestamp and text): a duplicate,
    // removed from the SIM without running the task a third time.
    await sim.deliverSms(sent);
    await until('the duplicate to be removed', () => sim.messages().length === 0);
    await tick(300);
    assert.equal(lines(out).length, 2);
    second.child.kill('SIGTERM');
    await second.exited;
  });

  it('unlocks the SIM with the PIN from a secrets file, never showing it, and raises the lock-state trigger', { timeout: 60_000 }, async () => {
    requireSocat();
    const sim = new SimModem({ seed: 8, pin: '4821' });
    const pty = await openPtyModem(sim);
    cleanup.push(() => pty.close());
    const { root, config, write } = setup(
      { pinFile: 'sim.pin' },
      [
        { name: 'lock', entry: 'rec.js', trigger: { type: 'MobileBroadbandPinLockStateChangeTrigger' }, isolation: 'inprocess' },
        { name: 'sms', entry: 'rec.js', trigger: { type: 'SmsMessageReceivedTrigger' }, isolation: 'inprocess' },
      ],
      { 'rec.js': `import { appendFileSync } from 'node:fs';\nexport default function run(i) { appendFileSync(process.env.VIGIL_TEST_OUT, JSON.stringify({ task: i.task.name, d: i.triggerDetails }) + '\\n'); }` },
    );
    writeFileSync(join(root, 'sim.pin'), '4821\n');
    chmodSync(join(root, 'sim.pin'), 0o600);
    write(pty.path);
    const out = join(root, 'events.jsonl');
    const run = await startRun(['--config', config], { env: { VIGIL_TEST_OUT: out } });
    cleanup.push(async () => run.child.kill('SIGKILL'));
    await until('READY after the PIN', () => lines(out).some((l) => l.includes('"pinLockState":"READY"')));
    const lock = lines(out).map((l) => JSON.parse(l) as { task: string; d: Record<string, unknown> }).filter((e) => e.task === 'lock');
    assert.ok(lock.some((e) => e.d.pinLockState === 'SIM PIN'), 'the locked state was reported first');
    await sim.deliverSms({ from: '+447700900302', text: 'unlocked' });
    await until('the SMS after unlocking', () => lines(out).some((l) => l.includes('"text":"unlocked"')));
    run.child.kill('SIGTERM');
    await run.exited;
    const log = readFileSync(join(root, 'state', 'logs', 'vigil.log'), 'utf8');
    assert.ok(!log.includes('4821'), 'the PIN is never in the log');
    assert.ok(!run.output().includes('4821'), 'nor on the console');
  });

  it('does not spend the last PIN attempt, and tries a wrong PIN only once', { timeout: 60_000 }, async () => {
    requireSocat();
    const sim = new SimModem({ seed: 9, pin: '1111', pinAttempts: 2 });
    const pty = await openPtyModem(sim);
    cleanup.push(() => pty.close());
    const { root, config, write } = setup({ pinFile: 'sim.pin' }, [{ name: 'lock', entry: 'noop.js', trigger: { type: 'MobileBroadbandPinLockStateChangeTrigger' }, isolation: 'inprocess' }], { 'noop.js': 'export default function run() {}' });
    writeFileSync(join(root, 'sim.pin'), '{"pin": "2222"}');
    chmodSync(join(root, 'sim.pin'), 0o600);
    write(pty.path);
    const commands: string[] = [];
    sim.on('command', (line) => commands.push(line));
    const run = await startRun(['--config', config]);
    cleanup.push(async () => run.child.kill('SIGKILL'));
    await until('the wrong PIN to be tried', () => commands.some((c) => /^AT\+CPIN="/i.test(c)));
    // Let the driver run on for a while: a reopen or a status poll must not try again.
    await tick(1500);
    const tries = commands.filter((c) => /^AT\+CPIN="/i.test(c));
    assert.equal(tries.length, 1, `one attempt with a wrong PIN, got ${tries.length}`);
    run.child.kill('SIGTERM');
    await run.exited;
    const log = readFileSync(join(root, 'state', 'logs', 'vigil.log'), 'utf8');
    assert.match(log, /the SIM PIN was not accepted/);
    assert.ok(!log.includes('2222'));

    // One attempt left now: a second start must not spend it.
    const commands2: string[] = [];
    sim.on('command', (line) => commands2.push(line));
    const again = await startRun(['--config', config]);
    cleanup.push(async () => again.child.kill('SIGKILL'));
    await until('the lock state to be read', () => commands2.some((c) => /^AT\+CPIN\?/i.test(c)));
    await tick(1500);
    assert.equal(commands2.filter((c) => /^AT\+CPIN="/i.test(c)).length, 0, 'the last attempt is left for a person');
    again.child.kill('SIGTERM');
    await again.exited;
    assert.match(readFileSync(join(root, 'state', 'logs', 'vigil.log'), 'utf8'), /only 1 PIN attempt left/);
  });
});
