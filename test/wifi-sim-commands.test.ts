// The simulated NetworkManager's answers to the commands the Wi-Fi driver sends: status, scan
// lists (terse escapes, noise, rescans), profiles added, edited and deleted, and the commands it
// refuses. Shared setup: test/helpers/wifi-sim.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitTerse } from '../drivers/wifi/terse.js';
import { AIR, GENERAL, DEVICES, LIST, NODE_WIFI, CHECK, UUID, REST, addProfile, pskInput, up, turn, board, settled } from './helpers/wifi-sim.js';

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
