/**
 * What the device is to be: the command's options checked and turned into settings both
 * first-boot mechanisms can write. Every value is checked here, once, against what the tool that
 * will consume it on the device accepts (hostname, adduser, tzdata, wpa_supplicant), because a
 * bad value found on first boot means a Pi that never appears on the network. Secrets are read
 * from files and never quoted back in messages.
 */
import { pbkdf2Sync } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../runtime/config.js';
import { errorMessage } from '../../runtime/errors.js';
import { FlashError } from './errors.js';
import { hashPassword, isCryptHash } from './sha512-crypt.js';

/** The options as the command line gives them. */
export interface FlashOptions {
  hostname?: string;
  user?: string;
  passwordHash?: string;
  passwordFile?: string;
  sshKey?: string[];
  wifiSsid?: string;
  wifiPasswordFile?: string;
  wifiPassword?: string;
  wifiCountry?: string;
  wifiHidden?: boolean;
  timezone?: string;
  locale?: string;
  keyboard?: string;
  i2c?: boolean;
  uart?: boolean;
  config?: string;
}

export interface WifiSettings {
  ssid: string;
  /** The WPA PSK as 64 hex digits: the passphrase never goes onto the card. */
  psk: string;
  hidden: boolean;
}

export interface FlashSettings {
  hostname: string;
  user: string;
  /** A crypt(3) hash; absent when only SSH keys log in. */
  passwordHash?: string;
  sshKeys: string[];
  wifi?: WifiSettings;
  /** ISO 3166 alpha-2, upper case. */
  country?: string;
  timezone?: string;
  locale?: string;
  keyboard?: string;
  i2c: boolean;
  uart: boolean;
  /** The device configuration file's bytes, checked against vigil's schema. */
  deviceConfig?: Buffer;
}

/** The groups the login user joins: Raspberry Pi OS's first user's, plus bluetooth for vigil's BLE. */
export const USER_GROUPS = ['users', 'adm', 'dialout', 'audio', 'netdev', 'video', 'plugdev', 'cdrom', 'games', 'input', 'gpio', 'spi', 'i2c', 'render', 'bluetooth', 'sudo'];

/** Accounts Debian creates itself, and vigil's own service account. */
const RESERVED_USERS = new Set(['root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'proxy', 'www-data', 'backup', 'list', 'irc', 'nobody', 'messagebus', 'sshd', 'avahi', 'polkitd', 'vigil']);

const bad = (message: string) => new FlashError('FLASH_BAD_ARGUMENT', message);
const quote = (value: string) => JSON.stringify(value);

/** RFC 1123: dot-separated labels of letters, digits and inner hyphens, 1–63 each, 253 in all. */
export function checkHostname(name: string): string {
  const label = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  if (name.length === 0 || name.length > 253 || !name.split('.').every((l) => label.test(l))) {
    throw bad(`--hostname ${quote(name)} is not a valid host name: expected letters, digits and hyphens (not first or last), 1–63 characters per dot-separated label`);
  }
  return name;
}

/** What Debian's adduser accepts by default (NAME_REGEX), at most 32 characters. */
export function checkUserName(name: string): string {
  if (!/^[a-z][-a-z0-9_]{0,31}$/.test(name)) {
    throw bad(`--user ${quote(name)} is not a valid user name: expected a lower-case letter, then lower-case letters, digits, "-" or "_", at most 32 characters`);
  }
  if (RESERVED_USERS.has(name)) {
    const why = name === 'vigil' ? 'it is the account vigil runs as' : 'the system has an account of that name';
    throw bad(`--user ${quote(name)} cannot be used: ${why}; choose another name`);
  }
  return name;
}

export function checkTimezone(zone: string, zoneinfo = '/usr/share/zoneinfo'): string {
  if (!/^[A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)*$/.test(zone)) throw bad(`--timezone ${quote(zone)} is not a time zone name: expected e.g. Europe/Berlin`);
  if (existsSync(zoneinfo)) {
    const file = join(zoneinfo, zone);
    if (!existsSync(file) || !statSync(file).isFile()) throw bad(`--timezone ${quote(zone)} is not a known time zone (no ${file}): expected e.g. Europe/Berlin, UTC`);
  }
  return zone;
}

export function checkLocale(locale: string): string {
  if (!/^(?:[a-z]{2,3}_[A-Z]{2}|C)(?:\.[A-Za-z0-9-]+)?(?:@[a-z]+)?$/.test(locale)) {
    throw bad(`--locale ${quote(locale)} is not a locale name: expected e.g. en_GB.UTF-8`);
  }
  return locale;
}

export function checkKeyboard(layout: string): string {
  if (!/^[a-z][a-z0-9_-]{1,15}$/.test(layout)) throw bad(`--keyboard ${quote(layout)} is not a keyboard layout: expected an XKB layout such as gb, us, de`);
  return layout;
}

export function checkCountry(country: string): string {
  if (!/^[A-Za-z]{2}$/.test(country)) throw bad(`--wifi-country ${quote(country)} is not a country code: expected two letters (ISO 3166), e.g. GB, DE, US`);
  return country.toUpperCase();
}

export function checkSsid(ssid: string): string {
  const bytes = Buffer.byteLength(ssid);
  if (bytes === 0 || bytes > 32 || /[\u0000-\u001f\u007f]/.test(ssid)) {
    throw bad(`--wifi-ssid ${quote(ssid)} is not a usable network name: expected 1–32 bytes without control characters`);
  }
  return ssid;
}

/** WPA2: a passphrase of 8–63 printable ASCII characters, or the PSK itself as 64 hex digits. */
export function wpaPsk(passphrase: string, ssid: string): string {
  if (/^[0-9a-fA-F]{64}$/.test(passphrase)) return passphrase.toLowerCase();
  if (passphrase.length < 8 || passphrase.length > 63 || !/^[\x20-\x7e]+$/.test(passphrase)) {
    throw bad(`the Wi-Fi passphrase is not valid (${passphrase.length} characters): expected 8–63 printable ASCII characters, or 64 hex digits`);
  }
  return pbkdf2Sync(passphrase, ssid, 4096, 32, 'sha1').toString('hex');
}

const KEY_TYPES = /^(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}(?: [^\r\n]*)?$/;

/** The public keys in an authorized_keys-style file: one per line, # comments and blank lines skipped. */
export function readSshKeys(file: string): string[] {
  const text = readText(file, '--ssh-key');
  if (/PRIVATE KEY-----/.test(text)) throw bad(`--ssh-key ${file} is a private key: give the public key (the .pub file) instead`);
  const keys = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (keys.length === 0) throw bad(`--ssh-key ${file} holds no public key`);
  keys.forEach((key, i) => {
    if (!KEY_TYPES.test(key)) throw bad(`--ssh-key ${file}: line ${i + 1} is not an OpenSSH public key: expected "ssh-ed25519 AAAA… comment" (or ssh-rsa, ecdsa-sha2-…)`);
  });
  return keys;
}

function readText(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw bad(`${option} ${file} cannot be read: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : errorMessage(err)}`);
  }
}

/** A secret kept in a file: its first line, without the line ending. */
function readSecret(file: string, option: string): string {
  const line = readText(file, option).split(/\r?\n/)[0] ?? '';
  if (line.length === 0) throw bad(`${option} ${file} is empty: expected the secret on its first line`);
  return line;
}

export function resolveSettings(options: FlashOptions, env: { zoneinfo?: string } = {}): FlashSettings {
  if (!options.hostname) throw bad('--hostname is required: the name the Pi will have on the network');
  if (!options.user) throw bad('--user is required: the account to log in with');
  const settings: FlashSettings = {
    hostname: checkHostname(options.hostname),
    user: checkUserName(options.user),
    sshKeys: (options.sshKey ?? []).flatMap(readSshKeys),
    i2c: Boolean(options.i2c),
    uart: Boolean(options.uart),
  };

  if (options.passwordHash !== undefined && options.passwordFile !== undefined) throw bad('give either --password-hash or --password-file, not both');
  if (options.passwordHash !== undefined) {
    // The hash is not secret in the way a password is, but it is still not echoed.
    if (!isCryptHash(options.passwordHash)) throw bad('--password-hash is not a crypt(3) hash: expected e.g. the output of `openssl passwd -6` ($6$salt$…)');
    settings.passwordHash = options.passwordHash;
  } else if (options.passwordFile !== undefined) {
    const password = readSecret(options.passwordFile, '--password-file');
    if (isCryptHash(password)) throw bad(`--password-file ${options.passwordFile} holds a password hash, not a password: give it with --password-hash`);
    settings.passwordHash = hashPassword(password);
  }
  if (!settings.passwordHash && settings.sshKeys.length === 0) {
    throw bad('no way to log in: give --password-hash, --password-file or --ssh-key (or several)');
  }

  if (options.wifiPassword !== undefined && options.wifiPasswordFile !== undefined) throw bad('give either --wifi-password or --wifi-password-file, not both');
  const passphrase = options.wifiPasswordFile !== undefined ? readSecret(options.wifiPasswordFile, '--wifi-password-file') : options.wifiPassword;
  if (options.wifiCountry !== undefined) settings.country = checkCountry(options.wifiCountry);
  if (options.wifiSsid !== undefined) {
    const ssid = checkSsid(options.wifiSsid);
    if (!settings.country) throw bad('--wifi-ssid needs --wifi-country: the Wi-Fi radio stays off until its country is set');
    if (passphrase === undefined) throw bad('--wifi-ssid needs --wifi-password-file (or --wifi-password): open networks are not supported');
    settings.wifi = { ssid, psk: wpaPsk(passphrase, ssid), hidden: Boolean(options.wifiHidden) };
  } else if (passphrase !== undefined || options.wifiHidden) {
    throw bad('a Wi-Fi password or --wifi-hidden needs --wifi-ssid');
  }

  if (options.timezone !== undefined) settings.timezone = checkTimezone(options.timezone, env.zoneinfo);
  if (options.locale !== undefined) settings.locale = checkLocale(options.locale);
  if (options.keyboard !== undefined) settings.keyboard = checkKeyboard(options.keyboard);
  if (options.config !== undefined) {
    // Checked as the device will load it, so a typo fails here and not on first boot.
    loadConfig(options.config);
    settings.deviceConfig = readFileSync(options.config);
  }
  return settings;
}
