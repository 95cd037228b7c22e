/**
 * Turning the config's GPIO lines and I2C sensors into driver inputs: line settings with their
 * defaults, sensor specs with their types loaded and options checked, and the simulated chips
 * (with replayed i2cdump files) a simulated bus carries. Every mistake is a ConfigError that
 * names the entry.
 */
import { readFileSync } from 'node:fs';
import type { DeviceConfig } from '../runtime/config.js';
import { ConfigError, errorMessage } from '../runtime/errors.js';
import type { LineConfig } from './gpio/gpio.js';
import type { SensorSpec } from './i2c/hub.js';
import type { SimI2cBus } from './i2c/sim/bus.js';
import { loadSensorType } from './i2c/types.js';

type Lines = NonNullable<DeviceConfig['drivers']['gpio']>['lines'];
type Sensors = NonNullable<DeviceConfig['drivers']['i2c']>['sensors'];

export function gpioLineConfigs(lines: Lines): Record<string, LineConfig> {
  return Object.fromEntries(
    Object.entries(lines).map(([name, l]) => [
      name,
      { line: l.line, direction: l.direction, edge: l.edge, debounceMs: l.debounceMs, activeLow: l.activeLow, initial: l.initial, ...(l.role ? { role: l.role } : {}) },
    ]),
  );
}

export async function sensorSpecs(sensors: Sensors): Promise<SensorSpec[]> {
  const specs: SensorSpec[] = [];
  const used = new Map<number, string>();
  for (const [name, s] of Object.entries(sensors)) {
    const field = `drivers.i2c.sensors.${name}`;
    const type = await loadSensorType(s.type);
    const problem = type.checkOptions(s.options);
    if (problem !== undefined) throw new ConfigError(`${field}.options: ${problem}`, { path: `${field}.options` });
    // parseConfig has turned hex text into a number.
    const address = (s.address as number | undefined) ?? type.addresses[0]!;
    const other = used.get(address);
    if (other !== undefined) throw new ConfigError(`${field}: address 0x${address.toString(16)} is already used by drivers.i2c.sensors.${other}: expected one chip per address`, { path: field });
    used.set(address, name);
    specs.push({ name, type, address, pollMs: s.pollMs, options: s.options });
  }
  return specs;
}

/** Put a simulated chip for every sensor on the bus, measuring `simulate` or replaying `dump`. */
export async function simulateSensors(bus: SimI2cBus, specs: readonly SensorSpec[], sensors: Sensors): Promise<void> {
  for (const spec of specs) {
    const cfg = sensors[spec.name]!;
    const field = `drivers.i2c.sensors.${spec.name}`;
    let chip;
    try {
      chip = spec.type.simulate(spec.options, cfg.simulate);
    } catch (err) {
      throw new ConfigError(`${field}.simulate: ${errorMessage(err)}`, { path: `${field}.simulate`, cause: err });
    }
    if (cfg.dump !== undefined) {
      if (!chip.load && !chip.loadWords) throw new ConfigError(`${field}.dump: a ${spec.type.type} has no register map, so an i2cdump cannot describe it`, { path: `${field}.dump` });
      let text: string;
      try {
        text = readFileSync(cfg.dump, 'utf8');
      } catch (err) {
        throw new ConfigError(`${field}.dump: cannot read ${cfg.dump}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`, { path: `${field}.dump`, cause: err });
      }
      const { parseI2cDump } = await import('./i2c/i2cdump.js');
      let dump;
      try {
        dump = parseI2cDump(text);
      } catch (err) {
        throw new ConfigError(`${field}.dump: ${cfg.dump} is not an i2cdump listing: ${errorMessage(err)}`, { path: `${field}.dump`, cause: err });
      }
      // 16-bit register chips need the word layout; byte-register chips the byte layout.
      if (dump.mode === 'word' && chip.loadWords && dump.words) chip.loadWords(dump.words);
      else if (dump.mode === 'byte' && chip.load) chip.load(dump.registers);
      else {
        const want = chip.loadWords ? 'a word dump (i2cdump -y BUS ADDR w)' : 'a byte dump (i2cdump -y BUS ADDR)';
        throw new ConfigError(`${field}.dump: ${cfg.dump} is a ${dump.mode} dump, but a ${spec.type.type} needs ${want}`, { path: `${field}.dump` });
      }
    }
    bus.attach(spec.address, chip);
  }
}
