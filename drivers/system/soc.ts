/**
 * Where a board reports its SoC temperature and (on a Raspberry Pi) its throttling flags.
 * Discovery only: the binding reads the files it is pointed at on every poll, and discovers
 * again when a file it was using stops answering.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DriverError } from '../../runtime/errors.js';

/** Thermal zone types that measure the CPU/SoC die, as named by the Pi, generic ARM and x86 drivers. */
const SOC_ZONE_TYPES = new Set(['cpu-thermal', 'cpu_thermal', 'soc_thermal', 'soc-thermal', 'x86_pkg_temp', 'bcm2835_thermal']);

function isSocZoneType(type: string): boolean {
  return SOC_ZONE_TYPES.has(type) || /^(cpu|soc)[0-9]*[-_]thermal$/.test(type);
}

function dirEntries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The `temp` files of every thermal zone under root: SoC-type zones first, then the rest, each in zone order. */
export function thermalZoneTemps(root: string): string[] {
  const base = join(root, 'sys/class/thermal');
  const zones = dirEntries(base)
    .map((name) => ({ name, n: /^thermal_zone(\d+)$/.exec(name)?.[1] }))
    .filter((z): z is { name: string; n: string } => z.n !== undefined)
    .sort((a, b) => Number(a.n) - Number(b.n))
    .map((z) => ({ temp: join(base, z.name, 'temp'), soc: isSocZoneType(readTrimmed(join(base, z.name, 'type')) ?? '') }));
  return [...zones.filter((z) => z.soc), ...zones.filter((z) => !z.soc)].map((z) => z.temp);
}

/** A thermal zone's `temp`: millidegrees Celsius as an integer ("48312"). */
export function parseMilliCelsius(text: string): number {
  const s = text.trim();
  if (!/^-?\d+$/.test(s)) throw new DriverError('system', `thermal zone temp ${JSON.stringify(s)} is not an integer in millidegrees Celsius`);
  return Number(s) / 1000;
}

/**
 * The Raspberry Pi firmware driver's `get_throttled`. Pi 0–4 name the platform device
 * `soc/soc:firmware`; the Pi 5 names it after its bus address (`soc@107c000000/…:firmware`), so
 * look in every platform device and one level below for a directory named like firmware.
 */
export function findThrottledFile(root: string): string | undefined {
  const platform = join(root, 'sys/devices/platform');
  const known = join(platform, 'soc/soc:firmware/get_throttled');
  if (existsSync(known)) return known;
  for (const top of dirEntries(platform)) {
    const topDir = join(platform, top);
    if (/firmware/.test(top) && existsSync(join(topDir, 'get_throttled'))) return join(topDir, 'get_throttled');
    for (const sub of dirEntries(topDir)) {
      if (/firmware/.test(sub) && existsSync(join(topDir, sub, 'get_throttled'))) return join(topDir, sub, 'get_throttled');
    }
  }
  return undefined;
}

/**
 * Without the firmware file (older kernels, or the driver not loaded) a Pi still reports
 * under-voltage through the `rpi_volt` hwmon's low-critical alarm.
 */
export function findRpiVoltAlarm(root: string): string | undefined {
  const base = join(root, 'sys/class/hwmon');
  for (const hw of dirEntries(base).filter((n) => /^hwmon\d+$/.test(n)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))) {
    if (readTrimmed(join(base, hw, 'name')) !== 'rpi_volt') continue;
    const alarm = join(base, hw, 'in0_lcrit_alarm');
    if (existsSync(alarm)) return alarm;
  }
  return undefined;
}

/** `in0_lcrit_alarm`: "1" while the supply is below the low-critical level, "0" otherwise. */
export function parseAlarm(text: string): boolean {
  const s = text.trim();
  if (s !== '0' && s !== '1') throw new DriverError('system', `hwmon alarm ${JSON.stringify(s)} is not "0" or "1"`);
  return s === '1';
}
