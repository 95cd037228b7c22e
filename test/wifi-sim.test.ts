// The simulated NetworkManager, driven through its CommandRunner as the Wi-Fi driver drives it:
// nmcli's and iw's output byte for byte, exit codes, `nmcli monitor` lines, time on a manual
// clock; the connectivity probe and captive portal over real HTTP; the timeline's steps.
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { FakeClock } from '../runtime/clock.js';
import { ConfigError } from '../runtime/errors.js';
import { check, describeIssue } from '../runtime/schema-errors.js';
import type { CommandResult, RunOptions } from '../drivers/wifi/commands.js';
import { splitTerse } from '../drivers/wifi/terse.js';
import { createSimNetworkManager, wifiSimSchema } from '../drivers/wifi/sim/config.js';
import { WifiEnvironment } from '../drivers/wifi/sim/environment.js';
import { SimNetworkManager, type SimWifiEvents } from '../drivers/wifi/sim/nm.js';
import { applyWifiStep, checkWifiStep } from '../drivers/wifi/sim/steps.js';

const AIR = {
  accessPoints: {
    home: { ssid: 'Home', password: 'home-secret-1' },
    cafe: { ssid: 'Cafe', channel: 11, signal: 55, portal: { user: 'guest', password: 'latte' } },
    attic: { ssid: 'Attic', channel: 1, password: 'attic-pass', internet: false, signal: 30 },
  },
  clients: { phone: { mac: 'AA:BB:CC:00:11:22', password: 'hotspot-pass' }, tablet: { mac: '02:00:00:00:00:07', password: 'not-the-one' } },
};

const GENERAL = ['-t', '-f', 'RUNNING,STATE,CONNECTIVITY,WIFI-HW,WIFI', 'general', 'status'];
const DEVICES = ['-t', '-f', 'DEVICE,TYPE,STATE,CONNECTION', 'device', 'status'];
const LIST = ['-t', '-f', 'IN-USE,SSID,BSSID,CHAN,FREQ,SIGNAL,SECURITY', 'device', 'wifi', 'list', 'ifname', 'wlan0', '--rescan'];
const NODE_WIFI = ['--terse', '--fields', 'active,ssid,bssid,mode,chan,freq,signal,security,wpa-flags,rsn-flags', 'device', 'wifi', 'list', 'ifname', 'wlan0'];
const CHECK = ['networking', 'connectivity', 'check'];
const NOT_RUNNING: CommandResult = { code: 8, stdout: '', stderr: 'Error: NetworkManager is not running.\n' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** What `device status` lists after the Wi-Fi devices. */
const REST = 'lo:loopback:unmanaged:\np2p-dev-wlan0:wifi-p2p:unmanaged:\n';
const T0 = Date.UTC(2026, 0, 1);

const addProfile = (name: string, ssid: string, secured: boolean) => [
  'connection', 'add', 'type', 'wifi', 'ifname', 'wlan0', 'con-name', name, 'ssid', ssid, 'connection.autoconnect-retries', '1',
  ...(secured ? ['wifi-sec.key-mgmt', 'wpa-psk'] : []),
];
const addHotspot = (ssid: string, extra: string[] = []) => [
  'connection', 'add', 'type', 'wifi', 'ifname', 'wlan0', 'con-name', 'vigil-hotspot', 'autoconnect', 'no', 'ssid', ssid,
  '802-11-wireless.mode', 'ap', '802-11-wireless.band', 'bg', 'ipv4.method', 'shared', 'wifi-sec.key-mgmt', 'wpa-psk', ...extra,
];
const pskInput = (psk: string) => `set wifi-sec.psk ${psk}\nsave persistent\nquit\n`;
const up = (name: string, wait = 30) => ['-w', String(wait), 'connection', 'up', 'id', name, 'ifname', 'wlan0'];

/** Let queued monitor lines and resolved commands through (one real turn of the event loop). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function board(raw: Record<string, unknown> = AIR, options: { iface?: string; hotspotIface?: string } = {}) {
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
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await turn();
  return done;
}

// ---------------------------------------------------------------------------------- status

test('general and device status when nothing is connected', async () => {
  const { nmcli, nm } = board();
  assert.deepEqual(await nmcli(GENERAL), { code: 0, stdout: 'running:disconnected:none:enabled:enabled\n', stderr: '' });
  assert.deepEqual(await nmcli(DEVICES), { code: 0, stdout: `wlan0:wifi:disconnected:\n${REST}`, stderr: '' });
  assert.deepEqual(await nmcli(['-t', '-f', 'connectivity,state', 'general', 'status']), { code: 0, stdout: 'none:disconnected\n', stderr: '' }, 'fields in any case and order');
  assert.deepEqual(await nmcli(CHECK), { code: 0, stdout: 'none\n', stderr: '' });
  await nm.close();
});

test('a separate hotspot interface is a device of its own', async () => {
  const { nmcli, nm } = board(AIR, { hotspotIface: 'wlan1' });
  assert.equal((await nmcli(DEVICES)).stdout, 'wlan0:wifi:disconnected:\nwlan1:wifi:disconnected:\nlo:loopback:unmanaged:\np2p-dev-wlan0:wifi-p2p:unmanaged:\np2p-dev-wlan1:wifi-p2p:unmanaged:\n');
  await nm.close();
});

// ------------------------------------------------------------------------------------ scans

test('the scan list: terse escapes, noise within ±3 and deterministic, open networks without security', async () => {
  const { nmcli, clock, nm } = board();
  const first = await nmcli([...LIST, 'no']);
  assert.deepEqual(first, {
    code: 0,
    stdout: ' :Home:AA\\:BB\\:CC\\:DD\\:EE\\:01:6:2437 MHz:67:WPA2\n :Cafe:AA\\:BB\\:CC\\:DD\\:EE\\:02:11:2462 MHz:53:\n :Attic:AA\\:BB\\:CC\\:DD\\:EE\\:03:1:2412 MHz:28:WPA2\n',
    stderr: '',
  });
  const fields = first.stdout.split('\n').filter(Boolean).map(splitTerse);
  assert.deepEqual(fields[0], [' ', 'Home', 'AA:BB:CC:DD:EE:01', '6', '2437 MHz', '67', 'WPA2']);

  const base = { Home: 70, Cafe: 55, Attic: 30 } as Record<string, number>;
  const seen = new Set<number>();
  for (let i = 0; i < 40; i++) {
    const p = nmcli([...LIST, 'yes']);
    clock.advance(1000);
    for (const f of (await p).stdout.split('\n').filter(Boolean).map(splitTerse)) {
      const delta = Number(f[5]) - base[f[1]!]!;
      assert.ok(Math.abs(delta) <= 3, `${f[1]} signal ${f[5]} within ±3 of ${base[f[1]!]}`);
      if (f[1] === 'Home') seen.add(delta);
    }
  }
  assert.ok(seen.size >= 5, `the noise varies from scan to scan (deltas seen: ${[...seen].join(', ')})`);

  const again = board();
  assert.equal((await again.nmcli([...LIST, 'no'])).stdout, first.stdout, 'same seed, same first scan');
  const other = board({ ...AIR, seed: 99 });
  assert.notEqual((await other.nmcli([...LIST, 'no'])).stdout, first.stdout, 'another seed, other noise');
  await Promise.all([nm.close(), again.nm.close(), other.nm.close()]);
});

test('an SSID holding ":" and "\\" is escaped the way nmcli does', async () => {
  const { nmcli, nm } = board({ accessPoints: { odd: { ssid: 'a:b\\c', signal: 50, bssid: '02:00:00:00:00:0a' } } });
  const r = await nmcli(['-t', '-f', 'SSID,BSSID', 'device', 'wifi', 'list', '--rescan', 'no']);
  assert.equal(r.stdout, 'a\\:b\\\\c:02\\:00\\:00\\:00\\:00\\:0A\n');
  assert.deepEqual(splitTerse(r.stdout.trim()), ['a:b\\c', '02:00:00:00:00:0A']);
  await nm.close();
});

test('--rescan yes takes 1 s and shows the air as it is then; no and auto use the last scan', async () => {
  const { nmcli, clock, nm } = board();
  nm.environment.setPresent('attic', false);
  assert.match((await nmcli([...LIST, 'no'])).stdout, /Attic/, 'the last scan still lists an access point that left');
  assert.match((await nmcli([...LIST, 'auto'])).stdout, /Attic/, 'auto does not rescan a fresh scan');

  const p = nmcli([...LIST, 'yes']);
  clock.advance(999);
  assert.equal(await settled(p), false, 'still scanning after 999 ms');
  clock.advance(1);
  const r = await p;
  assert.equal(r.code, 0);
  assert.doesNotMatch(r.stdout, /Attic/);
  assert.equal(r.stdout.split('\n').filter(Boolean).length, 2);

  nm.environment.setPresent('attic', true);
  assert.doesNotMatch((await nmcli([...LIST, 'auto'])).stdout, /Attic/, 'a scan 0 s old is not redone');
  clock.advance(30_001);
  const auto = nmcli([...LIST, 'auto']);
  assert.equal(await settled(auto), false, 'auto rescans a scan older than 30 s');
  clock.advance(1000);
  assert.match((await auto).stdout, /Attic/);
  await nm.close();
});

test('the node-wifi command: active, mode and the WPA/RSN flags', async () => {
  const { nmcli, join, nm } = board();
  assert.equal((await join('vigil-Home', 'Home', 'home-secret-1')).code, 0);
  const r = await nmcli(NODE_WIFI);
  assert.deepEqual(r, {
    code: 0,
    stdout:
      'yes:Home:AA\\:BB\\:CC\\:DD\\:EE\\:01:Infra:6:2437 MHz:73:WPA2:(none):pair_ccmp group_ccmp psk\n' +
      'no:Cafe:AA\\:BB\\:CC\\:DD\\:EE\\:02:Infra:11:2462 MHz:56::(none):(none)\n' +
      'no:Attic:AA\\:BB\\:CC\\:DD\\:EE\\:03:Infra:1:2412 MHz:33:WPA2:(none):pair_ccmp group_ccmp psk\n',
    stderr: '',
  });
  await nm.close();
});

// ------------------------------------------------------------------------------- profiles

test('connection add and edit: the passphrase reaches the profile and never any output', async () => {
  const { nmcli, nm, said, printed, lines } = board();
  const add = await nmcli(addProfile('vigil-Home', 'Home', true));
  assert.equal(add.code, 0);
  const m = /^Connection 'vigil-Home' \((.+)\) successfully added\.\n$/.exec(add.stdout);
  assert.ok(m, add.stdout);
  assert.match(m[1]!, UUID);
  assert.deepEqual(nm.profiles(), [{ name: 'vigil-Home', uuid: m[1]!, ssid: 'Home', mode: 'infrastructure', ifname: 'wlan0', hasSecret: false }]);

  const edit = await nmcli(['connection', 'edit', 'id', 'vigil-Home'], { stdin: pskInput('home-secret-1') });
  assert.equal(edit.code, 0);
  assert.equal(edit.stderr, '');
  assert.ok(edit.stdout.startsWith("\n===| nmcli interactive connection editor |===\n\nEditing existing '802-11-wireless' connection: 'vigil-Home'\n"), edit.stdout);
  assert.ok(edit.stdout.endsWith(`nmcli> set wifi-sec.psk ********\nnmcli> save persistent\nConnection 'vigil-Home' (${m[1]}) successfully updated.\nnmcli> quit\n`), edit.stdout);
  assert.equal(nm.profiles()[0]!.hasSecret, true);
  assert.deepEqual(await said(), ['vigil-Home: connection profile created', 'vigil-Home: connection profile changed']);

  const short = await nmcli(['connection', 'edit', 'id', 'vigil-Home'], { stdin: pskInput('short') });
  assert.equal(short.code, 0, 'the editor itself succeeds');
  assert.match(short.stdout, new RegExp(`Error: Failed to save 'vigil-Home' \\(${m[1]}\\) connection: 802-11-wireless-security\\.psk: property is invalid\\n`));

  const typo = await nmcli(['connection', 'edit', 'id', 'vigil-Home'], { stdin: 'set wifi-sec.pks home-secret-1\nsave\n' });
  assert.equal(typo.code, 2);
  assert.equal(typo.stderr, "Error: unsupported command in the simulated NetworkManager: nmcli connection edit id vigil-Home: editor command 'set wifi-sec.pks …'\n");

  assert.deepEqual(await nmcli(['connection', 'edit', 'id', 'nope'], { stdin: pskInput('home-secret-1') }), { code: 10, stdout: '', stderr: "Error: Unknown connection 'nope'.\n" });

  const onCommandLine = await nmcli([...addProfile('x', 'Home', true), 'wifi-sec.psk', 'home-secret-1']);
  assert.equal(onCommandLine.code, 2);
  const unsupported = await nmcli(['connection', 'modify', 'vigil-Home', 'wifi-sec.psk', 'home-secret-1']);
  assert.deepEqual(unsupported, { code: 2, stdout: '', stderr: 'Error: unsupported command in the simulated NetworkManager: nmcli connection modify vigil-Home wifi-sec.psk <hidden>\n' });

  await said();
  assert.ok(!printed.join('').includes('home-secret-1') && !lines.join('').includes('home-secret-1'), 'the passphrase appears nowhere');
  await nm.close();
});

test('connection delete, down and device disconnect, and their errors', async () => {
  const { nmcli, join, nm, said, clock } = board();
  const r = await join('vigil-Home', 'Home', 'home-secret-1');
  assert.equal(r.code, 0);
  const uuid = nm.profiles()[0]!.uuid;
  clock.advance(1000);
  assert.deepEqual((await said()).slice(-2), ["Networkmanager is now in the 'connected' state", "Connectivity is now 'full'"]);

  assert.deepEqual(await nmcli(['connection', 'down', 'id', 'vigil-Home']), { code: 0, stdout: "Connection 'vigil-Home' successfully deactivated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/1)\n", stderr: '' });
  assert.deepEqual(await said(), [
    'wlan0: deactivating',
    "Networkmanager is now in the 'disconnecting' state",
    'wlan0: disconnected',
    "Networkmanager is now in the 'disconnected' state",
    "There's no primary connection",
    "Connectivity is now 'limited'",
    "Connectivity is now 'none'",
  ]);
  assert.deepEqual(await nmcli(['connection', 'down', 'id', 'vigil-Home']), { code: 10, stdout: '', stderr: "Error: 'vigil-Home' is not an active connection.\nError: no active connection provided.\n" });
  assert.deepEqual(await nmcli(['device', 'disconnect', 'wlan0']), {
    code: 6,
    stdout: '',
    stderr: "Error: Device 'wlan0' (/org/freedesktop/NetworkManager/Devices/3) disconnecting failed: This device is not active\nError: not all devices disconnected.\n",
  });
  assert.deepEqual(await nmcli(['device', 'disconnect', 'wlan9']), { code: 10, stdout: '', stderr: "Error: Device 'wlan9' not found.\nError: not all devices found.\n" });

  const again = nmcli(up('vigil-Home'));
  await turn();
  // Activation 2 is under way; disconnecting the device answers its `connection up` too.
  assert.deepEqual(await nmcli(['device', 'disconnect', 'wlan0']), { code: 0, stdout: "Device 'wlan0' successfully disconnected.\n", stderr: '' });
  const failed = await again;
  assert.equal(failed.code, 4);
  assert.equal(failed.stderr, `Error: Connection activation failed: Disconnected by user\nHint: use 'journalctl -xe NM_CONNECTION=${uuid} + NM_DEVICE=wlan0' to get more details.\n`);

  assert.deepEqual(await nmcli(['connection', 'delete', 'id', 'vigil-Home']), { code: 0, stdout: `Connection 'vigil-Home' (${uuid}) successfully deleted.\n`, stderr: '' });
  assert.deepEqual(nm.profiles(), []);
  assert.deepEqual(await nmcli(['connection', 'delete', 'id', 'vigil-Home']), { code: 10, stdout: '', stderr: "Error: unknown connection 'vigil-Home'.\nError: cannot delete unknown connection(s): id 'vigil-Home'.\n" });
  assert.deepEqual(await nmcli(up('vigil-Home')), { code: 10, stdout: '', stderr: "Error: unknown connection 'vigil-Home'.\n" });

  // NetworkManager keeps duplicate names; delete removes every one of them.
  await nmcli(addProfile('dup', 'Home', false));
  await nmcli(addProfile('dup', 'Home', false));
  const both = await nmcli(['connection', 'delete', 'id', 'dup']);
  assert.equal(both.stdout.split('\n').filter((l) => /^Connection 'dup' \(.+\) successfully deleted\.$/.test(l)).length, 2);
  await nm.close();
});

// ------------------------------------------------------------------------------ activation

test('connection up: associateMs of simulated time, nmcli monitor lines, connected everywhere', async () => {
  const { nmcli, nm, clock, said } = board();
  await nmcli(addProfile('vigil-Home', 'Home', true));
  await nmcli(['connection', 'edit', 'id', 'vigil-Home'], { stdin: pskInput('home-secret-1') });
  await said();
  const pending = nmcli(up('vigil-Home'), { timeoutMs: 40_000 });
  assert.deepEqual(await said(), [
    "wlan0: using connection 'vigil-Home'",
    'wlan0: connecting (prepare)',
    "Networkmanager is now in the 'connecting' state",
    'wlan0: connecting (configuring)',
    'wlan0: connecting (need authentication)',
    'wlan0: connecting (prepare)',
    'wlan0: connecting (configuring)',
    'vigil-Home: connection profile changed',
  ]);
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connecting (configuring):vigil-Home\n${REST}`);
  assert.equal((await nmcli(GENERAL)).stdout, 'running:connecting:none:enabled:enabled\n');
  clock.advance(1499);
  assert.equal(await settled(pending), false, 'not done before associateMs');
  clock.advance(1);
  assert.deepEqual(await pending, { code: 0, stdout: 'Connection successfully activated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/1)\n', stderr: '' });
  assert.deepEqual(await said(), [
    'wlan0: connecting (getting IP configuration)',
    "'vigil-Home' is now the primary connection",
    'wlan0: connecting (checking IP connectivity)',
    "Connectivity is now 'limited'",
    'wlan0: connecting (starting secondary connections)',
    'wlan0: connected',
    "Networkmanager is now in the 'connected (site only)' state",
  ]);
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connected:vigil-Home\n${REST}`);
  assert.equal((await nmcli(GENERAL)).stdout, 'running:connected (site only):limited:enabled:enabled\n', 'the first probe ran before the route was up');
  clock.advance(999);
  assert.deepEqual(await said(), []);
  clock.advance(1);
  assert.deepEqual(await said(), ["Networkmanager is now in the 'connected' state", "Connectivity is now 'full'"], 'the next check, 1 s later');
  assert.equal((await nmcli(GENERAL)).stdout, 'running:connected:full:enabled:enabled\n');
  assert.match((await nmcli([...LIST, 'no'])).stdout, /^\*:Home:AA\\:BB\\:CC\\:DD\\:EE\\:01:6:2437 MHz:\d+:WPA2\n :Cafe:/);
  assert.equal((await nmcli(CHECK)).stdout, 'full\n');
  // In client mode the kernel lists the access point as the one station.
  clock.advance(11_000);
  assert.equal(
    (await nm.run('iw', ['dev', 'wlan0', 'station', 'dump'])).stdout,
    'Station aa:bb:cc:dd:ee:01 (on wlan0)\n\tinactive time:\t20 ms\n\trx bytes:\t22096\n\trx packets:\t184\n\ttx bytes:\t13257\n\ttx packets:\t110\n\ttx retries:\t0\n\ttx failed:\t0\n' +
      '\trx drop misc:\t0\n\tsignal:  \t-65 dBm\n\tsignal avg:\t-65 dBm\n\ttx bitrate:\t72.2 MBit/s MCS 7 short GI\n\ttx duration:\t0 us\n\trx bitrate:\t65.0 MBit/s MCS 7\n\trx duration:\t0 us\n' +
      '\texpected throughput:\t39.550Mbps\n\tauthorized:\tyes\n\tauthenticated:\tyes\n\tassociated:\tyes\n\tpreamble:\tshort\n\tWMM/WME:\tyes\n\tMFP:\t\tno\n\tTDLS peer:\tno\n\tDTIM period:\t2\n' +
      `\tbeacon interval:100\n\tshort slot time:yes\n\tconnected time:\t12 seconds\n\tassociated at [boottime]:\t21.500s\n\tassociated at:\t${T0 + 1500} ms\n\tcurrent time:\t${T0 + 13_500} ms\n`,
  );
  await nm.close();
});

test('a wrong passphrase: exit 4, secrets required, and NetworkManager does not try again', async () => {
  const { nm, clock, said, join, nmcli } = board();
  const r = await join('vigil-Home', 'Home', 'not-the-password');
  const uuid = nm.profiles()[0]!.uuid;
  // NetworkManager asks nmcli, its secret agent, for another passphrase: nmcli says so and cannot give one.
  assert.deepEqual(r, {
    code: 4,
    stdout: "Passwords or encryption keys are required to access the wireless network 'Home'.\n",
    stderr:
      "Warning: password for '802-11-wireless-security.psk' not given in 'passwd-file' and nmcli cannot ask without '--ask' option.\n" +
      `Error: Connection activation failed: Secrets were required, but not provided\nHint: use 'journalctl -xe NM_CONNECTION=${uuid} + NM_DEVICE=wlan0' to get more details.\n`,
  });
  const lines = await said();
  assert.deepEqual(lines.slice(-4), ['wlan0: connecting (need authentication)', 'wlan0: connection failed', "Networkmanager is now in the 'disconnected' state", 'wlan0: disconnected']);
  clock.advance(10 * 60_000);
  assert.deepEqual(await said(), [], 'no retry, no autoconnect');
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:disconnected:\n${REST}`);
  assert.equal(clock.pending, 0, 'nothing left scheduled');

  // No passphrase at all fails the same way, at once; an open profile for a WPA2 network is not a match.
  const none = board();
  await none.nmcli(addProfile('p', 'Home', true));
  await none.said();
  const p = none.nmcli(up('p'));
  none.clock.advance(400);
  const noSecret = await p;
  assert.equal(noSecret.code, 4);
  assert.equal(noSecret.stdout, "Passwords or encryption keys are required to access the wireless network 'Home'.\n");
  assert.match(noSecret.stderr, /^Warning: password for .*\nError: Connection activation failed: Secrets were required, but not provided\n/);
  assert.deepEqual(await none.said(), [
    "wlan0: using connection 'p'",
    'wlan0: connecting (prepare)',
    "Networkmanager is now in the 'connecting' state",
    'wlan0: connecting (configuring)',
    'wlan0: connecting (need authentication)',
    'wlan0: connection failed',
    "Networkmanager is now in the 'disconnected' state",
    'wlan0: disconnected',
  ]);
  assert.match((await none.join('q', 'Home', undefined, 25_000)).stderr, /^Error: Connection activation failed: The Wi-Fi network could not be found\n/);
  await Promise.all([nm.close(), none.nm.close()]);
});

test('an access point that leaves during the association is not found; one that does not exist neither', async () => {
  const { nm, clock, said, nmcli } = board();
  await nmcli(addProfile('vigil-Home', 'Home', true));
  await nmcli(['connection', 'edit', 'id', 'vigil-Home'], { stdin: pskInput('home-secret-1') });
  await said();
  const pending = nmcli(up('vigil-Home'));
  clock.advance(700);
  nm.environment.setPresent('home', false);
  clock.advance(800);
  assert.equal(await settled(pending), false, 'the supplicant keeps looking for it');
  assert.doesNotMatch((await nmcli([...LIST, 'no'])).stdout, /Home/, 'the scan made while associating no longer has it');
  clock.advance(23_499);
  assert.equal(await settled(pending), false);
  clock.advance(1);
  const r = await pending;
  assert.equal(r.code, 4);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^Error: Connection activation failed: The Wi-Fi network could not be found\nHint: use 'journalctl -xe NM_CONNECTION=[0-9a-f-]{36} \+ NM_DEVICE=wlan0' to get more details\.\n$/);
  assert.deepEqual(await said(), [
    "wlan0: using connection 'vigil-Home'",
    'wlan0: connecting (prepare)',
    "Networkmanager is now in the 'connecting' state",
    'wlan0: connecting (configuring)',
    'wlan0: connecting (need authentication)',
    'wlan0: connecting (prepare)',
    'wlan0: connecting (configuring)',
    'vigil-Home: connection profile changed',
    'wlan0: connection failed',
    "Networkmanager is now in the 'disconnected' state",
    'wlan0: disconnected',
  ]);

  // Back in range before the 25 s are over: the activation goes through after all.
  const back = nmcli(up('vigil-Home'));
  clock.advance(10_000);
  nm.environment.setPresent('home', true);
  clock.advance(15_000);
  assert.equal((await back).code, 0);

  const ghost = board();
  assert.match((await ghost.join('g', 'Nowhere', 'whatever-pw', 25_000)).stderr, /The Wi-Fi network could not be found/);
  await Promise.all([nm.close(), ghost.nm.close()]);
});

test('-w runs out: exit 3, and NetworkManager finishes the activation anyway; the runner timeout kills with 124', async () => {
  const { nm, clock, nmcli, said } = board({ ...AIR, associateMs: 5000 });
  await nmcli(addProfile('vigil-Home', 'Home', true));
  await nmcli(['connection', 'edit', 'id', 'vigil-Home'], { stdin: pskInput('home-secret-1') });
  const pending = nmcli(up('vigil-Home', 2));
  clock.advance(2000);
  assert.deepEqual(await pending, { code: 3, stdout: '', stderr: 'Error: Timeout expired (2 seconds)\n' });
  clock.advance(3000);
  await said();
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connected:vigil-Home\n${REST}`);

  await nmcli(['connection', 'down', 'id', 'vigil-Home']);
  const killed = nmcli(up('vigil-Home', 90), { timeoutMs: 1000 });
  clock.advance(1000);
  assert.deepEqual(await killed, { code: 124, stdout: '', stderr: 'nmcli killed after 1000 ms\n' });

  const noWait = await nmcli(['-w', '0', 'connection', 'up', 'id', 'vigil-Home']);
  assert.deepEqual(noWait, { code: 0, stdout: '', stderr: '' }, '-w 0 returns at once');
  assert.match(nm.deviceState('wlan0'), /^connecting/);
  await nm.close();
});

// --------------------------------------------------------------------------------- hotspot

test('the hotspot: 500 ms up, listed as its own access point, phones join with the right passphrase', async () => {
  const { nm, clock, nmcli, said } = board({ ...AIR, seed: 3 });
  const events: Array<SimWifiEvents['station'][0] | SimWifiEvents['refused'][0]> = [];
  nm.events.on('station', (e) => events.push(e));
  nm.events.on('refused', (e) => events.push(e));

  assert.equal(nm.joinClient('phone'), false, 'no hotspot yet');
  const add = await nmcli(addHotspot('vigil-setup', ['802-11-wireless.channel', '6']));
  assert.match(add.stdout, /^Connection 'vigil-hotspot' \([0-9a-f-]{36}\) successfully added\.\n$/);
  assert.equal((await nmcli(['connection', 'edit', 'id', 'vigil-hotspot'], { stdin: pskInput('hotspot-pass') })).code, 0);
  await said();
  const pending = nmcli(['-w', '30', 'connection', 'up', 'id', 'vigil-hotspot']);
  clock.advance(499);
  assert.equal(await settled(pending), false);
  clock.advance(1);
  assert.deepEqual(await pending, { code: 0, stdout: 'Connection successfully activated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/1)\n', stderr: '' });
  assert.deepEqual((await said()).slice(-3), ['wlan0: connected', "Networkmanager is now in the 'connected (local only)' state", "Connectivity is now 'limited'"]);
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connected:vigil-hotspot\n${REST}`);
  assert.equal((await nmcli(GENERAL)).stdout, 'running:connected (local only):limited:enabled:enabled\n');
  const mac = nm.deviceMac('wlan0').replaceAll(':', '\\:');
  assert.equal((await nmcli([...LIST, 'yes'])).stdout, `*:vigil-setup:${mac}:6:2437 MHz:0:WPA1 WPA2\n`, 'no scanning in AP mode: NetworkManager lists the hotspot itself');

  assert.deepEqual(await nm.run('iw', ['dev', 'wlan0', 'station', 'dump']), { code: 0, stdout: '', stderr: '' });
  assert.equal(nm.joinClient('tablet'), false, 'the tablet tries another passphrase');
  assert.equal(nm.joinClient('phone'), true);
  clock.advance(12_000);
  const dump = (await nm.run('iw', ['dev', 'wlan0', 'station', 'dump'])).stdout;
  assert.match(dump, /^Station aa:bb:cc:00:11:22 \(on wlan0\)\n\tinactive time:\t\d+ ms\n\trx bytes:\t\d+\n/);
  assert.match(dump, /\n\tsignal:  \t-\d+ dBm\n/);
  assert.match(dump, /\n\tconnected time:\t12 seconds\n/);
  assert.match(dump, new RegExp(`\\n\\tcurrent time:\\t${clock.now()} ms\\n$`));
  assert.deepEqual(nm.stations(), [{ client: 'phone', mac: 'aa:bb:cc:00:11:22' }]);

  await said();
  assert.deepEqual(await nmcli(['connection', 'down', 'id', 'vigil-hotspot']), { code: 0, stdout: "Connection 'vigil-hotspot' successfully deactivated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/1)\n", stderr: '' });
  assert.deepEqual(nm.stations(), []);
  assert.deepEqual(await said(), ['wlan0: deactivating', "Networkmanager is now in the 'disconnecting' state", 'wlan0: disconnected', "Networkmanager is now in the 'disconnected' state", "Connectivity is now 'none'"]);
  assert.deepEqual(events, [
    { client: 'phone', mac: 'aa:bb:cc:00:11:22', reason: 'no-hotspot' },
    { client: 'tablet', mac: '02:00:00:00:00:07', reason: 'wrong-password' },
    { client: 'phone', mac: 'aa:bb:cc:00:11:22', joined: true },
    { client: 'phone', mac: 'aa:bb:cc:00:11:22', joined: false },
  ]);
  assert.equal((await nm.run('iw', ['dev', 'wlan0', 'station', 'dump'])).stdout, '');
  await nm.close();
});

test('one radio: joining a network drops the hotspot, raising the hotspot drops the network', async () => {
  const { nm, clock, nmcli, said, join } = board();
  await nmcli(addHotspot('vigil-setup'));
  await nmcli(['connection', 'edit', 'id', 'vigil-hotspot'], { stdin: pskInput('hotspot-pass') });
  let p = nmcli(['-w', '30', 'connection', 'up', 'id', 'vigil-hotspot']);
  clock.advance(500);
  assert.equal((await p).code, 0);
  nm.joinClient('phone');
  await said();

  assert.equal((await join('vigil-Home', 'Home', 'home-secret-1')).code, 0);
  assert.deepEqual(nm.stations(), [], 'the phone lost the hotspot');
  const lines = await said();
  assert.deepEqual(lines.slice(lines.indexOf('wlan0: deactivating'), lines.indexOf("wlan0: using connection 'vigil-Home'") + 1), [
    'wlan0: deactivating',
    "Networkmanager is now in the 'disconnecting' state",
    'wlan0: disconnected',
    "Networkmanager is now in the 'disconnected' state",
    "Connectivity is now 'none'",
    "wlan0: using connection 'vigil-Home'",
  ]);

  p = nmcli(['-w', '30', 'connection', 'up', 'id', 'vigil-hotspot']);
  clock.advance(500);
  assert.equal((await p).code, 0);
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connected:vigil-hotspot\n${REST}`);
  assert.deepEqual((await said()).slice(0, 7), [
    'wlan0: deactivating',
    "Networkmanager is now in the 'disconnecting' state",
    'wlan0: disconnected',
    "Networkmanager is now in the 'disconnected' state",
    "There's no primary connection",
    "Connectivity is now 'none'",
    "wlan0: using connection 'vigil-hotspot'",
  ]);

  // With its own interface the hotspot leaves the client alone.
  const two = board(AIR, { hotspotIface: 'wlan1' });
  assert.equal((await two.join('vigil-Home', 'Home', 'home-secret-1')).code, 0);
  await two.nmcli(['connection', 'add', 'type', 'wifi', 'ifname', 'wlan1', 'con-name', 'vigil-hotspot', 'autoconnect', 'no', 'ssid', 'setup', '802-11-wireless.mode', 'ap', '802-11-wireless.band', 'a', 'ipv4.method', 'shared', 'wifi-sec.key-mgmt', 'wpa-psk']);
  await two.nmcli(['connection', 'edit', 'id', 'vigil-hotspot'], { stdin: pskInput('hotspot-pass') });
  p = two.nmcli(['-w', '30', 'connection', 'up', 'id', 'vigil-hotspot']);
  two.clock.advance(500);
  assert.equal((await p).code, 0);
  assert.equal((await two.nmcli(DEVICES)).stdout, 'wlan0:wifi:connected:vigil-Home\nwlan1:wifi:connected:vigil-hotspot\nlo:loopback:unmanaged:\np2p-dev-wlan0:wifi-p2p:unmanaged:\np2p-dev-wlan1:wifi-p2p:unmanaged:\n');
  assert.match((await two.nmcli(['-t', '-f', 'FREQ', 'device', 'wifi', 'list', 'ifname', 'wlan1', '--rescan', 'no'])).stdout, /^5\d{3} MHz\n$/, 'band a: a 5 GHz channel');
  two.clock.advance(1000);
  assert.equal((await two.nmcli(GENERAL)).stdout, 'running:connected:full:enabled:enabled\n', 'the client connection stays primary');
  await Promise.all([nm.close(), two.nm.close()]);
});

test('a hotspot profile with a channel outside its band is refused when added', async () => {
  const { nmcli, nm } = board();
  const r = await nmcli(addHotspot('x', ['802-11-wireless.channel', '36']));
  assert.deepEqual(r, { code: 2, stdout: '', stderr: "Error: Failed to add 'vigil-hotspot' connection: 802-11-wireless.channel: '36' is not a valid channel\n" });
  await nm.close();
});

// ---------------------------------------------------------------------------- connectivity

test('connectivity: limited without an uplink, rechecked on the clock with a back-off, full again', async () => {
  const { nm, clock, nmcli, said, join } = board({ ...AIR, connectivityIntervalSec: 60 });
  assert.equal((await join('attic', 'Attic', 'attic-pass')).code, 0);
  assert.deepEqual((await said()).slice(-2), ['wlan0: connected', "Networkmanager is now in the 'connected (site only)' state"]);
  assert.equal((await nmcli(GENERAL)).stdout, 'running:connected (site only):limited:enabled:enabled\n');
  // Not full: checked again after 1 s, then 2 s, then 4 s…
  clock.advance(1000 + 2000);
  nm.environment.setInternet('attic', true);
  clock.advance(3999);
  assert.deepEqual(await said(), [], 'the result stands until the next check');
  clock.advance(1);
  assert.deepEqual(await said(), ["Networkmanager is now in the 'connected' state", "Connectivity is now 'full'"], 'rechecked 4 s after the third check that was not full');
  nm.environment.setInternet('attic', false);
  clock.advance(59_999);
  assert.equal(nm.connectivity, 'full', 'a full result is kept for the whole interval');
  clock.advance(1);
  assert.deepEqual(await said(), ["Networkmanager is now in the 'connected (site only)' state", "Connectivity is now 'limited'"]);
  nm.environment.setInternet('attic', true);
  assert.equal((await nmcli(CHECK)).stdout, 'full\n', 'an explicit check sees it at once');
  await nm.close();
});

test('the captive portal over real HTTP: 302, a wrong login 403, the right one 200, then 204', async (t) => {
  const { nm, nmcli, join, clock } = board();
  await nm.start();
  t.after(() => nm.close());
  assert.match(nm.probeUrl, /^http:\/\/127\.0\.0\.1:\d+\/generate_204$/);
  await assert.rejects(fetch(nm.probeUrl), TypeError, 'not associated: no answer at all');

  assert.equal((await join('vigil-Cafe', 'Cafe')).code, 0);
  assert.equal((await nmcli(CHECK)).stdout, 'portal\n');
  assert.equal((await nmcli(GENERAL)).stdout, 'running:connected (site only):portal:enabled:enabled\n');
  const probe = await fetch(nm.probeUrl, { redirect: 'manual' });
  assert.equal(probe.status, 302);
  const portal = nm.probeUrl.replace('/generate_204', '/portal/Cafe');
  assert.equal(probe.headers.get('location'), portal);
  await probe.text();

  const page = await fetch(portal);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<form method="post" action="\/portal\/Cafe\/login">/);
  assert.match(html, /name="user"/);
  assert.match(html, /name="password"/);

  const login = (user: string, password: string) => fetch(`${portal}/login`, { method: 'POST', body: new URLSearchParams({ user, password }) });
  const wrong = await login('guest', 'espresso');
  assert.equal(wrong.status, 403);
  assert.equal(await wrong.text(), 'wrong user or password');
  assert.equal((await fetch(nm.probeUrl, { redirect: 'manual' })).status, 302, 'still held by the portal');
  const right = await login('guest', 'latte');
  assert.equal(right.status, 200);
  assert.equal(await right.text(), 'ok');
  const open = await fetch(nm.probeUrl, { redirect: 'manual' });
  assert.equal(open.status, 204);
  assert.equal(nm.connectivity, 'portal', 'NetworkManager has not checked again yet');
  assert.equal((await nmcli(CHECK)).stdout, 'full\n');

  // A new association meets the portal again.
  await nmcli(['connection', 'down', 'id', 'vigil-Cafe']);
  const again = nmcli(up('vigil-Cafe'));
  clock.advance(1500);
  assert.equal((await again).code, 0);
  assert.equal((await fetch(nm.probeUrl, { redirect: 'manual' })).status, 302);

  // On a network without an uplink the probe gets no answer; the portal of another network is not there.
  const attic = nm.probeUrl;
  await nmcli(['connection', 'down', 'id', 'vigil-Cafe']);
  assert.equal((await join('vigil-Attic', 'Attic', 'attic-pass')).code, 0);
  await assert.rejects(fetch(attic), TypeError);
  assert.equal((await fetch(portal)).status, 404);
});

test('the portal server closes cleanly with keep-alive connections open', async () => {
  const { nm, join } = board();
  await nm.start();
  await join('vigil-Home', 'Home', 'home-secret-1');
  const url = nm.probeUrl;
  assert.equal((await fetch(url)).status, 204);
  await nm.close();
  await assert.rejects(fetch(url), TypeError, 'nothing listens any more');
  assert.throws(() => nm.probeUrl, /not started/);
});

// ---------------------------------------------------------------------------------- the air

test('an access point leaving a connected board: 15 s of grace, then failed, disconnected, no connectivity', async () => {
  const { nm, clock, nmcli, said, join } = board();
  assert.equal((await join('vigil-Home', 'Home', 'home-secret-1')).code, 0);
  clock.advance(1000);
  await said();
  nm.environment.setPresent('home', false);
  clock.advance(10_000);
  assert.deepEqual(await said(), [], 'the supplicant may still get it back');
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connected:vigil-Home\n${REST}`, 'NetworkManager has not noticed yet');
  assert.equal((await nmcli(CHECK)).stdout, 'limited\n', 'nothing gets through meanwhile');
  nm.environment.setPresent('home', true);
  clock.advance(20_000);
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:connected:vigil-Home\n${REST}`, 'back in time: the link stays');
  assert.equal(nm.connectivity, 'full', 'and the next checks find the internet again');
  await said();

  nm.environment.setPresent('home', false);
  clock.advance(14_999);
  assert.deepEqual(await said(), []);
  clock.advance(1);
  assert.deepEqual(await said(), ['wlan0: connection failed', "Networkmanager is now in the 'disconnected' state", "There's no primary connection", 'wlan0: disconnected', "Connectivity is now 'none'"]);
  assert.equal((await nmcli(GENERAL)).stdout, 'running:disconnected:none:enabled:enabled\n');
  await nm.close();
});

test('an access point that changes its passphrase drops the board; a second one of the same network is roamed to', async () => {
  const twin = { ...AIR, accessPoints: { ...AIR.accessPoints, home2: { ssid: 'Home', password: 'home-secret-1', bssid: '02:00:00:00:00:99', signal: 40 } } };
  const { nm, clock, nmcli, said, join } = board(twin);
  assert.equal((await join('vigil-Home', 'Home', 'home-secret-1')).code, 0);
  assert.match((await nmcli([...LIST, 'no'])).stdout, /^\*:Home:AA\\:BB/, 'the stronger one');
  nm.environment.setPresent('home', false);
  assert.match((await nmcli([...LIST, 'no'])).stdout, /\*:Home:02\\:00\\:00\\:00\\:00\\:99/, 'roamed to the other access point');
  await said();
  nm.environment.setPassword('home2', 'a-new-secret');
  clock.advance(15_000);
  assert.deepEqual((await said()).slice(-5, -3), ['wlan0: connection failed', "Networkmanager is now in the 'disconnected' state"]);
  await nm.close();
});

test('NetworkManager stopped: exit 8 for every nmcli command, monitor waits, everything back after a start', async () => {
  const { nm, clock, nmcli, said, join } = board();
  assert.equal((await join('vigil-Home', 'Home', 'home-secret-1')).code, 0);
  await said();
  nm.setNetworkManager('stopped');
  assert.deepEqual(await said(), ['lo: device removed', 'wlan0: unmanaged', 'wlan0: device removed', "Connectivity is now 'unknown'", 'p2p-dev-wlan0: device removed', 'NetworkManager is stopped']);
  for (const args of [GENERAL, DEVICES, [...LIST, 'yes'], NODE_WIFI, CHECK, addProfile('x', 'Home', false), up('vigil-Home'), ['connection', 'down', 'id', 'vigil-Home'], ['device', 'disconnect', 'wlan0']]) {
    assert.deepEqual(await nmcli(args), NOT_RUNNING, args.join(' '));
  }
  assert.deepEqual(await nmcli(['connection', 'edit', 'id', 'vigil-Home'], { stdin: pskInput('home-secret-1') }), NOT_RUNNING);
  assert.deepEqual(await nm.run('iw', ['dev', 'wlan0', 'station', 'dump']), { code: 0, stdout: '', stderr: '' }, 'iw talks to the kernel, not to NetworkManager');
  assert.equal((await nmcli(['nonsense'])).code, 2, 'a command it does not know is still refused as such');

  const late: string[] = [];
  const handle = nm.monitor((l) => late.push(l), () => late.push('exit'));
  await turn();
  assert.deepEqual(late, ['NetworkManager is stopped'], 'a monitor started now waits for NetworkManager');

  const pendingList = board();
  const scan = pendingList.nmcli([...LIST, 'yes']);
  pendingList.nm.setNetworkManager('stopped');
  assert.deepEqual(await scan, NOT_RUNNING, 'a scan cut short by the stop');

  nm.setNetworkManager('running');
  const back = [
    "Networkmanager is now in the 'disconnected' state",
    'wlan0: device created',
    'lo: device created',
    'NetworkManager is running',
    "Connectivity is now 'none'",
    'p2p-dev-wlan0: device created',
    'wlan0: disconnected',
  ];
  assert.deepEqual(await said(), back, 'the monitor kept running through the stop');
  assert.deepEqual(late.slice(1), back);
  handle.stop();
  assert.equal((await nmcli(DEVICES)).stdout, `wlan0:wifi:disconnected:\n${REST}`, 'nothing is reactivated by itself');
  const p = nmcli(up('vigil-Home'));
  clock.advance(1500);
  assert.equal((await p).code, 0, 'the profile and its passphrase survived');
  await Promise.all([nm.close(), pendingList.nm.close()]);
});

test('an activation cut short by a stop runs into its -w; close() ends monitors and pending commands', async () => {
  const { nm, clock, nmcli, join } = board();
  await join('vigil-Home', 'Home', 'home-secret-1');
  await nmcli(['connection', 'down', 'id', 'vigil-Home']);
  const pending = nmcli(up('vigil-Home', 5));
  clock.advance(500);
  nm.setNetworkManager('stopped');
  clock.advance(4500);
  assert.deepEqual(await pending, { code: 3, stdout: '', stderr: 'Error: Timeout expired (5 seconds)\n' });

  nm.setNetworkManager('running');
  const hanging = nmcli(up('vigil-Home', 60));
  const exits: string[] = [];
  nm.monitor(() => {}, (reason) => exits.push(reason));
  await nm.close();
  assert.deepEqual(await hanging, { code: 124, stdout: '', stderr: '' });
  await turn();
  assert.deepEqual(exits, ['the simulated NetworkManager was closed']);
  assert.equal(clock.pending, 0, 'no timer left behind');
});

test('commands outside the contract are refused with exit 2 and named', async () => {
  const { nmcli, nm } = board();
  const refused = async (args: string[]) => assert.deepEqual(await nmcli(args), { code: 2, stdout: '', stderr: `Error: unsupported command in the simulated NetworkManager: nmcli ${args.join(' ')}\n` }, args.join(' '));
  await refused(['general', 'status']);
  await refused(['-t', '-f', 'RUNNING,VERSION', 'general', 'status']);
  await refused(['-t', '-f', 'SSID', 'device', 'wifi', 'list', 'ifname', 'wlan0', '--rescan', 'sometimes']);
  await refused(['device', 'wifi', 'rescan', 'ifname', 'wlan0']);
  await refused(['con', 'up', 'id', 'x']);
  await refused(['connection', 'add', 'type', 'ethernet', 'con-name', 'x', 'ifname', 'eth0']);
  await refused(['--ask', 'connection', 'up', 'id', 'x']);
  assert.deepEqual(await nm.run('iw', ['dev', 'wlan0', 'info']), { code: 2, stdout: '', stderr: 'Error: unsupported command in the simulated NetworkManager: iw dev wlan0 info\n' });
  assert.deepEqual(await nm.run('iw', ['dev', 'wlan7', 'station', 'dump']), { code: 237, stdout: '', stderr: 'command failed: No such device (-19)\n' });
  await nm.close();
});

// ------------------------------------------------------------------ against real nmcli

/** A file recorded from a real NetworkManager 1.42 in the lab (test/fixtures/nmcli/README.md). */
const recorded = (name: string) => readFileSync(new URL(`./fixtures/nmcli/${name}`, import.meta.url), 'utf8');
/** Its lines, without the lab's extra radio device and the logger's exit note. */
const recordedLines = (name: string) => recorded(name).split('\n').filter((l) => l !== '' && !l.includes('hwsim0') && !l.startsWith('EXIT '));
/** UUIDs and D-Bus object numbers differ from run to run. */
const normal = (text: string) => text.replace(/[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}/g, 'UUID').replace(/ActiveConnection\/\d+/g, 'ActiveConnection/N');
/** The signal carries noise; everything else must match. */
const noSignal = (text: string, field: number) => text.split('\n').map((l) => splitTerse(l).map((f, i) => (i === field ? 'S' : f)).join('|')).join('\n');

test('the simulator prints what the recorded NetworkManager printed', async () => {
  const lab = {
    accessPoints: { lab: { ssid: 'lab-ap', bssid: '02:00:00:00:00:00', password: 'supersecret', signal: 90 } },
    clients: { phone: { mac: '02:00:00:00:02:00', password: 'hotspot-pass' } },
  };
  const { nm, clock, nmcli, said } = board(lab, { iface: 'wlan1' });
  await nm.start();
  try {
    const same = (actual: string, file: string) => assert.equal(normal(actual), normal(recorded(file)), file);
    const sameLines = async (file: string) => assert.deepEqual(await said(), recordedLines(file), file);
    const DEV = ['-t', '-f', 'DEVICE,TYPE,STATE,CONNECTION', 'device', 'status'];
    const LAB_LIST = ['-t', '-f', 'IN-USE,SSID,BSSID,CHAN,FREQ,SIGNAL,SECURITY', 'device', 'wifi', 'list', 'ifname', 'wlan1'];
    const upLab = (name: string) => nmcli(['-w', '30', 'connection', 'up', 'id', name, 'ifname', 'wlan1']);

    same((await nmcli(GENERAL)).stdout, 'general-status-disconnected.txt');
    assert.equal((await nmcli(DEV)).stdout, recordedLines('device-status-disconnected.txt').join('\n') + '\n');
    same((await nmcli(CHECK)).stdout, 'connectivity-check-none.txt');
    const scan = nmcli([...LAB_LIST, '--rescan', 'yes']);
    clock.advance(1000);
    assert.equal(noSignal((await scan).stdout, 5), noSignal(recorded('wifi-list-rescan.txt'), 5));

    const add = await nmcli(['connection', 'add', 'type', 'wifi', 'ifname', 'wlan1', 'con-name', 'lab-a', 'ssid', 'lab-ap', 'connection.autoconnect-retries', '1', 'wifi-sec.key-mgmt', 'wpa-psk']);
    same(add.stdout, 'connection-add.txt');
    const edit = await nmcli(['connection', 'edit', 'id', 'lab-a'], { stdin: 'set wifi-sec.psk supersecret\nsave persistent\nquit\n' });
    assert.equal(normal(edit.stdout), normal(recorded('connection-edit-psk.txt')).replace('supersecret', '********'), 'the editor, its echo masked');
    await said();

    const up = upLab('lab-a');
    clock.advance(1500);
    same((await up).stdout, 'connection-up-ok.txt');
    clock.advance(1000);
    await sameLines('monitor-connect.txt');
    same((await nmcli(GENERAL)).stdout, 'general-status-connected.txt');
    assert.equal((await nmcli(DEV)).stdout, recordedLines('device-status-connected.txt').join('\n') + '\n');
    assert.equal(noSignal((await nmcli([...LAB_LIST])).stdout, 5), noSignal(recorded('wifi-list-in-use.txt'), 5));
    assert.equal(noSignal((await nmcli([...NODE_WIFI.slice(0, -1), 'wlan1'])).stdout, 6), noSignal(recorded('wifi-list-node-wifi-in-use.txt'), 6));
    same((await nmcli(CHECK)).stdout, 'connectivity-check-full.txt');

    same((await nmcli(['connection', 'down', 'id', 'lab-a'])).stdout, 'connection-down-ok.txt');
    await sameLines('monitor-connection-down.txt');
    same((await nmcli(['connection', 'down', 'id', 'lab-a'])).stderr, 'connection-down-not-active.stderr.txt');
    same((await nmcli(['connection', 'down', 'id', 'no-such-profile'])).stderr, 'connection-down-unknown.stderr.txt');
    same((await nmcli(['connection', 'up', 'id', 'no-such-profile'])).stderr, 'connection-up-unknown.stderr.txt');
    same((await nmcli(['connection', 'delete', 'id', 'no-such-profile'])).stderr, 'connection-delete-unknown.stderr.txt');
    same((await nmcli(['device', 'disconnect', 'wlan1'])).stderr, 'device-disconnect-not-active.stderr.txt');
    same((await nmcli(['device', 'disconnect', 'wlan9'])).stderr, 'device-disconnect-no-device.stderr.txt');

    await nmcli(['connection', 'edit', 'id', 'lab-a'], { stdin: 'set wifi-sec.psk wrongpassword\nsave persistent\nquit\n' });
    await said();
    const wrong = upLab('lab-a');
    clock.advance(1500);
    const w = await wrong;
    assert.equal(w.code, 4);
    same(w.stdout, 'connection-up-wrong-password.txt');
    same(w.stderr, 'connection-up-wrong-password.stderr.txt');
    await sameLines('monitor-wrong-password.txt');
    clock.advance(20_000);
    assert.deepEqual(await said(), recordedLines('monitor-after-wrong-password-20s.txt'), 'no retry');

    await nmcli(['connection', 'edit', 'id', 'lab-a'], { stdin: 'set wifi-sec.psk supersecret\nsave persistent\nquit\n' });
    const again = upLab('lab-a');
    clock.advance(2500);
    assert.equal((await again).code, 0);
    await said();
    // The portal login is a different network here: its monitor lines are those of any check that finds the way out.
    nm.environment.setPresent('lab', false);
    clock.advance(15_000);
    await sameLines('monitor-ap-vanished.txt');
    same((await nmcli(CHECK)).stdout, 'connectivity-check-none.txt');
    const gone = upLab('lab-a');
    clock.advance(25_000);
    same((await gone).stderr, 'connection-up-not-found.stderr.txt');
    assert.deepEqual((await said()).map((l) => l.replace('lab-a', 'lab-c')), recordedLines('monitor-ap-gone-before-up.txt'));
    const scanGone = nmcli([...LAB_LIST, '--rescan', 'yes']);
    clock.advance(1000);
    same((await scanGone).stdout, 'wifi-list-ap-gone.txt');
    nm.environment.setPresent('lab', true);
    same((await nmcli(['connection', 'delete', 'id', 'lab-a'])).stdout, 'connection-delete-ok.txt');

    await nmcli(['connection', 'add', 'type', 'wifi', 'ifname', 'wlan1', 'con-name', 'vigil-hotspot', 'autoconnect', 'no', 'ssid', 'vigil-setup', '802-11-wireless.mode', 'ap', '802-11-wireless.band', 'bg', 'ipv4.method', 'shared', 'wifi-sec.key-mgmt', 'wpa-psk']);
    await nmcli(['connection', 'edit', 'id', 'vigil-hotspot'], { stdin: pskInput('hotspot-pass') });
    await said();
    const hotspot = nmcli(['-w', '30', 'connection', 'up', 'id', 'vigil-hotspot']);
    clock.advance(500);
    same((await hotspot).stdout, 'connection-up-hotspot.txt');
    await sameLines('monitor-hotspot-up.txt');
    same((await nmcli(GENERAL)).stdout, 'general-status-hotspot.txt');
    assert.equal((await nmcli(DEV)).stdout, recordedLines('device-status-hotspot.txt').join('\n') + '\n');
    nm.joinClient('phone');
    const keys = (dump: string) => dump.split('\n').map((l) => (l.startsWith('\t') ? /^\t([^:]+):/.exec(l)![1] : l.split(' ')[0]));
    const dump = (await nm.run('iw', ['dev', 'wlan1', 'station', 'dump'])).stdout;
    assert.deepEqual(keys(dump), keys(recorded('iw-station-dump-one.txt')), 'the same fields in the same order');
    assert.equal(dump.split('\n')[0], recorded('iw-station-dump-one.txt').split('\n')[0]);
    nm.leaveClient('phone');
    same((await nm.run('iw', ['dev', 'wlan1', 'station', 'dump'])).stdout, 'iw-station-dump-none.txt');
    await said();
    await nmcli(['connection', 'down', 'id', 'vigil-hotspot']);
    await sameLines('monitor-hotspot-down.txt');

    nm.setNetworkManager('stopped');
    await sameLines('monitor-nm-stopped-sigterm.txt');
    same((await nmcli(GENERAL)).stderr, 'general-status-nm-stopped.stderr.txt');
    same((await nmcli(DEV)).stderr, 'device-status-nm-stopped.stderr.txt');
    same((await nmcli(CHECK)).stderr, 'connectivity-check-nm-stopped.stderr.txt');
    const waiting: string[] = [];
    nm.monitor((l) => waiting.push(l), () => {});
    await turn();
    assert.deepEqual(waiting, recordedLines('monitor-started-while-nm-stopped.txt'));
    nm.setNetworkManager('running');
    // The recording followed a SIGKILL, which had not yet said "unknown"; the host name is the lab's.
    const restarted = recordedLines('monitor-nm-restarted.txt').filter((l) => l !== "Connectivity is now 'unknown'" && !l.startsWith('Hostname set to'));
    assert.deepEqual(await said(), restarted, 'monitor-nm-restarted.txt: the monitor kept running through the stop');
    assert.deepEqual(waiting.slice(1), restarted, 'monitor-nm-restarted.txt: one started meanwhile');
  } finally {
    await nm.close();
  }
});

test('the captive portal as the recorded NetworkManager reported it', async () => {
  const { nm, clock, nmcli, said } = board({ accessPoints: { lab: { ssid: 'lab-ap', portal: { user: 'u', password: 'p' } } } }, { iface: 'wlan1' });
  await nm.start();
  try {
    await nmcli(['connection', 'add', 'type', 'wifi', 'ifname', 'wlan1', 'con-name', 'lab-a', 'ssid', 'lab-ap', 'connection.autoconnect-retries', '1']);
    const up = nmcli(['-w', '30', 'connection', 'up', 'id', 'lab-a', 'ifname', 'wlan1']);
    clock.advance(2500);
    assert.equal((await up).code, 0);
    assert.equal(await nmcli(CHECK).then((r) => r.stdout), recorded('connectivity-check-portal.txt'));
    assert.equal((await nmcli(GENERAL)).stdout, recorded('general-status-portal.txt'));
    await said();
    const portal = nm.portalUrl('lab-ap');
    assert.equal((await fetch(`${portal}/login`, { method: 'POST', body: new URLSearchParams({ user: 'u', password: 'p' }) })).status, 200);
    await nmcli(CHECK);
    assert.deepEqual(await said(), recordedLines('monitor-portal-login.txt'));
  } finally {
    await nm.close();
  }
});

// ------------------------------------------------------------------------ config and steps

test('the schema fills defaults and names a bad field', () => {
  const cfg = v.parse(wifiSimSchema, { accessPoints: { a: { ssid: 'A', password: 'longenough' }, b: { ssid: 'B' } }, clients: { p: { mac: 'AA:BB:CC:DD:EE:FF' } } });
  assert.equal(cfg.seed, 1);
  assert.equal(cfg.associateMs, 1500);
  assert.equal(cfg.connectivityIntervalSec, 300);
  assert.deepEqual(cfg.accessPoints.a, { ssid: 'A', password: 'longenough', channel: 6, signal: 70, present: true, internet: true, security: 'WPA2' });
  assert.equal(cfg.accessPoints.b!.security, '');
  assert.equal(cfg.clients.p!.mac, 'aa:bb:cc:dd:ee:ff');
  assert.deepEqual(v.parse(wifiSimSchema, {}), { seed: 1, associateMs: 1500, connectivityIntervalSec: 300, accessPoints: {}, clients: {} });
  const bad = (input: unknown) => {
    const r = check(wifiSimSchema, input);
    assert.equal(r.ok, false, JSON.stringify(input));
    return r.ok ? '' : describeIssue(r.issue, 'drivers.wifi.sim', wifiSimSchema).text;
  };
  assert.match(bad({ accessPoints: { a: { ssid: 'A', channel: 15 } } }), /^drivers\.wifi\.sim\.accessPoints\.a\.channel is 15: expected a channel 1–14/);
  assert.match(bad({ accessPoints: { a: { ssid: 'A', security: 'WPA2' } } }), /accessPoints\.a\.password is nothing: expected a password with security "WPA2"/);
  assert.match(bad({ accessPoints: { a: { ssid: 'A', security: '', password: 'longenough' } } }), /accessPoints\.a\.password is "longenough": expected no password on an open network/);
  assert.match(bad({ accessPoints: { a: { ssid: 'A', password: 'short' } } }), /accessPoints\.a\.password is "short": expected a WPA2 passphrase of 8 to 63 characters/);
  assert.match(bad({ accessPoints: { a: { ssid: 'x'.repeat(33) } } }), /accessPoints\.a\.ssid is .*expected an SSID of 1 to 32 bytes/);
  assert.match(bad({ accessPoints: { a: { ssid: 'A', signal: 101 } } }), /accessPoints\.a\.signal is 101: expected a number <= 100/);
  assert.match(bad({ accessPoints: { a: { ssid: 'A', colour: 'red' } } }), /unknown field "colour" in drivers\.wifi\.sim\.accessPoints\.a/);
  assert.match(bad({ accessPoints: { a: { ssid: 'A', bssid: '02:00:00:00:00:01' }, b: { ssid: 'B', bssid: '02:00:00:00:00:01' } } }), /accessPoints is .*expected a different "bssid" for every access point/);
  assert.match(bad({ clients: { p: { mac: 'phone' } } }), /clients\.p\.mac is "phone": expected six hex pairs/);
  assert.match(bad({ accessPoints: [] }), /accessPoints is \[\]: expected an object keyed by name/);
});

test('createSimNetworkManager: a generated bssid colliding with a given one is a ConfigError naming the access point', () => {
  const clock = new FakeClock();
  assert.throws(
    () => createSimNetworkManager(v.parse(wifiSimSchema, { accessPoints: { a: { ssid: 'A' }, b: { ssid: 'B', bssid: 'aa:bb:cc:dd:ee:01' } } }), clock, { iface: 'wlan0' }),
    (err: unknown) => err instanceof ConfigError && err.path === 'drivers.wifi.sim.accessPoints.b' && /same bssid AA:BB:CC:DD:EE:01/.test(err.message),
  );
  const nm = new SimNetworkManager({ clock, environment: new WifiEnvironment() });
  assert.equal(nm.iface, 'wlan0', 'the client interface defaults to wlan0');
  assert.equal(nm.hotspotIface, 'wlan0');
  assert.equal(nm.associateMs, 1500);
  assert.throws(() => nm.environment.accessPoint('nope'), /no simulated access point named "nope" \(access points: none\)/);
});

test('a bad step names the step, the field and what was expected', () => {
  const cfg = v.parse(wifiSimSchema, AIR);
  const field = (step: unknown) => {
    try {
      checkWifiStep(step, 'sim.timeline[2].wifi', cfg);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      assert.ok(err.message.startsWith(err.path!), `the message starts with the field: ${err.message}`);
      return `${err.path} | ${err.message}`;
    }
    return 'ok';
  };
  const cases: [unknown, RegExp][] = [
    ['home', /^sim\.timeline\[2\]\.wifi \| .*expected an object such as/],
    [{ ap: 'home', client: 'phone' }, /^sim\.timeline\[2\]\.wifi \| .*exactly one of "ap", "client" or "networkManager"/],
    [{ ap: 'home' }, /^sim\.timeline\[2\]\.wifi \| .*one or more of "present", "signal", "internet", "password" with "ap"/],
    [{ ap: 'home', present: 'no' }, /^sim\.timeline\[2\]\.wifi\.present \| .*"no" is invalid: expected true or false/],
    [{ ap: 'home', signal: 120 }, /^sim\.timeline\[2\]\.wifi\.signal \| .*120 is invalid: expected a whole number from 0 to 100/],
    [{ ap: 'home', internet: 1 }, /^sim\.timeline\[2\]\.wifi\.internet \| /],
    [{ ap: 'home', password: 'short' }, /^sim\.timeline\[2\]\.wifi\.password \| .*expected a WPA2 passphrase/],
    [{ ap: 'home', present: false, colour: 'red' }, /^sim\.timeline\[2\]\.wifi\.colour \| .*its fields are ap, present, signal, internet, password/],
    [{ ap: 'garage', present: false }, /^sim\.timeline\[2\]\.wifi\.ap \| .*no simulated access point named "garage" \(access points: home, cafe, attic\)/],
    [{ ap: 'cafe', password: 'longenough' }, /^sim\.timeline\[2\]\.wifi\.password \| .*"cafe" is open/],
    [{ client: 'phone' }, /^sim\.timeline\[2\]\.wifi\.join \| .*is missing: expected true/],
    [{ client: 'laptop', join: true }, /^sim\.timeline\[2\]\.wifi\.client \| .*no simulated client named "laptop" \(clients: phone, tablet\)/],
    [{ networkManager: 'restarting' }, /^sim\.timeline\[2\]\.wifi\.networkManager \| .*expected "stopped" or "running"/],
  ];
  for (const [step, expected] of cases) assert.match(field(step), expected, JSON.stringify(step));
  for (const good of [{ ap: 'home', present: false }, { ap: 'attic', signal: 10, internet: true }, { ap: 'home', password: 'another-one' }, { client: 'phone', join: true }, { networkManager: 'stopped' }]) {
    assert.equal(field(good), 'ok', JSON.stringify(good));
  }
  assert.doesNotThrow(() => checkWifiStep({ ap: 'anything', present: true }, 'x'), 'without the config only the shape is checked');
});

test('steps move the environment, the phones and NetworkManager', async () => {
  const { nm, clock, nmcli, said, join } = board();
  applyWifiStep({ ap: 'attic', signal: 90, present: false }, nm);
  assert.equal(nm.environment.accessPoint('attic').signal, 90);
  assert.equal(nm.environment.accessPoint('attic').present, false);
  applyWifiStep({ ap: 'cafe', internet: false }, nm);
  assert.equal(nm.environment.accessPoint('cafe').internet, false);
  applyWifiStep({ ap: 'home', password: 'rotated-key' }, nm);
  assert.equal((await join('vigil-Home', 'Home', 'home-secret-1')).code, 4, 'the old passphrase no longer works');

  await nmcli(addHotspot('setup'));
  await nmcli(['connection', 'edit', 'id', 'vigil-hotspot'], { stdin: pskInput('hotspot-pass') });
  const p = nmcli(['-w', '30', 'connection', 'up', 'id', 'vigil-hotspot']);
  clock.advance(500);
  await p;
  applyWifiStep({ client: 'phone', join: true }, nm);
  assert.deepEqual(nm.stations(), [{ client: 'phone', mac: 'aa:bb:cc:00:11:22' }]);
  applyWifiStep({ client: 'phone', join: false }, nm);
  assert.deepEqual(nm.stations(), []);

  await said();
  applyWifiStep({ networkManager: 'stopped' }, nm);
  assert.equal(nm.running, false);
  assert.deepEqual(await nmcli(GENERAL), NOT_RUNNING);
  applyWifiStep({ networkManager: 'running' }, nm);
  assert.equal((await nmcli(GENERAL)).stdout, 'running:disconnected:none:enabled:enabled\n');
  assert.throws(() => applyWifiStep({ ap: 'home', signal: 'loud' }, nm), ConfigError, 'an ill-formed step is refused when applied too');
  await nm.close();
});
