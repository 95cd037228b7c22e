// Shared setup for the simulated NetworkManager's tests (test/wifi-sim-*.test.ts): one radio
// environment, the nmcli argument lists the driver sends, and a board with a monitor attached.
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { FakeClock } from '../../runtime/clock.js';
import type { CommandResult, RunOptions } from '../../drivers/wifi/commands.js';
import { createSimNetworkManager, wifiSimSchema } from '../../drivers/wifi/sim/config.js';

export const AIR = {
  accessPoints: {
    home: { ssid: 'Home', password: 'home-secret-1' },
    cafe: { ssid: 'Cafe', channel: 11, signal: 55, portal: { user: 'guest', password: 'latte' } },
    attic: { ssid: 'Attic', channel: 1, password: 'attic-pass', internet: false, signal: 30 },
  },
  clients: { phone: { mac: 'AA:BB:CC:00:11:22', password: 'hotspot-pass' }, tablet: { mac: '02:00:00:00:00:07', password: 'not-the-one' } },
};

export const GENERAL = ['-t', '-f', 'RUNNING,STATE,CONNECTIVITY,WIFI-HW,WIFI', 'general', 'status'];
export const DEVICES = ['-t', '-f', 'DEVICE,TYPE,STATE,CONNECTION', 'device', 'status'];
export const LIST = ['-t', '-f', 'IN-USE,SSID,BSSID,CHAN,FREQ,SIGNAL,SECURITY', 'device', 'wifi', 'list', 'ifname', 'wlan0', '--rescan'];
export const NODE_WIFI = ['--terse', '--fields', 'active,ssid,bssid,mode,chan,freq,signal,security,wpa-flags,rsn-flags', 'device', 'wifi', 'list', 'ifname', 'wlan0'];
export const CHECK = ['networking', 'connectivity', 'check'];
export const NOT_RUNNING: CommandResult = { code: 8, stdout: '', stderr: 'Error: NetworkManager is not running.\n' };
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** What `device status` lists after the Wi-Fi devices. */
export const REST = 'lo:loopback:unmanaged:\np2p-dev-wlan0:wifi-p2p:unmanaged:\n';
export const T0 = Date.UTC(2026, 0, 1);

export const addProfile = (name: string, ssid: string, secured: boolean) => [
  'connection', 'add', 'type', 'wifi', 'ifname', 'wlan0', 'con-name', name, 'ssid', ssid, 'connection.autoconnect-retries', '1',
  ...(secured ? ['wifi-sec.key-mgmt', 'wpa-psk'] : []),
];
export const addHotspot = (ssid: string, extra: string[] = []) => [
  'connection', 'add', 'type', 'wifi', 'ifname', 'wlan0', 'con-name', 'vigil-hotspot', 'autoconnect', 'no', 'ssid', ssid,
  '802-11-wireless.mode', 'ap', '802-11-wireless.band', 'bg', 'ipv4.method', 'shared', 'wifi-sec.key-mgmt', 'wpa-psk', ...extra,
];
export const pskInput = (psk: string) => `set wifi-sec.psk ${psk}\nsave persistent\nquit\n`;
export const up = (name: string, wait = 30) => ['-w', String(wait), 'connection', 'up', 'id', name, 'ifname', 'wlan0'];

/** Let queued monitor lines and resolved commands through (one real turn of the event loop). */
export const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function board(raw: Record<string, unknown> = AIR, options: { iface?: string; hotspotIface?: string } = {}) {
  const clock = new FakeClock(T0);
  const cfg = v.parse(wifiSimSchema, raw);
  const nm = createSimNetworkManager(cfg, clock, { iface: 'wlan0', ...options });
  const lines: string[] = [];
  nm.monitor(
    (l) => lines.push(l),
    (r) => lines.push(`exit: ${r}`),
  );
  /** Everything any command printed, to look for secrets in. */
  const printed: string[] = [];
  const nmcli = (args: string[], opts?: RunOptions) =>
    nm.run('nmcli', args, opts).then((r) => {
      printed.push(r.stdout, r.stderr);
      return r;
    });
  /** Monitor lines since the last call. */
  const said = async () => {
    await turn();
    return lines.splice(0);
  };
  /** Add a client profile, give it its passphrase, bring it up and let the association finish. */
  const join = async (name: string, ssid: string, psk?: string, afterMs = nm.associateMs) => {
    assert.equal((await nmcli(addProfile(name, ssid, psk !== undefined))).code, 0);
    if (psk !== undefined) assert.equal((await nmcli(['connection', 'edit', 'id', name], { stdin: pskInput(psk) })).code, 0);
    const pending = nmcli(up(name));
    clock.advance(afterMs);
    return pending;
  };
  return { clock, cfg, nm, lines, printed, nmcli, said, join };
}

/** Whether a promise has settled, without waiting for it. */
export async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await turn();
  return done;
}
