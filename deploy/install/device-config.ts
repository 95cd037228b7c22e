/**
 * /etc/vigil/config.json as `vigil install` leaves it: the file given with --config, or a
 * starting point for a Raspberry Pi (the real system and GPIO drivers, nothing wired up yet,
 * budgets a Zero 2 W can afford). Either way it must be a config the service can run: valid,
 * with its state where the unit lets it write.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parseConfig, type DeviceConfig } from '../../runtime/config.js';
import { errorMessage } from '../../runtime/errors.js';
import { InstallError } from './errors.js';
import { BUNDLES_DIR, CONFIG_PATH, STATE_DIR } from './layout.js';

/** The config for a Pi nothing has been wired to yet; `drivers.gpio.lines`, I2C sensors, a modem … are added by hand. */
export function defaultPiConfig(deviceName: string): string {
  const config = {
    device: { name: deviceName },
    stateDir: STATE_DIR,
    bundlesDir: BUNDLES_DIR,
    drivers: {
      system: { binding: 'linux', pollMs: 2000 },
      gpio: { binding: 'onoff', lines: {} },
    },
    policy: {
      minTimeTriggerMinutes: 15,
      quotas: { defaultSec: 30, longRunningSec: 600 },
      // Two workers of at most 96 MB stay inside the unit's MemoryHigh on a Zero 2 W.
      memory: { defaultMb: 32, maxMb: 96 },
      pool: { warm: 1, maxWorkers: 2, keepWarmSec: 60 },
    },
    logging: { level: 'info', maxFileMb: 5, files: 3 },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** A host name as device.name: the first label, or "raspberrypi" (Raspberry Pi OS's own default) when there is none. */
export function deviceNameFrom(hostname: string): string {
  return hostname.trim().split('.')[0] || 'raspberrypi';
}

/** Reads --config FILE and checks it as the service will load it from /etc/vigil/config.json. */
export function readServiceConfig(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InstallError('INSTALL_CONFIG_INVALID', `cannot read --config ${file}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`, { cause: err });
  }
  checkServiceConfig(text, file);
  return text;
}

/**
 * The config must parse, and the service must be able to use it where it will live: relative
 * paths resolve against /etc/vigil, the state directory must be /var/lib/vigil (or below it:
 * the only place ProtectSystem=strict leaves writable), bundles must not be in a home directory.
 */
export function checkServiceConfig(text: string, shownAs: string): DeviceConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InstallError('INSTALL_CONFIG_INVALID', `config ${shownAs} is not valid JSON: ${errorMessage(err)}`, { cause: err });
  }
  let config: DeviceConfig;
  try {
    config = parseConfig(raw, CONFIG_PATH);
  } catch (err) {
    // The checks name the file as the service will: say which file the user gave instead.
    throw new InstallError('INSTALL_CONFIG_INVALID', errorMessage(err).replace(CONFIG_PATH, shownAs), { cause: err });
  }
  if (config.stateDir !== STATE_DIR && !config.stateDir.startsWith(`${STATE_DIR}/`)) {
    const given = (raw as { stateDir?: unknown }).stateDir;
    const relative = typeof given === 'string' && !isAbsolute(given) ? ` (${JSON.stringify(given)} relative to /etc/vigil)` : '';
    throw new InstallError(
      'INSTALL_CONFIG_INVALID',
      `config ${shownAs}: stateDir is ${JSON.stringify(config.stateDir)}${relative}, where the service cannot write: expected "${STATE_DIR}" (ProtectSystem=strict leaves only its state directory writable)`,
    );
  }
  if (/^\/(home|root|tmp|var\/tmp)(\/|$)/.test(config.bundlesDir)) {
    throw new InstallError('INSTALL_CONFIG_INVALID', `config ${shownAs}: bundlesDir is ${JSON.stringify(config.bundlesDir)}, which the service cannot see: expected "${BUNDLES_DIR}"`);
  }
  return config;
}
