/**
 * The command line as a real process, given bad input or no runtime to talk to: one line on
 * stderr, a non-zero exit, no stack unless asked; and --help that tells the truth.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Command } from 'commander';
import { emitCommand } from '../bin/emit.js';
import { runCommand } from '../bin/run.js';
import { statusCommand } from '../bin/status.js';
import { triggerCommand } from '../bin/trigger.js';
import { vigil, type CliResult } from './helpers/cli.js';
import { tempDir } from './helpers/harness.js';

/** stderr is one line "vigil: …" — no stack, no second line. */
function oneLine(r: CliResult, what: string): string {
  assert.ok(r.stderr.endsWith('\n'), `${what}: stderr should end with a newline: ${JSON.stringify(r.stderr)}`);
  const lines = r.stderr.slice(0, -1).split('\n');
  assert.equal(lines.length, 1, `${what}: stderr should be one line, got:\n${r.stderr}`);
  const line = lines[0]!;
  assert.ok(line.startsWith('vigil: '), `${what}: ${line}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: no stack without --verbose`);
  return line;
}

describe('the command line', () => {
  const dir = tempDir('vigil-bad-cli-');
  const state = join(dir, 'state');
  mkdirSync(state, { recursive: true });
  const socket = join(state, 'vigil.sock');
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const args of [['status'], ['trigger', 'x'], ['emit', 'y']]) {
    test(`vigil ${args.join(' ')} with no runtime running: exit 1, one line saying so and how to start one`, async () => {
      const r = await vigil([...args, '--state', state]);
      assert.equal(r.code, 1, r.stderr);
      const line = oneLine(r, args.join(' '));
      assert.match(line, /no vigil runtime is running for this state directory/);
      assert.ok(line.includes(socket), `names the socket it tried: ${line}`);
      assert.match(line, /start one with `vigil run`/);
      assert.equal(r.stdout, '');
    });
  }

  test('--verbose adds the stack (before or after the command)', async () => {
    const [trailing, leading] = await Promise.all([vigil(['status', '--state', state, '--verbose']), vigil(['--verbose', 'emit', 'y', '--state', state])]);
    for (const r of [trailing, leading]) {
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stderr.trimEnd().split('\n');
      assert.match(lines[0]!, /^vigil: no vigil runtime is running/);
      assert.ok(lines.length > 2, `a stack should follow: ${r.stderr}`);
      assert.match(r.stderr, /CliError: no vigil runtime is running/);
      assert.match(r.stderr, /^\s+at /m);
    }
  });

  test('a stale socket file (a runtime that died) reads as "not running" too', async () => {
    const stale = join(dir, 'stale');
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'vigil.sock'), '');
    const r = await vigil(['status', '--state', stale]);
    assert.equal(r.code, 1, r.stderr);
    const line = oneLine(r, 'status (stale socket)');
    assert.match(line, /no vigil runtime is running for this state directory \(nothing answers at .*vigil\.sock\); start one with `vigil run`/);
  });

  test('vigil run --config with a broken file: exit 1, one line naming the file and the field', async () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', policy: { pool: { warm: -1 } } }));
    const notJson = join(dir, 'not-json.json');
    writeFileSync(notJson, '{ "stateDir": "state",');
    const badTimeline = join(dir, 'bad-timeline.json');
    writeFileSync(badTimeline, JSON.stringify({ stateDir: 'state', bundlesDir: 'bundles', drivers: { system: { binding: 'sim' } }, sim: { timeline: [{ at: 1, link: 'carrier-pigeon' }] } }));
    const missing = join(dir, 'missing.json');
    const [a, b, c, d] = await Promise.all([
      vigil(['run', '--config', broken, '--quiet']),
      vigil(['run', '--config', notJson, '--quiet']),
      vigil(['run', '--config', badTimeline, '--quiet']),
      vigil(['run', '--config', missing, '--quiet']),
    ]);
    for (const [r, file, says] of [
      [a, broken, /policy\.pool\.warm is -1: expected a number >= 0/],
      [b, notJson, /is not valid JSON: .*position \d+/],
      [c, badTimeline, /sim\.timeline: timeline step 0: link "carrier-pigeon" is invalid; expected one of/],
      [d, missing, /cannot read config .*: no such file/],
    ] as const) {
      assert.equal(r.code, 1, `run --config ${file}: ${r.stderr}`);
      const line = oneLine(r, `run --config ${file}`);
      assert.ok(line.includes(file), `names the file: ${line}`);
      assert.match(line, says);
    }
  });

  test('vigil trigger with a bad --arg: non-zero exit, one line saying what is expected', async () => {
    const [noEq, noKey] = await Promise.all([vigil(['trigger', 'x', '--arg', 'room', '--state', state]), vigil(['trigger', 'x', '--arg', '=kitchen', '--state', state])]);
    for (const [r, value] of [[noEq, 'room'], [noKey, '=kitchen']] as const) {
      assert.notEqual(r.code, 0);
      const line = oneLine(r, `--arg ${value}`);
      assert.ok(line.includes(`--arg ${JSON.stringify(value)}`), line);
      assert.match(line, /is not key=value: expected e\.g\. --arg room=kitchen/);
    }
  });

  test('an unknown command, an unknown option, a missing argument: non-zero exit and the parser says which', async () => {
    const [command, option, argument] = await Promise.all([vigil(['frobnicate']), vigil(['status', '--frob', '--state', state]), vigil(['emit', '--state', state])]);
    assert.notEqual(command.code, 0);
    assert.match(command.stderr, /unknown command 'frobnicate'/);
    assert.notEqual(option.code, 0);
    assert.match(option.stderr, /unknown option '--frob'/);
    assert.notEqual(argument.code, 0);
    assert.match(argument.stderr, /missing required argument 'event-id'/);
    for (const r of [command, option, argument]) assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack');
  });

  // The options the design's command table promises, on top of whatever each command declares.
  const commands: [string, () => Command, string[]][] = [
    ['run', runCommand, ['--config', '--state', '--sim', '--quiet']],
    ['status', statusCommand, ['--json', '--state', '--config']],
    ['trigger', triggerCommand, ['<name>', '--arg', '--json', '--state', '--config']],
    ['emit', emitCommand, ['<event-id>', '--json', '--state', '--config']],
  ];

  test('--help of every command exits 0 and mentions each of its options', async () => {
    const results = await Promise.all(commands.map(([name]) => vigil([name, '--help'])));
    commands.forEach(([name, make, promised], i) => {
      const r = results[i]!;
      assert.equal(r.code, 0, `${name} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: vigil ${name} `, 'm'));
      const declared = make().options.map((o) => o.flags);
      assert.ok(declared.length > 0, `${name} declares options`);
      for (const flags of [...declared, ...promised, '--help']) assert.ok(r.stdout.includes(flags), `${name} --help should mention ${flags}:\n${r.stdout}`);
    });
  });
});
