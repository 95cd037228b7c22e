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
  return { ...config, stateDir: at(config.stateDir), bundlesDir: at(config.bundlesDir), file: resolve(file) };
}
