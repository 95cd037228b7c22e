/**
 * Broken bundle manifests, loaded by the real runtime next to a good bundle: each is rejected
 * with an error that quotes the bad value, names the field and says what was expected, and
 * nothing of it is registered; the good bundle runs regardless.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SimSystem } from '../drivers/system/sim.js';
import { FakeClock } from '../runtime/clock.js';
import { assertClear, type Clear } from './helpers/clear.js';
import { VigilError } from '../runtime/errors.js';
import { finished, startHarness, taskId, tempDir, type Harness } from './helpers/harness.js';

const MIN = 60_000;
const okTask = 'export default function run(instance) { instance.progress = 100; }\n';

interface ManifestCase extends Clear {
  /** The bundle's directory (also the prefix of its task names: `${dir}-a`, `${dir}-b`). */
  dir: string;
  what: string;
  /** manifest.json's text; null writes none. */
  manifest: string | null;
  files?: Record<string, string>;
}

/** A task of bundle `dir` that is valid unless `overrides` break it. */
function task(dir: string, suffix: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: `${dir}-${suffix}`, entry: 'task.js', trigger: { type: 'ApplicationTrigger' }, ...overrides };
}

/** A manifest named for its directory, version 1.0.0, unless `top` says otherwise. */
function manifest(dir: string, tasks: unknown, top: Record<string, unknown> = {}): string {
  return JSON.stringify({ name: dir, version: '1.0.0', tasks, ...top }, null, 2);
}

/** A bundle directory written by hand, so the manifest can be anything at all (or missing). */
function writeRawBundle(bundlesDir: string, dir: string, manifestText: string | null, files: Record<string, string> = { 'task.js': okTask }): void {
  const at = join(bundlesDir, dir);
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'package.json'), '{ "type": "module" }\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(at, name), text);
  if (manifestText !== null) writeFileSync(join(at, 'manifest.json'), manifestText);
}

const manifestCases: ManifestCase[] = [
  {
    dir: 'no-manifest',
    what: 'no manifest.json at all',
    manifest: null,
    code: 'MANIFEST_UNREADABLE',
    quotes: ['manifest.json'],
    expected: /missing: a bundle directory needs a manifest\.json/,
  },
  {
    dir: 'not-json',
    what: 'manifest.json is not JSON (with the parse position)',
    manifest: '{ "name": "not-json", "version": "1.0.0",, "tasks": [] }',
    code: 'MANIFEST_NOT_JSON',
    quotes: ['position 41'],
    expected: /is not valid JSON: .*position \d+/,
  },
  {
    dir: 'array',
    what: 'an array instead of an object',
    manifest: JSON.stringify([{ name: 'array', version: '1.0.0', tasks: [] }]),
    code: 'MANIFEST_INVALID',
    quotes: ['an array'],
    expected: /must be a JSON object/,
  },
  {
    dir: 'no-tasks',
    what: 'no "tasks"',
    manifest: JSON.stringify({ name: 'no-tasks', version: '1.0.0' }),
    code: 'MANIFEST_INVALID',
    quotes: ['is missing'],
    field: 'tasks',
    expected: /tasks is missing: expected an array/,
  },
  {
    dir: 'empty-tasks',
    what: 'an empty "tasks"',
    manifest: manifest('empty-tasks', []),
    code: 'MANIFEST_INVALID',
    quotes: ['[]'],
    field: 'tasks',
    expected: /expected entries >= 1/,
  },
  {
    dir: 'spaced',
    what: 'a name with upper case and spaces',
    manifest: manifest('spaced', [task('spaced', 'a')], { name: 'My Bundle' }),
    code: 'MANIFEST_INVALID',
    quotes: ['"My Bundle"'],
    field: 'name',
    expected: /expected lower-case letters, digits/,
  },
  {
    dir: 'mismatch',
    what: "a name that is not the directory's",
    manifest: manifest('mismatch', [task('mismatch', 'a')], { name: 'other-name' }),
    code: 'MANIFEST_INVALID',
    quotes: ['"other-name"', '"mismatch"'],
    field: 'name',
    expected: /expected them to match/,
  },
  {
    dir: 'bad-version',
    what: 'version "one"',
    manifest: manifest('bad-version', [task('bad-version', 'a')], { version: 'one' }),
    code: 'MANIFEST_INVALID',
    quotes: ['"one"'],
    field: 'version',
    expected: /expected a version such as "1\.0\.0"/,
  },
  {
    dir: 'typo',
    what: 'an unknown field (timeoutSecs for timeoutSec)',
    manifest: manifest('typo', [task('typo', 'a', { timeoutSecs: 5 })]),
    code: 'MANIFEST_INVALID',
    quotes: ['"timeoutSecs"'],
    field: 'tasks[0]',
    expected: /unknown field .*check the spelling/,
  },
  {
    dir: 'dup',
    what: 'two tasks with one name',
    manifest: manifest('dup', [task('dup', 'a'), task('dup', 'a', { trigger: { type: 'ApplicationTrigger', name: 'dup-other' } })]),
    code: 'MANIFEST_INVALID',
    quotes: ['"dup-a"'],
    field: 'tasks[1].name',
    expected: /expected task names to be unique in a bundle/,
  },
  {
    dir: 'no-entry',
    what: 'an entry that does not exist',
    manifest: manifest('no-entry', [task('no-entry', 'a', { entry: 'nope.js' })]),
    code: 'MANIFEST_INVALID',
    quotes: ['"nope.js"'],
    field: 'tasks[0].entry',
    expected: /does not exist in the bundle/,
  },
  {
    // The escaped-to file exists (see before()), so only the escape can be the reason.
    dir: 'escape',
    what: 'an entry outside the bundle (../x.js)',
    manifest: manifest('escape', [task('escape', 'a', { entry: '../x.js' })]),
    code: 'MANIFEST_INVALID',
    quotes: ['"../x.js"'],
    field: 'tasks[0].entry',
    expected: /expected a path inside the bundle/,
  },
  {
    dir: 'ts-entry',
    what: 'an entry that is TypeScript',
    manifest: manifest('ts-entry', [task('ts-entry', 'a', { entry: 'task.ts' })]),
    files: { 'task.ts': okTask },
    code: 'MANIFEST_INVALID',
    quotes: ['"task.ts"'],
    field: 'tasks[0].entry',
    expected: /expected compiled JavaScript \(\.js, \.mjs or \.cjs\)/,
  },
  {
    dir: 'mem-negative',
    what: 'memoryMb -1',
    manifest: manifest('mem-negative', [task('mem-negative', 'a', { memoryMb: -1 })]),
    code: 'MANIFEST_INVALID',
    quotes: ['is -1'],
    field: 'tasks[0].memoryMb',
    expected: /expected a number >= 1/,
  },
  {
    dir: 'mem-string',
    what: 'memoryMb "32" (a string)',
    manifest: manifest('mem-string', [task('mem-string', 'a', { memoryMb: '32' })]),
    code: 'MANIFEST_INVALID',
    quotes: ['"32"'],
    field: 'tasks[0].memoryMb',
    expected: /expected number/,
  },
  {
    dir: 'no-trigger',
    what: 'a task without a trigger',
    manifest: manifest('no-trigger', [task('no-trigger', 'a', { trigger: undefined })]),
    code: 'MANIFEST_INVALID',
    quotes: ['is missing'],
    field: 'tasks[0].trigger',
    expected: /is missing: expected an object/,
  },
  {
    // The first task is fine: the second one's trigger must keep the whole bundle out, and the
    // message must say which task's trigger it is.
    dir: 'unknown-trigger',
    what: 'an unknown trigger type (FooTrigger) in the second task',
    manifest: manifest('unknown-trigger', [task('unknown-trigger', 'a'), task('unknown-trigger', 'b', { trigger: { type: 'FooTrigger' } })]),
    code: 'TRIGGER_UNKNOWN',
    quotes: ['"FooTrigger"'],
    field: 'tasks[1].trigger',
    expected: /expected one of .*TimeTrigger.*ApplicationTrigger.*CustomSystemEventTrigger.*SystemTrigger/,
  },
  {
    dir: 'unsupported-trigger',
    what: 'a seed trigger nothing implements (SmsMessageReceivedTrigger)',
    manifest: manifest('unsupported-trigger', [task('unsupported-trigger', 'a', { trigger: { type: 'SmsMessageReceivedTrigger' } })]),
    code: 'TRIGGER_UNSUPPORTED',
    quotes: ['SmsMessageReceivedTrigger'],
    field: 'tasks[0].trigger',
    expected: /not supported on this device yet: it needs the cellular modem driver/,
  },
  {
    dir: 'system-typo',
    what: 'SystemTrigger with a misspelt triggerType (TimezoneChange)',
    manifest: manifest('system-typo', [task('system-typo', 'a', { trigger: { type: 'SystemTrigger', triggerType: 'TimezoneChange' } })]),
    code: 'TRIGGER_INVALID',
    quotes: ['"TimezoneChange"'],
    field: 'tasks[0].trigger.triggerType',
    expected: /expected one of .*"TimeZoneChange"/,
  },
  {
    dir: 'too-often',
    what: 'TimeTrigger under the 15-minute policy minimum',
    manifest: manifest('too-often', [task('too-often', 'a', { trigger: { type: 'TimeTrigger', freshnessTime: 5 } })]),
    code: 'TRIGGER_BELOW_MINIMUM',
    quotes: ['is 5 minutes'],
    field: 'tasks[0].trigger.freshnessTime',
    expected: /the device policy's minimum is 15 \(policy\.minTimeTriggerMinutes\)/,
  },
  {
    dir: 'freshness-string',
    what: 'TimeTrigger freshnessTime "15" (a string)',
    manifest: manifest('freshness-string', [task('freshness-string', 'a', { trigger: { type: 'TimeTrigger', freshnessTime: '15' } })]),
    code: 'TRIGGER_INVALID',
    quotes: ['"15"'],
    field: 'tasks[0].trigger.freshnessTime',
    expected: /expected number/,
  },
  {
    dir: 'bad-event-id',
    what: 'CustomSystemEventTrigger with an invalid triggerId',
    manifest: manifest('bad-event-id', [task('bad-event-id', 'a', { trigger: { type: 'CustomSystemEventTrigger', triggerId: 'door opened' } })]),
    code: 'TRIGGER_INVALID',
    quotes: ['"door opened"'],
    field: 'tasks[0].trigger.triggerId',
    expected: /expected an event id such as "door\.opened"/,
  },
  {
    // An unknown key at the top of trigger data must still say where it is (tasks[0].trigger).
    dir: 'trigger-typo',
    what: 'an unknown field in trigger data (nmae for name)',
    manifest: manifest('trigger-typo', [task('trigger-typo', 'a', { trigger: { type: 'ApplicationTrigger', nmae: 'go' } })]),
    code: 'TRIGGER_INVALID',
    quotes: ['"nmae"'],
    field: 'tasks[0].trigger',
    expected: /unknown field .*check the spelling/,
  },
  {
    dir: 'bad-condition',
    what: 'a condition that does not exist',
    manifest: manifest('bad-condition', [task('bad-condition', 'a', { conditions: ['InternetAvailable', 'InternetMaybe'] })]),
    code: 'CONDITION_INVALID',
    quotes: ['"InternetMaybe"'],
    field: 'tasks[0].conditions[1]',
    expected: /expected one of .*InternetAvailable.*BackgroundWorkCostNotHigh/,
  },
  {
    dir: 'bad-capability',
    what: 'a malformed capability string (second task)',
    manifest: manifest('bad-capability', [task('bad-capability', 'a', { capabilities: ['events.emit:door.opened'] }), task('bad-capability', 'b', { capabilities: ['Everything!'] })]),
    code: 'CAPABILITY_INVALID',
    quotes: ['"Everything!"'],
    field: 'tasks[1].capabilities[0]',
    expected: /expected a capability such as "events\.emit"/,
  },
  {
    dir: 'thread',
    what: 'isolation "thread"',
    manifest: manifest('thread', [task('thread', 'a', { isolation: 'thread' })]),
    code: 'MANIFEST_INVALID',
    quotes: ['"thread"'],
    field: 'tasks[0].isolation',
    expected: /expected one of "worker", "inprocess"/,
  },
];

describe('broken manifests, loaded by the runtime next to a good bundle', () => {
  let h: Harness;

  before(async () => {
    const root = tempDir('vigil-bad-input-');
    const bundlesDir = join(root, 'bundles');
    mkdirSync(bundlesDir, { recursive: true });
    for (const c of manifestCases) writeRawBundle(bundlesDir, c.dir, c.manifest, c.files);
    // What the escaping entry points at really exists: the escape alone must be refused.
    writeFileSync(join(bundlesDir, 'x.js'), okTask);
    h = await startHarness({
      root,
      bundles: [
        { name: 'good', tasks: [task('good', 'task')], files: { 'task.js': okTask } },
        {
          name: 'swap',
          tasks: [task('swap', 'a'), task('swap', 'b', { trigger: { type: 'CustomSystemEventTrigger', triggerId: 'swap.go' } })],
          files: { 'task.js': okTask },
        },
      ],
    });
  });
  after(() => h.close());

  test(`every broken bundle (${manifestCases.length}) is rejected and only the good ones are loaded`, () => {
    assert.deepEqual([...h.runtime.bundles.loaded.keys()].sort(), ['good', 'swap']);
    assert.deepEqual([...h.runtime.bundles.rejected.keys()].sort(), manifestCases.map((c) => c.dir).sort());
    // `vigil status` reports them too.
    const status = h.runtime.status();
    assert.deepEqual(status.rejected.map((r) => r.name).sort(), manifestCases.map((c) => c.dir).sort());
  });

  for (const c of manifestCases) {
    test(`${c.dir}: ${c.what} → ${c.code}`, () => {
      const rejected = h.runtime.bundles.rejected.get(c.dir);
      assert.ok(rejected, `${c.dir} should be reported as rejected`);
      assert.equal(rejected.name, c.dir);
      // Nothing of it registered: not even a valid task next to the broken one.
      const mine = h.runtime.registry.records().filter((r) => r.entryPoint.bundle === c.dir || r.name.startsWith(`${c.dir}-`));
      assert.deepEqual(mine.map((r) => r.name), [], `${c.dir} registered tasks`);
      assert.throws(() => h.runtime.trigger(`${c.dir}-a`), (err: unknown) => err instanceof VigilError && err.code === 'TRIGGER_NOT_FOUND');
      // The message names the file it is about.
      assert.ok(rejected.error.message.startsWith(join(h.bundlesDir, c.dir, 'manifest.json')), rejected.error.message);
      assertClear(rejected.error, c, c.dir);
    });
  }

  test('the good bundle loaded and runs', async () => {
    assert.equal(h.runtime.bundles.loaded.get('good')?.version, '1.0.0');
    const done = finished(h.runtime, 'good-task');
    assert.equal(h.runtime.trigger('good-task').result, 'Allowed');
    assert.equal((await done).outcome, 'succeeded');
  });

  test('a good bundle replaced by a broken version keeps the old version registered and running', async () => {
    const rt = h.runtime;
    const ids = [taskId(rt, 'swap-a'), taskId(rt, 'swap-b')];
    const dir = join(h.bundlesDir, 'swap');
    // Version 2.0.0 drops swap-b and breaks swap-a: nothing of it may be applied.
    writeFileSync(join(dir, 'manifest.json'), manifest('swap', [task('swap', 'a', { timeoutSec: -5 })], { version: '2.0.0' }));
    await rt.bundles.rescan();
    const rejected = rt.bundles.rejected.get('swap');
    assert.ok(rejected, 'swap 2.0.0 should be reported as rejected');
    assertClear(rejected.error, { code: 'MANIFEST_INVALID', quotes: ['is -5'], field: 'tasks[0].timeoutSec', expected: /expected a number > 0/ }, 'swap 2.0.0');
    assert.equal(rt.bundles.loaded.get('swap')?.version, '1.0.0', 'the old version stays loaded');
    assert.deepEqual([taskId(rt, 'swap-a'), taskId(rt, 'swap-b')], ids, 'same registrations, same task ids');
    assert.equal(rt.registry.record(ids[0]!)?.bundleVersion, '1.0.0');
    assert.ok(rt.status().rejected.some((r) => r.name === 'swap'));
    // And the old version still runs, from both of its triggers.
    const a = finished(rt, 'swap-a');
    assert.equal(rt.trigger('swap-a').result, 'Allowed');
    assert.equal((await a).outcome, 'succeeded');
    const b = finished(rt, 'swap-b');
    assert.equal(rt.emit('swap.go'), 1);
    assert.equal((await b).outcome, 'succeeded');

    // Fixed: version 2.0.0 now loads, keeps swap-a's id, drops swap-b, and is no longer rejected.
    writeFileSync(join(dir, 'manifest.json'), manifest('swap', [task('swap', 'a', { timeoutSec: 5 })], { version: '2.0.0' }));
    await rt.bundles.rescan();
    assert.equal(rt.bundles.rejected.has('swap'), false);
    assert.equal(rt.bundles.loaded.get('swap')?.version, '2.0.0');
    assert.equal(taskId(rt, 'swap-a'), ids[0]);
    assert.equal(rt.registry.record(ids[1]!), undefined);
  });
});

test('a bundle broken while the runtime was stopped is reported at start, and its due TimeTrigger does not throw', async () => {
  const clock = new FakeClock();
  const h = await startHarness({
    clock,
    bundles: [{ name: 'later', tasks: [task('later', 'tick', { trigger: { type: 'TimeTrigger', freshnessTime: 15 } })], files: { 'task.js': okTask } }],
  });
  try {
    writeFileSync(join(h.bundlesDir, 'later', 'manifest.json'), manifest('later', [task('later', 'tick', { trigger: { type: 'TimeTrigger', freshnessTime: 15 }, memoryMb: '32' })], { version: '2.0.0' }));
    const clock2 = new FakeClock(clock.now());
    const rt = await h.restart({ clock: clock2, system: new SimSystem({ clock: clock2 }) });
    const rejected = rt.bundles.rejected.get('later');
    assert.ok(rejected, 'later 2.0.0 should be reported as rejected at start');
    assertClear(rejected.error, { code: 'MANIFEST_INVALID', quotes: ['"32"'], field: 'tasks[0].memoryMb', expected: /expected number/ }, 'later 2.0.0');
    // Its registration from the previous run must not fire into a bundle that has no code:
    // advancing past its due time must not throw out of the trigger source.
    assert.doesNotThrow(() => clock2.advance(16 * MIN));
  } finally {
    await h.close();
  }
});
