/**
 * First boot with cloud-init (Raspberry Pi OS from 2025 on): the NoCloud seed in the boot
 * partition, in the shape Raspberry Pi Imager 2 writes it.
 *
 * - user-data (#cloud-config): host name, the account (hash, keys, groups), SSH, time zone,
 *   locale, keyboard, and a runcmd that stages vigil's own first-boot step.
 * - network-config: netplan v2; Wi-Fi on wlan0 with its regulatory domain and the PSK (not the
 *   passphrase), Ethernet by DHCP.
 * - meta-data: a new instance-id on every flash. cloud-init applies a seed once per instance id,
 *   so a card flashed again (even with the same settings) is configured again.
 *
 * I2C and the UART are set in config.txt directly rather than through Raspberry Pi's `rpi:`
 * cloud-init module: that works on every image, and the module reboots mid-boot for the UART.
 */
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import type { BootDir } from './detect.js';
import { stageCommand } from './firstboot.js';
import { USER_GROUPS, type FlashSettings } from './settings.js';

/**
 * cloud-init reads these with PyYAML, which is YAML 1.1: there "NO" (Norway), "on" or "yes" are
 * booleans. Writing for 1.1 quotes every such string, so each value arrives as written.
 */
const yaml = (doc: unknown) => stringify(doc, { lineWidth: 0, version: '1.1' });

export function userData(settings: FlashSettings, bootDir: BootDir): string {
  const s = settings;
  const user: Record<string, unknown> = { name: s.user, groups: USER_GROUPS.join(','), shell: '/bin/bash', lock_passwd: !s.passwordHash };
  if (s.passwordHash) user.passwd = s.passwordHash;
  if (s.sshKeys.length) user.ssh_authorized_keys = s.sshKeys;
  // Without a password sudo could never be used; with one, the sudo group asks for it.
  if (!s.passwordHash) user.sudo = 'ALL=(ALL) NOPASSWD:ALL';

  const runcmd: unknown[] = [];
  if (s.country) runcmd.push(['sh', '-c', 'rfkill unblock wifi; for f in /var/lib/systemd/rfkill/*:wlan; do [ -e "$f" ] && echo 0 >"$f"; done; true']);
  runcmd.push(['systemctl', 'enable', '--now', 'ssh']);
  runcmd.push(stageCommand(bootDir, true));

  const doc: Record<string, unknown> = { hostname: s.hostname, manage_etc_hosts: true };
  if (s.timezone) doc.timezone = s.timezone;
  if (s.locale) doc.locale = s.locale;
  if (s.keyboard) doc.keyboard = { model: 'pc105', layout: s.keyboard };
  doc.enable_ssh = true;
  // With a key, password logins over SSH are off: the key is the way in.
  doc.ssh_pwauth = Boolean(s.passwordHash) && s.sshKeys.length === 0;
  doc.users = [user];
  doc.runcmd = runcmd;
  return `#cloud-config\n# Written by \`vigil flash\`.\n${yaml(doc)}`;
}

export function networkConfig(settings: FlashSettings): string {
  const network: Record<string, unknown> = { version: 2, ethernets: { eth0: { dhcp4: true, optional: true } } };
  if (settings.wifi) {
    const ap: Record<string, unknown> = { password: settings.wifi.psk };
    if (settings.wifi.hidden) ap.hidden = true;
    network.wifis = {
      wlan0: { dhcp4: true, optional: true, ...(settings.country ? { 'regulatory-domain': settings.country } : {}), 'access-points': { [settings.wifi.ssid]: ap } },
    };
  }
  return `# Written by \`vigil flash\`.\n${yaml({ network })}`;
}

export function newInstanceId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `vigil-${stamp}-${randomBytes(3).toString('hex')}`;
}

export function metaData(instanceId: string): string {
  return `instance-id: ${instanceId}\n`;
}
