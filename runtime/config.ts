/**
 * The device configuration: which bindings drive the hardware, where state and bundles live,
 * and the device policy (who may register what, quotas, budgets). JSON, validated with a
 * schema so each mistake names the field, the value and what was expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as v from 'valibot';
import { ConfigError, errorMessage } from './errors.js';
import { defaultConfigPath, SYSTEM_CONFIG_PATH } from './paths.js';
import { check, describeIssue, keyed } from './schema-errors.js';
import { SENSOR_TYPES } from '../drivers/i2c/type-names.js';
import { ActivityType } from './enums.js';
import { bleSimSchema } from '../drivers/ble/sim/schema.js';
import { checkWifi, wifiConfigSchema } from './wifi-config.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const positive = () => v.pipe(v.number(), v.gtValue(0));
const text = () => v.pipe(v.string(), v.minLength(1));

const accessStatus = v.picklist(['AlwaysAllowed', 'AllowedSubjectToSystemPolicy', 'DeniedBySystemPolicy', 'DeniedByUser']);

const bundlePolicy = v.strictObject({
  /** What requestAccess() answers for this bundle. */
  access: v.optional(accessStatus),
  /** Trigger types it may register ("TimeTrigger", "SystemTrigger", "SystemTrigger:TimeZoneChange"); all when absent. */
  triggers: v.optional(v.array(text())),
  /** Whether its tasks may run in the runtime's own thread. */
  inProcess: v.optional(v.boolean()),
  /** Capabilities its manifest may declare (prefixes: "events.emit" allows "events.emit:x"); all when absent. */
  capabilities: v.optional(v.array(text())),
});

/** A GPIO line by BCM number (the SoC's controllers have at most 58: 0–57). */
const gpioLine = v.strictObject({
  line: int(0, 57),
  direction: v.optional(v.picklist(['in', 'out']), 'in'),
  /** Which edges raise events (inputs). */
  edge: v.optional(v.picklist(['none', 'rising', 'falling', 'both']), 'both'),
  debounceMs: v.optional(int(0, 10_000), 0),
  /** The line is active when low (a switch to ground with a pull-up): levels are inverted. */
  activeLow: v.optional(v.boolean(), false),
  /** Logical level an output starts at (and where a simulated input starts). */
  initial: v.optional(v.picklist([0, 1]), 0),
  role: v.optional(v.picklist(['presence', 'power-good', 'motion'])),
  /** motion role: the activity reported while the PIR is active / after it drops. */
  activity: v.optional(v.strictObject({ active: v.optional(v.picklist(ActivityType.all)), inactive: v.optional(v.picklist(ActivityType.all)) })),
});

/** An I2C address: a number or hex text ("0x76"); checked (0x03–0x77) after the schema, with the entry named. */
const i2cAddress = v.union([v.number(), v.string()]);

const sensor = v.strictObject({
  type: v.picklist(SENSOR_TYPES),
  address: v.optional(i2cAddress),
  /** Polling interval. */
  pollMs: v.optional(int(20, 86_400_000), 1000),
  /** Type-specific settings (oversampling, gain, range, …). */
  options: v.optional(v.record(v.string(), v.unknown()), {}),
  /** Simulated bus: an i2cdump text file of the real chip to replay (relative to this file). */
  dump: v.optional(text()),
  /** Simulated bus: what the simulated chip measures at start. */
  simulate: v.optional(v.record(v.string(), v.number())),
  /** Readings are logged on change, at most this often. */
  logEverySec: v.optional(v.pipe(v.number(), v.minValue(0)), 10),
});

/** A BTHome v2 sensor heard over Bluetooth LE, named like an I2C sensor. */
const bleSensor = v.strictObject({
  address: v.pipe(v.string(), v.regex(/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/, 'a Bluetooth address such as "A4:C1:38:12:34:56"')),
  /** The bind key of an encrypting sensor: 32 hex digits. */
  key: v.optional(v.pipe(v.string(), v.regex(/^[0-9A-Fa-f]{32}$/, '32 hex digits (a 128-bit AES key)'))),
  /** The channels it reports ("temperature", "humidity", …), so triggers can be checked before it is first heard; any BTHome channel when absent. */
  channels: v.optional(v.pipe(v.array(text()), v.minLength(1))),
  /** Readings are logged on change, at most this often. */
  logEverySec: v.optional(v.pipe(v.number(), v.minValue(0)), 10),
});

/** A Bluetooth LE role on an adapter (N of hciN), or false for a device that does not need the role. */
const bleCentralRole = v.optional(
  v.union([
    v.literal(false),
    v.strictObject({
      hci: int(0, 31),
      /** Run noble in a child process: its connect blocks the event loop (up to 40 s), which then stalls only that process. */
      isolated: v.optional(v.boolean(), true),
    }),
  ]),
  { hci: 0, isolated: true },
);
const blePeripheralRole = v.optional(v.union([v.literal(false), v.strictObject({ hci: int(0, 31), deviceName: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(248))) })]), { hci: 0 });

const threshold = v.strictObject({
  medium: v.optional(v.number()),
  high: v.optional(v.number()),
  margin: v.optional(v.pipe(v.number(), v.minValue(0))),
});

export const configSchema = v.strictObject({
  $schema: v.optional(v.string()),
  device: v.optional(v.strictObject({ name: v.optional(text(), 'vigil') }), {}),
  /** Registrations, logs and the control socket; relative to this file. */
  stateDir: text(),
  /** Where bundles are loaded from (one directory per bundle); relative to this file. */
  bundlesDir: text(),
  drivers: v.optional(
    v.strictObject({
      system: v.optional(
        v.strictObject({
          binding: v.optional(v.picklist(['linux', 'sim']), 'linux'),
          pollMs: v.optional(int(100), 2000),
          probe: v.optional(
            v.strictObject({
              host: text(),
              port: int(1, 65535),
              intervalMs: v.optional(int(1000)),
              timeoutMs: v.optional(int(100)),
            }),
          ),
        }),
        {},
      ),
      gpio: v.optional(
        v.strictObject({
          binding: v.optional(v.picklist(['onoff', 'sim']), 'onoff'),
          /** Label of the GPIO chip BCM numbers refer to; the SoC's controller when absent. */
          chip: v.optional(text()),
          lines: v.optional(keyed(gpioLine), {}),
        }),
      ),
      modem: v.optional(
        v.strictObject({
          binding: v.optional(v.picklist(['serialport', 'sim']), 'serialport'),
          /** The modem's AT port (/dev/ttyUSB2 on many USB modems, /dev/serial0 on the Pi's UART); the simulator makes its own. */
          path: v.optional(text()),
          baudRate: v.optional(int(300, 4_000_000), 115200),
          rtscts: v.optional(v.boolean(), false),
          /** Message storage: "SM" (the SIM), "ME" (the modem), "MT" (both). */
          storage: v.optional(v.picklist(['SM', 'ME', 'MT']), 'SM'),
          /** A file holding the SIM PIN (only the PIN, or {"pin": "1234"}); relative to this file. Never logged. */
          pinFile: v.optional(text()),
          signalPollSec: v.optional(positive(), 30),
          /** How long a command may take before the modem counts as not answering (slow network commands get more). */
          timeoutMs: v.optional(int(100, 600_000), 5000),
          /** NetworkOperatorNotificationTrigger fires when the signal falls below this (dBm). */
          lowSignalDbm: v.optional(v.pipe(v.number(), v.minValue(-120), v.maxValue(-40)), -105),
          /** Parts of a long SMS still missing after this are delivered as a partial message. */
          reassemblySec: v.optional(positive(), 300),
          /** The filter task ("bundle/task") that sees messages first; the newest filter registration when absent. */
          activeFilter: v.optional(text()),
          /** Failed deliveries of a message are retried this many times, then kept for the next start. */
          maxAttempts: v.optional(int(1, 100), 5),
          /** The cellular data interface whose byte counters NetworkOperatorDataUsageTrigger watches. */
          dataInterface: v.optional(text(), 'wwan0'),
          dataPollSec: v.optional(positive(), 60),
          /** Simulated modem: its SIM's PIN (the SIM starts locked when set) and how it is reached. */
          sim: v.optional(
            v.strictObject({
              pin: v.optional(v.pipe(v.string(), v.regex(/^[0-9]{4,8}$/, 'expected 4 to 8 digits'))),
              transport: v.optional(v.picklist(['pty', 'memory', 'auto']), 'auto'),
            }),
            {},
          ),
        }),
      ),
      ble: v.optional(
        v.strictObject({
          /** "hci": noble (central) and bleno (peripheral) on the kernel's HCI sockets; "sim": the simulated radio. */
          binding: v.optional(v.picklist(['hci', 'sim']), 'hci'),
          /** Scanning and connecting (watchers, notification links, BTHome sensors). */
          central: bleCentralRole,
          /** Advertising and GATT serving (publishers, GATT services). */
          peripheral: blePeripheralRole,
          sensors: v.optional(keyed(bleSensor), {}),
          /** How long a task has to answer a GATT read or write (ATT itself gives up at 30 s). */
          gattResponseMs: v.optional(int(100, 29_000), 5000),
          /** Notification links back off from minSec to maxSec between attempts. */
          reconnect: v.optional(v.strictObject({ minSec: v.optional(positive(), 1), maxSec: v.optional(positive(), 60) }), {}),
          /** The simulated radio: virtual peripherals and centrals. */
          sim: v.optional(bleSimSchema),
        }),
      ),
      wifi: v.optional(wifiConfigSchema),
      i2c: v.optional(
        v.strictObject({
          binding: v.optional(v.picklist(['i2c-bus', 'sim']), 'i2c-bus'),
          /** N of /dev/i2c-N (1 on a Pi's header). */
          bus: v.optional(int(0, 255), 1),
          sensors: v.optional(keyed(sensor), {}),
        }),
      ),
    }),
    {},
  ),
  /** The simulated board's script (used with the sim bindings). */
  sim: v.optional(
    v.strictObject({
      timeline: v.optional(v.array(v.record(v.string(), v.unknown())), []),
      repeatSec: v.optional(positive()),
    }),
  ),
  policy: v.optional(
    v.strictObject({
      /** The seed's 15-minute minimum; lower it only for development. */
      minTimeTriggerMinutes: v.optional(positive(), 15),
      quotas: v.optional(v.strictObject({ defaultSec: v.optional(positive(), 30), longRunningSec: v.optional(positive(), 600) }), {}),
      memory: v.optional(v.strictObject({ defaultMb: v.optional(int(8), 32), maxMb: v.optional(int(8), 128) }), {}),
      /** A task holding a deferral this long without progress is cancelled (IdleTask). */
      idleSec: v.optional(positive(), 120),
      /** Time a cancelled task gets to finish before it is stopped. */
      cancelGraceMs: v.optional(int(0), 5000),
      /** Time running tasks get at shutdown. */
      shutdownGraceMs: v.optional(int(0), 5000),
      /** Activations queued per registration while an instance runs. */
      maxQueued: v.optional(int(1), 16),
      /** Workers kept ready for isolated tasks; kept only `keepWarmSec` after the last isolated run (0: always). */
      pool: v.optional(
        v.strictObject({ warm: v.optional(int(0, 16), 1), maxWorkers: v.optional(int(1, 64), 4), keepWarmSec: v.optional(v.pipe(v.number(), v.minValue(0)), 60) }),
        {},
      ),
      /** What under-voltage or throttling does to running tasks. */
      energySaver: v.optional(v.picklist(['cancel', 'ignore']), 'cancel'),
      access: v.optional(
        v.strictObject({
          default: v.optional(accessStatus, 'AllowedSubjectToSystemPolicy'),
          bundles: v.optional(keyed(bundlePolicy), {}),
        }),
        {},
      ),
      /** Runs remembered per task in the store. */
      runsKept: v.optional(int(1, 1000), 20),
    }),
    {},
  ),
  workCost: v.optional(
    v.strictObject({
      memAvailablePct: v.optional(threshold),
      memPressureSome10: v.optional(threshold),
      loadPerCore: v.optional(threshold),
      socTempC: v.optional(threshold),
      holdDownSec: v.optional(v.pipe(v.number(), v.minValue(0))),
    }),
    {},
  ),
  logging: v.optional(
    v.strictObject({
      level: v.optional(v.picklist(['trace', 'debug', 'info', 'warn', 'error']), 'info'),
      maxFileMb: v.optional(positive(), 5),
      files: v.optional(int(1, 50), 3),
    }),
    {},
  ),
});

export type DeviceConfig = v.InferOutput<typeof configSchema> & {
  /** The file it came from (paths in it are resolved against its directory). */
  file: string;
};
export type DevicePolicyConfig = DeviceConfig['policy'];

/** --config FILE, else $VIGIL_CONFIG, else /etc/vigil/config.json if present, else the embedded default. */
export function resolveConfigPath(flag?: string): string {
  if (flag) return resolve(flag);
  if (process.env.VIGIL_CONFIG) return resolve(process.env.VIGIL_CONFIG);
  if (existsSync(SYSTEM_CONFIG_PATH)) return SYSTEM_CONFIG_PATH;
  return defaultConfigPath();
}

export function loadConfig(file: string): DeviceConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : errorMessage(err);
    throw new ConfigError(`cannot read config ${file}: ${why}`, { cause: err, code: 'CONFIG_UNREADABLE' });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config ${file} is not valid JSON: ${errorMessage(err)}`, { cause: err, code: 'CONFIG_NOT_JSON' });
  }
  return parseConfig(raw, file);
}

export function parseConfig(raw: unknown, file: string): DeviceConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`config ${file} must be a JSON object, got ${Array.isArray(raw) ? 'an array' : JSON.stringify(raw)}`);
  }
  const result = check(configSchema, raw);
  if (!result.ok) {
    const { field, text } = describeIssue(result.issue, '', configSchema);
    const more = result.count > 1 ? ` (and ${result.count - 1} more problem(s))` : '';
    throw new ConfigError(`config ${file}: ${text}${more}`, { path: field });
  }
  const config = result.value;
  const base = dirname(resolve(file));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const policy = config.policy;
  if (policy.memory.defaultMb > policy.memory.maxMb) {
    throw new ConfigError(
      `config ${file}: policy.memory.defaultMb (${policy.memory.defaultMb}) is above policy.memory.maxMb (${policy.memory.maxMb}): expected defaultMb <= maxMb`,
      { path: 'policy.memory.defaultMb' },
    );
  }
  if (policy.quotas.defaultSec > policy.quotas.longRunningSec) {
    throw new ConfigError(
      `config ${file}: policy.quotas.defaultSec (${policy.quotas.defaultSec}) is above policy.quotas.longRunningSec (${policy.quotas.longRunningSec}): expected defaultSec <= longRunningSec`,
      { path: 'policy.quotas.defaultSec' },
    );
  }
  if (config.sim && config.drivers.system.binding !== 'sim') {
    // A timeline with real bindings would silently do nothing; say so instead.
    throw new ConfigError(`config ${file}: "sim" is set but drivers.system.binding is "${config.drivers.system.binding}": expected "sim" (or remove "sim")`, {
      path: 'sim',
    });
  }
  checkGpio(config.drivers.gpio?.lines ?? {}, file);
  checkSensors(config.drivers.i2c?.sensors ?? {}, file);
  const i2c = config.drivers.i2c;
  if (i2c && i2c.binding !== 'sim') {
    const simOnly = Object.entries(i2c.sensors).find(([, s]) => s.dump !== undefined || s.simulate !== undefined);
    if (simOnly) {
      throw new ConfigError(`config ${file}: drivers.i2c.sensors.${simOnly[0]} has "dump"/"simulate", which only the simulated bus uses: set drivers.i2c.binding to "sim" or remove them`, {
        path: `drivers.i2c.sensors.${simOnly[0]}`,
      });
    }
  }
  if (i2c) for (const s of Object.values(i2c.sensors)) if (s.dump !== undefined) s.dump = at(s.dump);
  checkModem(config, file);
  checkBle(config, file);
  checkWifi(config.drivers.wifi, file);
  const modem = config.drivers.modem;
  if (modem?.pinFile !== undefined) modem.pinFile = at(modem.pinFile);
  return { ...config, stateDir: at(config.stateDir), bundlesDir: at(config.bundlesDir), file: resolve(file) };
}

function checkGpio(lines: Record<string, { line: number; direction: string; role?: string | undefined }>, file: string): void {
  const used = new Map<number, string>();
  for (const [name, l] of Object.entries(lines)) {
    const field = `drivers.gpio.lines.${name}`;
    if (!EVENT_NAME.test(name)) throw new ConfigError(`config ${file}: ${field}: line name ${JSON.stringify(name)} is invalid: expected letters, digits, "_" or "-" (it names events such as "${name}.rising")`, { path: field });
    const other = used.get(l.line);
    if (other !== undefined) throw new ConfigError(`config ${file}: ${field}: BCM line ${l.line} is already used by drivers.gpio.lines.${other}: expected each line once`, { path: field });
    used.set(l.line, name);
    if (l.role && l.direction !== 'in') throw new ConfigError(`config ${file}: ${field}: role "${l.role}" needs an input: expected "direction": "in"`, { path: field });
  }
  for (const role of ['presence', 'power-good']) {
    const withRole = Object.entries(lines).filter(([, l]) => l.role === role);
    if (withRole.length > 1) throw new ConfigError(`config ${file}: drivers.gpio.lines: ${withRole.map(([n]) => n).join(' and ')} both have role "${role}": expected at most one`, { path: 'drivers.gpio.lines' });
  }
}

function checkSensors(sensors: Record<string, { type: string; address?: number | string | undefined }>, file: string): void {
  const used = new Map<number, string>();
  for (const [name, s] of Object.entries(sensors)) {
    const field = `drivers.i2c.sensors.${name}`;
    if (!EVENT_NAME.test(name)) throw new ConfigError(`config ${file}: ${field}: sensor name ${JSON.stringify(name)} is invalid: expected letters, digits, "_" or "-"`, { path: field });
    if (s.address === undefined) continue;
    const raw = s.address;
    const address = typeof raw === 'number' ? raw : /^\s*0x[0-9a-f]{1,2}\s*$/i.test(raw) ? parseInt(raw, 16) : Number.NaN;
    if (!Number.isInteger(address) || address < 0x03 || address > 0x77) {
      const shown = typeof raw === 'number' && Number.isInteger(raw) ? `${raw} (0x${raw.toString(16)})` : JSON.stringify(raw);
      throw new ConfigError(`config ${file}: ${field}.address is ${shown}: expected an I2C address from 0x03 to 0x77, as a number or hex text such as "0x76"`, { path: `${field}.address` });
    }
    s.address = address;
    const other = used.get(s.address);
    if (other !== undefined) {
      throw new ConfigError(`config ${file}: ${field}: address 0x${s.address.toString(16)} is already used by drivers.i2c.sensors.${other}: expected one chip per address`, { path: field });
    }
    used.set(s.address, name);
  }
}

const EVENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function checkBle(config: v.InferOutput<typeof configSchema>, file: string): void {
  const ble = config.drivers.ble;
  if (!ble) return;
  if (ble.binding === 'hci' && ble.sim !== undefined) {
    throw new ConfigError(`config ${file}: drivers.ble.sim is set but drivers.ble.binding is "hci": the simulated radio is used with binding "sim"`, { path: 'drivers.ble.sim' });
  }
  if (ble.reconnect.minSec > ble.reconnect.maxSec) {
    throw new ConfigError(`config ${file}: drivers.ble.reconnect.minSec (${ble.reconnect.minSec}) is above maxSec (${ble.reconnect.maxSec}): expected minSec <= maxSec`, { path: 'drivers.ble.reconnect.minSec' });
  }
  const i2c = config.drivers.i2c?.sensors ?? {};
  const addresses = new Map<string, string>();
  for (const [name, s] of Object.entries(ble.sensors)) {
    const field = `drivers.ble.sensors.${name}`;
    if (!EVENT_NAME.test(name)) throw new ConfigError(`config ${file}: ${field}: sensor name ${JSON.stringify(name)} is invalid: expected letters, digits, "_" or "-"`, { path: field });
    if (i2c[name]) throw new ConfigError(`config ${file}: ${field}: an I2C sensor is already named "${name}" (drivers.i2c.sensors.${name}): expected each sensor name once`, { path: field });
    if (ble.central === false) throw new ConfigError(`config ${file}: ${field}: BTHome sensors are heard by the central role, but drivers.ble.central is false`, { path: field });
    const address = s.address.toLowerCase();
    const other = addresses.get(address);
    if (other !== undefined) throw new ConfigError(`config ${file}: ${field}: address ${s.address} is already drivers.ble.sensors.${other}`, { path: `${field}.address` });
    addresses.set(address, name);
  }
}

function checkModem(config: v.InferOutput<typeof configSchema>, file: string): void {
  const modem = config.drivers.modem;
  if (!modem) return;
  if (modem.binding === 'serialport' && modem.path === undefined) {
    throw new ConfigError(`config ${file}: drivers.modem.path is missing: expected the modem's AT port, such as "/dev/ttyUSB2" (or binding "sim")`, { path: 'drivers.modem.path' });
  }
  if (modem.binding === 'serialport' && modem.sim.pin !== undefined) {
    throw new ConfigError(`config ${file}: drivers.modem.sim is set but drivers.modem.binding is "serialport": the real SIM's PIN goes in a pinFile`, { path: 'drivers.modem.sim' });
  }
  if (modem.activeFilter !== undefined && !/^[^/]+\/[^/]+$/.test(modem.activeFilter)) {
    throw new ConfigError(`config ${file}: drivers.modem.activeFilter ${JSON.stringify(modem.activeFilter)} is invalid: expected "bundle/task"`, { path: 'drivers.modem.activeFilter' });
  }
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(modem.dataInterface)) {
    throw new ConfigError(`config ${file}: drivers.modem.dataInterface ${JSON.stringify(modem.dataInterface)} is not a network interface name`, { path: 'drivers.modem.dataInterface' });
  }
}
