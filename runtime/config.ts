/**
 * The device configuration: which bindings drive the hardware, where state and bundles live,
 * and the device policy (who may register what, quotas, budgets). JSON, validated with a
 * schema so each mistake names the field, the value and what was expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, errorMessage } from './errors.js';
import { defaultConfigPath, SYSTEM_CONFIG_PATH } from './paths.js';
import { describeIssue } from './schema-errors.js';

const accessStatus = z.enum(['AlwaysAllowed', 'AllowedSubjectToSystemPolicy', 'DeniedBySystemPolicy', 'DeniedByUser']);

const bundlePolicy = z.strictObject({
  /** What requestAccess() answers for this bundle. */
  access: accessStatus.optional(),
  /** Trigger types it may register ("TimeTrigger", "SystemTrigger", "SystemTrigger:TimeZoneChange"); all when absent. */
  triggers: z.array(z.string().min(1)).optional(),
  /** Whether its tasks may run in the runtime's own thread. */
  inProcess: z.boolean().optional(),
  /** Capabilities its manifest may declare (prefixes: "events.emit" allows "events.emit:x"); all when absent. */
  capabilities: z.array(z.string().min(1)).optional(),
});

const threshold = z.strictObject({
  medium: z.number().optional(),
  high: z.number().optional(),
  margin: z.number().nonnegative().optional(),
});

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  device: z.strictObject({ name: z.string().min(1).default('vigil') }).prefault({}),
  /** Registrations, logs and the control socket; relative to this file. */
  stateDir: z.string().min(1),
  /** Where bundles are loaded from (one directory per bundle); relative to this file. */
  bundlesDir: z.string().min(1),
  drivers: z
    .strictObject({
      system: z
        .strictObject({
          binding: z.enum(['linux', 'sim']).default('linux'),
          pollMs: z.number().int().min(100).default(2000),
          probe: z
            .strictObject({
              host: z.string().min(1),
              port: z.number().int().min(1).max(65535),
              intervalMs: z.number().int().min(1000).optional(),
              timeoutMs: z.number().int().min(100).optional(),
            })
            .optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  /** The simulated board's script (used with the sim bindings). */
  sim: z
    .strictObject({
      timeline: z.array(z.record(z.string(), z.unknown())).default([]),
      repeatSec: z.number().positive().optional(),
    })
    .optional(),
  policy: z
    .strictObject({
      /** The seed's 15-minute minimum; lower it only for development. */
      minTimeTriggerMinutes: z.number().positive().default(15),
      quotas: z
        .strictObject({
          defaultSec: z.number().positive().default(30),
          longRunningSec: z.number().positive().default(600),
        })
        .prefault({}),
      memory: z
        .strictObject({
          defaultMb: z.number().int().min(8).default(32),
          maxMb: z.number().int().min(8).default(128),
        })
        .prefault({}),
      /** A task holding a deferral this long without progress is cancelled (IdleTask). */
      idleSec: z.number().positive().default(120),
      /** Time a cancelled task gets to finish before it is stopped. */
      cancelGraceMs: z.number().int().nonnegative().default(5000),
      /** Time running tasks get at shutdown. */
      shutdownGraceMs: z.number().int().nonnegative().default(5000),
      /** Activations queued per registration while an instance runs. */
      maxQueued: z.number().int().min(1).default(16),
      pool: z
        .strictObject({
          warm: z.number().int().min(0).max(16).default(1),
          maxWorkers: z.number().int().min(1).max(64).default(4),
        })
        .prefault({}),
      /** What under-voltage or throttling does to running tasks. */
      energySaver: z.enum(['cancel', 'ignore']).default('cancel'),
      access: z
        .strictObject({
          default: accessStatus.default('AllowedSubjectToSystemPolicy'),
          bundles: z.record(z.string(), bundlePolicy).default({}),
        })
        .prefault({}),
      /** Runs remembered per task in the store. */
      runsKept: z.number().int().min(1).max(1000).default(20),
    })
    .prefault({}),
  workCost: z
    .strictObject({
      memAvailablePct: threshold.optional(),
      memPressureSome10: threshold.optional(),
      loadPerCore: threshold.optional(),
      socTempC: threshold.optional(),
      holdDownSec: z.number().nonnegative().optional(),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
      maxFileMb: z.number().positive().default(5),
      files: z.number().int().min(1).max(50).default(3),
    })
    .prefault({}),
});

export type DeviceConfig = z.output<typeof configSchema> & {
  /** The file it came from (paths in it are resolved against its directory). */
  file: string;
};
export type DevicePolicyConfig = DeviceConfig['policy'];
export type BundlePolicyConfig = z.output<typeof bundlePolicy>;

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
    throw new ConfigError(`config ${file} must be a JSON object, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  }
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const first = result.error.issues[0]!;
    const { field, text } = describeIssue(first, '');
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problem(s))` : '';
    throw new ConfigError(`config ${file}: ${text}${more}`, { path: field });
  }
  const config = result.data;
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
