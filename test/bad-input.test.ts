/**
 * Bad input, everywhere a user can type it: broken bundle manifests loaded by the real runtime,
 * broken device configurations, and the command line run as a real process. Each mistake must
 * come back as a typed error with a stable code and a message that quotes the bad value (or
 * names the missing thing), names the field, and says what was expected — and a broken bundle
 * must never take a good one, or an older good version of itself, down with it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Command } from 'commander';
import { emitCommand } from '../bin/emit.js';
import { runCommand } from '../bin/run.js';
import { statusCommand } from '../bin/status.js';
import { triggerCommand } from '../bin/trigger.js';
import { createBoard } from '../drivers/board.js';
import { SimSystem } from '../drivers/system/sim.js';
import { FakeClock } from '../runtime/clock.js';
import { loadConfig, parseConfig } from '../runtime/config.js';
import { ConfigError, VigilError } from '../runtime/errors.js';
import { finished, startHarness, taskId, tempDir, type Harness } from './helpers/harness.js';

const MIN = 60_000;
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const okTask = 'export default function run(instance) { instance.progress = 100; }\n';

/** What every clear error must say: the bad value (or the missing thing), the field, what was expected. */
interface Clear {
  code: string;
  /** Substrings the message must contain: the bad value as quoted, or the name of what is missing. */
  quotes: string[];
  /** The field, as the message should name it ("tasks[0].memoryMb"). */
  field?: string;
  expected: RegExp;
}

function assertClear(err: { code: string; message: string }, c: Clear, what: string): void {
  assert.equal(err.code, c.code, `${what}: code (message: ${err.message})`);
  for (const q of c.quotes) assert.ok(err.message.includes(q), `${what}: the message should quote ${q}: ${err.message}`);
  assert.match(err.message, c.expected, `${what}: the message should say what was expected`);
  if (c.field !== undefined) assert.ok(err.message.includes(c.field), `${what}: the message should name the field ${c.field}: ${err.message}`);
}

// ---------------------------------------------------------------------------------------------
// 1. Broken manifests, loaded by the real runtime next to a good bundle
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// 2. Broken device configurations
// ---------------------------------------------------------------------------------------------

describe('broken configs', () => {
  const dir = tempDir('vigil-bad-config-');
  const file = join(dir, 'config.json');
  const base = { stateDir: 'state', bundlesDir: 'bundles' };
  const written = (name: string, text: string) => {
    const at = join(dir, name);
    writeFileSync(at, text);
    return at;
  };
  const sim = (timeline: unknown[], repeatSec?: number) => () =>
    createBoard(parseConfig({ ...base, drivers: { system: { binding: 'sim' } }, sim: { timeline, ...(repeatSec !== undefined ? { repeatSec } : {}) } }, file));

  interface ConfigCase extends Clear {
    what: string;
    load: () => unknown;
    /** ConfigError.path; null: the error is about the whole file, no path. */
    path: string | null;
    /** The file named in the message (default: config.json). */
    names?: string;
  }

  const cases: ConfigCase[] = [
    {
      what: 'the file does not exist',
      load: () => loadConfig(join(dir, 'nope.json')),
      names: join(dir, 'nope.json'),
      code: 'CONFIG_UNREADABLE',
      path: null,
      quotes: ['cannot read config'],
      expected: /no such file/,
    },
    {
      what: 'the file is not JSON (with the position)',
      load: () => loadConfig(written('trailing-comma.json', '{ "stateDir": "state", }')),
      names: join(dir, 'trailing-comma.json'),
      code: 'CONFIG_NOT_JSON',
      path: null,
      quotes: ['position 23'],
      expected: /is not valid JSON: .*position \d+/,
    },
    {
      what: 'the file is empty',
      load: () => loadConfig(written('empty.json', '')),
      names: join(dir, 'empty.json'),
      code: 'CONFIG_NOT_JSON',
      path: null,
      quotes: ['Unexpected end of JSON input'],
      expected: /is not valid JSON/,
    },
    {
      what: 'an array',
      load: () => parseConfig([base], file),
      code: 'CONFIG_INVALID',
      path: null,
      quotes: ['an array'],
      expected: /must be a JSON object/,
    },
    {
      // `null` is quoted as null, not described by its typeof ("object").
      what: 'null',
      load: () => parseConfig(null, file),
      code: 'CONFIG_INVALID',
      path: null,
      quotes: ['null'],
      expected: /must be a JSON object, got null/,
    },
    {
      what: 'no stateDir',
      load: () => parseConfig({ bundlesDir: 'bundles' }, file),
      code: 'CONFIG_INVALID',
      path: 'stateDir',
      field: 'stateDir',
      quotes: ['is missing'],
      expected: /expected string/,
    },
    {
      what: 'a wrong type (policy.memory.maxMb "lots")',
      load: () => parseConfig({ ...base, policy: { memory: { maxMb: 'lots' } } }, file),
      code: 'CONFIG_INVALID',
      path: 'policy.memory.maxMb',
      field: 'policy.memory.maxMb',
      quotes: ['"lots"'],
      expected: /expected number/,
    },
    {
      what: 'out of range (policy.pool.warm -1)',
      load: () => parseConfig({ ...base, policy: { pool: { warm: -1 } } }, file),
      code: 'CONFIG_INVALID',
      path: 'policy.pool.warm',
      field: 'policy.pool.warm',
      quotes: ['is -1'],
      expected: /expected a number >= 0/,
    },
    {
      what: 'out of range (drivers.system.probe.port 70000)',
      load: () => parseConfig({ ...base, drivers: { system: { probe: { host: 'example.org', port: 70000 } } } }, file),
      code: 'CONFIG_INVALID',
      path: 'drivers.system.probe.port',
      field: 'drivers.system.probe.port',
      quotes: ['70000'],
      expected: /expected a number <= 65535/,
    },
    {
      what: 'an unknown key (a typo in policy)',
      load: () => parseConfig({ ...base, policy: { minTimeTriggerMinute: 1 } }, file),
      code: 'CONFIG_INVALID',
      path: 'policy.minTimeTriggerMinute',
      field: 'policy',
      quotes: ['"minTimeTriggerMinute"'],
      expected: /unknown field .*check the spelling/,
    },
    {
      what: 'an unknown top-level key',
      load: () => parseConfig({ ...base, polcy: {} }, file),
      code: 'CONFIG_INVALID',
      path: 'polcy',
      quotes: ['"polcy"'],
      expected: /unknown field .*check the spelling/,
    },
    {
      what: 'a bad enum (drivers.system.binding "gpio")',
      load: () => parseConfig({ ...base, drivers: { system: { binding: 'gpio' } } }, file),
      code: 'CONFIG_INVALID',
      path: 'drivers.system.binding',
      field: 'drivers.system.binding',
      quotes: ['"gpio"'],
      expected: /expected one of "linux", "sim"/,
    },
    {
      what: 'a bad enum (logging.level "verbose")',
      load: () => parseConfig({ ...base, logging: { level: 'verbose' } }, file),
      code: 'CONFIG_INVALID',
      path: 'logging.level',
      field: 'logging.level',
      quotes: ['"verbose"'],
      expected: /expected one of "trace", "debug", "info", "warn", "error"/,
    },
    {
      what: 'memory.defaultMb above memory.maxMb',
      load: () => parseConfig({ ...base, policy: { memory: { defaultMb: 256, maxMb: 64 } } }, file),
      code: 'CONFIG_INVALID',
      path: 'policy.memory.defaultMb',
      field: 'policy.memory.defaultMb',
      quotes: ['256', '64'],
      expected: /expected defaultMb <= maxMb/,
    },
    {
      what: 'quotas.defaultSec above quotas.longRunningSec',
      load: () => parseConfig({ ...base, policy: { quotas: { defaultSec: 900, longRunningSec: 600 } } }, file),
      code: 'CONFIG_INVALID',
      path: 'policy.quotas.defaultSec',
      field: 'policy.quotas.defaultSec',
      quotes: ['900', '600'],
      expected: /expected defaultSec <= longRunningSec/,
    },
    {
      what: '"sim" set with the linux binding',
      load: () => parseConfig({ ...base, drivers: { system: { binding: 'linux' } }, sim: { timeline: [{ at: 1, emit: 'door.opened' }] } }, file),
      code: 'CONFIG_INVALID',
      path: 'sim',
      field: '"sim"',
      quotes: ['"linux"'],
      expected: /expected "sim" \(or remove "sim"\)/,
    },
    {
      what: 'several problems: the first is named, the rest counted',
      load: () => parseConfig({ bundlesDir: 'bundles', policy: { pool: { warm: -1 }, memory: { maxMb: 'lots' } } }, file),
      code: 'CONFIG_INVALID',
      path: 'stateDir',
      field: 'stateDir',
      quotes: ['is missing'],
      expected: /expected string \(and 2 more problem\(s\)\)/,
    },
    {
      what: 'a simulated timeline step with an unknown link kind',
      load: sim([{ at: 1, link: 'carrier-pigeon' }]),
      code: 'CONFIG_INVALID',
      path: 'sim.timeline',
      field: 'sim.timeline',
      quotes: ['step 0', 'link', '"carrier-pigeon"'],
      expected: /expected one of ethernet, wifi, cellular, other, or null/,
    },
    {
      what: 'simulated timeline steps out of order',
      load: sim([{ at: 5, emit: 'a.b' }, { at: 1, emit: 'c.d' }]),
      code: 'CONFIG_INVALID',
      path: 'sim.timeline',
      field: 'sim.timeline',
      quotes: ['step 1', 'at 1'],
      expected: /expected a time not before the previous step's 5/,
    },
    {
      what: 'a misspelt key in a simulated timeline step',
      load: sim([{ at: 1, emitt: 'door.opened' }]),
      code: 'CONFIG_INVALID',
      path: 'sim.timeline',
      field: 'sim.timeline',
      quotes: ['step 0', '"emitt"'],
      expected: /expected one of at, set, .*emit/,
    },
    {
      what: 'a repeat period shorter than the timeline',
      load: sim([{ at: 10, emit: 'a.b' }], 5),
      code: 'CONFIG_INVALID',
      path: 'sim.timeline',
      field: 'sim.timeline',
      quotes: ['repeatSec 5'],
      expected: /expected a number of seconds greater than the last step's at \(10\)/,
    },
    {
      // An event id no trigger could ever listen for is refused, like every other bad step.
      what: 'a simulated timeline step emitting an invalid event id',
      load: sim([{ at: 1, emit: 'door opened' }]),
      code: 'CONFIG_INVALID',
      path: 'sim.timeline',
      field: 'sim.timeline',
      quotes: ['step 0', '"door opened"'],
      expected: /expected .*event id/,
    },
  ];

  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const c of cases) {
    test(`${c.what} → ${c.code}${c.path ? ` at ${c.path}` : ''}`, async () => {
      await assert.rejects(async () => c.load(), (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
        assert.equal(err.path, c.path ?? undefined, `ConfigError.path (message: ${err.message})`);
        assert.ok(err.message.includes(c.names ?? file), `the message should name the file: ${err.message}`);
        assertClear(err, c, c.what);
        return true;
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 3. The command line, as a real process
// ---------------------------------------------------------------------------------------------

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function vigil(args: string[], timeoutMs = 30_000): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  // The child must not pick up this machine's or the test runner's settings.
  for (const key of ['VIGIL_CONFIG', 'VIGIL_STATE', 'NODE_TEST_CONTEXT', 'FORCE_COLOR']) delete env[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vigil ${args.join(' ')} did not exit within ${timeoutMs} ms (stderr: ${stderr})`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

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
