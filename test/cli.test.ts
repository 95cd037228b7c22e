/**
 * The command line against a real runtime process: status, trigger, emit over the control
 * socket; a second runtime on the same state refused; SIGTERM stops cleanly with the store
 * flushed.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import type { StatusReport } from '../runtime/status.js';
import { startRun, vigil } from './helpers/cli.js';
import { tempDir, writeBundle } from './helpers/harness.js';

let root: string;
let configFile: string;
let run: { child: ChildProcess; output: () => string; exited: Promise<number | null> };

before(async () => {
  root = tempDir('vigil-cli-');
  configFile = join(root, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' } }, policy: { shutdownGraceMs: 2000, cancelGraceMs: 500 } }),
  );
  writeBundle(join(root, 'bundles'), {
    name: 'app',
    tasks: [
      { name: 'hello', entry: 't.js', export: 'hello', trigger: { type: 'ApplicationTrigger' } },
      { name: 'pinged', entry: 't.js', export: 'pinged', isolation: 'inprocess', trigger: { type: 'CustomSystemEventTrigger', triggerId: 'ping' } },
      { name: 'slow', entry: 't.js', export: 'slow', trigger: { type: 'ApplicationTrigger' } },
    ],
    files: {
      't.js': `
export function hello(instance) { instance.log.info('hello ' + instance.triggerDetails.arguments.who); }
export function pinged(instance) { instance.log.info('pinged'); }
export async function slow(instance) { await new Promise((r) => instance.signal.addEventListener('abort', r)); }
`,
    },
  });
  run = await startRun(['--config', configFile]);
});

after(async () => {
  if (run.child.exitCode === null) run.child.kill('SIGKILL');
});

const logOf = () => readFileSync(join(root, 'state', 'logs', 'vigil.log'), 'utf8');

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the control socket is private to the runtime user (0600)', () => {
  const mode = statSync(join(root, 'state', 'vigil.sock')).mode & 0o777;
  assert.equal(mode.toString(8), '600');
});

test('vigil status shows the registrations, as text and as JSON', async () => {
  const text = await vigil(['status', '--config', configFile]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^vigil on vigil: up /);
  assert.match(text.stdout, /hello\s+app\s+ApplicationTrigger "hello"\s+idle/);
  assert.match(text.stdout, /drivers\s+system \(sim\)/);
  const json = await vigil(['status', '--json', '--state', join(root, 'state')]);
  const report = JSON.parse(json.stdout) as StatusReport;
  assert.deepEqual(report.tasks.map((t) => t.name).sort(), ['hello', 'pinged', 'slow']);
  assert.equal(report.bundles[0]?.name, 'app');
  assert.equal(report.workCost.value, 'Low');
});

test('vigil trigger NAME --arg k=v runs the task with the arguments', async () => {
  const r = await vigil(['trigger', 'hello', '--arg', 'who=pi', '--config', configFile]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'app/hello: Allowed');
  await until(() => logOf().includes('"msg":"hello pi"'), 'the task log line');
  assert.match(run.output(), /hello\s+hello pi/, 'the console view shows the task line');
});

test('vigil trigger answers CurrentlyRunning (exit 2) while the task runs', async () => {
  assert.equal((await vigil(['trigger', 'slow', '--config', configFile])).code, 0);
  const again = await vigil(['trigger', 'slow', '--json', '--config', configFile]);
  assert.equal(again.code, 2);
  assert.equal((JSON.parse(again.stdout) as { result: string }).result, 'CurrentlyRunning');
});

test('vigil trigger with an unknown name is one clear line and exit 1', async () => {
  const r = await vigil(['trigger', 'nope', '--config', configFile]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), 'vigil: no ApplicationTrigger named "nope" is registered (registered: hello, slow)');
});

test('vigil emit raises a device event', async () => {
  const r = await vigil(['emit', 'ping', '--config', configFile]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ping: reached 1 registration');
  await until(() => logOf().includes('"msg":"pinged"'), 'the pinged task');
  const none = await vigil(['emit', 'nobody.listens', '--config', configFile]);
  assert.equal(none.stdout.trim(), 'nobody.listens: no registration listens for it');
});

test('a second runtime on the same state directory is refused', async () => {
  const second = await vigil(['run', '--config', configFile]);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /another vigil runtime is already running with this state directory/);
  assert.equal(second.stderr.trim().split('\n').length, 1);
});

test('SIGTERM: running tasks get Terminating, the store is flushed, the socket removed, exit 0', async () => {
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  assert.equal(existsSync(join(root, 'state', 'vigil.sock')), false);
  const store = JSON.parse(readFileSync(join(root, 'state', 'store.json'), 'utf8')) as { runs: Record<string, { outcome: string; reason?: string }[]> };
  const reasons = Object.values(store.runs).flat().map((r) => r.reason ?? r.outcome);
  assert.ok(reasons.includes('Terminating'), `runs: ${reasons.join(', ')}`);
  assert.ok(reasons.filter((r) => r === 'succeeded').length >= 2);
  assert.match(logOf(), /"phase":"stopped"/);
  const after = await vigil(['status', '--config', configFile]);
  assert.equal(after.code, 1);
  assert.match(after.stderr, /^vigil: no vigil runtime is running for this state directory \(no socket at .*vigil\.sock\); start one with `vigil run`\n$/);
});

test('SIGHUP re-reads the policy (a revoked bundle\'s task gets SystemPolicy); SIGINT stops cleanly', async () => {
  const config2 = join(root, 'config2.json');
  const base = { stateDir: 'state2', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' } }, policy: { shutdownGraceMs: 2000, cancelGraceMs: 500 } };
  writeFileSync(config2, JSON.stringify(base));
  const second = await startRun(['--config', config2]);
  const log2 = () => readFileSync(join(root, 'state2', 'logs', 'vigil.log'), 'utf8');
  try {
    assert.equal((await vigil(['trigger', 'slow', '--config', config2])).code, 0);
    await until(() => log2().includes('"evt":"start","task":"slow"'), 'the slow task to start');
    writeFileSync(config2, JSON.stringify({ ...base, policy: { ...base.policy, access: { bundles: { app: { access: 'DeniedBySystemPolicy' } } } } }));
    second.child.kill('SIGHUP');
    await until(() => /"evt":"cancel","task":"slow"[^\n]*"reason":"SystemPolicy"/.test(log2()), 'the SystemPolicy cancellation');
    const denied = await vigil(['trigger', 'hello', '--json', '--config', config2]);
    assert.equal((JSON.parse(denied.stdout) as { result: string }).result, 'DisabledByPolicy');
  } finally {
    second.child.kill('SIGINT');
  }
  assert.equal(await second.exited, 0);
  assert.match(log2(), /"phase":"stopped"/);
});
