/**
 * Saved connection profiles for the simulated NetworkManager (nm.ts): `nmcli connection add`'s
 * arguments read into a profile, and `nmcli connection edit`, the interactive editor fed from
 * stdin, which is the only way a passphrase reaches a profile.
 */
import { deviceSeed, Prng } from '../../ble/sim/random.js';
import type { CommandResult } from '../commands.js';
import { channelFrequency, validPassphrase } from './environment.js';
import { fail, ok } from './nm-output.js';
import type { Profile } from './nm-state.js';

/** Version 4 UUIDs, deterministic per environment seed. */
export class UuidSource {
  readonly #rng: Prng;

  constructor(seed: number) {
    this.#rng = new Prng(deviceSeed(seed, 'nm:uuid'));
  }

  next(): string {
    const b = Array.from({ length: 16 }, () => this.#rng.int(0, 255));
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

/**
 * `connection add KEY VALUE …`: the profile, nmcli's refusal, or undefined for an argument the
 * driver was not written to send. The UUID is drawn only once the arguments are good.
 */
export function parseProfile(kv: readonly string[], uuid: () => string): Profile | CommandResult | undefined {
  if (kv.length % 2 !== 0) return undefined;
  const p: Partial<Profile> & { type?: string } = {};
  for (let i = 0; i < kv.length; i += 2) {
    const key = kv[i]!;
    const value = kv[i + 1]!;
    if (/psk|password|wep-key/i.test(key)) {
      return fail(2, `Error: the simulated NetworkManager refuses a secret on the command line (${key}): secrets go to 'nmcli connection edit' on its standard input\n`);
    }
    switch (key) {
      case 'type':
        if (value !== 'wifi' && value !== '802-11-wireless') return undefined;
        p.type = 'wifi';
        break;
      case 'ifname':
        p.ifname = value;
        break;
      case 'con-name':
        p.name = value;
        break;
      case 'ssid':
      case 'wifi.ssid':
      case '802-11-wireless.ssid':
        p.ssid = value;
        break;
      case 'autoconnect':
      case 'connection.autoconnect':
        if (!['yes', 'no'].includes(value)) return undefined;
        break;
      case 'connection.autoconnect-retries':
        if (!/^-?\d+$/.test(value)) return undefined;
        break;
      case 'wifi-sec.key-mgmt':
      case '802-11-wireless-security.key-mgmt':
        if (value !== 'wpa-psk') return undefined;
        p.keyMgmt = 'wpa-psk';
        break;
      case 'wifi.mode':
      case '802-11-wireless.mode':
        if (value !== 'ap' && value !== 'infrastructure') return undefined;
        p.mode = value;
        break;
      case 'wifi.band':
      case '802-11-wireless.band':
        if (value !== 'bg' && value !== 'a') return undefined;
        p.band = value;
        break;
      case 'wifi.channel':
      case '802-11-wireless.channel':
        if (!/^\d+$/.test(value)) return undefined;
        p.channel = Number(value);
        break;
      case 'ipv4.method':
        if (value !== 'shared' && value !== 'auto') return undefined;
        break;
      default:
        return undefined;
    }
  }
  if (p.type !== 'wifi' || p.name === undefined || p.ssid === undefined) return undefined;
  const ssidBytes = Buffer.byteLength(p.ssid, 'utf8');
  if (ssidBytes < 1 || ssidBytes > 32) return fail(2, `Error: failed to modify 802-11-wireless.ssid: '${p.ssid}' is not valid.\n`);
  if (p.channel !== undefined) {
    const f = channelFrequency(p.channel);
    const fits = p.band === 'a' ? f !== undefined && f > 5000 : p.band === 'bg' ? f !== undefined && f < 5000 : false;
    if (!fits) {
      const why = p.band === undefined ? "requires setting 'band' property" : `'${p.channel}' is not a valid channel`;
      return fail(2, `Error: Failed to add '${p.name}' connection: 802-11-wireless.channel: ${why}\n`);
    }
  }
  return {
    uuid: uuid(),
    name: p.name,
    ifname: p.ifname,
    ssid: p.ssid,
    mode: p.mode ?? 'infrastructure',
    band: p.band,
    channel: p.channel,
    keyMgmt: p.keyMgmt,
    psk: undefined,
  };
}

/**
 * The interactive editor fed from stdin: `set wifi-sec.psk …`, `save [persistent]`, `quit`.
 * nmcli echoes each line after its prompt, the passphrase included; here the passphrase is
 * replaced by asterisks so a simulated run never prints it. `line` speaks to the monitor.
 */
export function editProfile(profiles: readonly Profile[], name: string, stdin: string, line: (text: string) => void): CommandResult {
  const profile = profiles.find((p) => p.name === name);
  if (!profile) return fail(10, `Error: Unknown connection '${name}'.\n`);
  let out =
    '\n===| nmcli interactive connection editor |===\n\n' +
    `Editing existing '802-11-wireless' connection: '${name}'\n\n` +
    "Type 'help' or '?' for available commands.\n" +
    "Type 'print' to show all the connection properties.\n" +
    "Type 'describe [<setting>.<prop>]' for detailed property description.\n\n" +
    'You may edit the following settings: connection, 802-11-wireless (wifi), 802-11-wireless-security (wifi-sec), 802-1x, ethtool, match, ipv4, ipv6, hostname, tc, proxy\n';
  let pending: string | undefined;
  const lines = stdin.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const raw of lines) {
    const input = raw.replace(/\r$/, '');
    const set = /^(set\s+(?:wifi-sec\.psk|802-11-wireless-security\.psk)\s)(.*)$/.exec(input);
    out += `nmcli> ${set ? `${set[1]}${'*'.repeat(8)}` : input}\n`;
    if (input.trim() === '') continue;
    if (set) {
      pending = set[2]!;
    } else if (/^save(\s+(persistent|temporary))?\s*$/.test(input)) {
      const value = pending ?? profile.psk;
      if (value !== undefined && profile.keyMgmt !== 'wpa-psk') {
        out += `Error: Failed to save '${name}' (${profile.uuid}) connection: 802-11-wireless-security.key-mgmt: property is missing\n`;
      } else if (value !== undefined && !validPassphrase(value)) {
        out += `Error: Failed to save '${name}' (${profile.uuid}) connection: 802-11-wireless-security.psk: property is invalid\n`;
      } else {
        profile.psk = value;
        pending = undefined;
        out += `Connection '${name}' (${profile.uuid}) successfully updated.\n`;
        line(`${name}: connection profile changed`);
      }
    } else if (/^(quit|q|exit)\s*$/.test(input)) {
      return ok(out);
    } else {
      // Only the command word and property: a mistyped `set` line may hold the secret.
      const shown = input.trim().split(/\s+/).slice(0, 2).join(' ');
      return fail(2, `Error: unsupported command in the simulated NetworkManager: nmcli connection edit id ${name}: editor command '${shown} …'\n`);
    }
  }
  // End of input without `quit`: nmcli leaves the editor the same way.
  return ok(`${out}nmcli> \n`);
}
