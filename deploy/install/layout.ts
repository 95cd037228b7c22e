/**
 * Where `vigil install` puts things on the device. The unit's StateDirectory=vigil and its
 * ExecStart's --config name the same places; a test checks the shipped unit against these.
 */
import { SYSTEM_CONFIG_PATH } from '../../runtime/paths.js';

export const SERVICE_USER = 'vigil';
export const SERVICE_NAME = 'vigil.service';
/** Hardware access on Raspberry Pi OS: GPIO, I2C, serial ports, Bluetooth, NetworkManager. */
export const SERVICE_GROUPS = ['gpio', 'i2c', 'dialout', 'bluetooth', 'netdev'] as const;
export const STATE_DIR = '/var/lib/vigil';
export const BUNDLES_DIR = '/var/lib/vigil/bundles';
export const CONFIG_PATH = SYSTEM_CONFIG_PATH;
export const UNIT_PATH = '/etc/systemd/system/vigil.service';
/** Where `systemctl enable` links a unit with WantedBy=multi-user.target. */
export const WANTS_LINK = '/etc/systemd/system/multi-user.target.wants/vigil.service';
export const POLKIT_RULE_NAME = '50-vigil-networkmanager.rules';
export const POLKIT_RULE_PATH = `/etc/polkit-1/rules.d/${POLKIT_RULE_NAME}`;
/** Debian's shell for accounts nobody logs in to. */
export const NOLOGIN_SHELL = '/usr/sbin/nologin';
