/**
 * First boot without cloud-init (Raspberry Pi OS Bookworm and earlier), as Raspberry Pi Imager
 * does it: `firstrun.sh` on the boot partition, run once from the kernel command line
 * (systemd.run=…), before the network is up; it removes itself from there and the system reboots.
 * Next to it, `userconf.txt` (USER:HASH) and an empty `ssh` are the image's own headless switches,
 * so the account and SSH come right even if firstrun.sh were skipped. firstrun.sh consumes
 * userconf.txt itself, because the SSH keys must go into the renamed account's home.
 *
 * The script prefers the image's own helpers (imager_custom, userconf) where they exist and
 * falls back to plain commands; it sets only what was asked for. Its log goes to the same file
 * as the vigil first-boot step's.
 */
import { createHash } from 'node:crypto';
import type { BootDir } from './detect.js';
import { FIRSTBOOT_DIR, FIRSTBOOT_LOG, FIRSTBOOT_SCRIPT } from './firstboot.js';
import type { FlashSettings, WifiSettings } from './settings.js';
import { USER_GROUPS } from './settings.js';
import { shellQuote as q } from './shell.js';

/** userconf.txt's password field when only keys log in: no password matches it. */
export const NO_PASSWORD = '*';

export function userconfTxt(settings: FlashSettings): string {
  return `${settings.user}:${settings.passwordHash ?? NO_PASSWORD}\n`;
}

/** NetworkManager keyfile's SSID as a byte list ("72;111;109;101;"): no escaping questions. */
function nmSsid(ssid: string): string {
  return `${[...Buffer.from(ssid)].join(';')};`;
}

/** A stable connection UUID, so flashing twice writes the same file. */
function nmUuid(ssid: string): string {
  const h = createHash('sha256').update(`vigil-wifi:${ssid}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function wifiLines(wifi: WifiSettings, country: string): string[] {
  const keyfile = [
    '[connection]',
    'id=preconfigured',
    `uuid=${nmUuid(wifi.ssid)}`,
    'type=wifi',
    '[wifi]',
    'mode=infrastructure',
    `ssid=${nmSsid(wifi.ssid)}`,
    ...(wifi.hidden ? ['hidden=true'] : []),
    '[wifi-security]',
    'key-mgmt=wpa-psk',
    `psk=${wifi.psk}`,
    '[ipv4]',
    'method=auto',
    '[ipv6]',
    'method=auto',
  ];
  return [
    '# Wi-Fi',
    'if [ -n "$IMAGER" ]; then',
    `  "$IMAGER" set_wlan ${wifi.hidden ? '-h ' : ''}${q(wifi.ssid)} ${q(wifi.psk)} ${q(country)}`,
    'else',
    '  install -d -m 0700 /etc/NetworkManager/system-connections',
    "  cat >/etc/NetworkManager/system-connections/preconfigured.nmconnection <<'WIFI_END'",
    ...keyfile,
    'WIFI_END',
    '  chmod 600 /etc/NetworkManager/system-connections/preconfigured.nmconnection',
    ...countryLines(country, '  '),
    'fi',
  ];
}

function countryLines(country: string, indent = ''): string[] {
  return [`${indent}if command -v raspi-config >/dev/null; then raspi-config nonint do_wifi_country ${q(country)}; else iw reg set ${q(country)}; fi`];
}

export function firstrunScript(settings: FlashSettings): string {
  const s = settings;
  const out: string[] = [
    '#!/bin/bash',
    '# First-boot settings written by `vigil flash`. The kernel command line runs this once',
    '# (systemd.run=…); it takes itself off the command line and the boot partition, and the',
    `# system reboots. Log: ${FIRSTBOOT_LOG}`,
    'set +e',
    'BOOT=$(dirname "$(readlink -f "$0")")',
    `exec >>${FIRSTBOOT_LOG} 2>&1`,
    'echo "$(date \'+%F %T\') vigil firstrun: configuring from $BOOT"',
    'IMAGER=/usr/lib/raspberrypi-sys-mods/imager_custom',
    '[ -x "$IMAGER" ] || IMAGER=',
    `NEW_HOSTNAME=${q(s.hostname)}`,
    `NEW_USER=${q(s.user)}`,
    '',
    '# Host name',
    'if [ -n "$IMAGER" ]; then',
    '  "$IMAGER" set_hostname "$NEW_HOSTNAME"',
    'else',
    '  echo "$NEW_HOSTNAME" >/etc/hostname',
    '  if grep -q "^127\\.0\\.1\\.1[[:space:]]" /etc/hosts; then',
    '    sed -i "s/^127\\.0\\.1\\.1[[:space:]].*/127.0.1.1\\t$NEW_HOSTNAME/" /etc/hosts',
    '  else',
    '    printf \'127.0.1.1\\t%s\\n\' "$NEW_HOSTNAME" >>/etc/hosts',
    '  fi',
    'fi',
    '',
    '# The account: rename the image\'s first user (uid 1000) and set its password, as userconf does',
    'if [ -f "$BOOT/userconf.txt" ]; then',
    '  IFS=: read -r CONF_USER CONF_HASH <"$BOOT/userconf.txt"',
    '  FIRSTUSER=$(getent passwd 1000 | cut -d: -f1)',
    '  if [ -x /usr/lib/userconf-pi/userconf ] && [ -n "$FIRSTUSER" ]; then',
    '    /usr/lib/userconf-pi/userconf "$CONF_USER" "$CONF_HASH"',
    '  elif [ -n "$FIRSTUSER" ]; then',
    '    if [ "$FIRSTUSER" != "$CONF_USER" ]; then',
    '      usermod -l "$CONF_USER" "$FIRSTUSER"',
    '      usermod -m -d "/home/$CONF_USER" "$CONF_USER"',
    '      groupmod -n "$CONF_USER" "$FIRSTUSER"',
    '    fi',
    '    echo "$CONF_USER:$CONF_HASH" | chpasswd -e',
    '  elif ! getent passwd "$CONF_USER" >/dev/null; then',
    '    useradd -m -s /bin/bash "$CONF_USER"',
    '    echo "$CONF_USER:$CONF_HASH" | chpasswd -e',
    '  fi',
    '  rm -f "$BOOT/userconf.txt"',
    'fi',
    `for GROUP in ${USER_GROUPS.join(' ')}; do`,
    '  getent group "$GROUP" >/dev/null && usermod -aG "$GROUP" "$NEW_USER"',
    'done',
    ...(s.passwordHash ? [] : ['echo "$NEW_USER ALL=(ALL) NOPASSWD:ALL" >/etc/sudoers.d/010_vigil-nopasswd', 'chmod 440 /etc/sudoers.d/010_vigil-nopasswd']),
    '',
    '# SSH',
    'systemctl enable ssh',
  ];
  if (s.sshKeys.length) {
    out.push(
      'USER_HOME=$(getent passwd "$NEW_USER" | cut -d: -f6)',
      'install -d -m 700 -o "$NEW_USER" -g "$NEW_USER" "$USER_HOME/.ssh"',
      "cat >\"$USER_HOME/.ssh/authorized_keys\" <<'KEYS_END'",
      ...s.sshKeys,
      'KEYS_END',
      'chown "$NEW_USER:$NEW_USER" "$USER_HOME/.ssh/authorized_keys"',
      'chmod 600 "$USER_HOME/.ssh/authorized_keys"',
    );
    // With a key, password logins over SSH are off: the key is the way in.
    out.push('install -d /etc/ssh/sshd_config.d', "echo 'PasswordAuthentication no' >/etc/ssh/sshd_config.d/10-vigil.conf");
  }
  out.push('');
  if (s.wifi && s.country) out.push(...wifiLines(s.wifi, s.country));
  else if (s.country) out.push('# Wi-Fi country', ...countryLines(s.country));
  if (s.country) {
    out.push('rfkill unblock wifi', 'for f in /var/lib/systemd/rfkill/*:wlan; do [ -e "$f" ] && echo 0 >"$f"; done', '');
  }
  if (s.timezone) {
    out.push(
      '# Time zone',
      `if [ -n "$IMAGER" ]; then "$IMAGER" set_timezone ${q(s.timezone)}; else`,
      `  ln -sf ${q(`/usr/share/zoneinfo/${s.timezone}`)} /etc/localtime`,
      `  echo ${q(s.timezone)} >/etc/timezone`,
      '  dpkg-reconfigure -f noninteractive tzdata',
      'fi',
      '',
    );
  }
  if (s.keyboard) {
    out.push(
      '# Keyboard',
      `if [ -n "$IMAGER" ]; then "$IMAGER" set_keymap ${q(s.keyboard)}; else`,
      `  sed -i 's/^XKBLAYOUT=.*/XKBLAYOUT="${s.keyboard}"/' /etc/default/keyboard`,
      '  dpkg-reconfigure -f noninteractive keyboard-configuration',
      'fi',
      '',
    );
  }
  if (s.locale) {
    const pattern = s.locale.replaceAll('.', '\\.');
    out.push('# Locale', `sed -i 's/^# *\\(${pattern} \\)/\\1/' /etc/locale.gen`, 'locale-gen', `update-locale LANG=${q(s.locale)}`, '');
  }
  out.push(
    '# vigil: its own first-boot step runs once the network is up',
    `if [ -f "$BOOT/${FIRSTBOOT_DIR}/${FIRSTBOOT_SCRIPT}" ]; then bash "$BOOT/${FIRSTBOOT_DIR}/${FIRSTBOOT_SCRIPT}" stage "$BOOT"; fi`,
    '',
    '# Done: off the command line and the boot partition, so it runs once',
    'rm -f "$BOOT/firstrun.sh"',
    `sed -i -E 's/ +systemd\\.(run|run_success_action|run_failure_action)=[^ ]*//g; s/ +systemd\\.unit=kernel-command-line\\.target//g' "$BOOT/cmdline.txt"`,
    'echo "$(date \'+%F %T\') vigil firstrun: done, rebooting"',
    'exit 0',
  );
  return `${out.join('\n')}\n`;
}

/** Where the kernel finds firstrun.sh on the device. */
export function firstrunPath(bootDir: BootDir): string {
  return `${bootDir}/firstrun.sh`;
}
