/**
 * Broken GPIO and I2C configuration: each a ConfigError naming the file, the entry, the bad
 * value and what was expected — at load (schema, cross-checks) or when the board is built
 * (sensor options, dumps, timeline targets).
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createBoard } from '../drivers/board.js';
import { parseConfig } from '../runtime/config.js';
import { ConfigError } from '../runtime/errors.js';
import { assertClear, type Clear } from './helpers/clear.js';
import { tempDir } from './helpers/harness.js';

describe('broken hardware configs', () => {
  const dir = tempDir('vigil-bad-hw-');
  const file = join(dir, 'config.json');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = (drivers: Record<string, unknown>, sim?: unknown[]) => ({
    stateDir: 'state',
    bundlesDir: 'bundles',
    drivers: { system: { binding: 'sim' }, ...drivers },
    ...(sim ? { sim: { timeline: sim } } : {}),
  });
  const load = (drivers: Record<string, unknown>) => () => parseConfig(config(drivers), file);
  const board = (drivers: Record<string, unknown>, sim?: unknown[]) => () => createBoard(parseConfig(config(drivers, sim), file));
  const gpio = (lines: Record<string, unknown>) => ({ gpio: { binding: 'sim', lines } });
  const i2c = (sensors: Record<string, unknown>) => ({ i2c: { binding: 'sim', sensors } });
  writeFileSync(join(dir, 'garbage.txt'), 'this is not what i2cdump prints\n');

  interface Case extends Clear {
    what: string;
    load: () => unknown;
    path: string;
  }
  const cases: Case[] = [
    {
      what: 'a GPIO line out of range',
      load: load(gpio({ door: { line: 64 } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.gpio.lines.door.line',
      field: 'drivers.gpio.lines.door.line',
      quotes: ['64'],
      expected: /expected a number <= 57/,
    },
    {
      what: 'a GPIO line used twice',
      load: load(gpio({ door: { line: 17 }, window: { line: 17 } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.gpio.lines.window',
      field: 'drivers.gpio.lines.window',
      quotes: ['BCM line 17', 'drivers.gpio.lines.door'],
      expected: /expected each line once/,
    },
    {
      what: 'a role on an output',
      load: load(gpio({ pir: { line: 4, direction: 'out', role: 'motion' } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.gpio.lines.pir',
      field: 'drivers.gpio.lines.pir',
      quotes: ['role "motion"'],
      expected: /expected "direction": "in"/,
    },
    {
      what: 'two presence lines',
      load: load(gpio({ a: { line: 4, role: 'presence' }, b: { line: 5, role: 'presence' } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.gpio.lines',
      field: 'drivers.gpio.lines',
      quotes: ['a and b'],
      expected: /expected at most one/,
    },
    {
      what: 'a line name that cannot name events',
      load: load(gpio({ 'front door': { line: 4 } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.gpio.lines.front door',
      quotes: ['"front door"'],
      expected: /expected letters, digits/,
    },
    {
      what: 'an unknown sensor type',
      load: load(i2c({ air: { type: 'bme281' } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.i2c.sensors.air.type',
      field: 'drivers.i2c.sensors.air.type',
      quotes: ['"bme281"'],
      expected: /bme280.*mcp9808/,
    },
    {
      what: 'an address outside 0x03–0x77',
      load: load(i2c({ air: { type: 'bme280', address: '0x78' } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.i2c.sensors.air.address',
      field: 'drivers.i2c.sensors.air.address',
      quotes: ['"0x78"'],
      expected: /an I2C address from 0x03 to 0x77/,
    },
    {
      what: 'an address that is not a number',
      load: load(i2c({ air: { type: 'bme280', address: 'seventy-six' } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.i2c.sensors.air.address',
      quotes: ['"seventy-six"'],
      expected: /expected an I2C address .* such as "0x76"/,
    },
    {
      what: 'an address given as a decimal number outside the range',
      load: load(i2c({ air: { type: 'bme280', address: 2 } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.i2c.sensors.air.address',
      quotes: ['2 (0x2)'],
      expected: /from 0x03 to 0x77/,
    },
    {
      what: 'two sensors at one address (one by default)',
      load: board(i2c({ air: { type: 'bme280' }, air2: { type: 'bmp280', address: 0x76 } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.i2c.sensors.air2',
      field: 'drivers.i2c.sensors.air2',
      quotes: ['0x76', 'drivers.i2c.sensors.air'],
      expected: /expected one chip per address/,
    },
    {
      what: 'bad sensor options',
      load: board(i2c({ air: { type: 'bme280', options: { oversampling: { temperature: 3 } } } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.i2c.sensors.air.options',
      field: 'drivers.i2c.sensors.air.options',
      quotes: ['3'],
      expected: /1, 2, 4, 8|16/,
    },
    {
      what: 'a dump that does not parse',
      load: board(i2c({ air: { type: 'bme280', dump: 'garbage.txt' } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.i2c.sensors.air.dump',
      field: 'drivers.i2c.sensors.air.dump',
      quotes: ['garbage.txt'],
      expected: /is not an i2cdump listing: line \d+: expected i2cdump's column header/,
    },
    {
      what: 'a dump that does not exist',
      load: board(i2c({ air: { type: 'bme280', dump: 'nope.txt' } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.i2c.sensors.air.dump',
      quotes: ['nope.txt'],
      expected: /ENOENT/,
    },
    {
      what: 'a dump for a chip without registers',
      load: board(i2c({ rh: { type: 'sht3x', dump: 'garbage.txt' } })),
      code: 'CONFIG_INVALID',
      path: 'drivers.i2c.sensors.rh.dump',
      quotes: ['sht3x'],
      expected: /no register map/,
    },
    {
      what: 'a dump with the real bus',
      load: load({ i2c: { binding: 'i2c-bus', sensors: { air: { type: 'bme280', dump: 'x.txt' } } } }),
      code: 'CONFIG_INVALID',
      path: 'drivers.i2c.sensors.air',
      quotes: ['"dump"'],
      expected: /set drivers\.i2c\.binding to "sim"/,
    },
    {
      what: 'a timeline step moving a line that does not exist',
      load: board(gpio({ door: { line: 17 } }), [{ at: 1, gpio: 'dor', value: 1 }]),
      code: 'CONFIG_INVALID',
      path: 'sim.timeline[0].gpio',
      quotes: ['"dor"'],
      expected: /lines: door/,
    },
    {
      what: 'a timeline step setting a channel the sensor lacks',
      load: board(i2c({ lux: { type: 'bh1750' } }), [{ at: 1, sensor: 'lux', values: { temperature: 5 } }]),
      code: 'CONFIG_INVALID',
      path: 'sim.timeline[0].values',
      quotes: ['temperature', '"lux"'],
      expected: /channels: illuminance/,
    },
    {
      what: 'a timeline gpio step without a value',
      load: board(gpio({ door: { line: 17 } }), [{ at: 1, gpio: 'door' }]),
      code: 'CONFIG_INVALID',
      path: 'sim.timeline',
      quotes: ['step 0'],
      expected: /0 or 1/,
    },
    {
      what: 'a real modem without its port',
      load: load({ modem: { binding: 'serialport' } }),
      code: 'CONFIG_INVALID',
      path: 'drivers.modem.path',
      quotes: ['drivers.modem.path'],
      expected: /expected the modem's AT port, such as "\/dev\/ttyUSB2"/,
    },
    {
      what: 'a simulated SIM PIN that is not digits',
      load: load({ modem: { binding: 'sim', sim: { pin: '12ab' } } }),
      code: 'CONFIG_INVALID',
      path: 'drivers.modem.sim.pin',
      quotes: ['12ab'],
      expected: /4 to 8 digits/,
    },
    {
      what: 'an active filter that is not bundle/task',
      load: load({ modem: { binding: 'sim', activeFilter: 'spam-filter' } }),
      code: 'CONFIG_INVALID',
      path: 'drivers.modem.activeFilter',
      quotes: ['"spam-filter"'],
      expected: /expected "bundle\/task"/,
    },
    {
      what: 'a timeline modem step on a board without a modem',
      load: board({}, [{ at: 1, modem: { ring: '+447700900123' } }]),
      code: 'CONFIG_INVALID',
      path: 'sim.timeline[0].modem',
      quotes: ['no simulated modem'],
      expected: /add drivers\.modem with binding "sim"/,
    },
    {
      what: 'a timeline modem step with an unknown registration state',
      load: board({ modem: { binding: 'sim', sim: { transport: 'memory' } } }, [{ at: 1, modem: { registration: 'abroad' } }]),
      code: 'CONFIG_INVALID',
      path: 'sim.timeline[0].modem.registration',
      quotes: ['"abroad"'],
      expected: /idle, home, searching, denied, unknown, roaming/,
    },
    {
      what: 'a timeline SMS without text',
      load: board({ modem: { binding: 'sim', sim: { transport: 'memory' } } }, [{ at: 1, modem: { sms: { from: '+447700900123' } } }]),
      code: 'CONFIG_INVALID',
      path: 'sim.timeline[0].modem.sms',
      quotes: ['+447700900123'],
      expected: /"text": "…"/,
    },
  ];

  for (const c of cases) {
    test(`${c.what} → ${c.path}`, async () => {
      await assert.rejects(async () => c.load(), (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
        assert.equal(err.path, c.path, `ConfigError.path (message: ${err.message})`);
        assert.ok(err.message.includes(file), `the message should name the file: ${err.message}`);
        assertClear(err, c, c.what);
        return true;
      });
    });
  }
});
