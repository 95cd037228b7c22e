/**
 * Broken device configurations: each refused with a ConfigError that names the file and the
 * field, quotes the value and says what was expected.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createBoard } from '../drivers/board.js';
import { loadConfig, parseConfig } from '../runtime/config.js';
import { ConfigError } from '../runtime/errors.js';
import { assertClear, type Clear } from './helpers/clear.js';
import { tempDir } from './helpers/harness.js';

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
